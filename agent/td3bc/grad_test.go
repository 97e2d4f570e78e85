package td3bc

import (
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/dataset"
)

// Finite-difference checks of the hand-written gradients, as in agent/sac:
// tiny networks (3→8→8→·) with tanh hidden units (ReLU kinks make finite
// differences unreliable), float32 throughout, central differences with
// step h = 1e-2 divided by the float32 step actually taken, and the error
// |analytic - numeric| / (|analytic| + |numeric| + 1e-2). Measured maxima
// over every entry: critic 9.3e-4, actor 8.7e-4; the tolerance is 5e-3
// (agent/sac's). A 5% error in any gradient path exceeds 1e-2.

// tinyAgent has a state normaliser, so the checks cover standardised inputs.
func tinyAgent(t *testing.T) *Agent {
	t.Helper()
	a, err := New(3, 2, Config{Hidden: []int{8, 8}, Activation: "tanh"}, 7)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetStateNorm(&dataset.Normalizer{Mean: []float32{0.3, -0.2, 0.1}, Std: []float32{0.8, 1.5, 2}, Eps: 1e-3}); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestCriticLossGradient(t *testing.T) {
	a := tinyAgent(t)
	b := agenttest.Batches(3, 2, 6, 1, 11)[0]
	n := a.bindBatch(b)
	a.updStream.FillNormal(a.buf.noise.Resize(n, 2).Values())
	a.criticTargets(n)
	a.criticLossGrad(n)
	grads := agenttest.SaveGrads(a.criticParams)
	loss := func() float64 { l, _ := a.criticLossGrad(n); return l }
	t.Logf("critic loss: largest finite-difference error %.2g", agenttest.GradCheck(t, a.criticParams, grads, loss, 5e-3))
}

// The λ-normalised actor loss: the gradient goes through Q_1's input (dQ/dπ),
// the tanh output layer and the BC term, with λ held fixed as in CORL.
func TestActorLossGradient(t *testing.T) {
	a := tinyAgent(t)
	b := agenttest.Batches(3, 2, 6, 1, 13)[0]
	n := a.bindBatch(b)
	_, bc, lambda := a.actorLossGrad(n, -1)
	if !(bc > 0.01) || !(lambda > 0) {
		t.Fatalf("BC term %v and λ %v: want both clearly positive", bc, lambda)
	}
	grads := agenttest.SaveGrads(a.actorParams)
	for _, p := range a.criticParams {
		for i, g := range p.G {
			if g != 0 {
				t.Fatalf("critic gradient %s[%d] = %v after the actor pass, want 0", p.Name, i, g)
			}
		}
	}
	loss := func() float64 { l, _, _ := a.actorLossGrad(n, float32(lambda)); return l }
	t.Logf("actor loss (λ = %.3g): largest finite-difference error %.2g", lambda, agenttest.GradCheck(t, a.actorParams, grads, loss, 5e-3))
}
