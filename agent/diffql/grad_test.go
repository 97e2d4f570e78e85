package diffql

import (
	"math"
	"testing"

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
	fillStateAction(&B.qIn, obs, &B.x, numCritics)
	a.critic.Predict(&B.qOut, &B.qIn)
	n := obs.Rows
	var q float64
	for i := 0; i < n; i++ {
		q += float64(B.qOut.Data[k*n+i])
	}
	return q / float64(n)
}

// TestQLossGradient checks the gradient that qLossGrad back-propagates
// through the whole reverse chain against central finite differences of
// mean_i Q_k(s_i, â_i(θ)) with the chain's noise held fixed: qLossGrad
// adds −η/λ·∇mean Q_k with λ held fixed. Smooth activations (Mish) and a
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
	checked := 0
	var worst float64
	for _, p := range a.actorParams {
		for _, j := range []int{0, len(p.W) / 3, len(p.W) - 1} {
			analytic := -float64(p.G[j]) * lambda / float64(a.cfg.Eta) // ∇ mean Q_k
			w0 := p.W[j]
			const h = 1e-2
			p.W[j] = w0 + h
			up := meanQ(a, obs, st, k)
			p.W[j] = w0 - h
			down := meanQ(a, obs, st, k)
			p.W[j] = w0
			numeric := (up - down) / (2 * h)
			err := math.Abs(numeric-analytic) / math.Max(1e-3, math.Abs(numeric)+math.Abs(analytic))
			worst = math.Max(worst, err)
			if err > 0.05 {
				t.Errorf("%s[%d]: analytic %.6g, numeric %.6g (relative error %.3g)", p.Name, j, analytic, numeric, err)
			}
			checked++
		}
	}
	t.Logf("%d parameters checked, worst relative error %.3g, %d clipped x̂₀ values", checked, worst, clipped)
}
