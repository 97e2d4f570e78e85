package nn

import (
	"fmt"

	"github.com/dwm-rl/dwm/tensor"
)

// LayerNorm normalises each row to zero mean and unit variance over its Dim
// values, then applies a per-feature gain and bias and a fused activation:
// y = f(g ⊙ (x-μ)/√(σ²+Eps) + b), with the biased variance as in PyTorch.
//
// With Members = K > 1 it is an ensemble layer norm: the input is K blocks of
// equal numbers of rows, block k using its own gain and bias (parameters of
// shape [K, Dim]).
type LayerNorm struct {
	Dim, Members int
	Eps          float32
	Act          tensor.Activation
	G, B         *Param // gain (initialised to 1) and bias (0), shape [Dim] or [K, Dim]
	NoInputGrad  bool

	xhat, z, y, dz, dx tensor.Mat
	rstd, prstd        []float32
}

// NewLayerNorm returns a layer norm over dim features with parameters
// name+"/w" (gain) and name+"/b", eps 1e-5 (PyTorch's default) and fused
// activation act. It panics if dim is not positive.
func NewLayerNorm(name string, dim int, act tensor.Activation) *LayerNorm {
	return NewEnsembleLayerNorm(name, 1, dim, act)
}

// NewEnsembleLayerNorm is NewLayerNorm with per-member parameters of shape
// [k, dim] (for k == 1 the shape is [dim]). It panics if k or dim is not
// positive.
func NewEnsembleLayerNorm(name string, k, dim int, act tensor.Activation) *LayerNorm {
	if k <= 0 || dim <= 0 {
		panic(fmt.Sprintf("nn.NewLayerNorm %s: members %d, dim %d must be positive", name, k, dim))
	}
	shape := []int{dim}
	if k > 1 {
		shape = []int{k, dim}
	}
	l := &LayerNorm{Dim: dim, Members: k, Eps: 1e-5, Act: act, G: NewParam(name+"/w", shape...), B: NewParam(name+"/b", shape...)}
	for i := range l.G.W {
		l.G.W[i] = 1
	}
	return l
}

// Params returns the gain and the bias.
func (l *LayerNorm) Params() []*Param { return []*Param{l.G, l.B} }

func (l *LayerNorm) rowsPerMember(op string, x *tensor.Mat) int {
	if x.Cols != l.Dim || x.Rows%l.Members != 0 {
		panic(fmt.Sprintf("nn.LayerNorm(%s).%s: input %s, want %d columns and rows divisible by %d members", l.G.Name, op, x.Shape(), l.Dim, l.Members))
	}
	return x.Rows / l.Members
}

// normalize applies the affine normalisation of every member block of x,
// writing xhat, z and rstd (len x.Rows).
func (l *LayerNorm) normalize(z, xhat, x *tensor.Mat, rstd []float32, per int) {
	z.Resize(x.Rows, x.Cols)
	xhat.Resize(x.Rows, x.Cols)
	d := l.Dim
	var xv, hv, zv tensor.Mat
	for k := 0; k < l.Members && per > 0; k++ {
		x.RowViewInto(&xv, k*per, (k+1)*per)
		xhat.RowViewInto(&hv, k*per, (k+1)*per)
		z.RowViewInto(&zv, k*per, (k+1)*per)
		zp := &zv
		if z == xhat {
			zp = &hv
		}
		tensor.NormalizeAffine(zp, &hv, &xv, l.G.W[k*d:(k+1)*d], l.B.W[k*d:(k+1)*d], rstd[k*per:(k+1)*per], d, l.Eps)
	}
}

// Forward normalises x and caches what Backward needs. It panics if x has
// the wrong number of columns or its rows do not split evenly into members.
func (l *LayerNorm) Forward(x *tensor.Mat) *tensor.Mat {
	per := l.rowsPerMember("Forward", x)
	l.rstd = grow(l.rstd, x.Rows)
	l.normalize(&l.z, &l.xhat, x, l.rstd, per)
	tensor.ActForward(l.Act, &l.y, &l.z)
	return &l.y
}

// Backward adds the gain and bias gradients and returns the gradient with
// respect to x (nil if NoInputGrad). It panics if dy's shape differs from the
// last output.
func (l *LayerNorm) Backward(dy *tensor.Mat) *tensor.Mat {
	if !tensor.SameShape(dy, &l.y) {
		panic(fmt.Sprintf("nn.LayerNorm(%s).Backward: gradient %s, output was %s", l.G.Name, dy.Shape(), l.y.Shape()))
	}
	dz := dy
	if l.Act != tensor.Identity {
		tensor.ActBackward(l.Act, &l.dz, dy, &l.z, &l.y, nil)
		dz = &l.dz
	}
	per := dy.Rows / l.Members
	d := l.Dim
	if !l.NoInputGrad {
		l.dx.Resize(dy.Rows, d)
	}
	var dzv, hv, dxv tensor.Mat
	for k := 0; k < l.Members && per > 0; k++ {
		dz.RowViewInto(&dzv, k*per, (k+1)*per)
		l.xhat.RowViewInto(&hv, k*per, (k+1)*per)
		var dx *tensor.Mat
		if !l.NoInputGrad {
			l.dx.RowViewInto(&dxv, k*per, (k+1)*per)
			dx = &dxv
		}
		tensor.NormalizeAffineBackward(dx, &dzv, &hv, l.G.W[k*d:(k+1)*d], l.rstd[k*per:(k+1)*per], l.G.G[k*d:(k+1)*d], l.B.G[k*d:(k+1)*d], d)
	}
	if l.NoInputGrad {
		return nil
	}
	return &l.dx
}

// Predict sets dst to the layer's output for x without touching the
// training cache. dst is resized and must not be x.
func (l *LayerNorm) Predict(dst, x *tensor.Mat) {
	per := l.rowsPerMember("Predict", x)
	l.prstd = grow(l.prstd, x.Rows)
	l.normalize(dst, dst, x, l.prstd, per)
	tensor.ActForward(l.Act, dst, dst)
}
