package td3bc_test

import (
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/td3bc"
)

// BenchmarkTD3BCUpdate times one full TD3+BC update (critic step every update; actor step and Polyak updates every second) at batch 256 with CORL's default
// networks, for Pendulum's dimensions (obs 3, act 1) and Hopper's (obs 11,
// act 3), with a state normaliser set as in a real run. The PyTorch
// reference is bench/pytorch/agents_td3bc.py.
func BenchmarkTD3BCUpdate(b *testing.B) {
	agenttest.BenchNormUpdate(b, func(obsDim, actDim int) (*td3bc.Agent, error) { return td3bc.New(obsDim, actDim, td3bc.Config{}, 1) })
}

// BenchmarkAct times batch-1 exploring actions with the default networks
// for Hopper's dimensions.
func BenchmarkAct(b *testing.B) {
	a, err := td3bc.New(11, 3, td3bc.Config{}, 1)
	if err != nil {
		b.Fatal(err)
	}
	agenttest.BenchAct(b, a, 11, 3)
}
