package calql_test

import (
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/calql"
	"github.com/dwm-rl/dwm/agent/cql"
)

func newCalQL(cfg calql.Config) agenttest.Factory {
	return func(t testing.TB, obsDim, actDim int, seed uint64) agenttest.Agent {
		a, err := calql.New(obsDim, actDim, cfg, seed)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
}

var small = cql.Config{Hidden: []int{32, 32}, ActorHidden: []int{32, 32}, NumActions: 4}

// The harness's batches carry MC returns drawn N(0, 10²), so about half of
// the policy-action values are bounded.
func TestConformance(t *testing.T) {
	agenttest.RunWith(t, agenttest.Options{MC: true}, newCalQL(calql.Config{CQL: small}))
}
