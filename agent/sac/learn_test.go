package sac_test

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dwm-rl/dwm/agent/sac"
	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/envs"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
)

// pendulumRun is the learning test's budget and settings.
type pendulumRun struct {
	cfg         sac.Config
	steps       int // env steps, one update per step once learning starts
	learnStarts int // uniform random actions before this step
	evalEps     int
}

// pendulumResult is what one training run reached.
type pendulumResult struct {
	evalReturn float64 // mean return of deterministic evaluation episodes
	elapsed    time.Duration
	updates    int64
}

// trainPendulum trains SAC on Pendulum (actions rescaled to [-1, 1]) with a
// tiny inline loop: uniform random actions for the first learnStarts steps,
// then sampled policy actions; one update per step from a replay buffer
// once learning has started. It returns the mean return of evalEps
// deterministic episodes.
func trainPendulum(t *testing.T, r pendulumRun, seed uint64) pendulumResult {
	t.Helper()
	raw, err := envs.Make("pendulum")
	if err != nil {
		t.Fatal(err)
	}
	e, err := env.Rescale(raw)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	sp := e.Spec()
	O, A := sp.Obs.Dim, sp.Act.Dim
	a, err := sac.New(O, A, r.cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	buf, err := replay.New(r.steps, O, A, false)
	if err != nil {
		t.Fatal(err)
	}
	batch := replay.NewBatch(a.Config().BatchSize, O, A, false)
	sampler := rng.Derive(seed, "test", "replay")
	explore := rng.Derive(seed, "test", "explore")
	resets := rng.Derive(seed, "test", "reset")

	start := time.Now()
	obs, next, act := make([]float32, O), make([]float32, O), make([]float32, A)
	if err := e.Reset(resets.Uint64(), obs); err != nil {
		t.Fatal(err)
	}
	for step := 0; step < r.steps; step++ {
		if step < r.learnStarts {
			explore.FillUniform(act, -1, 1)
		} else if err := a.Act(obs, act, false); err != nil {
			t.Fatal(err)
		}
		res, err := e.Step(act, next)
		if err != nil {
			t.Fatal(err)
		}
		buf.Add(obs, act, float32(res.Reward), next, res.Terminated) // truncation bootstraps
		copy(obs, next)
		if res.Terminated || res.Truncated {
			if err := e.Reset(resets.Uint64(), obs); err != nil {
				t.Fatal(err)
			}
		}
		if step >= r.learnStarts {
			buf.Sample(sampler, batch)
			a.Update(batch)
		}
	}
	eps, err := env.Rollout(e, a.Policy(true), seed+1000, r.evalEps)
	if err != nil {
		t.Fatal(err)
	}
	s := env.Summarize(eps)
	return pendulumResult{evalReturn: s.MeanReturn, elapsed: time.Since(start), updates: a.Updates()}
}

// learnRun is the budget of TestLearnsPendulum: 6000 env steps (30
// episodes), learning from step 1000, 5000 updates at batch 256. The
// networks are 64×64 ReLU instead of the paper's 256×256 to keep the test
// fast: with 256×256 one run took 63 s on the 2-core machine (about 80
// updates/s while other tests ran), with 64×64 about 5 s. Learning rates
// are 1e-3 (those of the RL Baselines3 Zoo's Pendulum SAC): with the paper's
// 3e-4 the budget is too tight (seeds 1-5 reached -356, -348, -103, -168,
// -741).
var learnRun = pendulumRun{
	cfg:         sac.Config{Hidden: []int{64, 64}, ActorLR: 1e-3, CriticLR: 1e-3, AlphaLR: 1e-3},
	steps:       6000,
	learnStarts: 1000,
	evalEps:     5,
}

// TestLearnsPendulum: SAC must swing the pendulum up within the budget. A
// random policy averages about -1200 and a swing-up controller about -150;
// the threshold is -400.
func TestLearnsPendulum(t *testing.T) {
	if testing.Short() {
		t.Skip("learning test: about 5 s")
	}
	res := trainPendulum(t, learnRun, 1)
	t.Logf("seed 1: eval return %.1f after %d updates in %v", res.evalReturn, res.updates, res.elapsed.Round(time.Millisecond))
	if res.evalReturn < -400 {
		t.Fatalf("mean eval return %.1f over %d episodes, want ≥ -400", res.evalReturn, learnRun.evalEps)
	}
}

// TestPendulumSeeds runs the learning test's budget for the seeds listed in
// SAC_PENDULUM_SEEDS (e.g. "1,2,3"); it is skipped otherwise.
//
//	SAC_PENDULUM_SEEDS=1,2,3 go test -run TestPendulumSeeds -v ./agent/sac/
func TestPendulumSeeds(t *testing.T) {
	list := os.Getenv("SAC_PENDULUM_SEEDS")
	if list == "" {
		t.Skip("set SAC_PENDULUM_SEEDS=1,2,3 to run")
	}
	for _, f := range strings.Split(list, ",") {
		seed, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
		if err != nil {
			t.Fatalf("SAC_PENDULUM_SEEDS: %v", err)
		}
		res := trainPendulum(t, learnRun, seed)
		t.Logf("seed %d: eval return %.1f after %d updates in %v", seed, res.evalReturn, res.updates, res.elapsed.Round(time.Millisecond))
	}
}
