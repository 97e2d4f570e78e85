package iql

import (
	"slices"
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/dataset"
)

// Finite-difference checks of the hand-written gradients, as in agent/sac:
// tiny networks (3→8→8→·) with tanh hidden units (ReLU kinks make finite
// differences unreliable), float32 throughout, central differences with
// step h = 1e-2 divided by the float32 step actually taken, and the error
// |analytic - numeric| / (|analytic| + |numeric| + 1e-2). Tolerance 5e-3
// (agent/sac's); measured maxima are logged and listed on each test.

// tinyAgent has a state normaliser, so the checks cover standardised
// inputs, and target critics away from the critics.
func tinyAgent(t *testing.T, cfg Config) *Agent {
	t.Helper()
	cfg.Hidden = []int{8, 8}
	cfg.Activation = "tanh"
	a, err := New(3, 2, cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetStateNorm(&dataset.Normalizer{Mean: []float32{0.3, -0.2, 0.1}, Std: []float32{0.8, 1.5, 2}, Eps: 1e-3}); err != nil {
		t.Fatal(err)
	}
	return a
}

// The expectile loss L_V = mean |τ - 1(u<0)|·u²: the batch has residuals of
// both signs, so both branches of the weight are exercised. Measured
// largest error 1.1e-4.
func TestValueLossGradient(t *testing.T) {
	a := tinyAgent(t, Config{Expectile: 0.8})
	b := agenttest.Batches(3, 2, 8, 1, 11)[0]
	n := a.bindBatch(b)
	a.targetQ(n)
	// Spread q̂ so that u = q̂ - V(s) takes both signs.
	for i := 0; i < n; i++ {
		a.buf.qHat.Data[i] += float32(i%2)*2 - 1
	}
	a.valueLossGrad(n)
	neg := 0
	for _, u := range a.buf.adv.Values() {
		if u < 0 {
			neg++
		}
	}
	if neg == 0 || neg == n {
		t.Fatalf("%d of %d residuals negative: both signs needed", neg, n)
	}
	grads := agenttest.SaveGrads(a.valueParams)
	loss := func() float64 { l, _ := a.valueLossGrad(n); return l }
	t.Logf("expectile loss: largest finite-difference error %.2g", agenttest.GradCheck(t, a.valueParams, grads, loss, 5e-3))
}

// Measured largest error 3.8e-4.
func TestCriticLossGradient(t *testing.T) {
	a := tinyAgent(t, Config{})
	b := agenttest.Batches(3, 2, 6, 1, 12)[0]
	n := a.bindBatch(b)
	a.value.Predict(&a.buf.nextV, &a.buf.next)
	a.targetQ(n)
	a.criticLossGrad(n)
	grads := agenttest.SaveGrads(a.criticParams)
	loss := func() float64 { l, _ := a.criticLossGrad(n); return l }
	t.Logf("critic loss: largest finite-difference error %.2g", agenttest.GradCheck(t, a.criticParams, grads, loss, 5e-3))
}

// The advantage-weighted log-likelihood with weights held fixed, through the
// tanh mean and (Gaussian) the state-independent log σ. Measured largest
// errors: Gaussian 1.4e-4, deterministic 1.9e-4.
func TestActorLossGradient(t *testing.T) {
	for _, det := range []bool{false, true} {
		t.Run(map[bool]string{false: "Gaussian", true: "Deterministic"}[det], func(t *testing.T) {
			a := tinyAgent(t, Config{Deterministic: det, Beta: 2})
			if !det {
				copy(a.logStd.W, []float32{-0.4, 0.3})
			}
			b := agenttest.Batches(3, 2, 6, 1, 13)[0]
			n := a.bindBatch(b)
			a.targetQ(n)
			a.valueLossGrad(n)
			a.advantageWeights(n)
			w := a.buf.weight.Values()
			if slices.Min(w) == slices.Max(w) {
				t.Fatalf("weights all %v: the check needs distinct weights", w[0])
			}
			a.actorLossGrad(n)
			grads := agenttest.SaveGrads(a.actorParams)
			loss := func() float64 { return a.actorLossGrad(n) }
			t.Logf("actor loss: largest finite-difference error %.2g", agenttest.GradCheck(t, a.actorParams, grads, loss, 5e-3))
		})
	}
}
