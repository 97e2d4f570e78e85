package iql_test

import (
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/iql"
)

func newIQL(cfg iql.Config, norm bool) agenttest.Factory {
	return agenttest.NormFactory(func(obsDim, actDim int, seed uint64) (*iql.Agent, error) {
		return iql.New(obsDim, actDim, cfg, seed)
	}, norm)
}

// The state normaliser is a model tensor that updates never change.
var static = agenttest.Options{Static: []string{"obs_norm/"}}

func TestConformance(t *testing.T) {
	agenttest.RunWith(t, static, newIQL(iql.Config{Hidden: []int{32, 32}}, false))
}

func TestConformanceStateNorm(t *testing.T) {
	agenttest.RunWith(t, static, newIQL(iql.Config{Hidden: []int{32, 32}}, true))
}

func TestConformanceDeterministic(t *testing.T) {
	agenttest.RunWith(t, static, newIQL(iql.Config{Hidden: []int{32, 32}, Deterministic: true}, true))
}
