package dual

import (
	"math"
	"testing"

	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// TestActorFitAdvantageWeighted: the planner proposes 0 everywhere, the data
// holds actions ±0.5 (+ with advantage 1, − with advantage 0) plus noise of
// sd 0.1. With β = 3 the weighted MAP mean is
// (e³·0.5 − 0.5)/(e³ + 1) ≈ 0.4526 and the learned variance is the
// weighted residual variance 0.1² + 0.25 − 0.4526² ≈ 0.0552.
func TestActorFitAdvantageWeighted(t *testing.T) {
	s := rng.New(11)
	const B = 256
	b := Batch{Feat: tensor.New(B, 1), Plan: tensor.New(B, 1), Act: tensor.New(B, 1), Weight: make([]float32, B)}
	adv := make([]float32, B)
	a := NewActor(1, 1)
	opt := ActorOptimizer{LR: 1e-2}
	for it := 0; it < 1500; it++ {
		for i := 0; i < B; i++ {
			b.Feat.Set(i, 0, float32(s.NormFloat64()))
			sign := float32(-0.5)
			adv[i] = 0
			if s.IntN(2) == 0 {
				sign, adv[i] = 0.5, 1
			}
			b.Act.Set(i, 0, sign+float32(0.1*s.NormFloat64()))
		}
		AdvantageWeights(b.Weight, adv, 3, 100)
		if _, err := opt.Step(a, b, 0); err != nil {
			t.Fatal(err)
		}
	}
	feat, plan := tensor.FromRows([][]float32{{0}, {1}}), tensor.New(2, 1)
	mean, logStd := tensor.New(2, 1), tensor.New(2, 1)
	a.Predict(mean, logStd, feat, plan)
	e3 := math.Exp(3)
	wantMean := (e3*0.5 - 0.5) / (e3 + 1)
	wantVar := 0.01 + 0.25 - wantMean*wantMean
	for i := 0; i < 2; i++ {
		m, v := float64(mean.At(i, 0)), math.Exp(2*float64(logStd.At(i, 0)))
		t.Logf("φ = %v: mean %.4f (want %.4f), variance %.4f (want %.4f)", feat.At(i, 0), m, wantMean, v, wantVar)
		if math.Abs(m-wantMean) > 0.03 || math.Abs(v-wantVar) > 0.25*wantVar {
			t.Errorf("φ = %v: mean %.4f, variance %.4f; want %.4f, %.4f", feat.At(i, 0), m, v, wantMean, wantVar)
		}
	}
	bad := ActorOptimizer{LR: -1}
	if _, err := bad.Step(a, b, 0); err == nil {
		t.Error("negative LR: no error")
	}
}
