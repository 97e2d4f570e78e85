package diffql_test

import (
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/diffql"
)

func TestConformance(t *testing.T) {
	agenttest.Run(t, func(t testing.TB, obsDim, actDim int, seed uint64) agenttest.Agent {
		// EMAStart 1 so that the EMA actor moves within the harness's few
		// updates (the reference starts it at update 1000).
		a, err := diffql.New(obsDim, actDim, diffql.Config{Hidden: []int{32, 32}, EMAStart: 1, EMAEvery: 1, Candidates: 4}, seed)
		if err != nil {
			t.Fatal(err)
		}
		return a
	})
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  diffql.Config
	}{
		{"hidden", diffql.Config{Hidden: []int{0}}},
		{"time dim", diffql.Config{TimeDim: 3}},
		{"steps", diffql.Config{Steps: -1}},
		{"gamma", diffql.Config{Gamma: 2}},
		{"tau", diffql.Config{Tau: -0.1}},
		{"ema decay", diffql.Config{EMADecay: 1}},
		{"candidates", diffql.Config{Candidates: -1}},
		{"beta order", diffql.Config{BetaMin: 20, BetaMax: 10}},
		{"eta", diffql.Config{Eta: -1}},
	} {
		if _, err := diffql.New(3, 1, tc.cfg, 1); err == nil {
			t.Errorf("%s: New accepted %+v", tc.name, tc.cfg)
		}
	}
	if _, err := diffql.New(0, 1, diffql.Config{}, 1); err == nil {
		t.Error("New accepted observation dimension 0")
	}
}
