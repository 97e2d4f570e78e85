package calql_test

import (
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/calql"
)

// BenchmarkCalQLUpdate times one full Cal-QL update at batch 256 with
// CORL's default networks and settings (as cql's BenchmarkCQLUpdate, plus
// the MC lower bounds; the batches' MC column is N(0, 10²), so about half of
// the policy-action values are bounded) for Hopper's dimensions (obs 11,
// act 3). The PyTorch reference is bench/pytorch/agents_cql.py.
func BenchmarkCalQLUpdate(b *testing.B) {
	a, err := calql.New(11, 3, calql.Config{}, 1)
	if err != nil {
		b.Fatal(err)
	}
	agenttest.BenchUpdate(b, a, agenttest.BatchesMC(11, 3, 256, 4, 1), 1)
}
