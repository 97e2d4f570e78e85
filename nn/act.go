package nn

import (
	"fmt"

	"github.com/dwm-rl/dwm/tensor"
)

// Act is a parameter-free layer applying an activation elementwise, for
// stacks where the activation does not follow a layer that fuses it.
type Act struct {
	F tensor.Activation

	x     *tensor.Mat
	y, dx tensor.Mat
}

// NewAct returns an activation layer.
func NewAct(f tensor.Activation) *Act { return &Act{F: f} }

// Params returns nil: an activation has no parameters.
func (a *Act) Params() []*Param { return nil }

// Forward returns f(x) in a layer-owned buffer; x must not change before
// Backward.
func (a *Act) Forward(x *tensor.Mat) *tensor.Mat {
	a.x = x
	tensor.ActForward(a.F, &a.y, x)
	return &a.y
}

// Backward returns dy ⊙ f'(x).
func (a *Act) Backward(dy *tensor.Mat) *tensor.Mat {
	if !tensor.SameShape(dy, &a.y) {
		panic(fmt.Sprintf("nn.Act(%v).Backward: gradient %s, output was %s", a.F, dy.Shape(), a.y.Shape()))
	}
	tensor.ActBackward(a.F, &a.dx, dy, a.x, &a.y, nil)
	return &a.dx
}

// Predict sets dst = f(x).
func (a *Act) Predict(dst, x *tensor.Mat) { tensor.ActForward(a.F, dst, x) }
