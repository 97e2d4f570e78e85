package nn

import (
	"math"

	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// Layer is a differentiable function of a batch (rows are samples).
//
// Forward caches what Backward needs and returns a layer-owned buffer that
// stays valid until the next Forward; x must not be modified before the
// matching Backward. Backward takes the gradient of the loss with respect to
// Forward's output, ADDS the parameter gradients to Param.G and returns the
// gradient with respect to x in a layer-owned buffer (or nil if input
// gradients were switched off). Predict computes the same output as Forward
// into dst without touching the training cache (for target networks and
// acting). Batch sizes may change between calls; buffers grow and are
// reused. A layer is not safe for concurrent use.
type Layer interface {
	Forward(x *tensor.Mat) *tensor.Mat
	Backward(dy *tensor.Mat) *tensor.Mat
	Predict(dst, x *tensor.Mat)
	Params() []*Param
}

// kaimingUniform fills w with U(-1/√fanIn, 1/√fanIn): PyTorch's default
// initialisation of nn.Linear weights (kaiming_uniform_ with a=√5) and
// biases.
func kaimingUniform(w []float32, fanIn int, s *rng.Stream) {
	bound := float32(1 / math.Sqrt(float64(max(fanIn, 1))))
	s.FillUniform(w, -bound, bound)
}

// matOf returns a Mat header over s without copying.
func matOf(rows, cols int, s []float32) tensor.Mat {
	return tensor.Mat{Rows: rows, Cols: cols, Data: s[:rows*cols]}
}
