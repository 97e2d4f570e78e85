package td3bc_test

import (
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/td3bc"
)

func newTD3BC(cfg td3bc.Config, norm bool) agenttest.Factory {
	return agenttest.NormFactory(func(obsDim, actDim int, seed uint64) (*td3bc.Agent, error) {
		return td3bc.New(obsDim, actDim, cfg, seed)
	}, norm)
}

// The state normaliser is a model tensor that updates never change.
var static = agenttest.Options{Static: []string{"obs_norm/"}}

func TestConformance(t *testing.T) {
	agenttest.RunWith(t, static, newTD3BC(td3bc.Config{Hidden: []int{32, 32}}, false))
}

func TestConformanceStateNorm(t *testing.T) {
	agenttest.RunWith(t, static, newTD3BC(td3bc.Config{Hidden: []int{32, 32}}, true))
}
