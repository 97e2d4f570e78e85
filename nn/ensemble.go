package nn

import (
	"fmt"

	"github.com/dwm-rl/dwm/internal/blas"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// EnsembleLinear is K independent Linear layers evaluated together. W has
// shape [K, In, Out] and b shape [K, Out]; member k owns the slices
// W.W[k*In*Out:(k+1)*In*Out] and B.W[k*Out:(k+1)*Out]. The input is K blocks
// of n rows (a (K·n)×In Mat, block k fed to member k) and so is the output.
// Members run in parallel goroutines, one BLAS thread each, when K > 1 and
// the work is large enough (see parallelMembers).
type EnsembleLinear struct {
	K, In, Out  int
	Act         tensor.Activation
	W, B        *Param
	NoInputGrad bool
	// NoParamGrad makes Backward compute only the input gradient and leave
	// W.G and B.G alone (see Linear.NoParamGrad).
	NoParamGrad bool

	x      *tensor.Mat
	z, y   tensor.Mat
	dz, dx tensor.Mat
	fwd    ensForward
	bwd    ensBackward
}

// ensForward is the forward pass as a blas.Task: item i computes rows part
// i%splits of member i/splits.
type ensForward struct {
	l         *EnsembleLinear
	n, splits int
	x, z, y   *tensor.Mat
}

// Run computes item i.
func (t *ensForward) Run(i int) {
	k, s := i/t.splits, i%t.splits
	lo, hi := k*t.n+s*t.n/t.splits, k*t.n+(s+1)*t.n/t.splits
	t.l.forwardRows(k, lo, hi, t.x, t.z, t.y)
}

// ensBackward is the backward pass as a blas.Task in two phases. Phase 0
// has K items: member k's activation gradient dz and bias gradient. Phase 1
// has 2K items so that an odd K still balances over two workers: with input
// gradients, items k < K add member k's weight gradient and items K+k
// compute its input gradient; without, the two items of a member add the
// weight gradient of one half of the output columns each.
type ensBackward struct {
	l      *EnsembleLinear
	n      int
	phase  int
	dy, dz *tensor.Mat
}

// Run computes item i of the current phase.
func (t *ensBackward) Run(i int) {
	l, n := t.l, t.n
	if t.phase == 0 {
		l.actBackwardMember(i, n, t.dy, t.dz)
		return
	}
	in, out := l.In, l.Out
	k := i % l.K
	second := i >= l.K
	x := l.x.Data[k*n*in:]
	dz := t.dz.Data[k*n*out:]
	switch {
	case l.NoParamGrad:
		blas.SgemmSerial(false, true, n, in, out, 1, dz, out, l.W.W[k*in*out:], out, 0, l.dx.Data[k*n*in:], in)
	case !l.NoInputGrad && !second:
		blas.SgemmSerial(true, false, in, out, n, 1, x, in, dz, out, 1, l.W.G[k*in*out:], out)
	case !l.NoInputGrad:
		blas.SgemmSerial(false, true, n, in, out, 1, dz, out, l.W.W[k*in*out:], out, 0, l.dx.Data[k*n*in:], in)
	default:
		c0, c1 := 0, out/2
		if second {
			c0, c1 = out/2, out
		}
		blas.SgemmSerial(true, false, in, c1-c0, n, 1, x, in, dz[c0:], out, 1, l.W.G[k*in*out+c0:], out)
	}
}

// NewEnsembleLinear returns K members initialised independently like
// PyTorch's nn.Linear from s, with parameters name+"/w" [K, In, Out] and
// name+"/b" [K, Out]. It panics if a size is not positive.
func NewEnsembleLinear(name string, k, in, out int, act tensor.Activation, s *rng.Stream) *EnsembleLinear {
	if k <= 0 || in <= 0 || out <= 0 {
		panic(fmt.Sprintf("nn.NewEnsembleLinear %s: members %d, sizes %d→%d must be positive", name, k, in, out))
	}
	l := &EnsembleLinear{K: k, In: in, Out: out, Act: act, W: NewParam(name+"/w", k, in, out), B: NewParam(name+"/b", k, out)}
	for m := 0; m < k; m++ {
		kaimingUniform(l.W.W[m*in*out:(m+1)*in*out], in, s)
		kaimingUniform(l.B.W[m*out:(m+1)*out], in, s)
	}
	return l
}

// Params returns W and B.
func (l *EnsembleLinear) Params() []*Param { return []*Param{l.W, l.B} }

func (l *EnsembleLinear) rows(op string, x *tensor.Mat) int {
	if x.Cols != l.In || x.Rows%l.K != 0 {
		panic(fmt.Sprintf("nn.EnsembleLinear(%s).%s: input %s, want %d columns and rows divisible by %d members", l.W.Name, op, x.Shape(), l.In, l.K))
	}
	return x.Rows / l.K
}

// forwardRows computes rows [lo, hi) (all in member k's block) of z
// (pre-activation) and y = f(z).
func (l *EnsembleLinear) forwardRows(k, lo, hi int, x, z, y *tensor.Mat) {
	in, out := l.In, l.Out
	if hi <= lo {
		return
	}
	blas.SgemmSerial(false, false, hi-lo, out, in, 1, x.Data[lo*in:], in, l.W.W[k*in*out:], out, 0, z.Data[lo*out:], out)
	var zv, yv tensor.Mat
	z.RowViewInto(&zv, lo, hi)
	y.RowViewInto(&yv, lo, hi)
	tensor.BiasAct(l.Act, &yv, &zv, l.B.W[k*out:(k+1)*out])
}

// splits returns how many row parts each member's forward pass is cut into
// so that K·splits items balance over the workers.
func (l *EnsembleLinear) splits(n int) int {
	p := blas.Threads()
	if p <= 1 || l.K%p == 0 || n < 64 {
		return 1
	}
	return p
}

// Forward evaluates every member on its block of x and caches x.
// It panics if x.Cols != In or x.Rows is not a multiple of K.
func (l *EnsembleLinear) Forward(x *tensor.Mat) *tensor.Mat {
	n := l.rows("Forward", x)
	l.x = x
	l.y.Resize(x.Rows, l.Out)
	z := &l.y
	if l.Act.NeedsInput() {
		l.z.Resize(x.Rows, l.Out)
		z = &l.z
	}
	sp := l.splits(n)
	l.fwd = ensForward{l, n, sp, x, z, &l.y}
	parallelMembers(l.K*sp, n*l.In*l.Out/sp, &l.fwd)
	l.fwd = ensForward{}
	return &l.y
}

// Backward adds every member's gradients to W.G and B.G and returns the
// gradient with respect to the input (nil if NoInputGrad). It panics if dy's
// shape differs from the last output.
func (l *EnsembleLinear) Backward(dy *tensor.Mat) *tensor.Mat {
	if !tensor.SameShape(dy, &l.y) {
		panic(fmt.Sprintf("nn.EnsembleLinear(%s).Backward: gradient %s, output was %s", l.W.Name, dy.Shape(), l.y.Shape()))
	}
	n := dy.Rows / l.K
	dz := dy
	if l.Act != tensor.Identity {
		l.dz.Resize(dy.Rows, dy.Cols)
		dz = &l.dz
	}
	if !l.NoInputGrad {
		l.dx.Resize(dy.Rows, l.In)
	}
	if n > 0 {
		l.bwd = ensBackward{l: l, n: n, dy: dy, dz: dz}
		// Elementwise work: parallel only when the layer is large.
		parallelMembers(l.K, n*l.Out*64, &l.bwd)
		l.bwd.phase = 1
		switch {
		case l.NoParamGrad && !l.NoInputGrad:
			parallelMembers(l.K, n*l.In*l.Out, &l.bwd) // the input gradients only
		case !l.NoParamGrad:
			parallelMembers(2*l.K, n*l.In*l.Out/2, &l.bwd)
		}
		l.bwd = ensBackward{}
	}
	if l.NoInputGrad {
		return nil
	}
	return &l.dx
}

// actBackwardMember sets member k's rows of dz to the gradient before the
// activation (dz is dy itself for Identity) and adds its bias gradient.
func (l *EnsembleLinear) actBackwardMember(k, n int, dy, dz *tensor.Mat) {
	out := l.Out
	var dyv, dzv, zv, yv tensor.Mat
	dy.RowViewInto(&dyv, k*n, (k+1)*n)
	gb := l.B.G[k*out : (k+1)*out]
	if l.NoParamGrad {
		gb = nil
	}
	if l.Act == tensor.Identity {
		if gb != nil {
			tensor.AddSumRows(gb, &dyv)
		}
		return
	}
	l.y.RowViewInto(&yv, k*n, (k+1)*n)
	dz.RowViewInto(&dzv, k*n, (k+1)*n)
	zp := &zv
	if l.Act.NeedsInput() {
		l.z.RowViewInto(&zv, k*n, (k+1)*n)
	} else {
		zp = nil
	}
	tensor.ActBackward(l.Act, &dzv, &dyv, zp, &yv, gb)
}

// Predict sets dst to every member's output for its block of x without
// touching the training cache. dst is resized and must not be x.
func (l *EnsembleLinear) Predict(dst, x *tensor.Mat) {
	n := l.rows("Predict", x)
	dst.Resize(x.Rows, l.Out)
	sp := l.splits(n)
	l.fwd = ensForward{l, n, sp, x, dst, dst}
	parallelMembers(l.K*sp, n*l.In*l.Out/sp, &l.fwd)
	l.fwd = ensForward{}
}

// TileRows sets dst to k stacked copies of x (a (k·x.Rows)×x.Cols Mat), the
// input layout that feeds the same batch to every ensemble member.
func TileRows(dst, x *tensor.Mat, k int) {
	dst.Resize(k*x.Rows, x.Cols)
	n := x.Len()
	for m := 0; m < k; m++ {
		copy(dst.Data[m*n:(m+1)*n], x.Data[:n])
	}
}
