package denoiser

import (
	"fmt"

	"github.com/dwm-rl/dwm/internal/blas"
	"github.com/dwm-rl/dwm/tensor"
)

// maxStepChunk is the largest number of rows of one member that one
// goroutine runs through the network in Step. Larger chunks reuse each
// weight matrix over more rows (measured on the 512-wide network with one
// thread: 68, 74, 75 and 82 GFLOP/cpu-s for chunks of 128, 256, 640 and 1280
// rows), so Step uses the fewest chunks that keep the threads balanced.
const maxStepChunk = 2048

// stepChunks returns the number of chunks per member for n rows per member,
// K members and p threads: the smallest count that makes K·chunks a
// multiple of p (every thread gets the same number of equal chunks) with
// chunks of at most maxStepChunk rows.
func stepChunks(n, K, p int) int {
	step := p / gcdInt(K, p)
	nch := step
	for (n+nch-1)/nch > maxStepChunk {
		nch += step
	}
	return max(1, min(nch, n))
}

func gcdInt(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// SetCond implements diffusion.Denoiser: it computes, for each member and
// each of the B' = cond.Rows conditions, the condition's share of the input
// layer (concatenation) or every block's [γ, β] (FiLM).
func (m *ResMLP) SetCond(cond *tensor.Mat, keep []float32) {
	K, W := m.K, m.Cfg.Width
	nc := 1
	if m.C > 0 {
		if cond == nil || cond.Cols != m.C || (keep != nil && len(keep) != cond.Rows) || cond.Rows < 1 {
			shape := "nil"
			if cond != nil {
				shape = cond.Shape()
			}
			panic(fmt.Sprintf("denoiser.ResMLP.SetCond: condition %s (keep %d), want ·×%d", shape, len(keep), m.C))
		}
		nc = cond.Rows
		m.cAugS.Resize(nc, m.C+1)
		for i := 0; i < nc; i++ {
			augCond(m.cAugS.Row(i), cond.Row(i), keepAt(keep, i))
		}
	}
	m.nCond = nc
	m.nIn = 1
	if m.ci > 0 {
		m.nIn = nc
	}
	m.prepIn.Resize(K*m.nIn, W)
	D := m.D
	for k := 0; k < K; k++ {
		dst := m.prepIn.Data[k*m.nIn*W : (k+1)*m.nIn*W]
		bias := m.inL.b(k)
		for i := 0; i < m.nIn; i++ {
			copy(dst[i*W:(i+1)*W], bias)
		}
		if m.ci > 0 {
			wc := m.inL.w(k)[D*W : (D+m.ci)*W]
			blas.Sgemm(false, false, nc, W, m.ci, 1, m.cAugS.Data, m.ci, wc, W, 1, dst, W)
		}
	}
	if m.films != nil {
		ct := &m.tiled
		ct.Resize(K*nc, m.C+1)
		for k := 0; k < K; k++ {
			copy(ct.Data[k*nc*(m.C+1):], m.cAugS.Data[:nc*(m.C+1)])
		}
		for b, f := range m.films {
			f.lin.Predict(&m.prepFilm[b], ct)
		}
	}
}

// Step implements diffusion.Denoiser. Rows of each member block are split
// into equal chunks (see stepChunks), and each chunk runs through the
// whole network on one goroutine (blas.Threads() goroutines in all).
func (m *ResMLP) Step(dst, x *tensor.Mat, t float32) {
	m.check("Step", x, -1, nil, nil)
	if m.nCond == 0 {
		panic("denoiser.ResMLP.Step: SetCond was not called")
	}
	K, W, D, E := m.K, m.Cfg.Width, m.D, m.Cfg.TimeDim
	// Time embedding's share of the input layer, one row per member.
	m.temb.Embed(&m.tEmb, t)
	m.tB.Resize(K, W)
	for k := 0; k < K; k++ {
		wt := m.inL.w(k)[(D+m.ci)*W : (D+m.ci+E)*W]
		blas.SgemmSerial(false, false, 1, W, E, 1, m.tEmb.Data[k*E:], E, wt, W, 0, m.tB.Data[k*W:], W)
	}
	dst.Resize(x.Rows, D)
	n := x.Rows / K
	p := blas.Threads()
	nch := stepChunks(n, K, p)
	chunk := (n + nch - 1) / nch
	if m.scratch == nil || cap(m.scratch) < p {
		m.scratch = make(chan *mlpScratch, p)
		for i := 0; i < p; i++ {
			m.scratch <- new(mlpScratch)
		}
	}
	m.task = mlpStep{m: m, x: x, dst: dst, n: n, chunk: chunk, nch: nch}
	blas.ParallelFor(K*nch, p, &m.task)
	m.task = mlpStep{}
}

// mlpStep is one Step call as a blas.Task: item i is chunk i%nch of member
// i/nch.
type mlpStep struct {
	m             *ResMLP
	x, dst        *tensor.Mat
	n, chunk, nch int
}

// Run evaluates one chunk.
func (s *mlpStep) Run(i int) {
	m := s.m
	k, c := i/s.nch, i%s.nch
	lo := c * s.chunk
	hi := min(lo+s.chunk, s.n)
	r := hi - lo
	if r <= 0 {
		return
	}
	sc := <-m.scratch
	defer func() { m.scratch <- sc }()
	W, D, act := m.Cfg.Width, m.D, m.Cfg.Act
	row0 := k*s.n + lo
	h := sc.h.Resize(r, W)
	blas.SgemmSerial(false, false, r, W, D, 1, s.x.Data[row0*D:], D, m.inL.w(k)[:D*W], W, 0, h.Data, W)
	tb := m.tB.Data[k*W : (k+1)*W]
	pin := m.prepIn.Data[k*m.nIn*W : (k+1)*m.nIn*W]
	for j := 0; j < r; j++ {
		hr := h.Data[j*W : (j+1)*W]
		ci := (lo + j) % m.nIn
		p := pin[ci*W : (ci+1)*W]
		p, tb := p[:len(hr)], tb[:len(hr)]
		for q := range hr {
			hr[q] += p[q] + tb[q]
		}
	}
	tensor.ActForward(act, h, h)
	u := sc.u.Resize(r, W)
	for b := range m.l1 {
		l1, l2 := m.l1[b], m.l2[b]
		blas.SgemmSerial(false, false, r, W, W, 1, h.Data, W, l1.w(k), W, 0, u.Data, W)
		if m.films != nil {
			tensor.BiasAct(tensor.Identity, u, u, l1.b(k))
			gb := m.prepFilm[b].Data[k*m.nCond*2*W : (k+1)*m.nCond*2*W]
			modulateRows(u, gb, m.nCond, lo, W)
			tensor.ActForward(act, u, u)
		} else {
			tensor.BiasAct(act, u, u, l1.b(k))
		}
		blas.SgemmSerial(false, false, r, W, W, 1, u.Data, W, l2.w(k), W, 1, h.Data, W)
		tensor.BiasAct(tensor.Identity, h, h, l2.b(k))
	}
	tensor.ActForward(act, u, h)
	var out tensor.Mat
	s.dst.RowViewInto(&out, row0, row0+r)
	blas.SgemmSerial(false, false, r, D, W, 1, u.Data, W, m.outL.w(k), D, 0, out.Data, D)
	tensor.BiasAct(tensor.Identity, &out, &out, m.outL.b(k))
}
