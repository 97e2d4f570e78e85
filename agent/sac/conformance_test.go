package sac_test

import (
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/sac"
)

func newSAC(cfg sac.Config) agenttest.Factory {
	return func(t testing.TB, obsDim, actDim int, seed uint64) agenttest.Agent {
		a, err := sac.New(obsDim, actDim, cfg, seed)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
}

func TestConformance(t *testing.T) {
	agenttest.Run(t, newSAC(sac.Config{Hidden: []int{32, 32}}))
}

// With a frozen BC reference and a positive weight the reference is saved and
// restored too (and stays unchanged by updates).
func TestConformanceBC(t *testing.T) {
	base := newSAC(sac.Config{Hidden: []int{32, 32}, BCWeight: 0.5})
	agenttest.RunWith(t, agenttest.Options{Static: []string{"bc_reference/"}},
		func(t testing.TB, obsDim, actDim int, seed uint64) agenttest.Agent {
			a := base(t, obsDim, actDim, seed).(*sac.Agent)
			a.FreezeBCReference()
			return a
		})
}
