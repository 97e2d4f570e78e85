package dual

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// HessianKind selects how the curvature of the actor loss is formed.
type HessianKind string

const (
	// GGN is the generalized Gauss-Newton (Fisher) form: per row and action
	// dimension the Gaussian's output curvature diag(e^{−2ℓ}, 2) in
	// (μ, ℓ = log σ); always positive semi-definite.
	GGN HessianKind = "ggn"
	// Exact is the exact Hessian of the loss: output curvature
	// [[e^{−2ℓ}, 2r e^{−2ℓ}], [2r e^{−2ℓ}, 2r² e^{−2ℓ}]], r = a − μ, which is
	// indefinite whenever r ≠ 0 (its determinant is −2r² e^{−4ℓ}).
	Exact HessianKind = "exact"
)

// LaplaceConfig describes the last-layer Laplace approximation (Eq. 6).
// Zero fields take the defaults listed on each field.
type LaplaceConfig struct {
	// PriorPrecision is λ of the Gaussian prior N(0, λ⁻¹ I) on the last
	// layer. It is required and must be > 0 (≤ 0 is an error, not a
	// default): a zero prior makes the precision singular whenever the
	// features do not span their space. Daxberger et al. 2021 start from 1.
	PriorPrecision float64
	// Hessian is GGN (default, as last-layer Laplace libraries do) or
	// Exact.
	Hessian HessianKind
	// Samples is N, the number of Monte-Carlo sub-policies (default 10).
	Samples int
}

// WithDefaults returns c with every zero field set to its default.
func (c LaplaceConfig) WithDefaults() LaplaceConfig {
	if c.Hessian == "" {
		c.Hessian = GGN
	}
	if c.Samples == 0 {
		c.Samples = 10
	}
	return c
}

// Validate reports the first invalid field.
func (c LaplaceConfig) Validate() error {
	if !(c.PriorPrecision > 0) || math.IsInf(c.PriorPrecision, 0) {
		return fmt.Errorf("LaplaceConfig.PriorPrecision = %v: must be finite and > 0 (required; 1 is a common start)", c.PriorPrecision)
	}
	c = c.WithDefaults()
	if c.Hessian != GGN && c.Hessian != Exact {
		return fmt.Errorf("LaplaceConfig.Hessian = %q: want %q or %q", c.Hessian, GGN, Exact)
	}
	if c.Samples < 1 {
		return fmt.Errorf("LaplaceConfig.Samples = %d: must be ≥ 1", c.Samples)
	}
	return nil
}

// Laplace is the Gaussian posterior N(Ŵ, Λ⁻¹) over the actor's last layer
// (Eq. 6). The precision is block-diagonal over action dimensions: block j
// covers θ_j = (W[j], W[A+j]) (2(F+1) values), the only parameters that
// action dimension j's loss term depends on.
type Laplace struct {
	cfg  LaplaceConfig
	mapW *Actor
	// chol[j] is the lower Cholesky factor of block j's precision (after
	// any damping), row-major P × P with P = 2(F+1).
	chol [][]float64
	// Damping[j] is the δ added to block j's diagonal to make it positive
	// definite (0 if none was needed).
	Damping []float64
}

// NewLaplace forms the last-layer precision at the MAP actor mapW on the
// data b (the replay buffer or a large batch of it):
//
//	Λ_j = Σ_i w_i (H_ij ⊗ φ̃_i φ̃_iᵀ) + λ I,
//
// H_ij the 2 × 2 output curvature of row i's loss term in (μ_j, ℓ_j) (see
// HessianKind); the sum, not the mean, so the posterior tightens with the
// amount of data. A block that is not positive definite (possible with the
// Exact Hessian) is damped by the smallest δ = 10^k·λ, k = −6, −5, …, that
// makes it so; the δ is kept in Damping and reported by Damped. It returns
// the configuration or shape error.
func NewLaplace(mapW *Actor, b Batch, cfg LaplaceConfig) (*Laplace, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if err := mapW.check(b); err != nil {
		return nil, err
	}
	A, F := mapW.ActDim, mapW.FeatDim
	P := 2 * (F + 1)
	l := &Laplace{cfg: cfg, mapW: mapW.Clone(), chol: make([][]float64, A), Damping: make([]float64, A)}
	phi := make([]float64, F+1)
	for j := 0; j < A; j++ {
		prec := make([]float64, P*P)
		for i := 0; i < b.Feat.Rows; i++ {
			f := b.Feat.Row(i)
			for k, x := range f {
				phi[k] = float64(x)
			}
			phi[F] = 1
			mu := float64(b.Plan.At(i, j)) + dotAff(mapW.row(j), f)
			ell, _ := clampedLogStd(mapW.row(A+j), f)
			r := float64(b.Act.At(i, j)) - mu
			e := math.Exp(-2 * ell)
			w := float64(b.Weight[i])
			hmm, hml, hll := e, 0.0, 2.0
			if cfg.Hessian == Exact {
				hml, hll = 2*r*e, 2*r*r*e
			}
			for p := 0; p <= F; p++ {
				for q := 0; q <= F; q++ {
					pq := w * phi[p] * phi[q]
					prec[p*P+q] += hmm * pq
					prec[p*P+(F+1+q)] += hml * pq
					prec[(F+1+p)*P+q] += hml * pq
					prec[(F+1+p)*P+(F+1+q)] += hll * pq
				}
			}
		}
		for p := 0; p < P; p++ {
			prec[p*P+p] += cfg.PriorPrecision
		}
		L, ok := cholesky(prec, P, 0)
		for k := -6; !ok; k++ {
			if k > 12 {
				return nil, fmt.Errorf("dual laplace: action %d: precision not positive definite even damped by %v", j, math.Pow(10, 12)*cfg.PriorPrecision)
			}
			l.Damping[j] = math.Pow(10, float64(k)) * cfg.PriorPrecision
			L, ok = cholesky(prec, P, l.Damping[j])
		}
		l.chol[j] = L
	}
	return l, nil
}

// Damped reports whether any block needed damping, and the largest δ.
func (l *Laplace) Damped() (bool, float64) {
	var m float64
	for _, d := range l.Damping {
		m = math.Max(m, d)
	}
	return m > 0, m
}

// cholesky returns the lower factor of a + δI (row-major n × n) and
// whether it is positive definite.
func cholesky(a []float64, n int, delta float64) ([]float64, bool) {
	L := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			s := a[i*n+j]
			if i == j {
				s += delta
			}
			for k := 0; k < j; k++ {
				s -= L[i*n+k] * L[j*n+k]
			}
			if i == j {
				if !(s > 0) {
					return nil, false
				}
				L[i*n+i] = math.Sqrt(s)
			} else {
				L[i*n+j] = s / L[j*n+j]
			}
		}
	}
	return L, true
}

// Sample draws cfg.Samples sub-policies W^k ~ N(Ŵ, Λ⁻¹) (Eq. 7's Monte
// Carlo): per block θ_j = θ̂_j + L_j^{−T} z, z ~ N(0, I), Λ_j = L_j L_jᵀ.
func (l *Laplace) Sample(s *rng.Stream) []*Actor {
	A, F := l.mapW.ActDim, l.mapW.FeatDim
	P := 2 * (F + 1)
	z := make([]float64, P)
	out := make([]*Actor, l.cfg.Samples)
	for k := range out {
		a := l.mapW.Clone()
		for j := 0; j < A; j++ {
			for p := range z {
				z[p] = s.NormFloat64()
			}
			x := solveUpperT(l.chol[j], P, z)
			mr, lr := a.row(j), a.row(A+j)
			for p := 0; p <= F; p++ {
				mr[p] += x[p]
				lr[p] += x[F+1+p]
			}
		}
		out[k] = a
	}
	return out
}

// solveUpperT solves Lᵀ x = z in place of z for lower-triangular L.
func solveUpperT(L []float64, n int, z []float64) []float64 {
	for i := n - 1; i >= 0; i-- {
		v := z[i]
		for k := i + 1; k < n; k++ {
			v -= L[k*n+i] * z[k]
		}
		z[i] = v / L[i*n+i]
	}
	return z
}

// Aggregate writes the ensemble policy of Eq. 7 for B states (feat B × F,
// plan B × A) into mean and variance (B × A): with sub-policies
// N(μ^k, (σ^k)²), k = 1…N,
//
//	μ̄ = (1/N) Σ_k μ^k,   σ̄² = (1/N) Σ_k (σ^k)² + (1/N) Σ_k (μ^k − μ̄)²
//
// (the moment-matched mixture: aleatoric plus epistemic variance). It
// panics if subs is empty.
func Aggregate(mean, variance *tensor.Mat, subs []*Actor, feat, plan *tensor.Mat) {
	if len(subs) == 0 {
		panic("dual.Aggregate: no sub-policies")
	}
	A := subs[0].ActDim
	n := float64(len(subs))
	for i := 0; i < feat.Rows; i++ {
		phi := feat.Row(i)
		for j := 0; j < A; j++ {
			var m, m2, v float64
			for _, a := range subs {
				mu := float64(plan.At(i, j)) + dotAff(a.row(j), phi)
				ls, _ := clampedLogStd(a.row(A+j), phi)
				m += mu
				m2 += mu * mu
				v += math.Exp(2 * ls)
			}
			m /= n
			mean.Set(i, j, float32(m))
			variance.Set(i, j, float32(v/n+math.Max(m2/n-m*m, 0)))
		}
	}
}
