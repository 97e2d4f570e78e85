package cql

import (
	"math"

	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/rng"
)

// orthogonalInit re-initialises every linear layer of m (each ensemble member
// on its own) like torch.nn.init.orthogonal_(weight, gain) with zero biases:
// CORL's init_module_weights with orthogonal_init=True, which its
// finetune/cql.py and cal_ql.py apply to every layer of the actor and the
// critics, the last included, with gain √2.
func orthogonalInit(m *nn.MLP, gain float64, s *rng.Stream) {
	for _, l := range m.Layers {
		switch l := l.(type) {
		case *nn.Linear:
			orthogonal(l.W.W, l.In, l.Out, gain, s)
			clear(l.B.W)
		case *nn.EnsembleLinear:
			sz := l.In * l.Out
			for k := 0; k < l.K; k++ {
				orthogonal(l.W.W[k*sz:(k+1)*sz], l.In, l.Out, gain, s)
			}
			clear(l.B.W)
		}
	}
}

// orthogonal fills w (in×out, row-major) with gain times a semi-orthogonal
// matrix: the Q factor of a standard Gaussian matrix whose R has a positive
// diagonal (PyTorch fixes the signs of its QR the same way), so the smaller
// of its two dimensions is orthonormal. The factor comes from modified
// Gram-Schmidt in float64.
func orthogonal(w []float32, in, out int, gain float64, s *rng.Stream) {
	r, c := max(in, out), min(in, out)
	q := make([]float64, r*c) // column j is q[j*r : (j+1)*r]
	for i := range q {
		q[i] = s.NormFloat64()
	}
	for j := 0; j < c; j++ {
		cj := q[j*r : (j+1)*r]
		for p := 0; p < j; p++ {
			cp := q[p*r : (p+1)*r]
			var d float64
			for i := range cj {
				d += cj[i] * cp[i]
			}
			for i := range cj {
				cj[i] -= d * cp[i]
			}
		}
		var norm float64
		for _, v := range cj {
			norm += v * v
		}
		norm = math.Sqrt(norm)
		for i := range cj {
			cj[i] /= norm
		}
	}
	for i := 0; i < in; i++ {
		for j := 0; j < out; j++ {
			var v float64
			if in >= out {
				v = q[j*r+i] // orthonormal columns: WᵀW = I
			} else {
				v = q[i*r+j] // orthonormal rows: WWᵀ = I
			}
			w[i*out+j] = float32(gain * v)
		}
	}
}
