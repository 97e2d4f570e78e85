package diffql

import (
	"testing"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// meanQ returns mean_i Q_k(s_i, â_i) for the chain sampled with the stream
// state st (the same noise every call).
func meanQ(a *Agent, obs *tensor.Mat, st []byte, k int) float64 {
	s := rng.New(0)
	if err := s.SetState(st); err != nil {
		panic(err)
	}
	a.chain(obs, s, false)
	B := &a.buf
	agent.FillStateAction(&B.qIn, obs, &B.x, numCritics)
	a.critic.Predict(&B.qOut, &B.qIn)
	n := obs.Rows
	var q float64
	for i := 0; i < n; i++ {
		q += float64(B.qOut.Data[k*n+i])
	}
	return q / float64(n)
}

// TestQLossGradient checks the gradient that qLossGrad back-propagates
// through the whole reverse chain against central finite differences
// (agenttest.GradCheck, every entry) of mean_i Q_k(s_i, â_i(θ)) with the
// chain's noise held fixed: qLossGrad adds −η/λ·∇mean Q_k with λ held
// fixed. Smooth activations (Mish) and a
// small network keep x̂₀ inside the clip, where the function is smooth.
func TestQLossGradient(t *testing.T) {
	const n, S, A = 8, 3, 2
	a, err := New(S, A, Config{Hidden: []int{16, 16}, Steps: 3, GradNorm: -1, Eta: 0.7}, 5)
	if err != nil {
		t.Fatal(err)
	}
	obs := tensor.New(n, S)
	rng.New(9).FillNormal(obs.Data)
	a.buf.obs = *obs
	a.updStream = rng.New(11)
	st, err := a.updStream.State()
	if err != nil {
		t.Fatal(err)
	}
	nn.ZeroGrad(a.actorParams)
	a.qLossGrad(n)
	k, lambda := a.buf.k, a.buf.lambda
	clipped := 0
	for tt := 1; tt <= a.sched.T; tt++ {
		for _, v := range a.buf.x0s[tt].Values() {
			if v < -1 || v > 1 {
				clipped++
			}
		}
	}
	// qLossGrad left −η/λ·∇mean Q_k in the gradients; GradCheck compares
	// ∇mean Q_k itself.
	grads := agenttest.SaveGrads(a.actorParams)
	for _, g := range grads {
		for j := range g {
			g[j] *= float32(-lambda / float64(a.cfg.Eta))
		}
	}
	worst := agenttest.GradCheck(t, a.actorParams, grads, func() float64 { return meanQ(a, obs, st, k) }, 0.05)
	t.Logf("worst error %.3g, %d clipped x̂₀ values", worst, clipped)
}
