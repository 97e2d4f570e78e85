package dual

import (
	"context"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dwm-rl/dwm/agent/iql"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/datasets"
	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/envs"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
	"github.com/dwm-rl/dwm/train"
)

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Planner: PlannerConfig{Horizon: 1}}, "dual.planner.horizon = 1: must be ≥ 2"},
		{Config{Planner: PlannerConfig{DiffusionSteps: 8}, Distill: DistillSettings{TargetSteps: 16}}, "dual.distill.target_steps = 16: must be in [1, 8], the teacher's steps"},
		{Config{Planner: PlannerConfig{DiffusionSteps: 8}, Distill: DistillSettings{TargetSteps: 3}}, "power of two"},
		{Config{Planner: PlannerConfig{DiffusionSteps: 8}, Distill: DistillSettings{TargetSteps: 8}}, "nothing to distil"},
		{Config{PriorPrecision: -1}, "dual.prior_precision = -1: must be finite and > 0"},
		{Config{PriorPrecision: math.NaN()}, "dual.prior_precision = NaN"},
		{Config{Critic: "td3"}, `dual.critic = "td3"`},
		{Config{Critic: CriticSO2, SO2: SO2Config{Members: 1}}, "dual.so2.members = 1: must be ≥ 2"},
		{Config{Hessian: "diag"}, `dual.hessian = "diag"`},
		{Config{ShiftWeight: -0.5}, "dual.shift_weight = -0.5"},
		{Config{PlannerFraction: 1.5}, "dual.planner_fraction = 1.5"},
		{Config{Samples: -2}, "dual.samples = -2"},
		{Config{IQL: iql.Config{Expectile: 1}}, "dual.iql: iql.Config.Expectile = 1"},
		{Config{Uncertainty: "mcdropout"}, `dual.uncertainty = "mcdropout": want "laplace", "latent" or "elbo_laplace"`},
		{Config{Uncertainty: UncertaintyLatent, NoPlanner: true}, `dual.uncertainty = "latent" needs the planner`},
		{Config{Uncertainty: UncertaintyELBO, NoEpistemic: true}, `dual.uncertainty = "elbo_laplace" conflicts with no_epistemic`},
		{Config{Policy: "diffql"}, `dual.policy = "diffql": want "dual" or "diffuser"`},
		{Config{Policy: PolicyDiffuser, NoPlanner: true}, `dual.policy = "diffuser" is the planner`},
		{Config{Policy: PolicyDiffuser, Uncertainty: UncertaintyLatent}, `dual.uncertainty = "latent" does not apply`},
	} {
		err := tc.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one containing %q", tc.cfg, err, tc.want)
		}
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	for _, c := range []Config{{Uncertainty: UncertaintyLatent}, {Uncertainty: UncertaintyELBO, NoShiftAware: true},
		{Policy: PolicyDiffuser, Planner: PlannerConfig{DiffusionSteps: 8}, Distill: DistillSettings{TargetSteps: 8}}} {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	if d := (Config{}).WithDefaults(); d.Uncertainty != UncertaintyLaplace || d.Policy != PolicyDUAL {
		t.Errorf("defaults: uncertainty %q, policy %q", d.Uncertainty, d.Policy)
	}
	for _, target := range []int{0, 8, 16} {
		if err := (Config{Planner: PlannerConfig{DiffusionSteps: 8}, Distill: DistillSettings{TargetSteps: target}, NoDistill: true}).Validate(); err != nil {
			t.Errorf("no_distill with target %d and 8 teacher steps: %v", target, err)
		}
	}
	// The Laplace step itself refuses λ ≤ 0 (the agent's 0 means 1).
	if _, err := NewLaplace(NewActor(1, 1), Batch{}, LaplaceConfig{PriorPrecision: 0}); err == nil || !strings.Contains(err.Error(), "PriorPrecision = 0") {
		t.Errorf("Laplace with λ = 0: %v", err)
	}
}

// collectFrozenLake runs ε-greedy episodes of the scripted FrozenLake expert
// of id (the paper's FrozenLake data: samples of an ε-greedy policy), with
// random score vectors in [-1, 1]⁴ for the random actions.
func collectFrozenLake(t testing.TB, id string, episodes int, eps float64, seed uint64) *dataset.Dataset {
	t.Helper()
	e, err := envs.Make(id)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	expert, err := envs.Expert(id)
	if err != nil {
		t.Fatal(err)
	}
	sp := e.Spec()
	O, A := sp.Obs.Dim, sp.Act.Dim
	d := dataset.New(O, A, episodes*sp.MaxSteps)
	s := rng.Derive(seed, "test", "frozenlake")
	obs, next, act := make([]float32, O), make([]float32, O), make([]float32, A)
	for ep := 0; ep < episodes; ep++ {
		if err := e.Reset(s.Uint64(), obs); err != nil {
			t.Fatal(err)
		}
		for {
			if err := expert.Act(obs, act); err != nil {
				t.Fatal(err)
			}
			if s.Float64() < eps {
				s.FillUniform(act, -1, 1)
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
	return d
}

// switchEnv is env a until after steps have passed, env b from the next
// episode on (the transition shift of the paper's FrozenLake: the slip
// changes online). At records the step of the change.
type switchEnv struct {
	a, b  env.Env
	after int
	steps int
	at    int
	cur   env.Env
}

func (s *switchEnv) Spec() env.Spec { return s.a.Spec() }
func (s *switchEnv) Reset(seed uint64, obs []float32) error {
	if s.cur != s.b && s.steps >= s.after {
		s.at = s.steps
		s.cur = s.b
	} else if s.cur == nil {
		s.cur = s.a
	}
	return s.cur.Reset(seed, obs)
}
func (s *switchEnv) Step(act, obs []float32) (env.Result, error) {
	s.steps++
	return s.cur.Step(act, obs)
}
func (s *switchEnv) Close() error { s.a.Close(); return s.b.Close() }

// smallConfig is a DUAL small enough for tests on 2 cores.
func smallConfig() Config {
	return Config{
		Planner:     PlannerConfig{Horizon: 4, DiffusionSteps: 8, Batch: 32, LR: 1e-3},
		Distill:     DistillSettings{TargetSteps: 2, Iters: 100, Batch: 32, LR: 5e-4},
		IQL:         iql.Config{Hidden: []int{64, 64}},
		ActorBatch:  32,
		ActorLR:     1e-2,
		LaplaceRows: 512,
		RefitEvery:  100,
	}
}

// loopFor returns a loop that trains a offline for off updates on d, then
// online for on steps in e (CORL's append feed: one buffer).
func loopFor(t testing.TB, a *Agent, d *dataset.Dataset, e env.Env, off, on int64, seed uint64) *train.Loop {
	t.Helper()
	buf, err := replay.FromDataset(d, int(on), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.FitStateNorm(d.Observations); err != nil {
		t.Fatal(err)
	}
	l := &train.Loop{Config: train.Config{OfflineSteps: off, OnlineSteps: on, BatchSize: 64, EvalEvery: 1 << 40, LogEvery: 1 << 40, CheckpointEvery: 1 << 40},
		Seed: seed, Agent: a, OfflineSampler: buf}
	if on > 0 {
		l.Env, l.OnlineBuffer, l.OnlineSampler = e, buf, buf
	}
	l.Hooks.OnSwitch = a.StartOnline
	l.Hooks.AfterEnvStep = func(step int64, tr train.Transition) error {
		return a.AfterEnvStep(tr.Obs, tr.Act, tr.Reward, tr.Next, tr.Terminated, tr.Truncated)
	}
	return l
}

// runLoop runs loopFor's loop, calling each after every online step.
func runLoop(t testing.TB, a *Agent, d *dataset.Dataset, e env.Env, off, on int64, seed uint64, each func(step int64)) {
	t.Helper()
	l := loopFor(t, a, d, e, off, on, seed)
	if each != nil {
		h := l.Hooks.AfterEnvStep
		l.Hooks.AfterEnvStep = func(step int64, tr train.Transition) error {
			if err := h(step, tr); err != nil {
				return err
			}
			each(step)
			return nil
		}
	}
	if err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestShiftAwareFrozenLake: offline data from a non-slippery FrozenLake
// (ε-greedy expert, ε = 0.05); online, the lake stays non-slippery for 200
// steps, then slips as Gymnasium's (2/3) from the next episode on. The shift-aware error ‖ŝ' − s'‖² of Eq. 8 rises after the change
// and falls again as the planner is fine-tuned on the new transitions.
func TestShiftAwareFrozenLake(t *testing.T) {
	start := time.Now()
	d := collectFrozenLake(t, "frozenlake-4x4-slip-0", 300, 0.05, 1)
	cfg := smallConfig()
	cfg.OfflineSteps = 600
	cfg.OnlineFraction = 1 // the planner follows the shift quickly
	cfg.Planner.LR = 2e-3
	a, err := New(d, 16, 4, cfg, 2)
	if err != nil {
		t.Fatal(err)
	}
	ea, err := envs.Make("frozenlake-4x4-slip-0")
	if err != nil {
		t.Fatal(err)
	}
	eb, err := envs.Make("frozenlake-4x4")
	if err != nil {
		t.Fatal(err)
	}
	const change, online = 200, 1000
	errs := make([]float64, 0, online)
	sw := &switchEnv{a: ea, b: eb, after: change}
	runLoop(t, a, d, sw, 600, online, 3, func(int64) { errs = append(errs, a.ShiftError()) })
	mean := func(lo, hi int) float64 {
		var s float64
		for _, e := range errs[lo:hi] {
			s += e
		}
		return s / float64(hi-lo)
	}
	before, after, late := mean(0, sw.at), mean(sw.at, sw.at+200), mean(online-200, online)
	t.Logf("mean ‖ŝ'−s'‖²: slip 0 %.3f; first 200 steps at slip 2/3 %.3f; last 200 %.3f (%v)", before, after, late, time.Since(start))
	// Measured (agent seed 2): 0.309, 1.119, 0.899 (3.6× up, 0.80× down).
	// Agent seeds 4 and 7 give 1.52× / 0.94× and 1.39× / 0.90×: the effect
	// holds, but a single 1000-step run is noisy.
	if after < 1.3*before {
		t.Errorf("shift error after the change %.3f, want ≥ 1.3 × before %.3f", after, before)
	}
	if late > 0.95*after {
		t.Errorf("shift error late %.3f, want ≤ 0.95 × just after the change %.3f", late, after)
	}
}

// pendulumAgent trains a small DUAL offline on pendulum-medium for off
// updates (half planner, then distillation and the actor) and switches it
// online.
func pendulumAgent(t testing.TB, cfg Config, off int64, seed uint64) (*Agent, *dataset.Dataset) {
	t.Helper()
	d, err := datasets.Load("pendulum-medium")
	if err != nil {
		t.Fatal(err)
	}
	cfg.OfflineSteps = off
	a, err := New(d, 3, 1, cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	runLoop(t, a, d, nil, off, 0, seed, nil)
	if err := a.StartOnline(); err != nil {
		t.Fatal(err)
	}
	return a, d
}

// TestAgentSubPoliciesSpreadOffData: after offline training the agent's
// Laplace sub-policies (Eq. 7) disagree more on pendulum states whose
// angular velocity is 3× beyond the data's than on dataset states.
func TestAgentSubPoliciesSpreadOffData(t *testing.T) {
	cfg := smallConfig()
	cfg.Samples = 50
	a, d := pendulumAgent(t, cfg, 300, 11)
	subs := a.SubPolicies()
	if len(subs) != 50 {
		t.Fatalf("%d sub-policies, want 50", len(subs))
	}
	if a.Damping() != 0 {
		t.Errorf("GGN precision damped by %v", a.Damping())
	}
	var maxVel float32
	for i := 0; i < d.Len(); i++ {
		maxVel = max(maxVel, d.Obs(i)[2], -d.Obs(i)[2])
	}
	s := rng.New(3)
	const n = 64
	on, off := tensor.New(n, 3), tensor.New(n, 3)
	for i := 0; i < n; i++ {
		copy(on.Row(i), d.Obs(s.IntN(d.Len())))
		copy(off.Row(i), on.Row(i))
		off.Set(i, 2, 3*maxVel)
	}
	spread := func(o *tensor.Mat) float64 {
		feat := tensor.New(n, 3)
		if err := a.Planner().Features(feat, o); err != nil {
			t.Fatal(err)
		}
		var tot float64
		for i := 0; i < n; i++ {
			var m, m2 float64
			for _, sub := range subs {
				mu := dotAff(sub.row(0), feat.Row(i))
				m += mu
				m2 += mu * mu
			}
			k := float64(len(subs))
			tot += m2/k - (m/k)*(m/k)
		}
		return tot / n
	}
	in, out := spread(on), spread(off)
	t.Logf("sub-policy mean variance: dataset states %.3g, velocity 3× beyond the data %.3g (%.1f×)", in, out, out/in)
	if out < 3*in {
		t.Errorf("off-data spread %.3g, want ≥ 3× the on-data %.3g", out, in)
	}
}

// recorder is a train.Logger keeping every logged metric.
type recorder struct{ m []map[string]float64 }

func (r *recorder) Log(step int64, phase string, m map[string]float64) error {
	c := map[string]float64{"step": float64(step)}
	for k, v := range m {
		if !strings.HasPrefix(k, "time/") {
			c[k] = v
		}
	}
	r.m = append(r.m, c)
	return nil
}

// TestAgentSameSeedSameMetrics: two offline→online pendulum runs with the
// same seed log identical metrics (and a different seed does not).
func TestAgentSameSeedSameMetrics(t *testing.T) {
	d, err := datasets.Load("pendulum-medium")
	if err != nil {
		t.Fatal(err)
	}
	run := func(seed uint64) []map[string]float64 {
		cfg := smallConfig()
		cfg.OfflineSteps = 40
		cfg.RefitEvery = 20
		cfg.Distill.Iters = 10
		a, err := New(d, 3, 1, cfg, seed)
		if err != nil {
			t.Fatal(err)
		}
		e, err := envs.Make("pendulum")
		if err != nil {
			t.Fatal(err)
		}
		r, err := env.Rescale(e)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		rec := &recorder{}
		l := loopFor(t, a, d, r, 40, 60, seed)
		l.Config.LogEvery = 10
		l.Logger = rec
		if err := l.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		return rec.m
	}
	x, y, z := run(5), run(5), run(6)
	if !reflect.DeepEqual(x, y) {
		t.Errorf("same seed, different metrics:\n%v\n%v", x, y)
	}
	if reflect.DeepEqual(x, z) {
		t.Errorf("seeds 5 and 6 logged identical metrics")
	}
	if len(x) < 8 {
		t.Errorf("%d log records, want ≥ 8", len(x))
	}
	t.Logf("%d records; last %v", len(x), x[len(x)-1])
}

// TestAgentStateRoundTrip: an agent restored from another's State, in the
// middle of the online phase, continues exactly like it: same actions,
// same update metrics, same state (IQL and SO2 critics).
func TestAgentStateRoundTrip(t *testing.T) {
	for _, tc := range []struct{ critic, uncertainty, policy string }{
		{CriticIQL, "", ""}, {CriticSO2, "", ""}, {CriticIQL, UncertaintyELBO, ""}, {CriticIQL, "", PolicyDiffuser}} {
		t.Run(tc.critic+tc.uncertainty+tc.policy, func(t *testing.T) { stateRoundTrip(t, tc.critic, tc.uncertainty, tc.policy) })
	}
}

func stateRoundTrip(t *testing.T, critic, uncertainty, policy string) {
	cfg := smallConfig()
	cfg.RefitEvery = 5
	cfg.Distill.Iters = 10
	cfg.Critic = critic
	cfg.Uncertainty, cfg.Policy = uncertainty, policy
	cfg.LaplaceRows = 128
	cfg.SO2 = SO2Config{Members: 3, Hidden: []int{32, 32}, UTD: 2}
	x, d := pendulumAgent(t, cfg, 40, 21)
	buf, err := replay.FromDataset(d, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	obs, act, next := make([]float32, 3), make([]float32, 1), make([]float32, 3)
	step := func(a *Agent, i int) ([]float32, []float64) {
		copy(obs, d.Obs(100+i))
		if err := a.Act(obs, act, false); err != nil {
			t.Fatal(err)
		}
		got := []float32{act[0]}
		copy(next, d.NextObs(100+i))
		if err := a.AfterEnvStep(obs, act, -1, next, false, i%7 == 6); err != nil {
			t.Fatal(err)
		}
		b := replay.NewBatch(64, 3, 1, true)
		buf.SampleRows(rng.Derive(9, "batch", strconv.Itoa(i)), b, 0, b.Len())
		var ms []float64
		for _, m := range a.Update(b) {
			ms = append(ms, m.Value)
		}
		return got, ms
	}
	for i := 0; i < 10; i++ {
		step(x, i)
	}
	if uncertainty == UncertaintyELBO && len(x.elbo) != x.cfg.Samples {
		t.Fatalf("%d ELBO-Laplace deviations, want %d", len(x.elbo), x.cfg.Samples)
	}
	model, opt, streams, err := x.State()
	if err != nil {
		t.Fatal(err)
	}
	y, err := New(d, 3, 1, func() Config { c := cfg; c.OfflineSteps = 40; return c }(), 99)
	if err != nil {
		t.Fatal(err)
	}
	if err := y.SetState(model, opt, streams); err != nil {
		t.Fatal(err)
	}
	for i := 10; i < 20; i++ {
		ax, mx := step(x, i)
		ay, my := step(y, i)
		if !reflect.DeepEqual(ax, ay) || !reflect.DeepEqual(mx, my) {
			t.Fatalf("step %d after restore: actions %v vs %v, metrics %v vs %v", i, ax, ay, mx, my)
		}
	}
	m1, o1, r1, _ := x.State()
	m2, o2, r2, _ := y.State()
	if !reflect.DeepEqual(m1, m2) || !reflect.DeepEqual(o1, o2) || !reflect.DeepEqual(r1, r2) {
		t.Error("states differ after 10 more identical steps")
	}
	// A truncated state is an error naming the missing tensor.
	if err := y.SetState(model[:len(model)-1], opt, streams); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("SetState without %s: %v", model[len(model)-1].Name, err)
	}
}

// TestAgentActBatchSizes: acting alternately on batches of 5 and 1 rows,
// deterministic and not, with and without the planner's action, writes
// exactly the requested rows (scratch buffers keep their larger capacity).
func TestAgentActBatchSizes(t *testing.T) {
	for _, tc := range []struct {
		noPlanner           bool
		uncertainty, policy string
	}{{false, "", ""}, {true, "", ""}, {false, UncertaintyLatent, ""}, {false, UncertaintyELBO, ""}, {false, "", PolicyDiffuser}} {
		noPlanner := tc.noPlanner
		cfg := smallConfig()
		cfg.NoPlanner = noPlanner
		cfg.Uncertainty, cfg.Policy = tc.uncertainty, tc.policy
		cfg.LaplaceRows = 128
		cfg.Samples = 4
		cfg.Distill.Iters = 5
		a, d := pendulumAgent(t, cfg, 10, 31)
		for _, n := range []int{5, 1, 5, 1} {
			for _, det := range []bool{true, false} {
				obs := append([]float32(nil), d.Observations[:3*n]...)
				act := make([]float32, n+1)
				act[n] = 42
				if err := a.ActBatch(obs, act[:n], det); err != nil {
					t.Fatal(err)
				}
				for i, v := range act[:n] {
					if !(v >= -1 && v <= 1) {
						t.Errorf("no_planner %v, n %d, deterministic %v: action %d = %v", noPlanner, n, det, i, v)
					}
				}
				if act[n] != 42 {
					t.Errorf("no_planner %v, n %d: wrote past the batch", noPlanner, n)
				}
			}
		}
	}
}
