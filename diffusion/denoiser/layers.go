package denoiser

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// dense is a fully connected layer of K members: nn.Linear for K = 1,
// nn.EnsembleLinear otherwise, with direct access to member k's weights
// ([In, Out], row-major) for the fused sampling path.
type dense struct {
	nn.Layer
	K, In, Out int
	Act        tensor.Activation
	W, B       *nn.Param
}

func newDense(name string, k, in, out int, act tensor.Activation, s *rng.Stream) *dense {
	d := &dense{K: k, In: in, Out: out, Act: act}
	if k == 1 {
		l := nn.NewLinear(name, in, out, act, s)
		d.Layer, d.W, d.B = l, l.W, l.B
	} else {
		l := nn.NewEnsembleLinear(name, k, in, out, act, s)
		d.Layer, d.W, d.B = l, l.W, l.B
	}
	return d
}

// setNoInputGrad switches the input gradient off (or on).
func (d *dense) setNoInputGrad(v bool) {
	switch l := d.Layer.(type) {
	case *nn.Linear:
		l.NoInputGrad = v
	case *nn.EnsembleLinear:
		l.NoInputGrad = v
	}
}

// w returns member k's weights [In, Out]; b its bias [Out].
func (d *dense) w(k int) []float32 { return d.W.W[k*d.In*d.Out : (k+1)*d.In*d.Out] }
func (d *dense) b(k int) []float32 { return d.B.W[k*d.Out : (k+1)*d.Out] }

// Sinusoidal sets each row i of dst (resized to len(t)×dim) to the
// sinusoidal embedding of the time 1000·t[i] used by DDPM and Diffuser
// (Vaswani et al. 2017's position encoding): with h = dim/2 and frequencies
// f_j = 10000^(−j/(h−1)), row i is [sin(τ f_0), …, sin(τ f_{h−1}),
// cos(τ f_0), …, cos(τ f_{h−1})], τ = 1000·t[i]. Times are scaled by 1000
// so that a step keeps the same embedding whatever the schedule length T
// (times are step/T). It panics if dim is odd or < 4.
func Sinusoidal(dst *tensor.Mat, t []float32, dim int) {
	if dim < 4 || dim%2 != 0 {
		panic(fmt.Sprintf("denoiser.Sinusoidal: dim %d must be even and ≥ 4", dim))
	}
	dst.Resize(len(t), dim)
	sinusoidRows(dst, t, dim, 0, len(t))
}

// sinusoidRows sets rows [lo, hi) of dst (len(t)×dim) as Sinusoidal does.
func sinusoidRows(dst *tensor.Mat, t []float32, dim, lo, hi int) {
	h := dim / 2
	c := math.Log(10000) / float64(h-1)
	var fs [64]float64
	for j0 := 0; j0 < h; j0 += len(fs) {
		j1 := min(j0+len(fs), h)
		for j := j0; j < j1; j++ {
			fs[j-j0] = math.Exp(-c * float64(j))
		}
		for i := lo; i < hi; i++ {
			row := dst.Row(i)
			tau := 1000 * float64(t[i])
			for j := j0; j < j1; j++ {
				s, co := math.Sincos(tau * fs[j-j0])
				row[j] = float32(s)
				row[h+j] = float32(co)
			}
		}
	}
}

// actMat is an elementwise activation y = f(z) with its backward pass,
// between layers of a network.
type actMat struct {
	act  tensor.Activation
	z    *tensor.Mat
	y, d tensor.Mat
}

func (a *actMat) forward(z *tensor.Mat) *tensor.Mat {
	a.z = z
	tensor.ActForward(a.act, &a.y, z)
	return &a.y
}

func (a *actMat) backward(dy *tensor.Mat) *tensor.Mat {
	tensor.ActBackward(a.act, &a.d, dy, a.z, &a.y, nil)
	return &a.d
}
