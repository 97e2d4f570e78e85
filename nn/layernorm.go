package nn

import (
	"fmt"
	"math"

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
	rstd               []float32
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

// normRow writes (x-μ)·rstd into out and returns rstd.
func normRow(out, x []float32, eps float32) float32 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	mean := float32(s / float64(len(x)))
	var q float64
	for _, v := range x {
		d := v - mean
		q += float64(d * d)
	}
	rstd := float32(1 / math.Sqrt(q/float64(len(x))+float64(eps)))
	out = out[:len(x)]
	for j, v := range x {
		out[j] = (v - mean) * rstd
	}
	return rstd
}

// Forward normalises x and caches what Backward needs. It panics if x has
// the wrong number of columns or its rows do not split evenly into members.
func (l *LayerNorm) Forward(x *tensor.Mat) *tensor.Mat {
	per := l.rowsPerMember("Forward", x)
	l.xhat.Resize(x.Rows, x.Cols)
	l.z.Resize(x.Rows, x.Cols)
	if cap(l.rstd) < x.Rows {
		l.rstd = make([]float32, x.Rows)
	}
	l.rstd = l.rstd[:x.Rows]
	d := l.Dim
	for i := 0; i < x.Rows; i++ {
		k := 0
		if per > 0 {
			k = i / per
		}
		g, b := l.G.W[k*d:(k+1)*d], l.B.W[k*d:(k+1)*d]
		xh := l.xhat.Data[i*d : (i+1)*d]
		l.rstd[i] = normRow(xh, x.Data[i*d:(i+1)*d], l.Eps)
		z := l.z.Data[i*d : (i+1)*d]
		for j, v := range xh {
			z[j] = g[j]*v + b[j]
		}
	}
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
	inv := 1 / float32(d)
	for i := 0; i < dy.Rows; i++ {
		k := i / max(per, 1)
		g := l.G.W[k*d : (k+1)*d]
		gg, gb := l.G.G[k*d:(k+1)*d], l.B.G[k*d:(k+1)*d]
		xh := l.xhat.Data[i*d : (i+1)*d]
		dzr := dz.Data[i*d : (i+1)*d]
		var s1, s2 float32
		for j, v := range dzr {
			gg[j] += v * xh[j]
			gb[j] += v
			dxh := v * g[j]
			s1 += dxh
			s2 += dxh * xh[j]
		}
		if l.NoInputGrad {
			continue
		}
		s1 *= inv
		s2 *= inv
		r := l.rstd[i]
		dx := l.dx.Data[i*d : (i+1)*d]
		for j, v := range dzr {
			dx[j] = r * (v*g[j] - s1 - xh[j]*s2)
		}
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
	dst.Resize(x.Rows, x.Cols)
	d := l.Dim
	for i := 0; i < x.Rows; i++ {
		k := 0
		if per > 0 {
			k = i / per
		}
		g, b := l.G.W[k*d:(k+1)*d], l.B.W[k*d:(k+1)*d]
		out := dst.Data[i*d : (i+1)*d]
		normRow(out, x.Data[i*d:(i+1)*d], l.Eps)
		for j, v := range out {
			out[j] = g[j]*v + b[j]
		}
	}
	tensor.ActForward(l.Act, dst, dst)
}
