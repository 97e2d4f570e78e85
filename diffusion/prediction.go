package diffusion

import "fmt"

// Prediction names what a denoiser outputs for a noisy x_t = α x_0 + σ ε.
type Prediction string

// The parameterisations.
const (
	// Eps predicts the noise ε (Ho et al. 2020).
	Eps Prediction = "eps"
	// X0 predicts the clean data x_0 (Diffuser's choice, Janner et al. 2022).
	X0 Prediction = "x0"
	// V predicts v = α ε − σ x_0 (Salimans & Ho 2022), well behaved at both
	// ends of the schedule; progressive distillation requires it.
	V Prediction = "v"
)

// Valid reports whether p is one of Eps, X0, V.
func (p Prediction) Valid() bool { return p == Eps || p == X0 || p == V }

func (p Prediction) check() error {
	if !p.Valid() {
		return fmt.Errorf("prediction %q: want %q, %q or %q", p, Eps, X0, V)
	}
	return nil
}

// Target sets dst[i] to what a p-network should output for clean x0[i] and
// noise eps[i] at scales (a, s) = (α_t, σ_t). dst may alias x0 or eps. It
// panics if the lengths differ or p is invalid.
func (p Prediction) Target(dst, x0, eps []float32, a, s float32) {
	n := len(dst)
	x0, eps = x0[:n], eps[:n]
	switch p {
	case Eps:
		copy(dst, eps)
	case X0:
		copy(dst, x0)
	case V:
		for i := range dst {
			dst[i] = a*eps[i] - s*x0[i]
		}
	default:
		panic(p.check())
	}
}

// Split converts a p-network's output out at noisy xt with scales (a, s)
// into the implied clean data x0 and noise eps (either may be nil; both may
// alias out but not xt). It panics if the lengths differ or p is invalid.
//
//	Eps: x0 = (xt − s·ε)/a          (a > 0 needed)
//	X0:  ε  = (xt − a·x0)/s         (s > 0 needed)
//	V:   x0 = a·xt − s·v, ε = s·xt + a·v
func (p Prediction) Split(x0, eps, out, xt []float32, a, s float32) {
	n := len(out)
	xt = xt[:n]
	switch p {
	case Eps:
		ia := 1 / a
		for i, e := range out {
			if x0 != nil {
				x0[i] = (xt[i] - s*e) * ia
			}
			if eps != nil {
				eps[i] = e
			}
		}
	case X0:
		is := 1 / s
		for i, x := range out {
			if eps != nil {
				eps[i] = (xt[i] - a*x) * is
			}
			if x0 != nil {
				x0[i] = x
			}
		}
	case V:
		for i, v := range out {
			xv := xt[i]
			if x0 != nil {
				x0[i] = a*xv - s*v
			}
			if eps != nil {
				eps[i] = s*xv + a*v
			}
		}
	default:
		panic(p.check())
	}
}

// Convert sets dst to the q-parameterised equivalent of the p-network output
// out at noisy xt with scales (a, s). dst may alias out. It panics if the
// lengths differ or either parameterisation is invalid.
func Convert(dst []float32, q, p Prediction, out, xt []float32, a, s float32) {
	if p == q {
		copy(dst, out)
		return
	}
	n := len(out)
	dst, xt = dst[:n], xt[:n]
	for i, o := range out {
		var x0, e float32
		switch p {
		case Eps:
			e = o
			x0 = (xt[i] - s*e) / a
		case X0:
			x0 = o
			e = (xt[i] - a*x0) / s
		case V:
			x0 = a*xt[i] - s*o
			e = s*xt[i] + a*o
		default:
			panic(p.check())
		}
		switch q {
		case Eps:
			dst[i] = e
		case X0:
			dst[i] = x0
		case V:
			dst[i] = a*e - s*x0
		default:
			panic(q.check())
		}
	}
}
