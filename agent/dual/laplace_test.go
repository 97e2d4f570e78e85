package dual

import (
	"math"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// oneRow is the hand case: A = F = 1, φ = 2, μ_plan = 0, a = 1, w = 1; at
// W = 0: μ = 0, r = 1, ℓ = 0, e^{−2ℓ} = 1, φ̃φ̃ᵀ = [[4, 2], [2, 1]].
func oneRow() Batch {
	return Batch{Feat: tensor.FromRows([][]float32{{2}}), Plan: tensor.FromRows([][]float32{{0}}),
		Act: tensor.FromRows([][]float32{{1}}), Weight: []float32{1}}
}

// precision rebuilds L Lᵀ of block j.
func precision(l *Laplace, j int) []float64 {
	L := l.chol[j]
	n := int(math.Sqrt(float64(len(L))))
	out := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for k := 0; k < n; k++ {
			for m := 0; m < n; m++ {
				out[i*n+k] += L[i*n+m] * L[k*n+m]
			}
		}
	}
	return out
}

func TestLaplaceHandGGN(t *testing.T) {
	// GGN: μμ block 1·[[4,2],[2,1]] + I, ℓℓ block 2·[[4,2],[2,1]] + I, no
	// cross terms.
	l, err := NewLaplace(NewActor(1, 1), oneRow(), LaplaceConfig{PriorPrecision: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{5, 2, 0, 0, 2, 2, 0, 0, 0, 0, 9, 4, 0, 0, 4, 3}
	for k, v := range precision(l, 0) {
		if math.Abs(v-want[k]) > 1e-9 {
			t.Errorf("Λ[%d] = %v, want %v", k, v, want[k])
		}
	}
	if d, _ := l.Damped(); d {
		t.Errorf("GGN precision damped: %v", l.Damping)
	}
}

func TestLaplaceExactNotPDIsDamped(t *testing.T) {
	// Exact: output curvature H = [[1, 2], [2, 2]] (eigenvalues (3 ± √17)/2),
	// so H ⊗ φ̃φ̃ᵀ + I has smallest eigenvalue 1 + 5(3 − √17)/2 ≈ −1.81: the
	// damping ladder 1e-6, …, 1, 10 stops at δ = 10.
	l, err := NewLaplace(NewActor(1, 1), oneRow(), LaplaceConfig{PriorPrecision: 1, Hessian: Exact})
	if err != nil {
		t.Fatal(err)
	}
	damped, d := l.Damped()
	if !damped || d != 10 {
		t.Errorf("Damped() = %v, %v; want true, 10", damped, d)
	}
	want := []float64{15, 2, 8, 4, 2, 12, 4, 2, 8, 4, 19, 4, 4, 2, 4, 13}
	for k, v := range precision(l, 0) {
		if math.Abs(v-want[k]) > 1e-9 {
			t.Errorf("damped Λ[%d] = %v, want %v", k, v, want[k])
		}
	}
}

func TestLaplaceConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  LaplaceConfig
		want string
	}{
		{LaplaceConfig{}, "PriorPrecision = 0: must be finite and > 0"},
		{LaplaceConfig{PriorPrecision: -1}, "PriorPrecision = -1"},
		{LaplaceConfig{PriorPrecision: math.NaN()}, "PriorPrecision = NaN"},
		{LaplaceConfig{PriorPrecision: 1, Hessian: "kfac"}, `Hessian = "kfac"`},
		{LaplaceConfig{PriorPrecision: 1, Samples: -2}, "Samples = -2"},
	} {
		if _, err := NewLaplace(NewActor(1, 1), oneRow(), tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one containing %q", tc.cfg, err, tc.want)
		}
	}
}

// TestLaplaceSampleCovariance: sub-policy parameters have covariance Λ⁻¹;
// for the GGN hand case the μ block's inverse is [[2, −2], [−2, 5]]/6.
func TestLaplaceSampleCovariance(t *testing.T) {
	l, err := NewLaplace(NewActor(1, 1), oneRow(), LaplaceConfig{PriorPrecision: 1, Samples: 20000})
	if err != nil {
		t.Fatal(err)
	}
	subs := l.Sample(rng.New(5))
	var c00, c01, c11 float64
	for _, a := range subs {
		c00 += a.W[0] * a.W[0]
		c01 += a.W[0] * a.W[1]
		c11 += a.W[1] * a.W[1]
	}
	n := float64(len(subs))
	got := []float64{c00 / n, c01 / n, c11 / n}
	for k, want := range []float64{2.0 / 6, -2.0 / 6, 5.0 / 6} {
		if math.Abs(got[k]-want) > 0.03 {
			t.Errorf("covariance[%d] = %.4f, want %.4f", k, got[k], want)
		}
	}
}

// TestAggregateHand: sub-policies N(0, 1) and N(1, 4) at φ = 1, μ_plan = 0:
// μ̄ = 0.5, σ̄² = (1 + 4)/2 + 0.25 = 2.75.
func TestAggregateHand(t *testing.T) {
	a, b := NewActor(1, 1), NewActor(1, 1)
	copy(b.W, []float64{0, 1, 0, math.Ln2})
	mean, v := tensor.New(1, 1), tensor.New(1, 1)
	Aggregate(mean, v, []*Actor{a, b}, tensor.FromRows([][]float32{{1}}), tensor.FromRows([][]float32{{0}}))
	if math.Abs(float64(mean.At(0, 0))-0.5) > 1e-6 || math.Abs(float64(v.At(0, 0))-2.75) > 1e-5 {
		t.Errorf("aggregate mean %v, variance %v; want 0.5, 2.75", mean.At(0, 0), v.At(0, 0))
	}
}

// TestLaplaceSpreadsOffData: with features of the data near 0, the
// sub-policies' means spread more at φ = 3 than at φ = 0.
func TestLaplaceSpreadsOffData(t *testing.T) {
	s := rng.New(6)
	const B = 200
	b := Batch{Feat: tensor.New(B, 1), Plan: tensor.New(B, 1), Act: tensor.New(B, 1), Weight: make([]float32, B)}
	for i := 0; i < B; i++ {
		b.Feat.Set(i, 0, float32(0.2*s.NormFloat64()))
		b.Act.Set(i, 0, float32(0.1*s.NormFloat64()))
		b.Weight[i] = 1
	}
	l, err := NewLaplace(NewActor(1, 1), b, LaplaceConfig{PriorPrecision: 1, Samples: 200})
	if err != nil {
		t.Fatal(err)
	}
	subs := l.Sample(s)
	feat := tensor.FromRows([][]float32{{0}, {3}})
	plan := tensor.New(2, 1)
	mean, v := tensor.New(2, 1), tensor.New(2, 1)
	Aggregate(mean, v, subs, feat, plan)
	// Epistemic part: the spread of sub-policy means.
	spread := func(phi float64) float64 {
		var m, m2 float64
		for _, a := range subs {
			mu := a.W[0]*phi + a.W[1]
			m += mu
			m2 += mu * mu
		}
		n := float64(len(subs))
		return m2/n - (m/n)*(m/n)
	}
	in, out := spread(0), spread(3)
	t.Logf("sub-policy mean variance: on data %.5f, off data %.5f; aggregate variance %.3f, %.3f", in, out, v.At(0, 0), v.At(1, 0))
	if out < 10*in {
		t.Errorf("off-data spread %.5f, want ≥ 10× the on-data %.5f", out, in)
	}
	if v.At(1, 0) <= v.At(0, 0) {
		t.Errorf("aggregate variance off data %v ≤ on data %v", v.At(1, 0), v.At(0, 0))
	}
}
