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

	x      *tensor.Mat
	z, y   tensor.Mat
	dz, dx tensor.Mat
	fwd    ensForward
	bwd    ensBackward
}

// ensForward is one member's forward pass as a blas.Task item.
type ensForward struct {
	l       *EnsembleLinear
	n       int
	x, z, y *tensor.Mat
}

// Run computes member k.
func (t *ensForward) Run(k int) { t.l.forwardMember(k, t.n, t.x, t.z, t.y) }

// ensBackward is one member's backward pass as a blas.Task item.
type ensBackward struct {
	l      *EnsembleLinear
	n      int
	dy, dz *tensor.Mat
}

// Run back-propagates member k.
func (t *ensBackward) Run(k int) { t.l.backwardMember(k, t.n, t.dy, t.dz) }

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

// forwardMember computes member k's rows [k*n, (k+1)*n) of z (pre-activation)
// and y = f(z).
func (l *EnsembleLinear) forwardMember(k, n int, x, z, y *tensor.Mat) {
	in, out := l.In, l.Out
	if n == 0 {
		return
	}
	blas.SgemmSerial(false, false, n, out, in, 1, x.Data[k*n*in:], in, l.W.W[k*in*out:], out, 0, z.Data[k*n*out:], out)
	var zv, yv tensor.Mat
	z.RowViewInto(&zv, k*n, (k+1)*n)
	y.RowViewInto(&yv, k*n, (k+1)*n)
	tensor.BiasAct(l.Act, &yv, &zv, l.B.W[k*out:(k+1)*out])
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
	l.fwd = ensForward{l, n, x, z, &l.y}
	parallelMembers(l.K, n*l.In*l.Out, &l.fwd)
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
	l.bwd = ensBackward{l, n, dy, dz}
	parallelMembers(l.K, n*l.In*l.Out, &l.bwd)
	l.bwd = ensBackward{}
	if l.NoInputGrad {
		return nil
	}
	return &l.dx
}

// backwardMember back-propagates member k's rows of dy, writing the
// activation gradient into dz (unused for Identity).
func (l *EnsembleLinear) backwardMember(k, n int, dy, dz *tensor.Mat) {
	in, out := l.In, l.Out
	if n == 0 {
		return
	}
	var dyv, dzv, zv, yv tensor.Mat
	dy.RowViewInto(&dyv, k*n, (k+1)*n)
	l.y.RowViewInto(&yv, k*n, (k+1)*n)
	gb := l.B.G[k*out : (k+1)*out]
	if l.Act == tensor.Identity {
		tensor.AddSumRows(gb, &dyv)
		dzv = dyv
	} else {
		dz.RowViewInto(&dzv, k*n, (k+1)*n)
		zp := &zv
		if l.Act.NeedsInput() {
			l.z.RowViewInto(&zv, k*n, (k+1)*n)
		} else {
			zp = nil
		}
		tensor.ActBackward(l.Act, &dzv, &dyv, zp, &yv, gb)
	}
	blas.SgemmSerial(true, false, in, out, n, 1, l.x.Data[k*n*in:], in, dzv.Data, out, 1, l.W.G[k*in*out:], out)
	if !l.NoInputGrad {
		blas.SgemmSerial(false, true, n, in, out, 1, dzv.Data, out, l.W.W[k*in*out:], out, 0, l.dx.Data[k*n*in:], in)
	}
}

// Predict sets dst to every member's output for its block of x without
// touching the training cache. dst is resized and must not be x.
func (l *EnsembleLinear) Predict(dst, x *tensor.Mat) {
	n := l.rows("Predict", x)
	dst.Resize(x.Rows, l.Out)
	l.fwd = ensForward{l, n, x, dst, dst}
	parallelMembers(l.K, n*l.In*l.Out, &l.fwd)
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
