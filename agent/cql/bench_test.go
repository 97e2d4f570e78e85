package cql_test

import (
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/cql"
)

// BenchmarkCQLUpdate times one full CQL update (α, actor, critics with the
// conservative term, Polyak) at batch 256 with CORL's default networks and
// settings (actor 3×256, critics 2×256, ReLU, N = 10 actions of each kind),
// for Hopper's dimensions (obs 11, act 3). The PyTorch reference is
// bench/pytorch/agents_cql.py; package calql's BenchmarkCalQLUpdate is the
// calibrated update.
func BenchmarkCQLUpdate(b *testing.B) {
	a, err := cql.New(11, 3, cql.Config{}, 1)
	if err != nil {
		b.Fatal(err)
	}
	agenttest.BenchUpdate(b, a, agenttest.Batches(11, 3, 256, 4, 1), 1)
}

// BenchmarkAct times batch-1 stochastic acting with the default networks.
func BenchmarkAct(b *testing.B) {
	a, err := cql.New(11, 3, cql.Config{}, 1)
	if err != nil {
		b.Fatal(err)
	}
	agenttest.BenchAct(b, a, 11, 3)
}
