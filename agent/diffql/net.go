package diffql

import (
	"fmt"

	"github.com/dwm-rl/dwm/diffusion/denoiser"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// epsNet is Diffusion-QL's noise-prediction network (agents/model.py, MLP):
//
//	e   = Linear(2E→E)(Mish(Linear(E→2E)(sin(t))))      time embedding, E = TimeDim
//	ε̂   = Linear(H→A)(Mish(… Mish(Linear(A+E+S→H)([x, e, s])) …))
//
// with the sinusoidal embedding of denoiser.Sinusoidal (time 1000·t/T) and
// the hidden widths of Config.Hidden. It implements diffusion.Denoiser with
// the state as the condition (no classifier-free guidance: keep is
// ignored), and exposes the gradient with respect to the noisy action x
// for back-propagating the Q-loss through the sampling chain.
type epsNet struct {
	A, S, E int
	time    *nn.MLP // E → 2E → E
	mid     *nn.MLP // A+E+S → Hidden… → A

	sin, in, dtemb, dcond tensor.Mat
	din                   *tensor.Mat // input gradient of the last Backward

	cond             tensor.Mat // SetCond's states
	tOne             [1]float32
	pSin, pTemb, pIn tensor.Mat
	times            []float32
}

func newEpsNet(name string, actDim, obsDim int, cfg Config, s *rng.Stream) *epsNet {
	E := cfg.TimeDim
	n := &epsNet{A: actDim, S: obsDim, E: E}
	n.time = nn.NewMLP(name+"/time", nn.MLPConfig{Sizes: []int{E, 2 * E, E}, Hidden: tensor.Mish}, s)
	n.time.NoInputGrad = true
	sizes := append(append([]int{actDim + E + obsDim}, cfg.Hidden...), actDim)
	n.mid = nn.NewMLP(name+"/mid", nn.MLPConfig{Sizes: sizes, Hidden: tensor.Mish}, s)
	return n
}

// Members returns 1.
func (n *epsNet) Members() int { return 1 }

// Dim returns the action width.
func (n *epsNet) Dim() int { return n.A }

// CondDim returns the state width.
func (n *epsNet) CondDim() int { return n.S }

// Params returns the time embedding's and the main MLP's parameters.
func (n *epsNet) Params() []*nn.Param { return append(n.time.Params(), n.mid.Params()...) }

func (n *epsNet) check(op string, x *tensor.Mat, rows int, cond *tensor.Mat) {
	if x.Cols != n.A || cond == nil || cond.Cols != n.S || cond.Rows != rows || x.Rows != rows {
		panic(fmt.Sprintf("diffql epsNet.%s: x %s, cond %v for %d rows: want B×%d and B×%d", op, x.Shape(), cond, rows, n.A, n.S))
	}
}

// Forward returns ε̂(x, t, cond) and caches what Backward needs.
func (n *epsNet) Forward(x *tensor.Mat, t []float32, cond *tensor.Mat, _ []float32) *tensor.Mat {
	n.check("Forward", x, len(t), cond)
	denoiser.Sinusoidal(&n.sin, t, n.E)
	temb := n.time.Forward(&n.sin)
	tensor.ConcatCols(&n.in, x, temb, cond)
	return n.mid.Forward(&n.in)
}

// Backward adds the parameter gradients for dy and returns the gradient
// with respect to the condition; the gradient with respect to x is left in
// n.din's first A columns.
func (n *epsNet) Backward(dy *tensor.Mat) *tensor.Mat {
	n.din = n.mid.Backward(dy)
	tensor.ColSlice(&n.dtemb, n.din, n.A, n.A+n.E)
	n.time.Backward(&n.dtemb)
	tensor.ColSlice(&n.dcond, n.din, n.A+n.E, n.A+n.E+n.S)
	return &n.dcond
}

// SetCond keeps a copy of the states for Step.
func (n *epsNet) SetCond(cond *tensor.Mat, _ []float32) {
	if cond == nil || cond.Cols != n.S {
		panic(fmt.Sprintf("diffql epsNet.SetCond: condition %v, want B×%d states", cond, n.S))
	}
	n.cond.Resize(cond.Rows, n.S)
	copy(n.cond.Data, cond.Data[:cond.Len()])
}

// Step sets dst to ε̂(x, t, s) for every row of x at the one time t, row r
// using state r mod B'. It does not touch Forward's cache.
func (n *epsNet) Step(dst, x *tensor.Mat, t float32) {
	b := n.cond.Rows
	if x.Cols != n.A || b == 0 || x.Rows%b != 0 {
		panic(fmt.Sprintf("diffql epsNet.Step: x %s for %d states", x.Shape(), b))
	}
	n.tOne[0] = t
	denoiser.Sinusoidal(&n.pSin, n.tOne[:], n.E)
	n.time.Predict(&n.pTemb, &n.pSin)
	W := n.A + n.E + n.S
	n.pIn.Resize(x.Rows, W)
	te := n.pTemb.Row(0)
	for r := 0; r < x.Rows; r++ {
		row := n.pIn.Row(r)
		copy(row[:n.A], x.Row(r))
		copy(row[n.A:n.A+n.E], te)
		copy(row[n.A+n.E:], n.cond.Row(r%b))
	}
	n.mid.Predict(dst, &n.pIn)
}

// timesFor returns a reused slice of rows copies of t.
func (n *epsNet) timesFor(rows int, t float32) []float32 {
	if cap(n.times) < rows {
		n.times = make([]float32, rows)
	}
	n.times = n.times[:rows]
	for i := range n.times {
		n.times[i] = t
	}
	return n.times
}
