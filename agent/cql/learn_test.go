package cql_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dwm-rl/dwm/agent/calql"
	"github.com/dwm-rl/dwm/agent/cql"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/envs"
	"github.com/dwm-rl/dwm/eval"
	"github.com/dwm-rl/dwm/experiment"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/train"
)

// behaviour is the mediocre data-collecting policy of the learning tests:
// Pendulum's scripted swing-up expert (envs.Expert; torque in [-2, 2], so
// halved into the agents' [-1, 1]) plus N(0, Noise²) on every action, and
// with probability Random a uniform random action instead.
type behaviour struct{ Random, Noise float64 }

// collect runs episodes of the behaviour policy on experiment.MakeEnv
// ("pendulum") and returns them as a dataset with their mean normalized
// score (envs reference).
func collect(t testing.TB, b behaviour, episodes int, seed uint64) (*dataset.Dataset, float64) {
	t.Helper()
	e, err := experiment.MakeEnv("pendulum")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	expert, err := envs.Expert("pendulum")
	if err != nil {
		t.Fatal(err)
	}
	sp := e.Spec()
	O, A := sp.Obs.Dim, sp.Act.Dim
	d := dataset.New(O, A, episodes*sp.MaxSteps)
	s := rng.Derive(seed, "cqltest", "behaviour")
	obs, next, act := make([]float32, O), make([]float32, O), make([]float32, A)
	for range episodes {
		if err := e.Reset(s.Uint64(), obs); err != nil {
			t.Fatal(err)
		}
		for done := false; !done; {
			if err := expert.Act(obs, act); err != nil {
				t.Fatal(err)
			}
			random := s.Float64() < b.Random
			for j := range act {
				if random {
					act[j] = float32(2*s.Float64() - 1)
				} else {
					act[j] = min(max(act[j]/2+float32(b.Noise)*s.NormFloat32(), -1), 1)
				}
			}
			r, err := e.Step(act, next)
			if err != nil {
				t.Fatal(err)
			}
			d.Append(obs, act, float32(r.Reward), next, r.Terminated, r.Truncated && !r.Terminated)
			copy(obs, next)
			done = r.Terminated || r.Truncated
		}
	}
	ref := experiment.ReferenceFor("pendulum")
	var score float64
	rets := d.EpisodeReturns()
	for _, ret := range rets {
		score += 100 * (ret - ref.Random) / (ref.Expert - ref.Random)
	}
	return d, score / float64(len(rets))
}

// o2oRun is a learning test's data, agent and budget.
type o2oRun struct {
	data     behaviour
	episodes int // behaviour episodes in the dataset
	cfg      cql.Config
	calQL    bool  // Cal-QL with MC returns and 50/50 symmetric sampling online; else CQL appending online data
	offline  int64 // offline updates
	online   int64 // online env steps, one update each
	batch    int
	evalEps  int
}

// o2oResult holds normalized scores: of the data, after the offline phase,
// and after the online phase.
type o2oResult struct {
	behaviour, offline, online float64
	elapsed                    time.Duration
}

// runO2O collects the run's dataset, trains the agent offline on it and then
// online on pendulum in one train.Loop, and evaluates the deterministic
// policy at the phase switch and at the end on the same initial states.
func runO2O(t *testing.T, r o2oRun, seed uint64) o2oResult {
	t.Helper()
	start := time.Now()
	d, behaviourScore := collect(t, r.data, r.episodes, seed)
	e, err := experiment.MakeEnv("pendulum")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	sp := e.Spec()
	O, A := sp.Obs.Dim, sp.Act.Dim

	var a *cql.Agent
	var offline, online *replay.Buffer
	var sampler replay.Sampler
	var hooks train.Hooks
	if r.calQL {
		cc := calql.Config{CQL: r.cfg}
		if a, err = calql.New(O, A, cc, seed); err != nil {
			t.Fatal(err)
		}
		mc, err := cc.MCReturns(d)
		if err != nil {
			t.Fatal(err)
		}
		if offline, err = replay.FromDataset(d, 0, mc); err != nil {
			t.Fatal(err)
		}
		if online, err = replay.New(int(r.online), O, A, true); err != nil {
			t.Fatal(err)
		}
		if sampler, err = replay.NewMixed(online, offline, 0.5); err != nil {
			t.Fatal(err)
		}
		track, err := cc.OnlineMC(online)
		if err != nil {
			t.Fatal(err)
		}
		hooks.AfterEnvStep = func(_ int64, tr train.Transition) error { return track.Step(tr.Terminated, tr.Truncated) }
	} else {
		if a, err = cql.New(O, A, r.cfg, seed); err != nil {
			t.Fatal(err)
		}
		if offline, err = replay.FromDataset(d, int(r.online), nil); err != nil {
			t.Fatal(err)
		}
		online, sampler = offline, offline
	}

	ref := experiment.ReferenceFor("pendulum")
	ev, err := eval.New(r.evalEps, 0, func(int) (env.Env, error) { return experiment.MakeEnv("pendulum") }, ref)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	evalSeed := rng.Derive(seed, "cqltest", "eval").Uint64()
	score := func() float64 {
		res, err := ev.Run(func(obs, act []float32) error { return a.ActBatch(obs, act, true) }, evalSeed)
		if err != nil {
			t.Fatal(err)
		}
		return res.Normalized
	}
	var offScore float64
	hooks.OnSwitch = func() error { offScore = score(); a.StartOnline(); return nil }
	const never = 1 << 40
	loop := &train.Loop{
		Config: train.Config{OfflineSteps: r.offline, OnlineSteps: r.online, BatchSize: r.batch,
			EvalEvery: never, CheckpointEvery: never, LogEvery: never},
		Seed: seed, Agent: a, Env: e, OfflineSampler: offline, OnlineBuffer: online, OnlineSampler: sampler,
		Hooks: hooks,
	}
	if err := loop.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return o2oResult{behaviour: behaviourScore, offline: offScore, online: score(), elapsed: time.Since(start)}
}

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
// tests use seed 1 (margins 40 and 9 points for CQL, 40 and 22 for
// Cal-QL). Each run takes 15–30 s with other jobs on the machine.
var learnRun = o2oRun{
	data:     behaviour{Random: 0.7, Noise: 0.3},
	episodes: 10,
	cfg: cql.Config{
		Hidden: []int{64, 64}, ActorHidden: []int{64, 64}, NumActions: 4,
		ActorLR: 1e-3, CriticLR: 1e-3,
	},
	offline: 1500,
	online:  2000,
	batch:   128,
	evalEps: 50,
}

func checkO2O(t *testing.T, name string, res o2oResult) {
	t.Helper()
	t.Logf("%s: behaviour %.1f, offline %.1f, online %.1f (normalized) in %v", name, res.behaviour, res.offline, res.online, res.elapsed.Round(time.Millisecond))
	if res.offline <= res.behaviour {
		t.Errorf("%s offline score %.1f does not beat the behaviour data's %.1f", name, res.offline, res.behaviour)
	}
	if res.online <= res.offline {
		t.Errorf("%s online fine-tuning did not raise the score: %.1f offline, %.1f after", name, res.offline, res.online)
	}
}

func TestLearnsPendulumCQL(t *testing.T) {
	if testing.Short() {
		t.Skip("learning test")
	}
	checkO2O(t, "CQL", runO2O(t, learnRun, 1))
}

func TestLearnsPendulumCalQL(t *testing.T) {
	if testing.Short() {
		t.Skip("learning test")
	}
	r := learnRun
	r.calQL = true
	checkO2O(t, "Cal-QL", runO2O(t, r, 1))
}

// TestPendulumSeeds runs both learning tests for the seeds in
// CQL_PENDULUM_SEEDS (e.g. "1,2,3"); it is skipped otherwise.
//
//	CQL_PENDULUM_SEEDS=1,2,3 go test -run TestPendulumSeeds -v ./agent/cql/
func TestPendulumSeeds(t *testing.T) {
	list := os.Getenv("CQL_PENDULUM_SEEDS")
	if list == "" {
		t.Skip("set CQL_PENDULUM_SEEDS=1,2,3 to run")
	}
	for _, f := range strings.Split(list, ",") {
		seed, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
		if err != nil {
			t.Fatalf("CQL_PENDULUM_SEEDS: %v", err)
		}
		for _, cal := range []bool{false, true} {
			r := learnRun
			r.calQL = cal
			res := runO2O(t, r, seed)
			t.Logf("seed %d calQL=%v: behaviour %.1f, offline %.1f, online %.1f in %v", seed, cal, res.behaviour, res.offline, res.online, res.elapsed.Round(time.Millisecond))
		}
	}
}
