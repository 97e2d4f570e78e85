package awac_test

import (
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/awac"
)

// BenchmarkAWACUpdate times one full AWAC update (critic, actor, Polyak) at batch 256 with CORL's default
// networks, for Pendulum's dimensions (obs 3, act 1) and Hopper's (obs 11,
// act 3), with a state normaliser set as in a real run. The PyTorch
// reference is bench/pytorch/agents_awac.py.
func BenchmarkAWACUpdate(b *testing.B) {
	agenttest.BenchNormUpdate(b, func(obsDim, actDim int) (*awac.Agent, error) { return awac.New(obsDim, actDim, awac.Config{}, 1) })
}

// BenchmarkAct times batch-1 exploring actions with the default networks
// for Hopper's dimensions.
func BenchmarkAct(b *testing.B) {
	a, err := awac.New(11, 3, awac.Config{}, 1)
	if err != nil {
		b.Fatal(err)
	}
	agenttest.BenchAct(b, a, 11, 3)
}
