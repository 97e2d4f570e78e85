package awac

import (
	"math"
	"slices"
	"testing"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/tensor"
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

// Measured largest error 3.3e-4.
func TestCriticLossGradient(t *testing.T) {
	a := tinyAgent(t, Config{})
	b := agenttest.Batches(3, 2, 6, 1, 12)[0]
	n := a.bindBatch(b)
	a.updStream.FillNormal(a.buf.nextNoise.Resize(n, 2).Values())
	a.criticTargets(n)
	a.criticLossGrad(n)
	grads := agenttest.SaveGrads(a.criticParams)
	loss := func() float64 { l, _ := a.criticLossGrad(n); return l }
	t.Logf("critic loss: largest finite-difference error %.2g", agenttest.GradCheck(t, a.criticParams, grads, loss, 5e-3))
}

// The AWR weighted log-likelihood with weights held fixed, through the
// unbounded mean and the state-independent log σ. Measured largest error
// 2.5e-4.
func TestActorLossGradient(t *testing.T) {
	a := tinyAgent(t, Config{Lambda: 0.3})
	copy(a.logStd.W, []float32{-0.4, 0.3})
	b := agenttest.Batches(3, 2, 6, 1, 13)[0]
	n := a.bindBatch(b)
	a.updStream.FillNormal(a.buf.piNoise.Resize(n, 2).Values())
	a.advantageWeights(n)
	w := a.buf.weight.Values()
	if slices.Min(w) == slices.Max(w) {
		t.Fatalf("weights all %v: the check needs distinct weights", w[0])
	}
	a.actorLossGrad(n)
	grads := agenttest.SaveGrads(a.actorParams)
	loss := func() float64 { return a.actorLossGrad(n) }
	t.Logf("actor loss: largest finite-difference error %.2g", agenttest.GradCheck(t, a.actorParams, grads, loss, 5e-3))
}

// The four critic values of the stacked ensemble call match separate
// evaluations at [s, a] and [s, ã], and the weights are min(exp(u/λ), W_max); with W_max = 1 exactly the
// positive advantages are capped.
func TestAdvantageWeights(t *testing.T) {
	a := tinyAgent(t, Config{Lambda: 0.05, MaxExpAdv: 1})
	b := agenttest.Batches(3, 2, 6, 1, 14)[0]
	n := a.bindBatch(b)
	a.updStream.FillNormal(a.buf.piNoise.Resize(n, 2).Values())
	a.advantageWeights(n)
	var q, qPi tensor.Mat
	var in tensor.Mat
	agent.FillStateAction(&in, &a.buf.obs, &a.buf.act, numCritics)
	a.critic.Predict(&q, &in)
	agent.FillStateAction(&in, &a.buf.obs, &a.buf.piAct, numCritics)
	a.critic.Predict(&qPi, &in)
	capped := 0
	for i := 0; i < n; i++ {
		u := min(q.Data[i], q.Data[n+i]) - min(qPi.Data[i], qPi.Data[n+i])
		if d := math.Abs(float64(u - a.buf.adv.Data[i])); d > 1e-6 {
			t.Fatalf("row %d: advantage %v, separate evaluation %v", i, a.buf.adv.Data[i], u)
		}
		want := math.Min(math.Exp(float64(u)/0.05), 1)
		if want == 1 {
			capped++
		}
		if d := math.Abs(float64(a.buf.weight.Data[i]) - want); d > 1e-5*want {
			t.Fatalf("row %d: weight %v, want %v", i, a.buf.weight.Data[i], want)
		}
	}
	if capped == 0 || capped == n {
		t.Fatalf("%d of %d weights capped: want some of each", capped, n)
	}
}
