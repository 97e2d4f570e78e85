package cql_test

import (
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/calql"
	"github.com/dwm-rl/dwm/agent/cql"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/train"
)

// learnRun is the learning tests' data, agent and budget, tuned by
// measurement on the 2-core machine under load.
//
// Data: 10 episodes (2000 transitions) of the behaviour policy with 70%
// random actions and N(0, 0.3²) noise on the rest, normalized score 33.3
// for seed 1 (33–43 for seeds 1–5). Agent: CORL's CQL with 64×64 networks,
// N = 4 actions of each kind, batch 128, and learning rates of 1e-3 instead
// of CORL's 3e-5 (actor) and 3e-4 (critics), so that a few thousand
// updates suffice (with an actor rate of 3e-4 the offline score after 1500
// updates was 18–54 for seeds 1–3, below or near the data's). Budget: 1500
// offline updates, then 2000 online env steps with one update each; CQL
// appends online data to the offline buffer (CORL's finetune/cql.py),
// Cal-QL samples 50/50 from an online buffer with MC returns and the
// offline data (CORL's cal_ql.py).
//
// Measured normalized scores (behaviour → offline → online), 50 evaluation
// episodes (with 10, the mean of one policy moved by up to 20 points
// between two sets of initial states):
//
//	seed  CQL             Cal-QL
//	1     33 → 73 → 82    33 → 74 → 96
//	2     43 → 89 → 100   43 → 87 → 99
//	3     42 → 94 → 98    42 → 94 → 99
//	4     41 → 72 → 100   41 → 54 → 99
//	5     39 → 95 → 100   39 → 91 → 72
//
// Offline beats the data in 10 of 10 runs and online raises the score in 9
// of 10 (Cal-QL seed 5 dips online). With 1500 online steps it rose in only
// 6 of 10: runs that start online at 90–95 need the longer budget. The
// tests use seed 1 and agenttest.CheckO2O's margins (offline ≥ data + 10,
// online ≥ offline + 4; seed 1 has 40 and 9 points for CQL, 40 and 22 for
// Cal-QL). Each run takes 15–30 s with other jobs on the machine. The
// streams are named "cqltest", as when these were measured.
var learnRun = agenttest.O2ORun{
	Data:         agenttest.Behaviour{Random: 0.7, Noise: 0.3},
	Episodes:     10,
	Offline:      1500,
	Online:       2000,
	Batch:        128,
	EvalEpisodes: 50,
	Streams:      "cqltest", // the data measured above
}

// learnCfg is the CQL configuration of the learning tests (see learnRun).
var learnCfg = cql.Config{
	Hidden: []int{64, 64}, ActorHidden: []int{64, 64}, NumActions: 4,
	ActorLR: 1e-3, CriticLR: 1e-3,
}

// calQLRun is learnRun fed as CORL's cal_ql.py: offline data with
// Monte-Carlo returns, online transitions in a buffer of their own whose
// returns are filled in as episodes end, and batches drawn 50/50 from both.
func calQLRun() agenttest.O2ORun {
	r := learnRun
	cc := calql.Config{CQL: learnCfg}
	r.Feed = func(t testing.TB, d *dataset.Dataset, online int64) agenttest.O2OFeed {
		mc, err := cc.MCReturns(d)
		if err != nil {
			t.Fatal(err)
		}
		off, err := replay.FromDataset(d, 0, mc)
		if err != nil {
			t.Fatal(err)
		}
		on, err := replay.New(int(online), d.ObsDim, d.ActDim, true)
		if err != nil {
			t.Fatal(err)
		}
		mixed, err := replay.NewMixed(on, off, 0.5)
		if err != nil {
			t.Fatal(err)
		}
		track, err := cc.OnlineMC(on)
		if err != nil {
			t.Fatal(err)
		}
		return agenttest.O2OFeed{OfflineSampler: off, OnlineBuffer: on, OnlineSampler: mixed,
			Hooks: train.Hooks{AfterEnvStep: func(_ int64, tr train.Transition) error { return track.Step(tr.Terminated, tr.Truncated) }}}
	}
	return r
}

func learnCQL(t testing.TB, seed uint64) (train.Agent, func([]float32) error) {
	a, err := cql.New(3, 1, learnCfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	return a, nil
}

func learnCalQL(t testing.TB, seed uint64) (train.Agent, func([]float32) error) {
	a, err := calql.New(3, 1, calql.Config{CQL: learnCfg}, seed)
	if err != nil {
		t.Fatal(err)
	}
	return a, nil
}

func TestLearnsPendulumCQL(t *testing.T) {
	if testing.Short() {
		t.Skip("learning test")
	}
	agenttest.CheckO2O(t, learnRun, learnCQL, 1)
}

func TestLearnsPendulumCalQL(t *testing.T) {
	if testing.Short() {
		t.Skip("learning test")
	}
	agenttest.CheckO2O(t, calQLRun(), learnCalQL, 1)
}

// TestO2OSeeds runs both learning tests for the seeds listed in
// DWM_O2O_SEEDS (e.g. "1,2,3"); it is skipped otherwise.
//
//	DWM_O2O_SEEDS=1,2,3 go test -run TestO2OSeeds -v ./agent/cql/
func TestO2OSeeds(t *testing.T) {
	agenttest.SeedsFromEnv(t, func(seed uint64) {
		t.Run("CQL", func(t *testing.T) { agenttest.CheckO2O(t, learnRun, learnCQL, seed) })
		t.Run("CalQL", func(t *testing.T) { agenttest.CheckO2O(t, calQLRun(), learnCalQL, seed) })
	})
}
