package envtest

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/spec"
)

// fake is a 1-D random walk whose faults can be switched on to check the
// harness notices them.
type fake struct {
	x           float64
	seed        uint64
	shared      *int // a counter shared between instances (non-determinism)
	acceptNaN   bool
	outOfBounds bool
	stepOnError bool
	closeErr    bool
	closed      bool
}

func (f *fake) Spec() env.Spec {
	return env.Spec{ID: "fake", Obs: spec.UniformBox(1, -100, 100), Act: spec.UniformBox(1, -1, 1), MaxSteps: 50}
}

func (f *fake) Reset(seed uint64, obs []float32) error {
	f.x, f.seed = 0, seed
	obs[0] = 0
	return nil
}

func (f *fake) Step(a, obs []float32) (env.Result, error) {
	s := f.Spec()
	var c [1]float32
	if f.stepOnError {
		f.x++
	}
	if err := env.CheckAction(&s, a, c[:]); err != nil && !f.acceptNaN {
		return env.Result{}, err
	}
	f.x += float64(c[0]) + float64(f.seed%3)
	if f.shared != nil {
		*f.shared++
		f.x += float64(*f.shared)
	}
	if f.outOfBounds {
		f.x = 1000
	}
	obs[0] = float32(f.x)
	return env.Result{Reward: -math.Abs(f.x)}, nil
}

func (f *fake) Close() error {
	if f.closeErr && f.closed {
		return errors.New("closed twice")
	}
	f.closed = true
	return nil
}

func TestHarnessPassesGoodEnv(t *testing.T) {
	Run(t, func() (env.Env, error) { return &fake{}, nil })
}

func TestHarnessCatchesFaults(t *testing.T) {
	shared := 0
	for _, c := range []struct {
		name string
		mk   func() *fake
		want string
	}{
		{"accepts-nan", func() *fake { return &fake{acceptNaN: true} }, "accepted"},
		{"nondeterministic", func() *fake { return &fake{shared: &shared} }, "differs"},
		{"out-of-bounds", func() *fake { return &fake{outOfBounds: true} }, "outside"},
		{"mutates-on-error", func() *fake { return &fake{stepOnError: true} }, "refused actions changed the env"},
		{"close-twice", func() *fake { return &fake{closeErr: true} }, "second Close"},
	} {
		err := Check(func() (env.Env, error) { return c.mk(), nil })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Check = %v, want an error mentioning %q", c.name, err, c.want)
		}
	}
}

func TestCheckObsAndSpec(t *testing.T) {
	s := env.Spec{ID: "d", Obs: spec.NewDiscrete(3), Act: spec.NewDiscrete(2)}
	for _, c := range []struct {
		obs []float32
		ok  bool
	}{{[]float32{0, 1, 0}, true}, {[]float32{1, 1, 0}, false}, {[]float32{0, 0, 0}, false}, {[]float32{0, 0.5, 0}, false}, {[]float32{1, 0}, false}} {
		if err := CheckObs(s, c.obs); (err == nil) != c.ok {
			t.Errorf("CheckObs(%v) = %v", c.obs, err)
		}
	}
	if err := CheckSpec(s); err != nil {
		t.Error(err)
	}
	bad := env.Spec{Obs: spec.Space{Kind: spec.Box, Dim: 2}, Act: spec.UniformBox(1, 0, float32(math.Inf(1))), MaxSteps: -1}
	err := CheckSpec(bad)
	for _, w := range []string{"empty ID", "bounds lengths", "unbounded", "MaxSteps -1"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("CheckSpec(bad) = %v, want %q", err, w)
		}
	}
}
