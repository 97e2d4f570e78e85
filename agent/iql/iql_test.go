package iql_test

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/iql"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
)

func mustNew(t *testing.T, obsDim, actDim int, cfg iql.Config, seed uint64) *iql.Agent {
	t.Helper()
	a, err := iql.New(obsDim, actDim, cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestConfigValidate(t *testing.T) {
	nan := float32(math.NaN())
	bad := []struct {
		cfg   iql.Config
		field string
	}{
		{iql.Config{Hidden: []int{0}}, "Hidden[0]"},
		{iql.Config{Activation: "swoosh"}, "Activation"},
		{iql.Config{ActorLR: -1}, "ActorLR"},
		{iql.Config{CriticLR: nan}, "CriticLR"},
		{iql.Config{ValueLR: float32(math.Inf(1))}, "ValueLR"},
		{iql.Config{Gamma: -0.1}, "Gamma"},
		{iql.Config{Tau: 2}, "Tau"},
		{iql.Config{BatchSize: -1}, "BatchSize"},
		{iql.Config{Expectile: 1}, "Expectile"},
		{iql.Config{Expectile: -0.3}, "Expectile"},
		{iql.Config{Beta: -3}, "Beta"},
		{iql.Config{MaxExpAdv: nan}, "MaxExpAdv"},
		{iql.Config{LogStdMin: nan}, "LogStdMin"},
		{iql.Config{LogStdMax: float32(math.Inf(-1))}, "LogStdMax"},
		{iql.Config{LogStdMin: 3}, "LogStdMin"}, // above the default max 2
		{iql.Config{ExplNoise: -0.03}, "ExplNoise"},
		{iql.Config{NoiseClip: nan}, "NoiseClip"},
		{iql.Config{ActorSchedule: "linear"}, "ActorSchedule"},
		{iql.Config{ScheduleSteps: -5}, "ScheduleSteps"},
	}
	for _, c := range bad {
		err := c.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), "iql.Config."+c.field+" ") {
			t.Errorf("%+v: error %v, want one naming %s", c.cfg, err, c.field)
		}
		if _, err := iql.New(3, 1, c.cfg, 1); err == nil {
			t.Errorf("New accepted %+v", c.cfg)
		}
	}
	if err := (iql.Config{}).Validate(); err != nil {
		t.Fatalf("zero config: %v", err)
	}
	// CORL's algorithms/finetune/iql.py defaults.
	want := iql.Config{Hidden: []int{256, 256}, Activation: "relu", ActorLR: 3e-4, CriticLR: 3e-4, ValueLR: 3e-4, Gamma: 0.99,
		Tau: 0.005, BatchSize: 256, Expectile: 0.7, Beta: 3, MaxExpAdv: 100, LogStdMin: -20, LogStdMax: 2, ExplNoise: 0.03,
		NoiseClip: 0.5, ActorSchedule: "cosine", ScheduleSteps: 1_000_000}
	if d := (iql.Config{}).WithDefaults(); !reflect.DeepEqual(d, want) {
		t.Fatalf("defaults %+v, want %+v", d, want)
	}
	agenttest.RejectsBadDims(t, func(o, a int) error { _, err := iql.New(o, a, iql.Config{}, 1); return err })
}

func TestUpdatePanicsOnWrongBatch(t *testing.T) {
	a := mustNew(t, 3, 1, iql.Config{Hidden: []int{8}}, 1)
	b := agenttest.Batches(3, 2, 8, 1, 1)[0] // act dim 2, agent expects 1
	agenttest.MustPanic(t, "iql.Update", func() { a.Update(b) })
}

// The actor's learning rate follows PyTorch's CosineAnnealingLR (eta_min 0)
// stepped once per update: lr, lr/2 at T/2, 0 at T, and (the schedule is
// periodic) back to lr at 2T; the update reports the rate it used, and the
// constant schedule keeps lr.
func TestActorSchedule(t *testing.T) {
	a := mustNew(t, 3, 1, iql.Config{Hidden: []int{8}, ActorLR: 1e-3, ScheduleSteps: 8}, 1)
	for _, c := range []struct {
		t    int64
		want float64
	}{{0, 1e-3}, {4, 5e-4}, {8, 0}, {12, 5e-4}, {16, 1e-3}, {2, 1e-3 * (1 + math.Cos(math.Pi/4)) / 2}} {
		if got := float64(a.ActorLR(c.t)); math.Abs(got-c.want) > 1e-10 {
			t.Errorf("ActorLR(%d) = %v, want %v", c.t, got, c.want)
		}
	}
	for u, b := range agenttest.Batches(3, 1, 16, 10, 1) {
		if got, want := agenttest.Metric(t, a.Update(b), "train/actor_lr"), float64(a.ActorLR(int64(u))); got != want {
			t.Fatalf("update %d reports actor lr %v, want %v", u, got, want)
		}
	}
	c := mustNew(t, 3, 1, iql.Config{Hidden: []int{8}, ActorSchedule: "constant", ScheduleSteps: 8}, 1)
	if c.ActorLR(8) != 3e-4 {
		t.Fatalf("constant schedule gives %v at T", c.ActorLR(8))
	}
}

// With every advantage weight equal (β tiny) the Gaussian actor step is
// maximum likelihood: the policy's log σ moves towards the log of the
// spread of the data's actions around its mean. Here actions are N(0.3,
// 0.1²) whatever the state, so σ must shrink from 1 towards 0.1 and the
// mean approach 0.3.
func TestActorFitsActions(t *testing.T) {
	a := mustNew(t, 2, 1, iql.Config{Hidden: []int{16, 16}, Beta: 1e-6, ActorLR: 1e-2, ActorSchedule: "constant"}, 1)
	bs := agenttest.Batches(2, 1, 128, 8, 5)
	noise := rng.New(6)
	for _, b := range bs {
		for i := range b.Act {
			b.Act[i] = 0.3 + 0.1*noise.NormFloat32() // independent of the state
		}
	}
	var ls float64
	for k := 0; k < 600; k++ {
		ls = agenttest.Metric(t, a.Update(bs[k%len(bs)]), "train/log_std")
	}
	act := make([]float32, 1)
	if err := a.Act([]float32{0.5, -0.5}, act, true); err != nil {
		t.Fatal(err)
	}
	if math.Abs(ls-math.Log(0.1)) > 0.25 || math.Abs(float64(act[0])-0.3) > 0.05 {
		t.Fatalf("log σ %.3f (want ≈ %.3f), mean action %.3f (want ≈ 0.3)", ls, math.Log(0.1), act[0])
	}
}

// The expectile value: with one state, Q targets fixed at two values and
// τ = 0.9, V converges to the 0.9-expectile of the targets, not their mean.
// Targets q̂ ∈ {0, 1} in equal numbers: the τ-expectile v solves
// τ(1 - v) = (1 - τ)v, i.e. v = τ.
func TestValueIsExpectile(t *testing.T) {
	a := mustNew(t, 1, 1, iql.Config{Hidden: []int{8}, Expectile: 0.9, ValueLR: 1e-2, CriticLR: 1e-2, Tau: 1, Gamma: 0.5}, 2)
	const n = 64
	b := &replay.Batch{Obs: make([]float32, n), Act: make([]float32, n), Rew: make([]float32, n), NextObs: make([]float32, n), Done: make([]float32, n)}
	for i := 0; i < n; i++ {
		b.Act[i] = float32(i%2)*2 - 1 // two actions
		b.Rew[i] = float32(i % 2)     // reward 1 for action +1, 0 for -1
		b.Done[i] = 1                 // one-step problem: Q(s, a) = r
	}
	var v float64
	for k := 0; k < 3000; k++ {
		v = agenttest.Metric(t, a.Update(b), "train/v_mean")
	}
	if math.Abs(v-0.9) > 0.03 {
		t.Fatalf("V = %.3f, want the 0.9-expectile 0.9 of Q ∈ {0, 1} (the mean would be 0.5)", v)
	}
}

// A state normaliser inside the agent is the same as CORL's rewriting of the
// data (bitwise).
func TestStateNormEqualsStandardisedData(t *testing.T) {
	_, all := agenttest.CheckStateNormEqualsStandardised(t, func(o, a int) *iql.Agent {
		return mustNew(t, o, a, iql.Config{Hidden: []int{16, 16}}, 1)
	}, true)
	off := mustNew(t, 3, 2, iql.Config{Hidden: []int{8}, NoStateNorm: true}, 1)
	if err := off.FitStateNorm(all); err != nil || off.StateNorm().Mean[0] != 0 {
		t.Fatalf("NoStateNorm: error %v, normaliser %+v", err, off.StateNorm())
	}
}

// Exploring actions: the Gaussian policy samples with σ = exp(log_std) = 1
// at initialisation, clipped to [-1, 1]; the deterministic actor adds
// clip(N(0, 0.03²), ±0.5).
func TestExploration(t *testing.T) {
	obs := []float32{0.1, -0.2, 0.3}
	for _, c := range []struct {
		det  bool
		want float64 // std of sampled minus deterministic actions
	}{{false, 0}, {true, 0.03}} {
		a := mustNew(t, 3, 1, iql.Config{Hidden: []int{8}, Deterministic: c.det}, 1)
		mode := make([]float32, 1)
		if err := a.Act(obs, mode, true); err != nil {
			t.Fatal(err)
		}
		const n = 20000
		var sq float64
		clipped := 0
		x := make([]float32, 1)
		for k := 0; k < n; k++ {
			if err := a.Act(obs, x, false); err != nil {
				t.Fatal(err)
			}
			if x[0] == 1 || x[0] == -1 {
				clipped++
			}
			d := float64(x[0] - mode[0])
			sq += d * d
		}
		sd := math.Sqrt(sq / n)
		if c.det {
			if math.Abs(sd-c.want) > 0.002 || clipped > 0 {
				t.Fatalf("deterministic actor: noise std %v (want 0.03), %d clipped", sd, clipped)
			}
		} else if clipped < n/5 || sd < 0.5 {
			// σ = 1 around a mean in (-1, 1): many samples clip.
			t.Fatalf("Gaussian actor: %d of %d samples clipped, spread %v", clipped, n, sd)
		}
	}
}
