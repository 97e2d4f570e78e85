// Package envtest is the conformance harness every dwm environment passes:
// Run checks an env's Spec, observation bounds, determinism under a seed,
// action checking and clipping, and Close, against the conventions of the
// env package. Use it from a test:
//
//	func TestConformance(t *testing.T) {
//		envtest.Run(t, func() (env.Env, error) { return classic.NewPendulum(), nil })
//	}
package envtest

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/spec"
)

// Run checks the env made by newEnv (called several times: each call must
// return a fresh, independent instance) in subtests: spec, bounds,
// determinism, bad-actions and close.
func Run(t *testing.T, newEnv func() (env.Env, error)) {
	t.Helper()
	for _, c := range checks() {
		t.Run(c.name, func(t *testing.T) {
			if err := c.run(newEnv); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Check runs every check of Run outside a test and returns their failures
// joined (nil if the env conforms).
func Check(newEnv func() (env.Env, error)) error {
	var errs []error
	for _, c := range checks() {
		if err := c.run(newEnv); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.name, err))
		}
	}
	return errors.Join(errs...)
}

type check struct {
	name string
	run  func(newEnv func() (env.Env, error)) error
}

// checks lists the harness's checks; each makes the envs it needs and closes
// them.
func checks() []check {
	return []check{
		{"spec", func(mk func() (env.Env, error)) error {
			return withEnvs(mk, 1, func(e []env.Env) error { return CheckSpec(e[0].Spec()) })
		}},
		{"bounds", func(mk func() (env.Env, error)) error {
			return withEnvs(mk, 1, func(e []env.Env) error { return checkBounds(e[0]) })
		}},
		{"determinism", func(mk func() (env.Env, error)) error {
			return withEnvs(mk, 2, func(e []env.Env) error { return checkDeterminism(e[0], e[1]) })
		}},
		{"bad-actions", func(mk func() (env.Env, error)) error {
			return withEnvs(mk, 2, func(e []env.Env) error { return checkBadActions(e[0], e[1]) })
		}},
		{"close", func(mk func() (env.Env, error)) error {
			e, err := mk()
			if err != nil {
				return fmt.Errorf("make env: %w", err)
			}
			if err := e.Close(); err != nil {
				return fmt.Errorf("first Close: %w", err)
			}
			if err := e.Close(); err != nil {
				return fmt.Errorf("second Close: %w", err)
			}
			return nil
		}},
	}
}

// withEnvs makes n envs, runs f on them and closes them.
func withEnvs(mk func() (env.Env, error), n int, f func([]env.Env) error) error {
	var es []env.Env
	defer func() {
		for _, e := range es {
			e.Close()
		}
	}()
	for range n {
		e, err := mk()
		if err != nil {
			return fmt.Errorf("make env: %w", err)
		}
		es = append(es, e)
	}
	return f(es)
}

// CheckSpec returns an error if s is not well formed.
func CheckSpec(s env.Spec) error {
	var errs []error
	if s.ID == "" {
		errs = append(errs, errors.New("empty ID"))
	}
	for _, sp := range []struct {
		name string
		s    spec.Space
	}{{"obs", s.Obs}, {"act", s.Act}} {
		if sp.s.Dim <= 0 {
			errs = append(errs, fmt.Errorf("%s: %s Dim %d", s.ID, sp.name, sp.s.Dim))
		}
		switch sp.s.Kind {
		case spec.Box:
			if len(sp.s.Low) != sp.s.Dim || len(sp.s.High) != sp.s.Dim {
				errs = append(errs, fmt.Errorf("%s: %s Box bounds lengths %d/%d, Dim %d", s.ID, sp.name, len(sp.s.Low), len(sp.s.High), sp.s.Dim))
			}
		case spec.Discrete:
			if sp.s.N != sp.s.Dim {
				errs = append(errs, fmt.Errorf("%s: %s Discrete N %d != Dim %d", s.ID, sp.name, sp.s.N, sp.s.Dim))
			}
		default:
			errs = append(errs, fmt.Errorf("%s: %s unknown kind %d", s.ID, sp.name, sp.s.Kind))
		}
	}
	if s.Act.Kind == spec.Box && !s.Act.Bounded() {
		errs = append(errs, fmt.Errorf("%s: action Box %v is unbounded", s.ID, s.Act))
	}
	if s.MaxSteps < 0 || s.DT < 0 || math.IsNaN(s.DT) {
		errs = append(errs, fmt.Errorf("%s: MaxSteps %d DT %g", s.ID, s.MaxSteps, s.DT))
	}
	return errors.Join(errs...)
}

// CheckObs returns an error if obs is not a valid observation of s: wrong
// length, non-finite, outside a Box's bounds or not one-hot for a Discrete.
func CheckObs(s env.Spec, obs []float32) error {
	if len(obs) != s.Obs.Dim {
		return fmt.Errorf("obs length %d, want %d", len(obs), s.Obs.Dim)
	}
	if s.Obs.Kind == spec.Discrete {
		ones := 0
		for i, v := range obs {
			switch v {
			case 1:
				ones++
			case 0:
			default:
				return fmt.Errorf("discrete obs index %d is %g, want 0 or 1", i, v)
			}
		}
		if ones != 1 {
			return fmt.Errorf("discrete obs has %d ones, want 1", ones)
		}
		return nil
	}
	for i, v := range obs {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("obs index %d is %g", i, v)
		}
		if v < s.Obs.Low[i] || v > s.Obs.High[i] {
			return fmt.Errorf("obs index %d is %g, outside [%g, %g]", i, v, s.Obs.Low[i], s.Obs.High[i])
		}
	}
	return nil
}

// steps returns how many steps an episode of the harness takes.
func steps(s env.Spec) int {
	if s.MaxSteps > 0 && s.MaxSteps < 300 {
		return s.MaxSteps
	}
	return 300
}

// randomAction writes a random action, sometimes far outside the Box (which
// the env must clip, not refuse).
func randomAction(s env.Spec, r *rng.Stream, act []float32) {
	for i := range act {
		if s.Act.Kind == spec.Discrete {
			act[i] = float32(r.NormFloat64())
			continue
		}
		lo, hi := float64(s.Act.Low[i]), float64(s.Act.High[i])
		w := hi - lo
		x := lo + r.Float64()*w
		if r.IntN(10) == 0 {
			x = lo - w + 3*w*r.Float64()
		}
		act[i] = float32(x)
	}
}

func checkBounds(e env.Env) error {
	s := e.Spec()
	r := rng.Derive(1, "envtest", "bounds")
	obs := make([]float32, s.Obs.Dim)
	act := make([]float32, s.Act.Dim)
	for ep := range 3 {
		if err := e.Reset(uint64(ep), obs); err != nil {
			return fmt.Errorf("%s: Reset(%d): %w", s.ID, ep, err)
		}
		if err := CheckObs(s, obs); err != nil {
			return fmt.Errorf("%s: Reset(%d): %w", s.ID, ep, err)
		}
		for k := range steps(s) {
			randomAction(s, r, act)
			res, err := e.Step(act, obs)
			if err != nil {
				return fmt.Errorf("%s: episode %d step %d action %v: %w", s.ID, ep, k, act, err)
			}
			if err := CheckObs(s, obs); err != nil {
				return fmt.Errorf("%s: episode %d step %d: %w", s.ID, ep, k, err)
			}
			if math.IsNaN(res.Reward) || math.IsInf(res.Reward, 0) {
				return fmt.Errorf("%s: episode %d step %d: reward %g", s.ID, ep, k, res.Reward)
			}
			if res.Terminated || res.Truncated {
				break
			}
		}
	}
	return nil
}

type trace struct {
	obs []float32
	res []env.Result
}

func record(e env.Env, seed uint64, n int) (trace, error) {
	s := e.Spec()
	r := rng.Derive(seed, "envtest", "actions")
	obs := make([]float32, s.Obs.Dim)
	act := make([]float32, s.Act.Dim)
	var tr trace
	if err := e.Reset(seed, obs); err != nil {
		return tr, err
	}
	tr.obs = append(tr.obs, obs...)
	for range n {
		randomAction(s, r, act)
		res, err := e.Step(act, obs)
		if err != nil {
			return tr, err
		}
		tr.obs = append(tr.obs, obs...)
		tr.res = append(tr.res, res)
		if res.Terminated || res.Truncated {
			if err := e.Reset(seed+1, obs); err != nil {
				return tr, err
			}
			tr.obs = append(tr.obs, obs...)
		}
	}
	return tr, nil
}

func checkDeterminism(a, b env.Env) error {
	s := a.Spec()
	n := steps(s)
	// Run a once on another seed first so leftover state would show.
	if _, err := record(a, 99, 7); err != nil {
		return fmt.Errorf("%s: %w", s.ID, err)
	}
	ta, err := record(a, 5, n)
	if err != nil {
		return fmt.Errorf("%s: %w", s.ID, err)
	}
	tb, err := record(b, 5, n)
	if err != nil {
		return fmt.Errorf("%s: %w", s.ID, err)
	}
	if len(ta.obs) != len(tb.obs) {
		return fmt.Errorf("%s: same seed gave traces of %d and %d observation values", s.ID, len(ta.obs), len(tb.obs))
	}
	for i := range ta.obs {
		if math.Float32bits(ta.obs[i]) != math.Float32bits(tb.obs[i]) {
			return fmt.Errorf("%s: same seed, observation value %d differs: %g vs %g", s.ID, i, ta.obs[i], tb.obs[i])
		}
	}
	for i := range ta.res {
		if ta.res[i] != tb.res[i] {
			return fmt.Errorf("%s: same seed, step %d result differs: %+v vs %+v", s.ID, i, ta.res[i], tb.res[i])
		}
	}
	return nil
}

// checkBadActions checks that wrong-length and non-finite actions are refused
// with an *env.ActionError naming the env and index, and that a refused
// action leaves the env unchanged (twin stays in lockstep).
func checkBadActions(e, twin env.Env) error {
	s := e.Spec()
	obs := make([]float32, s.Obs.Dim)
	obs2 := make([]float32, s.Obs.Dim)
	if err := e.Reset(3, obs); err != nil {
		return err
	}
	if err := twin.Reset(3, obs2); err != nil {
		return err
	}
	good := make([]float32, s.Act.Dim)
	randomAction(s, rng.Derive(3, "envtest", "good"), good)
	d := s.Act.Dim
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	cases := []struct {
		name  string
		act   []float32
		index int
		want  []string
	}{
		{"too-long", make([]float32, d+1), -1, []string{fmt.Sprintf("length %d", d+1)}},
		{"empty", nil, -1, []string{"length 0"}},
		{"nan-last", withAt(good, d-1, nan), d - 1, []string{fmt.Sprintf("index %d", d-1), "NaN"}},
		{"inf-first", withAt(good, 0, inf), 0, []string{"index 0", "Inf"}},
		{"neg-inf-first", withAt(good, 0, -inf), 0, []string{"index 0", "-Inf"}},
	}
	var errs []error
	for _, c := range cases {
		_, err := e.Step(c.act, obs)
		if err == nil {
			errs = append(errs, fmt.Errorf("%s: %s action %v accepted", s.ID, c.name, c.act))
			continue
		}
		var ae *env.ActionError
		if !errors.As(err, &ae) {
			errs = append(errs, fmt.Errorf("%s: %s: error %q is not an *env.ActionError", s.ID, c.name, err))
		} else if ae.Index != c.index || ae.EnvID != s.ID {
			errs = append(errs, fmt.Errorf("%s: %s: ActionError index %d env %q, want %d %q", s.ID, c.name, ae.Index, ae.EnvID, c.index, s.ID))
		}
		msg := err.Error()
		for _, w := range append(c.want, s.ID) {
			if !strings.Contains(msg, w) {
				errs = append(errs, fmt.Errorf("%s: %s: error %q does not mention %q", s.ID, c.name, msg, w))
			}
		}
	}
	r1, err1 := e.Step(good, obs)
	r2, err2 := twin.Step(good, obs2)
	if err1 != nil || err2 != nil {
		return errors.Join(append(errs, fmt.Errorf("%s: good action after bad ones: %v / %v", s.ID, err1, err2))...)
	}
	if r1 != r2 {
		errs = append(errs, fmt.Errorf("%s: refused actions changed the env: result %+v, twin %+v", s.ID, r1, r2))
	}
	for i := range obs {
		if obs[i] != obs2[i] {
			errs = append(errs, fmt.Errorf("%s: refused actions changed the env: obs %v, twin %v", s.ID, obs, obs2))
			break
		}
	}
	return errors.Join(errs...)
}

func withAt(x []float32, i int, v float32) []float32 {
	y := append([]float32(nil), x...)
	y[i] = v
	return y
}
