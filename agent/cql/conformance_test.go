package cql_test

import (
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/cql"
)

func newCQL(cfg cql.Config) agenttest.Factory {
	return func(t testing.TB, obsDim, actDim int, seed uint64) agenttest.Agent {
		a, err := cql.New(obsDim, actDim, cfg, seed)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
}

var small = cql.Config{Hidden: []int{32, 32}, ActorHidden: []int{32, 32}, NumActions: 4}

func TestConformance(t *testing.T) {
	agenttest.Run(t, newCQL(small))
}

// The options CORL's AntMaze configs switch on: Lagrange α' (an extra
// parameter and optimiser), max target backup, clipped gaps, backup entropy.
func TestConformanceOptions(t *testing.T) {
	c := small
	c.Lagrange, c.MaxTargetBackup, c.BackupEntropy = true, true, true
	c.ClipDiffMin, c.TargetActionGap = -200, 0.8
	agenttest.Run(t, newCQL(c))
}

// Without importance sampling the data action's Q-value enters the
// log-sum-exp; with the default initialisation the orthogonal one is skipped.
func TestConformanceNoImportanceSample(t *testing.T) {
	c := small
	c.NoImportanceSample, c.DefaultInit = true, true
	agenttest.Run(t, newCQL(c))
}
