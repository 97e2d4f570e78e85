package awac_test

import (
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/awac"
	"github.com/dwm-rl/dwm/dataset"
)

func newAWAC(cfg awac.Config, norm bool) agenttest.Factory {
	return func(t testing.TB, obsDim, actDim int, seed uint64) agenttest.Agent {
		a, err := awac.New(obsDim, actDim, cfg, seed)
		if err != nil {
			t.Fatal(err)
		}
		if norm {
			// A fixed, non-trivial normaliser (not fitted from the seed, so
			// that agents of different seeds share it).
			n := &dataset.Normalizer{Mean: make([]float32, obsDim), Std: make([]float32, obsDim), Eps: 1e-3}
			for j := range n.Mean {
				n.Mean[j], n.Std[j] = 0.1*float32(j)-0.2, 0.5+0.25*float32(j)
			}
			if err := a.SetStateNorm(n); err != nil {
				t.Fatal(err)
			}
		}
		return a
	}
}

// The state normaliser is a model tensor that updates never change.
var static = agenttest.Options{Static: []string{"obs_norm/"}}

func TestConformance(t *testing.T) {
	agenttest.RunWith(t, static, newAWAC(awac.Config{Hidden: []int{32, 32}}, false))
}

func TestConformanceStateNorm(t *testing.T) {
	agenttest.RunWith(t, static, newAWAC(awac.Config{Hidden: []int{32, 32}}, true))
}
