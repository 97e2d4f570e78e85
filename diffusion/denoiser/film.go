package denoiser

import (
	"fmt"

	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// FiLM is feature-wise linear modulation (Perez et al. 2018) of features h
// by a condition c:
//
//	[γ, β] = c·W + b,   y = h ⊙ (1 + γ) + β
//
// (the 1 + γ form starts the layer near the identity, as in FiLM-conditioned
// diffusion networks). With K members the inputs are K blocks of rows and
// each member has its own W and b.
type FiLM struct {
	Width, CondDim, Members int

	lin *dense // condition → [γ, β] (2·Width outputs)

	h      *tensor.Mat
	gb     *tensor.Mat
	y, dh  tensor.Mat
	dgb    tensor.Mat
	noCond bool
}

// NewFiLM returns a FiLM layer with parameters name+"/w" [K, CondDim,
// 2·Width] and name+"/b". It panics if a size is not positive.
func NewFiLM(name string, k, width, condDim int, s *rng.Stream) *FiLM {
	if k < 1 || width < 1 || condDim < 1 {
		panic(fmt.Sprintf("denoiser.NewFiLM %s: members %d, width %d, condition width %d must be positive", name, k, width, condDim))
	}
	return &FiLM{Width: width, CondDim: condDim, Members: k, lin: newDense(name, k, condDim, 2*width, tensor.Identity, s)}
}

// Params returns W and b.
func (f *FiLM) Params() []*nn.Param { return f.lin.Params() }

// SetNoCondGrad makes Backward skip the condition's gradient (returning nil
// for it).
func (f *FiLM) SetNoCondGrad(v bool) { f.noCond = v; f.lin.setNoInputGrad(v) }

// Forward returns h ⊙ (1 + γ(c)) + β(c) in a layer-owned buffer and caches
// h and c. It panics if the shapes do not fit.
func (f *FiLM) Forward(h, c *tensor.Mat) *tensor.Mat {
	if h.Cols != f.Width || c.Cols != f.CondDim || h.Rows != c.Rows {
		panic(fmt.Sprintf("denoiser.FiLM(%s).Forward: features %s, condition %s, want ·×%d and ·×%d with equal rows",
			f.lin.W.Name, h.Shape(), c.Shape(), f.Width, f.CondDim))
	}
	f.h = h
	f.gb = f.lin.Forward(c)
	f.y.Resize(h.Rows, h.Cols)
	w := f.Width
	for i := 0; i < h.Rows; i++ {
		hr, gb, y := h.Row(i), f.gb.Row(i), f.y.Row(i)
		g, b := gb[:w], gb[w:2*w]
		for j, v := range hr {
			y[j] = v*(1+g[j]) + b[j]
		}
	}
	return &f.y
}

// Backward adds the gradients of W and b and returns the gradients with
// respect to h and c (layer-owned; dc is nil after SetNoCondGrad(true)).
func (f *FiLM) Backward(dy *tensor.Mat) (dh, dc *tensor.Mat) {
	if !tensor.SameShape(dy, &f.y) {
		panic(fmt.Sprintf("denoiser.FiLM(%s).Backward: gradient %s, output was %s", f.lin.W.Name, dy.Shape(), f.y.Shape()))
	}
	w := f.Width
	f.dh.Resize(dy.Rows, w)
	f.dgb.Resize(dy.Rows, 2*w)
	for i := 0; i < dy.Rows; i++ {
		d, hr, gb := dy.Row(i), f.h.Row(i), f.gb.Row(i)
		dhr, dgb := f.dh.Row(i), f.dgb.Row(i)
		g := gb[:w]
		dg, db := dgb[:w], dgb[w:2*w]
		for j, v := range d {
			dhr[j] = v * (1 + g[j])
			dg[j] = v * hr[j]
			db[j] = v
		}
	}
	dc = f.lin.Backward(&f.dgb)
	return &f.dh, dc
}

// modulateRows applies precomputed [γ, β] rows to h in place: row i of h
// (global row index base+i within its member block) uses row
// (base+i) mod len(gbRows)/(2w) of gb.
func modulateRows(h *tensor.Mat, gb []float32, nCond, base, w int) {
	for i := 0; i < h.Rows; i++ {
		c := (base + i) % nCond
		g := gb[c*2*w : c*2*w+w]
		b := gb[c*2*w+w : (c+1)*2*w]
		hr := h.Row(i)
		g, b = g[:len(hr)], b[:len(hr)]
		for j, v := range hr {
			hr[j] = v*(1+g[j]) + b[j]
		}
	}
}
