package eval

import (
	"testing"

	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/spec"
)

// stepEnv is a synthetic 30-step task whose observation is the step count
// and whose step succeeds when the action's first entry is positive.
type stepEnv struct{ t int }

func (e *stepEnv) Spec() env.Spec {
	return env.Spec{ID: "synthetic", Obs: spec.NewBox([]float32{-1e6}, []float32{1e6}), Act: spec.NewBox([]float32{-1}, []float32{1}), MaxSteps: 30}
}
func (e *stepEnv) Reset(_ uint64, obs []float32) error { e.t = 0; obs[0] = 0; return nil }
func (e *stepEnv) Step(a, obs []float32) (env.Result, error) {
	e.t++
	obs[0] = float32(e.t)
	return env.Result{Reward: 1, Success: a[0] > 0}, nil
}
func (e *stepEnv) Close() error { return nil }

// Episodes succeed under the rule "more than n successful steps": copies
// succeed for 0, 1, 25, 26 and 30 of their 30 steps.
func TestSuccessSteps(t *testing.T) {
	succ := []int{0, 1, 25, 26, 30}
	ev, err := New(len(succ), 1, func(int) (env.Env, error) { return &stepEnv{}, nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	if ev.SuccessSteps() != 0 {
		t.Fatalf("synthetic env: rule %d, want 0", ev.SuccessSteps())
	}
	act := func(obs, a []float32) error {
		for i := range succ {
			a[i] = -1
			if int(obs[i]) < succ[i] {
				a[i] = 1
			}
		}
		return nil
	}
	for _, c := range []struct {
		rule int
		want float64
		ok   []bool
	}{
		{0, 0.8, []bool{false, true, true, true, true}},
		{1, 0.6, []bool{false, false, true, true, true}},
		{25, 0.4, []bool{false, false, false, true, true}},
		{29, 0.2, []bool{false, false, false, false, true}},
		{30, 0, []bool{false, false, false, false, false}},
	} {
		ev.SetSuccessSteps(c.rule)
		r, err := ev.Run(act, 3)
		if err != nil {
			t.Fatal(err)
		}
		if r.SuccessRate != c.want || r.SuccessSteps != c.rule {
			t.Errorf("rule %d: success rate %v (rule %d), want %v", c.rule, r.SuccessRate, r.SuccessSteps, c.want)
		}
		for i, ep := range r.Episodes {
			if ep.Success != c.ok[i] || r.EpisodeSuccessSteps[i] != succ[i] {
				t.Errorf("rule %d copy %d: success %v after %d steps, want %v after %d", c.rule, i, ep.Success, r.EpisodeSuccessSteps[i], c.ok[i], succ[i])
			}
		}
	}
}

func TestSuccessStepsFor(t *testing.T) {
	for id, want := range map[string]int{"pen": 20, "door": 25, "hammer": 25, "relocate": 25,
		"door-friction-2.0": 25, "hopper": 0, "pendulum": 0, "antmaze-umaze": 0, "nonsense": 0} {
		if got := SuccessStepsFor(id); got != want {
			t.Errorf("SuccessStepsFor(%q) = %d, want %d", id, got, want)
		}
	}
}
