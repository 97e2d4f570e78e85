package iql_test

import (
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/iql"
)

// BenchmarkIQLUpdate times one full IQL update (value, critic, Polyak, actor) at batch 256 with CORL's default
// networks, for Pendulum's dimensions (obs 3, act 1) and Hopper's (obs 11,
// act 3), with a state normaliser set as in a real run. The PyTorch
// reference is bench/pytorch/agents_iql.py.
func BenchmarkIQLUpdate(b *testing.B) {
	agenttest.BenchNormUpdate(b, func(obsDim, actDim int) (*iql.Agent, error) { return iql.New(obsDim, actDim, iql.Config{}, 1) })
}

// BenchmarkAct times batch-1 exploring actions with the default networks
// for Hopper's dimensions.
func BenchmarkAct(b *testing.B) {
	a, err := iql.New(11, 3, iql.Config{}, 1)
	if err != nil {
		b.Fatal(err)
	}
	agenttest.BenchAct(b, a, 11, 3)
}
