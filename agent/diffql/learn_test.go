package diffql_test

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dwm-rl/dwm/agent/diffql"
	"github.com/dwm-rl/dwm/datasets"
	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/envs"
	"github.com/dwm-rl/dwm/eval"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
)

func pendulum() (env.Env, error) {
	e, err := envs.Make("pendulum")
	if err != nil {
		return nil, err
	}
	return env.Rescale(e)
}

// offlinePendulum trains Diffusion-QL offline on the embedded
// pendulum-medium data for updates updates and returns the deterministic
// policy's mean normalized score on episodes evaluation episodes.
func offlinePendulum(t *testing.T, cfg diffql.Config, updates, batch, episodes int, seed uint64, deterministic bool) float64 {
	t.Helper()
	d, err := datasets.Load("pendulum-medium")
	if err != nil {
		t.Fatal(err)
	}
	buf, err := replay.FromDataset(d, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := diffql.New(d.ObsDim, d.ActDim, cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	s := rng.Derive(seed, "test", "sample")
	b := replay.NewBatch(batch, d.ObsDim, d.ActDim, false)
	for i := 0; i < updates; i++ {
		buf.Sample(s, b)
		a.Update(b)
	}
	r, ok := envs.ReferenceFor("pendulum")
	if !ok {
		t.Fatal("no pendulum reference")
	}
	var ret float64
	eps := d.Episodes()
	for _, e := range eps {
		for _, r := range e.Rewards {
			ret += float64(r)
		}
	}
	t.Logf("pendulum-medium: %d episodes, behaviour normalized score %.1f", len(eps), 100*(ret/float64(len(eps))-r.Random)/(r.Expert-r.Random))
	ev, err := eval.New(episodes, 0, func(int) (env.Env, error) { return pendulum() },
		&eval.Reference{Random: r.Random, Expert: r.Expert, Name: "pendulum"})
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	res, err := ev.Run(func(obs, act []float32) error { return a.ActBatch(obs, act, deterministic) }, rng.Derive(seed, "test", "eval").Uint64())
	if err != nil {
		t.Fatal(err)
	}
	return res.Normalized
}

// learnCfg is the reference's configuration with 64-wide networks and the
// EMA actor started at update 200 instead of 1000, to fit the test's
// budget.
var learnCfg = diffql.Config{Hidden: []int{64, 64, 64}, EMAStart: 200}

// TestOfflinePendulumMedium: 1500 offline updates (batch 128) on the
// embedded pendulum-medium data (behaviour score 30.1) must lift the
// deterministic policy from the untrained agent's score to at least
// learnMin on 20 evaluation episodes. Measured with TestSeeds on the shared
// 2-core machine under load 15–20 (about 10–15 s per seed there):
//
//	untrained (0 updates):  seed 1 −21.8, seed 2 −25.2
//	1500 updates:           seeds 1–6: 17.1, 19.3, 8.3, 7.9, 23.5, 25.1
//	4000 updates:           seeds 1–2: 37.8, 37.6 (above the behaviour data)
//
// learnMin = 0 sits 8 points under the worst seed and 22 over the
// untrained agent. Seed 1 runs by default.
func TestOfflinePendulumMedium(t *testing.T) {
	if testing.Short() {
		t.Skip("learning test: about 10 s on the loaded machine")
	}
	start := time.Now()
	score := offlinePendulum(t, learnCfg, learnUpdates, learnBatch, 20, 1, true)
	t.Logf("seed 1: normalized score %.1f after %d updates (%v)", score, learnUpdates, time.Since(start).Round(time.Millisecond))
	if score < learnMin {
		t.Errorf("normalized score %.1f < %.1f", score, learnMin)
	}
}

// TestSeeds runs the learning test's budget for the seeds in
// DWM_DIFFQL_SEEDS (e.g. "1,2,3") and logs each score; DWM_DIFFQL_UPDATES
// changes the number of updates and DWM_DIFFQL_SAMPLE=1 evaluates the
// sampling policy (sample_action) instead of the deterministic one, and
// DWM_DIFFQL_STEPS sets the number of diffusion steps T (Fig. 2(b) of the
// DUAL paper: return against steps).
//
//	DWM_DIFFQL_SEEDS=1,2,3,4,5,6 go test -run TestSeeds -v ./agent/diffql/
//	DWM_DIFFQL_SEEDS=1,2 DWM_DIFFQL_UPDATES=4000 go test -run TestSeeds -v ./agent/diffql/
func TestSeeds(t *testing.T) {
	v := os.Getenv("DWM_DIFFQL_SEEDS")
	if v == "" {
		t.Skip("set DWM_DIFFQL_SEEDS")
	}
	for _, f := range strings.Split(v, ",") {
		seed, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		updates, det := learnUpdates, os.Getenv("DWM_DIFFQL_SAMPLE") == ""
		if u := os.Getenv("DWM_DIFFQL_UPDATES"); u != "" {
			if updates, err = strconv.Atoi(u); err != nil {
				t.Fatal(err)
			}
		}
		cfg := learnCfg
		if v := os.Getenv("DWM_DIFFQL_STEPS"); v != "" {
			if cfg.Steps, err = strconv.Atoi(v); err != nil {
				t.Fatal(err)
			}
		}
		start := time.Now()
		score := offlinePendulum(t, cfg, updates, learnBatch, 20, seed, det)
		t.Logf("seed %d, %d updates, T = %d, deterministic %v: normalized score %.1f (%v)", seed, updates, cfg.WithDefaults().Steps, det, score, time.Since(start).Round(time.Millisecond))
	}
}

const learnUpdates, learnBatch = 1500, 128

// learnMin is the asserted score; see TestOfflinePendulumMedium.
const learnMin = 0.0
