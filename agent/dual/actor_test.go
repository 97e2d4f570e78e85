package dual

import (
	"math"
	"testing"

	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// TestActorLossHand: one row, A = F = 1, φ = 2, μ_plan = 0.5, a = 1, w = 2,
// W = [[0.1, 0.2], [0, ln 0.5]]: μ = 0.9, r = 0.1, σ = 0.5, e^{−2ℓ} = 4, so
// L = 2(½·0.01·4 + ln 0.5 + ½ ln 2π) + ln 2, ∂L/∂W[0] = 2(−0.4)(2, 1),
// ∂L/∂W[1] = 2(1 − 0.04)(2, 1).
func TestActorLossHand(t *testing.T) {
	a := NewActor(1, 1)
	copy(a.W, []float64{0.1, 0.2, 0, math.Log(0.5)})
	b := Batch{Feat: tensor.FromRows([][]float32{{2}}), Plan: tensor.FromRows([][]float32{{0.5}}),
		Act: tensor.FromRows([][]float32{{1}}), Weight: []float32{2}}
	g := make([]float64, 4)
	loss, err := a.Loss(b, LogBoxVolume([]float32{-1}, []float32{1}), g)
	if err != nil {
		t.Fatal(err)
	}
	want := 2*(0.5*0.01*4+math.Log(0.5)+0.5*math.Log(2*math.Pi)) + math.Ln2
	if math.Abs(loss-want) > 1e-6 {
		t.Errorf("loss %v, want %v", loss, want)
	}
	for k, w := range []float64{-1.6, -0.8, 3.84, 1.92} {
		if math.Abs(g[k]-w) > 1e-5 {
			t.Errorf("grad[%d] = %v, want %v", k, g[k], w)
		}
	}
}

// TestActorGradFiniteDifference checks ∂L/∂W against central differences
// on a random batch (A = 2, F = 3, B = 5).
func TestActorGradFiniteDifference(t *testing.T) {
	s := rng.New(3)
	const A, F, B = 2, 3, 5
	a := NewActor(A, F)
	for k := range a.W {
		a.W[k] = 0.3 * s.NormFloat64()
	}
	b := Batch{Feat: tensor.New(B, F), Plan: tensor.New(B, A), Act: tensor.New(B, A), Weight: make([]float32, B)}
	s.FillNormal(b.Feat.Data)
	s.FillUniform(b.Plan.Data, -1, 1)
	s.FillUniform(b.Act.Data, -1, 1)
	adv := make([]float32, B)
	s.FillNormal(adv)
	AdvantageWeights(b.Weight, adv, 3, 100)
	g := make([]float64, len(a.W))
	if _, err := a.Loss(b, 0, g); err != nil {
		t.Fatal(err)
	}
	const h = 1e-6
	for k := range a.W {
		w0 := a.W[k]
		a.W[k] = w0 + h
		lp, _ := a.Loss(b, 0, nil)
		a.W[k] = w0 - h
		lm, _ := a.Loss(b, 0, nil)
		a.W[k] = w0
		fd := (lp - lm) / (2 * h)
		if math.Abs(fd-g[k]) > 1e-6*math.Max(1, math.Abs(fd)) {
			t.Errorf("∂L/∂W[%d] = %v, finite difference %v", k, g[k], fd)
		}
	}
}

func TestAdvantageWeightsClip(t *testing.T) {
	w := make([]float32, 3)
	AdvantageWeights(w, []float32{0, 1, 10}, 3, 100)
	for i, want := range []float64{1, math.Exp(3), 100} {
		if math.Abs(float64(w[i])-want) > 1e-4*want {
			t.Errorf("w[%d] = %v, want %v", i, w[i], want)
		}
	}
}

func TestActorLossShapeErrors(t *testing.T) {
	a := NewActor(1, 2)
	ok := Batch{Feat: tensor.New(2, 2), Plan: tensor.New(2, 1), Act: tensor.New(2, 1), Weight: make([]float32, 2)}
	bad := []Batch{
		{Feat: tensor.New(2, 3), Plan: ok.Plan, Act: ok.Act, Weight: ok.Weight},
		{Feat: ok.Feat, Plan: tensor.New(1, 1), Act: ok.Act, Weight: ok.Weight},
		{Feat: ok.Feat, Plan: ok.Plan, Act: tensor.New(2, 2), Weight: ok.Weight},
		{Feat: ok.Feat, Plan: ok.Plan, Act: ok.Act, Weight: make([]float32, 1)},
	}
	if _, err := a.Loss(ok, 0, nil); err != nil {
		t.Fatal(err)
	}
	for i, b := range bad {
		if _, err := a.Loss(b, 0, nil); err == nil {
			t.Errorf("bad batch %d: no error", i)
		}
	}
}
