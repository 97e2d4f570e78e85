package nn

import (
	"fmt"
	"math"
	"testing"

	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// partLayer is a layer with both the whole-batch and the part path.
type partLayer interface {
	Forward(x *tensor.Mat) *tensor.Mat
	Backward(dy *tensor.Mat) *tensor.Mat
	ForwardPart(x *tensor.Mat, p Part) *tensor.Mat
	BackwardPart(dy *tensor.Mat, p Part) *tensor.Mat
	AddGrads(s *Scratch)
	Params() []*Param
}

// The part path (3 parts, run in reverse order; with the layer's own
// buffers or with one Scratch shared by the parts) gives the outputs, input
// gradients and parameter gradients of Forward and Backward up to float32
// rounding of a different summation order.
func TestPartPathMatchesWhole(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in, L int
		newL  func(s *rng.Stream) partLayer
	}{
		{"conv k5", 3, 8, func(s *rng.Stream) partLayer { return NewConv1d("c", 3, 4, 5, 1, 2, tensor.Mish, s) }},
		{"conv stride2", 4, 9, func(s *rng.Stream) partLayer { return NewConv1d("c", 4, 3, 3, 2, 1, tensor.Identity, s) }},
		{"convT", 3, 5, func(s *rng.Stream) partLayer { return NewConvTranspose1d("t", 3, 2, 4, 2, 1, tensor.SiLU, s) }},
		{"convT id", 2, 4, func(s *rng.Stream) partLayer { return NewConvTranspose1d("t", 2, 3, 4, 2, 1, tensor.Identity, s) }},
		{"groupnorm", 4, 6, func(s *rng.Stream) partLayer { return NewGroupNorm("g", 2, 4, tensor.Mish) }},
	} {
		for _, shared := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s shared %v", tc.name, shared), func(t *testing.T) {
				const B = 7
				s := rng.New(21)
				whole, part := tc.newL(s), tc.newL(rng.New(21))
				// Same parameters (GroupNorm: perturb gain and bias).
				for i, p := range whole.Params() {
					s.FillNormal(p.W)
					copy(part.Params()[i].W, p.W)
				}
				x := randMat(s, B, tc.in*tc.L, 1)
				y := whole.Forward(x)
				dy := randMat(s, y.Rows, y.Cols, 1)
				dx := whole.Backward(dy)
				parts := []Part{{Lo: 0, Hi: 2, Index: 0, N: 3}, {Lo: 2, Hi: 3, Index: 1, N: 3}, {Lo: 3, Hi: B, Index: 2, N: 3}}
				var sc *Scratch
				if shared {
					sc = new(Scratch)
					for i := range parts {
						parts[i].Scratch = sc
					}
				}
				py := part.ForwardPart(x, Part{Hi: B, N: 3, Prepare: true})
				for i := len(parts) - 1; i >= 0; i-- {
					part.ForwardPart(x, parts[i])
				}
				pdx := part.BackwardPart(dy, Part{Hi: B, N: 3, Prepare: true})
				for i := len(parts) - 1; i >= 0; i-- {
					part.BackwardPart(dy, parts[i])
				}
				part.AddGrads(sc)
				close := func(what string, a, b []float32) {
					t.Helper()
					for i := range a {
						if d := math.Abs(float64(a[i] - b[i])); d > 1e-5*(1+math.Abs(float64(a[i]))) {
							t.Fatalf("%s[%d]: part path %v, whole %v", what, i, b[i], a[i])
						}
					}
				}
				close("y", y.Values(), py.Values())
				close("dx", dx.Values(), pdx.Values())
				for i, p := range whole.Params() {
					close(p.Name+" grad", p.G, part.Params()[i].G)
				}
			})
		}
	}
}
