package nn

import (
	"fmt"

	"github.com/dwm-rl/dwm/internal/blas"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// Linear is a fully connected layer y = f(x·W + b) with a fused activation
// f. W has shape [In, Out] (x·W, not PyTorch's x·Wᵀ) and b shape [Out].
type Linear struct {
	In, Out int
	Act     tensor.Activation
	W, B    *Param
	// NoInputGrad makes Backward skip the gradient with respect to the input
	// (and return nil), saving one matrix product; set it on a network's
	// first layer when the input needs no gradient.
	NoInputGrad bool
	// NoParamGrad makes Backward compute only the input gradient and leave
	// W.G and B.G alone (an actor's loss back-propagated through a critic),
	// saving the weight-gradient product.
	NoParamGrad bool

	w, gw tensor.Mat // headers over W.W and W.G
	x     *tensor.Mat
	z, y  tensor.Mat // pre-activation (only when Act.NeedsInput) and output
	dz    tensor.Mat
	dx    tensor.Mat
	bwd   linearBackward
}

// NewLinear returns a Linear layer whose parameters are named name+"/w" and
// name+"/b", initialised like PyTorch's nn.Linear (uniform in ±1/√in) from s.
// It panics if in or out is not positive.
func NewLinear(name string, in, out int, act tensor.Activation, s *rng.Stream) *Linear {
	if in <= 0 || out <= 0 {
		panic(fmt.Sprintf("nn.NewLinear %s: sizes %d→%d must be positive", name, in, out))
	}
	l := &Linear{In: in, Out: out, Act: act, W: NewParam(name+"/w", in, out), B: NewParam(name+"/b", out)}
	kaimingUniform(l.W.W, in, s)
	kaimingUniform(l.B.W, in, s)
	l.w = matOf(in, out, l.W.W)
	l.gw = matOf(in, out, l.W.G)
	return l
}

// Params returns W and B.
func (l *Linear) Params() []*Param { return []*Param{l.W, l.B} }

func (l *Linear) checkIn(op string, x *tensor.Mat) {
	if x.Cols != l.In {
		panic(fmt.Sprintf("nn.Linear(%s).%s: input %s, want %d columns", l.W.Name, op, x.Shape(), l.In))
	}
}

// Forward returns f(x·W + b) in a layer-owned buffer and caches x.
// It panics if x.Cols != In.
func (l *Linear) Forward(x *tensor.Mat) *tensor.Mat {
	l.checkIn("Forward", x)
	l.x = x
	if l.Act.NeedsInput() {
		tensor.MatMul(&l.z, x, &l.w, false, false)
		tensor.BiasAct(l.Act, &l.y, &l.z, l.B.W)
	} else {
		tensor.MatMul(&l.y, x, &l.w, false, false)
		tensor.BiasAct(l.Act, &l.y, &l.y, l.B.W)
	}
	return &l.y
}

// Backward adds the gradients of W and b to W.G and B.G and returns the
// gradient with respect to Forward's input (nil if NoInputGrad). It panics if
// dy's shape differs from the last Forward output.
func (l *Linear) Backward(dy *tensor.Mat) *tensor.Mat {
	if dy.Rows != l.y.Rows || dy.Cols != l.Out {
		panic(fmt.Sprintf("nn.Linear(%s).Backward: gradient %s, output was %s", l.W.Name, dy.Shape(), l.y.Shape()))
	}
	dz := dy
	gb := l.B.G
	if l.NoParamGrad {
		gb = nil
	}
	switch {
	case l.Act != tensor.Identity:
		tensor.ActBackward(l.Act, &l.dz, dy, &l.z, &l.y, gb)
		dz = &l.dz
	case gb != nil:
		tensor.AddSumRows(gb, dy)
	}
	if l.NoParamGrad {
		if l.NoInputGrad {
			return nil
		}
		l.dx.Resize(dz.Rows, l.In)
		tensor.MatMul(&l.dx, dz, &l.w, false, true)
		return &l.dx
	}
	if l.NoInputGrad {
		tensor.MatMulAcc(&l.gw, l.x, dz, true, false, 1, 1)
		return nil
	}
	l.dx.Resize(dz.Rows, l.In)
	if blas.Threads() > 1 && dz.Rows*l.In*l.Out >= pairedMin {
		// The weight and input gradients are independent products with the
		// same number of multiply-adds: run them side by side, one thread
		// each, instead of splitting each across threads in turn.
		l.bwd = linearBackward{l, dz}
		blas.ParallelFor(2, 2, &l.bwd)
		l.bwd = linearBackward{}
		return &l.dx
	}
	tensor.MatMulAcc(&l.gw, l.x, dz, true, false, 1, 1)
	tensor.MatMul(&l.dx, dz, &l.w, false, true)
	return &l.dx
}

// pairedMin is the smallest batch·in·out for which Backward computes the
// weight and input gradients concurrently.
const pairedMin = 64 * 64 * 64

// linearBackward runs a Linear layer's two gradient products as a
// blas.Task: item 0 adds xᵀ·dz to W.G, item 1 sets dx = dz·Wᵀ.
type linearBackward struct {
	l  *Linear
	dz *tensor.Mat
}

// Run computes product i.
func (t *linearBackward) Run(i int) {
	l, dz := t.l, t.dz
	n := dz.Rows
	if i == 0 {
		blas.SgemmSerial(true, false, l.In, l.Out, n, 1, l.x.Data, l.In, dz.Data, l.Out, 1, l.W.G, l.Out)
		return
	}
	blas.SgemmSerial(false, true, n, l.In, l.Out, 1, dz.Data, l.Out, l.W.W, l.Out, 0, l.dx.Data, l.In)
}

// Predict sets dst = f(x·W + b) without touching the training cache. dst is
// resized and must not be x. It panics if x.Cols != In.
func (l *Linear) Predict(dst, x *tensor.Mat) {
	l.checkIn("Predict", x)
	tensor.MatMul(dst, x, &l.w, false, false)
	tensor.BiasAct(l.Act, dst, dst, l.B.W)
}
