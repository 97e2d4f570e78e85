package calql_test

import (
	"testing"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/calql"
	"github.com/dwm-rl/dwm/agent/cql"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
)

// Cal-QL keeps the value of its policy's actions at or above the
// Monte-Carlo lower bound where CQL pushes it below.
//
// Data: every transition earns reward 1 forever (no terminals) under a
// narrow behaviour policy (a ~ N(0.5, 0.1²)), so with γ = 0.9 every policy
// is worth exactly 1/(1-γ) = 10, the MC return of every row. CQL's
// conservative term underestimates: its Q-values of policy actions end far
// below 10. Cal-QL's calibration stops the push-down once they fall below
// the bound and they stay above it.
//
// Measured after 1000 updates (seed 1): Cal-QL mean Q(s, aᵖ) 10.8 with 5% of
// the values below the bound in the last batch; CQL 3.7 (1.9 after 500,
// 7.4 after 3000 updates). The thresholds: Cal-QL ≥ 9.5 with at most 20%
// below the bound, CQL ≤ 7.
func TestCalibrationKeepsPolicyValueAboveMC(t *testing.T) {
	const rows, O, A, updates = 2000, 3, 1, 1000
	const gamma, mcReturn = 0.9, 1 / (1 - 0.9)
	buf, err := replay.New(rows, O, A, true)
	if err != nil {
		t.Fatal(err)
	}
	s := rng.New(1)
	obs, next, act := make([]float32, O), make([]float32, O), make([]float32, A)
	for range rows {
		s.FillNormal(obs)
		s.FillNormal(next)
		act[0] = 0.5 + 0.1*s.NormFloat32()
		buf.AddMC(obs, act, 1, next, false, mcReturn)
	}
	cfg := cql.Config{Hidden: []int{32, 32}, ActorHidden: []int{32, 32}, NumActions: 4, Gamma: gamma, ActorLR: 1e-3, CriticLR: 1e-3}
	cal, err := calql.New(O, A, calql.Config{CQL: cfg}, 1)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := cql.New(O, A, cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	b := replay.NewBatch(128, O, A, true)
	sample := rng.New(2)
	var mc, mq []agent.Metric
	for range updates {
		buf.Sample(sample, b)
		mc, mq = cal.Update(b), plain.Update(b)
	}
	qc, qq := agenttest.Metric(t, mc, "train/q_policy"), agenttest.Metric(t, mq, "train/q_policy")
	below := agenttest.Metric(t, mc, "train/bound_rate")
	t.Logf("after %d updates: Cal-QL Q(s, aᵖ) %.2f (%.0f%% below the bound %.0f), CQL %.2f", updates, qc, 100*below, mcReturn, qq)
	if qc < 0.95*mcReturn || below > 0.2 {
		t.Errorf("Cal-QL's policy values %.2f (%.0f%% below the bound): want ≥ %.1f, at most 20%% below", qc, 100*below, 0.95*mcReturn)
	}
	if qq > 7 {
		t.Errorf("CQL's policy values %.2f: the test expects CQL to push them well below the bound %.0f", qq, mcReturn)
	}
}
