package envs

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/env/classic"
	"github.com/dwm-rl/dwm/env/envtest"
	"github.com/dwm-rl/dwm/spec"
)

func TestList(t *testing.T) {
	want := map[string]struct {
		obs, act, limit int
		obsKind         spec.Kind
		dt              float64
	}{
		"pendulum":         {3, 1, 200, spec.Box, 0.05},
		"frozenlake-4x4":   {16, 4, 100, spec.Discrete, 0},
		"frozenlake-8x8":   {64, 4, 200, spec.Discrete, 0},
		"pointmaze-umaze":  {6, 2, 300, spec.Box, 0.01},
		"pointmaze-medium": {6, 2, 600, spec.Box, 0.01},
		"pointmaze-large":  {6, 2, 800, spec.Box, 0.01},
	}
	list := List()
	seen := map[string]bool{}
	for i, info := range list {
		if i > 0 && list[i-1].ID >= info.ID {
			t.Errorf("List not sorted at %q", info.ID)
		}
		seen[info.ID] = true
		if info.Err != nil {
			t.Errorf("%s: %v", info.ID, info.Err)
			continue
		}
		w, ok := want[info.ID]
		if !ok {
			continue
		}
		if info.Obs.Dim != w.obs || info.Act.Dim != w.act || info.MaxSteps != w.limit || info.DT != w.dt || info.Obs.Kind != w.obsKind || info.Source != "classic" {
			t.Errorf("%s: info %+v", info.ID, info)
		}
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("List lacks %s", id)
		}
	}
	for _, info := range list {
		if strings.HasPrefix(info.ID, "frozenlake") != strings.Contains(info.Params, "-slip-<p>") {
			t.Errorf("%s: params %q", info.ID, info.Params)
		}
	}
}

func TestMakeIDs(t *testing.T) {
	for _, c := range []struct {
		id, specID string
		slip       float64
	}{
		{"frozenlake-4x4", "frozenlake-4x4", classic.GymnasiumSlip},
		{"frozenlake-8x8", "frozenlake-8x8", classic.GymnasiumSlip},
		{"frozenlake-8x8-slip-0.2", "frozenlake-8x8-slip-0.2", 0.2},
		{"frozenlake-8x8-slip-0.20", "frozenlake-8x8-slip-0.2", 0.2},
		{"frozenlake-4x4-slip-0", "frozenlake-4x4-slip-0", 0},
		{"frozenlake-4x4-slip--0", "frozenlake-4x4-slip-0", 0},
		{"frozenlake-4x4-slip-1e-1", "frozenlake-4x4-slip-0.1", 0.1},
		{"frozenlake-4x4-slip-1", "frozenlake-4x4-slip-1", 1},
	} {
		e, err := Make(c.id)
		if err != nil {
			t.Fatalf("%s: %v", c.id, err)
		}
		if _, ok := e.(*env.TimeLimit); !ok {
			t.Errorf("%s: not TimeLimit-wrapped", c.id)
		}
		f := Unwrap(e).(*classic.FrozenLake)
		if e.Spec().ID != c.specID || f.Config().Slip != c.slip {
			t.Errorf("%s: spec id %q slip %g, want %q %g", c.id, e.Spec().ID, f.Config().Slip, c.specID, c.slip)
		}
	}
}

func TestMakeErrors(t *testing.T) {
	_, err := Make("cartpole")
	if err == nil {
		t.Fatal("unknown id accepted")
	}
	for _, id := range IDs() {
		if !strings.Contains(err.Error(), id) {
			t.Errorf("unknown-id error %q does not list %q", err, id)
		}
	}
	if !strings.Contains(err.Error(), `"cartpole"`) || !strings.Contains(err.Error(), "frozenlake-8x8[-slip-<p>]") {
		t.Errorf("unknown-id error %q", err)
	}
	for _, id := range []string{
		"frozenlake-8x8-slip-1.5", "frozenlake-8x8-slip-x", "frozenlake-8x8-slip-", "frozenlake-8x8-slip-NaN",
		"frozenlake-4x4-foo", "pendulum-2", "pointmaze-umaze-x", "frozenlake-8x8-slip--0.1",
	} {
		_, err := Make(id)
		if err == nil {
			t.Errorf("%s accepted", id)
			continue
		}
		if !strings.Contains(err.Error(), id) {
			t.Errorf("%s: error %q does not name the id", id, err)
		}
	}
	for _, id := range []string{"pendulu", "frozenlake", "frozenlake-4x4x", "", "pointmaze"} {
		if _, err := Make(id); err == nil || !strings.Contains(err.Error(), "known ids") {
			t.Errorf("%q: %v", id, err)
		}
	}
}

// TestConformance runs the env harness on every id Make knows, through
// Make (so TimeLimit included), plus a parameterized id.
func TestConformance(t *testing.T) {
	ids := append(IDs(), "frozenlake-8x8-slip-0.2")
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			envtest.Run(t, func() (env.Env, error) { return Make(id) })
		})
	}
}

// TestBadActionsNameEnv checks through the registry that refused actions
// name the env id and the index.
func TestBadActionsNameEnv(t *testing.T) {
	for _, id := range []string{"pendulum", "frozenlake-8x8-slip-0.2", "pointmaze-large"} {
		e, _ := Make(id)
		s := e.Spec()
		obs := make([]float32, s.Obs.Dim)
		e.Reset(0, obs)
		act := make([]float32, s.Act.Dim)
		act[s.Act.Dim-1] = float32(nan())
		_, err := e.Step(act, obs)
		if err == nil || !strings.Contains(err.Error(), id) || !strings.Contains(err.Error(), "index") {
			t.Errorf("%s: NaN action error %v", id, err)
		}
		_, err = e.Step(make([]float32, s.Act.Dim+2), obs)
		if err == nil || !strings.Contains(err.Error(), id) || !strings.Contains(err.Error(), "length") {
			t.Errorf("%s: wrong-length action error %v", id, err)
		}
	}
}

func nan() float64 { var z float64; return z / z }

func TestExpert(t *testing.T) {
	for _, id := range append(classicIDs(), "frozenlake-4x4-slip-0") {
		p, err := Expert(id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		e, _ := Make(id)
		if _, err := env.RunEpisode(e, p, 1); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	if _, err := Expert("nope"); err == nil {
		t.Error("expert for unknown id")
	}
}

// benchEnv measures raw steps per second of one env from the registry.
func benchEnv(b *testing.B, id string) {
	e, err := Make(id)
	if err != nil {
		b.Fatal(err)
	}
	s := e.Spec()
	obs := make([]float32, s.Obs.Dim)
	act := make([]float32, s.Act.Dim)
	for i := range act {
		act[i] = 0.3 * float32(i+1)
	}
	e.Reset(1, obs)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := e.Step(act, obs)
		if err != nil {
			b.Fatal(err)
		}
		if r.Terminated || r.Truncated {
			e.Reset(2, obs)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}

func BenchmarkStep(b *testing.B) {
	for _, id := range append(IDs(), "frozenlake-8x8-slip-0.2") {
		b.Run(id, func(b *testing.B) { benchEnv(b, id) })
	}
}

// BenchmarkVector measures Vector throughput (env steps per second summed
// over copies) with 1 and 2 workers.
func BenchmarkVector(b *testing.B) {
	for _, id := range []string{"pendulum", "pointmaze-large"} {
		for _, n := range []int{8, 64} {
			for _, w := range []int{1, 2} {
				b.Run(id+"/n="+strconv.Itoa(n)+"/workers="+strconv.Itoa(w), func(b *testing.B) {
					v, err := env.NewVector(n, w, func(int) (env.Env, error) { return Make(id) })
					if err != nil {
						b.Fatal(err)
					}
					defer v.Close()
					s := v.Spec()
					obs := make([]float32, n*s.Obs.Dim)
					final := make([]float32, n*s.Obs.Dim)
					act := make([]float32, n*s.Act.Dim)
					for i := range act {
						act[i] = 0.1 * float32(i%7)
					}
					res := make([]env.VecResult, n)
					v.Reset(1, obs)
					b.ResetTimer()
					for b.Loop() {
						if err := v.Step(act, obs, final, res); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "steps/s")
				})
			}
		}
	}
}

// TestRegistryOneLineSource checks that a source shaped like env/mujoco
// (IDs with syntax lines, Make taking whole ids, unwrapped envs) plugs in with
// one registry entry.
func TestRegistryOneLineSource(t *testing.T) {
	var got []string
	fakeIDs := func() []string { return []string{"fakehopper", "hop", "<base>-friction-<k>", "<base>-gravity-<k>"} }
	fakeMake := func(id string) (env.Env, error) {
		got = append(got, id)
		if strings.Contains(id, "bad") {
			return nil, errors.New("bad shift")
		}
		if id == "hop" {
			return env.NewTimeLimit(classic.NewPendulum(), 7), nil
		}
		return classic.NewPendulum(), nil
	}
	r := append(sources(), source{name: "fake", ids: fakeIDs, make: fakeMake})
	e, err := r.make("fakehopper-friction-2.0")
	if err != nil {
		t.Fatal(err)
	}
	if got[len(got)-1] != "fakehopper-friction-2.0" {
		t.Errorf("source got id %q", got[len(got)-1])
	}
	if tl, ok := e.(*env.TimeLimit); !ok || tl.Spec().MaxSteps != 200 {
		t.Errorf("not wrapped once: %T", e)
	}
	e, _ = r.make("hop")
	if tl := e.(*env.TimeLimit); tl.Spec().MaxSteps != 7 {
		t.Errorf("already wrapped env re-wrapped: MaxSteps %d", tl.Spec().MaxSteps)
	}
	if _, err := r.make("fakehopper-bad-1"); err == nil || !strings.Contains(err.Error(), "fakehopper-bad-1") {
		t.Errorf("source error: %v", err)
	}
	err = r.unknownID("walker")
	if !strings.Contains(err.Error(), "fakehopper[-friction-<k>|-gravity-<k>]") || !strings.Contains(err.Error(), "pendulum") {
		t.Errorf("unknown id error %q", err)
	}
	found := false
	for _, info := range r.list() {
		if info.ID == "fakehopper" {
			found = true
			if info.Source != "fake" || info.Params != "-friction-<k>, -gravity-<k>" || info.Obs.Dim != 3 {
				t.Errorf("fakehopper info %+v", info)
			}
		}
		if strings.Contains(info.ID, "<") {
			t.Errorf("syntax line listed as id: %q", info.ID)
		}
	}
	if !found {
		t.Error("fakehopper not listed")
	}
}
