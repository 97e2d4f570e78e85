package agenttest

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/envs"
	"github.com/dwm-rl/dwm/eval"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/train"
)

// Behaviour describes the deliberately mediocre data-collecting policy:
// Pendulum's scripted swing-up expert (envs.Expert, torque in [-2, 2],
// divided by 2 into the agents' [-1, 1]) whose action is, with probability
// Random, replaced by a uniform random action and otherwise perturbed by
// N(0, Noise²), then clipped to [-1, 1].
type Behaviour struct {
	Random, Noise float64
}

// makeEnv returns pendulum with actions in [-1, 1], as the agents see it:
// what experiment.MakeEnv does, without importing the composition root (which
// imports the agents).
func makeEnv() (env.Env, error) {
	e, err := envs.Make("pendulum")
	if err != nil {
		return nil, err
	}
	return env.Rescale(e)
}

// reference is pendulum's normalized-score reference (dwm's measured random
// and expert returns), as experiment.ReferenceFor gives it.
func reference(t testing.TB) *eval.Reference {
	r, ok := envs.ReferenceFor("pendulum")
	if !ok {
		t.Fatal("no reference returns for pendulum")
	}
	return &eval.Reference{Random: r.Random, Expert: r.Expert, Name: "dwm measured (pendulum)"}
}

// CollectPendulum runs episodes episodes of the behaviour policy on pendulum (actions
// in [-1, 1]) and returns them as a dataset, with the mean normalized score
// of its episodes.
func CollectPendulum(t testing.TB, b Behaviour, episodes int, seed uint64) (*dataset.Dataset, float64) {
	t.Helper()
	return collectPendulum(t, b, episodes, rng.Derive(seed, "test", "behaviour"))
}

// collectPendulum is CollectPendulum drawing from s.
func collectPendulum(t testing.TB, b Behaviour, episodes int, s *rng.Stream) (*dataset.Dataset, float64) {
	t.Helper()
	e, err := makeEnv()
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
	obs, next, act := make([]float32, O), make([]float32, O), make([]float32, A)
	for ep := 0; ep < episodes; ep++ {
		if err := e.Reset(s.Uint64(), obs); err != nil {
			t.Fatal(err)
		}
		for {
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
			if r.Terminated || r.Truncated {
				break
			}
		}
	}
	ref := reference(t)
	var score float64
	rets := d.EpisodeReturns()
	for _, ret := range rets {
		score += 100 * (ret - ref.Random) / (ref.Expert - ref.Random)
	}
	return d, score / float64(len(rets))
}

// O2ORun is a learning test's data and budget.
type O2ORun struct {
	Data         Behaviour
	Episodes     int // behaviour episodes in the dataset
	Offline      int64
	Online       int64
	EvalEpisodes int
	Batch        int  // batch size; 0 means 256
	Feed         Feed // how the loop is fed; nil means AppendFeed
	// Streams names the random streams of the behaviour policy and the
	// evaluation's initial states, rng.Derive(seed, Streams, "behaviour")
	// and (…, "eval"); "" means "test". A test measured with other streams
	// keeps its data by naming them.
	Streams string
}

// Feed builds a learning run's buffers from the behaviour dataset d and the
// online budget: the loop's offline sampler, the buffer online transitions
// go to, the online sampler, and hooks (such as one tracking Monte-Carlo
// returns of online episodes).
type Feed func(t testing.TB, d *dataset.Dataset, online int64) O2OFeed

// O2OFeed is what a Feed returns.
type O2OFeed struct {
	OfflineSampler replay.Sampler
	OnlineBuffer   *replay.Buffer
	OnlineSampler  replay.Sampler
	Hooks          train.Hooks // OnSwitch is RunO2O's own and must be nil
}

// AppendFeed is CORL's feed for TD3+BC, IQL, AWAC and CQL: one buffer holds
// the dataset, with room reserved for the online transitions appended to it,
// and serves both phases.
func AppendFeed(t testing.TB, d *dataset.Dataset, online int64) O2OFeed {
	b, err := replay.FromDataset(d, int(online), nil)
	if err != nil {
		t.Fatal(err)
	}
	return O2OFeed{OfflineSampler: b, OnlineBuffer: b, OnlineSampler: b}
}

// O2OResult holds a learning run's normalized scores and wall time.
type O2OResult struct {
	Behaviour, Offline, Online float64 // normalized scores
	Elapsed                    time.Duration
}

// RunO2O collects the run's dataset, fits a's state normaliser to it with
// fit (nil: none), trains a offline on it and then online on pendulum in
// one train.Loop fed by r.Feed, and evaluates its deterministic policy at
// the phase switch and at the end on the same r.EvalEpisodes initial
// states. An agent with a StartOnline() method (CQL, Cal-QL) has it called
// at the switch after the offline evaluation, as experiment does.
func RunO2O(t *testing.T, r O2ORun, a train.Agent, fit func([]float32) error, seed uint64) O2OResult {
	t.Helper()
	start := time.Now()
	streams := r.Streams
	if streams == "" {
		streams = "test"
	}
	d, behaviourScore := collectPendulum(t, r.Data, r.Episodes, rng.Derive(seed, streams, "behaviour"))
	if fit != nil {
		if err := fit(d.Observations); err != nil {
			t.Fatal(err)
		}
	}
	feed := r.Feed
	if feed == nil {
		feed = AppendFeed
	}
	f := feed(t, d, r.Online)
	if f.Hooks.OnSwitch != nil {
		t.Fatal("agenttest.RunO2O: the feed's hooks set OnSwitch")
	}
	batch := r.Batch
	if batch == 0 {
		batch = 256
	}
	e, err := makeEnv()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ev, err := eval.New(r.EvalEpisodes, 0, func(int) (env.Env, error) { return makeEnv() }, reference(t))
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	evalSeed := rng.Derive(seed, streams, "eval").Uint64()
	score := func() float64 {
		res, err := ev.Run(func(obs, act []float32) error { return a.ActBatch(obs, act, true) }, evalSeed)
		if err != nil {
			t.Fatal(err)
		}
		return res.Normalized
	}
	var offScore float64
	hooks := f.Hooks
	hooks.OnSwitch = func() error {
		offScore = score()
		if s, ok := a.(interface{ StartOnline() }); ok {
			s.StartOnline()
		}
		return nil
	}
	const never = 1 << 40
	loop := &train.Loop{
		Config: train.Config{OfflineSteps: r.Offline, OnlineSteps: r.Online, BatchSize: batch,
			EvalEvery: never, CheckpointEvery: never, LogEvery: never},
		Seed: seed, Agent: a, Env: e, OfflineSampler: f.OfflineSampler, OnlineBuffer: f.OnlineBuffer, OnlineSampler: f.OnlineSampler,
		Hooks: hooks,
	}
	if err := loop.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return O2OResult{Behaviour: behaviourScore, Offline: offScore, Online: score(), Elapsed: time.Since(start)}
}

// NewAgent builds the agent under test for pendulum (obs 3, act 1) and
// returns it with its state-normaliser fitting function (nil: none).
type NewAgent func(t testing.TB, seed uint64) (train.Agent, func([]float32) error)

// OfflineMargin and OnlineMargin are the margins of CheckO2O in normalized points.
const (
	OfflineMargin = 10 // offline over the behaviour data
	OnlineMargin  = 4  // online over offline
)

// CheckO2O runs r for seed and fails t unless the offline policy beats the
// behaviour data by OfflineMargin and online fine-tuning adds OnlineMargin.
func CheckO2O(t *testing.T, r O2ORun, f NewAgent, seed uint64) {
	t.Helper()
	a, fit := f(t, seed)
	res := RunO2O(t, r, a, fit, seed)
	t.Logf("seed %d: behaviour %.1f, offline %.1f, online %.1f normalized (%v)", seed, res.Behaviour, res.Offline, res.Online, res.Elapsed.Round(time.Millisecond))
	if res.Offline < res.Behaviour+OfflineMargin {
		t.Errorf("seed %d: offline score %.1f, want ≥ behaviour %.1f + %d", seed, res.Offline, res.Behaviour, OfflineMargin)
	}
	if res.Online < res.Offline+OnlineMargin {
		t.Errorf("seed %d: online score %.1f, want ≥ offline %.1f + %d", seed, res.Online, res.Offline, OnlineMargin)
	}
}

// SeedsFromEnv runs fn for every seed listed in the environment variable
// DWM_O2O_SEEDS (e.g. "1,2,3"); the test is skipped when it is unset.
func SeedsFromEnv(t *testing.T, fn func(seed uint64)) {
	list := os.Getenv("DWM_O2O_SEEDS")
	if list == "" {
		t.Skip("set DWM_O2O_SEEDS=1,2,3 to run")
	}
	for _, f := range strings.Split(list, ",") {
		seed, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
		if err != nil {
			t.Fatalf("DWM_O2O_SEEDS: %v", err)
		}
		fn(seed)
	}
}
