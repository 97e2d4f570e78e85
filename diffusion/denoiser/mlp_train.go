package denoiser

import (
	"github.com/dwm-rl/dwm/internal/blas"
	"github.com/dwm-rl/dwm/tensor"
)

// The data-parallel training path of ResMLP (concatenation conditioning).
//
// Forward and Backward cut the batch into row parts and run each part
// through the whole network (time MLP, input layer, residual blocks, output
// layer) on one goroutine, so a training step hands work to the other core
// twice instead of several times per layer. Member k's rows are one part,
// except that when K is odd the last member's rows are cut in two halves (a
// single network: the whole batch), so two threads get equal work. The cut
// depends only on K and the batch size, never on the thread count or on
// timing: results are bitwise reproducible. The second half of a cut member
// adds its parameter gradients into scratch buffers, added to the
// parameters' gradients after the pass in a fixed order.
//
// FiLM-conditioned networks use the layer-by-layer path (Forward in mlp.go).

// trainMinRows is the smallest number of rows per member for which the last
// member of an odd K is cut in two.
const trainMinRows = 64

// trainPart is one work item: rows [lo, hi) of member k; second marks the
// second half of a cut member.
type trainPart struct {
	k, lo, hi int
	second    bool
}

// trainState holds the data-parallel path's buffers.
type trainState struct {
	active   bool
	backward bool
	parts    []trainPart
	cut      int
	x, cond  *tensor.Mat
	t        []float32
	dy       *tensor.Mat
	dense    []*dense    // every dense layer, in a fixed order
	gw, gb   [][]float32 // scratch gradients of the cut member's second half, per dense layer

	tz1, ty1, te tensor.Mat   // time MLP: pre-activation, activation, embedding
	inZ, inY     tensor.Mat   // input layer
	z1, y1       []tensor.Mat // per block: first layer's pre-activation and activation
	outY, out    tensor.Mat   // act(h) and the output
	doY, du, dz  tensor.Mat
	din, tdy     tensor.Mat
	tdz          tensor.Mat // time MLP's first layer: gradient before the activation
	task         trainTask
	reduce       trainReduce
}

type trainTask struct{ m *ResMLP }

func (t *trainTask) Run(i int) {
	m := t.m
	p := m.tr.parts[i]
	if m.tr.backward {
		m.backwardPart(p)
	} else {
		m.forwardPart(p)
	}
}

// denseLayers returns every dense layer in a fixed order.
func (m *ResMLP) denseLayers() []*dense {
	if m.tr.dense == nil {
		ds := []*dense{m.temb.l1, m.temb.l2, m.inL}
		ds = append(ds, m.l1...)
		ds = append(ds, m.l2...)
		m.tr.dense = append(ds, m.outL)
	}
	return m.tr.dense
}

// zOf returns the buffer for a layer's pre-activation: z itself when the
// activation needs its input in the backward pass, else y.
func zOf(act tensor.Activation, z, y *tensor.Mat) *tensor.Mat {
	if act.NeedsInput() {
		return z
	}
	return y
}

// forwardDP is Forward's data-parallel path (check has been done).
func (m *ResMLP) forwardDP(x *tensor.Mat, t []float32, cond *tensor.Mat, keep []float32) *tensor.Mat {
	tr := &m.tr
	K, W, D, E := m.K, m.Cfg.Width, m.D, m.Cfg.TimeDim
	rows := x.Rows
	n := rows / K
	m.keep = keep
	tr.x, tr.cond = x, cond
	m.temb.sin.Resize(rows, E) // filled per part (sinusoidRows)
	tr.t = t
	act := m.Cfg.Act
	tr.ty1.Resize(rows, 4*E)
	zOf(act, &tr.tz1, &tr.ty1).Resize(rows, 4*E)
	tr.te.Resize(rows, E)
	m.inBuf.Resize(rows, D+m.ci+E)
	tr.inY.Resize(rows, W)
	zOf(act, &tr.inZ, &tr.inY).Resize(rows, W)
	if len(tr.z1) != len(m.l1) {
		tr.z1 = make([]tensor.Mat, len(m.l1))
		tr.y1 = make([]tensor.Mat, len(m.l1))
	}
	for b := range m.l1 {
		tr.y1[b].Resize(rows, W)
		zOf(act, &tr.z1[b], &tr.y1[b]).Resize(rows, W)
		m.hs[b].Resize(rows, W)
	}
	tr.outY.Resize(rows, W)
	tr.out.Resize(rows, D)

	tr.parts = tr.parts[:0]
	tr.cut = -1
	for k := 0; k < K; k++ {
		lo, hi := k*n, (k+1)*n
		if K%2 == 1 && k == K-1 && n >= 2*trainMinRows {
			mid := lo + n/2
			tr.parts = append(tr.parts, trainPart{k, lo, mid, false}, trainPart{k, mid, hi, true})
			tr.cut = k
			continue
		}
		tr.parts = append(tr.parts, trainPart{k, lo, hi, false})
	}
	tr.backward = false
	m.runParts(n)
	tr.active = true
	return &tr.out
}

// runParts runs every part of the current pass on blas.Threads()
// goroutines (one when the work is small).
func (m *ResMLP) runParts(n int) {
	p := blas.Threads()
	W := m.Cfg.Width
	if n*(2*len(m.l1)+1)*W*W < 64*64*64 {
		p = 1
	}
	m.tr.task.m = m
	blas.ParallelFor(len(m.tr.parts), p, &m.tr.task)
}

// fwdRows sets rows [lo, hi) of y to act(x·W_k + b_k) (z: pre-activation,
// may be y). x has d.In columns.
func fwdRows(d *dense, k, lo, hi int, x, z, y *tensor.Mat) {
	in, out := d.In, d.Out
	blas.SgemmSerial(false, false, hi-lo, out, in, 1, x.Data[lo*in:], in, d.w(k), out, 0, z.Data[lo*out:], out)
	var zv, yv tensor.Mat
	z.RowViewInto(&zv, lo, hi)
	y.RowViewInto(&yv, lo, hi)
	tensor.BiasActSerial(d.Act, &yv, &zv, d.b(k))
}

func (m *ResMLP) forwardPart(p trainPart) {
	tr := &m.tr
	k, lo, hi := p.k, p.lo, p.hi
	D, E := m.D, m.Cfg.TimeDim
	act := m.Cfg.Act
	sinusoidRows(&m.temb.sin, tr.t, E, lo, hi)
	fwdRows(m.temb.l1, k, lo, hi, &m.temb.sin, zOf(act, &tr.tz1, &tr.ty1), &tr.ty1)
	fwdRows(m.temb.l2, k, lo, hi, &tr.ty1, &tr.te, &tr.te)
	for i := lo; i < hi; i++ {
		r := m.inBuf.Row(i)
		copy(r, tr.x.Row(i))
		if m.ci > 0 {
			augCond(r[D:D+m.ci], tr.cond.Row(i), keepAt(m.keep, i))
		}
		copy(r[D+m.ci:D+m.ci+E], tr.te.Row(i))
	}
	fwdRows(m.inL, k, lo, hi, &m.inBuf, zOf(act, &tr.inZ, &tr.inY), &tr.inY)
	h := &tr.inY
	W := m.Cfg.Width
	var hv tensor.Mat
	for b := range m.l1 {
		fwdRows(m.l1[b], k, lo, hi, h, zOf(act, &tr.z1[b], &tr.y1[b]), &tr.y1[b])
		// h_{b+1} = h_b + (u·W2 + b2), accumulated in place.
		hs := &m.hs[b]
		copy(hs.Data[lo*W:hi*W], h.Data[lo*W:hi*W])
		blas.SgemmSerial(false, false, hi-lo, W, W, 1, tr.y1[b].Data[lo*W:], W, m.l2[b].w(k), W, 1, hs.Data[lo*W:], W)
		hs.RowViewInto(&hv, lo, hi)
		tensor.BiasActSerial(tensor.Identity, &hv, &hv, m.l2[b].b(k))
		h = hs
	}
	var ov tensor.Mat
	h.RowViewInto(&hv, lo, hi)
	tr.outY.RowViewInto(&ov, lo, hi)
	tensor.BiasActSerial(act, &ov, &hv, nil)
	fwdRows(m.outL, k, lo, hi, &tr.outY, &tr.out, &tr.out)
}

// backwardDP is Backward's data-parallel path after forwardDP.
func (m *ResMLP) backwardDP(dy *tensor.Mat) *tensor.Mat {
	tr := &m.tr
	if !tensor.SameShape(dy, &tr.out) {
		panic("denoiser.ResMLP.Backward: gradient " + dy.Shape() + ", output was " + tr.out.Shape())
	}
	rows, W, E := dy.Rows, m.Cfg.Width, m.Cfg.TimeDim
	tr.doY.Resize(rows, W)
	m.dh.Resize(rows, W)
	tr.du.Resize(rows, W)
	tr.dz.Resize(rows, W)
	tr.din.Resize(rows, m.inBuf.Cols)
	tr.tdy.Resize(rows, 4*E)
	tr.tdz.Resize(rows, 4*E)
	if m.C > 0 {
		m.dcnd.Resize(rows, m.C)
	}
	ds := m.denseLayers()
	if tr.cut >= 0 {
		if len(tr.gw) != len(ds) {
			tr.gw = make([][]float32, len(ds))
			tr.gb = make([][]float32, len(ds))
			for i, d := range ds {
				tr.gw[i] = make([]float32, d.In*d.Out)
				tr.gb[i] = make([]float32, d.Out)
			}
		}
	}
	tr.dy = dy
	tr.backward = true
	m.runParts(rows / m.K)
	tr.dy = nil
	if tr.cut >= 0 {
		tr.reduce.run(m)
	}
	if m.C == 0 {
		return nil
	}
	return &m.dcnd
}

// grads returns where part p adds dense layer i's gradients and the beta
// of the weight-gradient product (0: the scratch is overwritten).
func (m *ResMLP) grads(p trainPart, i int, d *dense) (gw, gb []float32, beta float32) {
	if p.second {
		gb = m.tr.gb[i]
		clear(gb)
		return m.tr.gw[i], gb, 0
	}
	k := p.k
	return d.W.G[k*d.In*d.Out : (k+1)*d.In*d.Out], d.B.G[k*d.Out : (k+1)*d.Out], 1
}

// bwdRows back-propagates rows [lo, hi) through dense layer i (= ds[i]):
// dz = dy ⊙ act'(z) (into dzBuf; dy itself for Identity) with the bias
// gradient, the weight gradient xᵀ·dz, and, if dx is non-nil, dx = dz·Wᵀ
// (betaX 1 adds to dx). dy may be a column window of a wider matrix: its
// rows start at dyOff with stride ldy (Identity layers only).
func (m *ResMLP) bwdRows(p trainPart, i int, x *tensor.Mat, z, y *tensor.Mat, dy []float32, ldy int, dzBuf *tensor.Mat, dx *tensor.Mat, betaX float32) {
	d := m.tr.dense[i]
	k, lo, hi := p.k, p.lo, p.hi
	in, out, rows := d.In, d.Out, hi-lo
	gw, gb, beta := m.grads(p, i, d)
	dz, ldz := dy[lo*ldy:], ldy
	if d.Act == tensor.Identity {
		for r := 0; r < rows; r++ {
			row := dz[r*ldz : r*ldz+out]
			g := gb[:len(row)]
			for j, v := range row {
				g[j] += v
			}
		}
	} else {
		var dyv, dzv, zv, yv tensor.Mat
		dyv = tensor.Mat{Rows: rows, Cols: out, Data: dy[lo*ldy : hi*ldy]}
		dzv = tensor.Mat{Rows: rows, Cols: out, Data: dzBuf.Data[lo*out : hi*out]}
		y.RowViewInto(&yv, lo, hi)
		zp := &zv
		if d.Act.NeedsInput() {
			z.RowViewInto(&zv, lo, hi)
		} else {
			zp = nil
		}
		tensor.ActBackwardSerial(d.Act, &dzv, &dyv, zp, &yv, gb)
		dz, ldz = dzBuf.Data[lo*out:], out
	}
	blas.SgemmSerial(true, false, in, out, rows, 1, x.Data[lo*in:], in, dz, ldz, beta, gw, out)
	if dx != nil {
		blas.SgemmSerial(false, true, rows, in, out, 1, dz, ldz, d.w(k), out, betaX, dx.Data[lo*in:], in)
	}
}

func (m *ResMLP) backwardPart(p trainPart) {
	tr := &m.tr
	lo, hi := p.lo, p.hi
	W, D, E := m.Cfg.Width, m.D, m.Cfg.TimeDim
	act := m.Cfg.Act
	nb := len(m.l1)
	// Indices into denseLayers: 0 time l1, 1 time l2, 2 input, 3… l1, then l2, then output.
	iOut := 3 + 2*nb
	m.bwdRows(p, iOut, &tr.outY, nil, &tr.out, tr.dy.Data, D, nil, &tr.doY, 0)
	h := &tr.inY
	if nb > 0 {
		h = &m.hs[nb-1]
	}
	var dv, gv, hv, yv tensor.Mat
	m.dh.RowViewInto(&dv, lo, hi)
	tr.doY.RowViewInto(&gv, lo, hi)
	h.RowViewInto(&hv, lo, hi)
	tr.outY.RowViewInto(&yv, lo, hi)
	tensor.ActBackwardSerial(act, &dv, &gv, &hv, &yv, nil)
	for b := nb - 1; b >= 0; b-- {
		hin := &tr.inY
		if b > 0 {
			hin = &m.hs[b-1]
		}
		m.bwdRows(p, 3+nb+b, &tr.y1[b], nil, &m.hs[b], m.dh.Data, W, nil, &tr.du, 0)
		m.bwdRows(p, 3+b, hin, zOf(act, &tr.z1[b], &tr.y1[b]), &tr.y1[b], tr.du.Data, W, &tr.dz, &m.dh, 1)
	}
	m.bwdRows(p, 2, &m.inBuf, zOf(act, &tr.inZ, &tr.inY), &tr.inY, m.dh.Data, W, &tr.dz, &tr.din, 0)
	in := m.inBuf.Cols
	m.bwdRows(p, 1, &tr.ty1, nil, &tr.te, tr.din.Data[D+m.ci:], in, nil, &tr.tdy, 0)
	m.bwdRows(p, 0, &m.temb.sin, zOf(act, &tr.tz1, &tr.ty1), &tr.ty1, tr.tdy.Data, 4*E, &tr.tdz, nil, 0)
	if m.C == 0 {
		return
	}
	for i := lo; i < hi; i++ {
		src := tr.din.Row(i)[D : D+m.C]
		dc := m.dcnd.Row(i)
		kp := keepAt(m.keep, i)
		for j, v := range src {
			dc[j] = v * kp
		}
	}
}

// trainReduce adds the cut member's scratch gradients to its parameter
// gradients; item i is one chunk of one layer's weights, or a bias.
type trainReduce struct {
	m     *ResMLP
	items [][3]int // layer, lo, hi (hi < 0: the bias)
}

func (t *trainReduce) run(m *ResMLP) {
	t.m = m
	t.items = t.items[:0]
	total := 0
	for i, d := range m.tr.dense {
		t.items = append(t.items, [3]int{i, 0, -1})
		for lo := 0; lo < d.In*d.Out; lo += 1 << 16 {
			t.items = append(t.items, [3]int{i, lo, min(lo+1<<16, d.In*d.Out)})
		}
		total += d.In * d.Out
	}
	p := blas.Threads()
	if total < 1<<18 {
		p = 1
	}
	blas.ParallelFor(len(t.items), p, t)
}

func (t *trainReduce) Run(i int) {
	it := t.items[i]
	tr := &t.m.tr
	d := tr.dense[it[0]]
	k := tr.cut
	if it[2] < 0 {
		addTo(d.B.G[k*d.Out:(k+1)*d.Out], tr.gb[it[0]])
		return
	}
	base := k * d.In * d.Out
	addTo(d.W.G[base+it[1]:base+it[2]], tr.gw[it[0]][it[1]:it[2]])
}

func addTo(dst, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}
