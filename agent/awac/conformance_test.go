package awac_test

import (
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/awac"
)

func newAWAC(cfg awac.Config, norm bool) agenttest.Factory {
	return agenttest.NormFactory(func(obsDim, actDim int, seed uint64) (*awac.Agent, error) {
		return awac.New(obsDim, actDim, cfg, seed)
	}, norm)
}

// The state normaliser is a model tensor that updates never change.
var static = agenttest.Options{Static: []string{"obs_norm/"}}

func TestConformance(t *testing.T) {
	agenttest.RunWith(t, static, newAWAC(awac.Config{Hidden: []int{32, 32}}, false))
}

func TestConformanceStateNorm(t *testing.T) {
	agenttest.RunWith(t, static, newAWAC(awac.Config{Hidden: []int{32, 32}}, true))
}
