package denoiser

import (
	"fmt"

	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// TimeEmbedding maps diffusion times to vectors of width Dim: the
// sinusoidal embedding (Sinusoidal) followed by Linear(Dim→4·Dim) → act →
// Linear(4·Dim→Dim), the time MLP of Diffuser (Janner et al. 2022; Mish
// there). With K members each member has its own MLP and the input is K
// blocks of rows.
type TimeEmbedding struct {
	Dim, Members int

	l1, l2 *dense

	sin             tensor.Mat // Forward's cached input
	one, tiled, mid tensor.Mat // Embed's scratch
}

// NewTimeEmbedding returns a time embedding with parameters name+"/l1/…" and
// name+"/l2/…". It panics if dim is odd or < 4, or k < 1.
func NewTimeEmbedding(name string, k, dim int, act tensor.Activation, s *rng.Stream) *TimeEmbedding {
	if dim < 4 || dim%2 != 0 || k < 1 {
		panic(fmt.Sprintf("denoiser.NewTimeEmbedding %s: dim %d must be even and ≥ 4, members %d ≥ 1", name, dim, k))
	}
	e := &TimeEmbedding{Dim: dim, Members: k,
		l1: newDense(name+"/l1", k, dim, 4*dim, act, s),
		l2: newDense(name+"/l2", k, 4*dim, dim, tensor.Identity, s)}
	e.l1.setNoInputGrad(true)
	return e
}

// Params returns the MLP's parameters.
func (e *TimeEmbedding) Params() []*nn.Param {
	return append(e.l1.Params(), e.l2.Params()...)
}

// Forward returns the embeddings of t (len(t) rows, K blocks) in an
// embedding-owned buffer and caches what Backward needs. It panics if
// len(t) is not a multiple of K.
func (e *TimeEmbedding) Forward(t []float32) *tensor.Mat {
	if len(t)%e.Members != 0 {
		panic(fmt.Sprintf("denoiser.TimeEmbedding.Forward: %d times for %d members", len(t), e.Members))
	}
	Sinusoidal(&e.sin, t, e.Dim)
	return e.l2.Forward(e.l1.Forward(&e.sin))
}

// Backward adds the MLP's parameter gradients for the output gradient dy.
func (e *TimeEmbedding) Backward(dy *tensor.Mat) {
	e.l1.Backward(e.l2.Backward(dy))
}

// Embed sets dst (resized to K×Dim) to every member's embedding of the one
// time t, without touching the training cache.
func (e *TimeEmbedding) Embed(dst *tensor.Mat, t float32) {
	Sinusoidal(&e.one, []float32{t}, e.Dim)
	if e.Members > 1 {
		nn.TileRows(&e.tiled, &e.one, e.Members)
		e.l1.Predict(&e.mid, &e.tiled)
	} else {
		e.l1.Predict(&e.mid, &e.one)
	}
	e.l2.Predict(dst, &e.mid)
}
