package env_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/env/classic"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/spec"
)

// counter is a tiny env: the observation counts steps, the reward is the
// action, and it terminates when the action exceeds 0.9.
type counter struct {
	n, resets int
	closed    int
}

func (c *counter) Spec() env.Spec {
	return env.Spec{ID: "counter", Obs: spec.UniformBox(1, 0, 1000), Act: spec.UniformBox(1, -1, 1), MaxSteps: 5}
}
func (c *counter) Reset(seed uint64, obs []float32) error {
	c.n = 0
	c.resets++
	obs[0] = float32(seed % 7)
	return nil
}
func (c *counter) Step(a, obs []float32) (env.Result, error) {
	s := c.Spec()
	var clipped [1]float32
	if err := env.CheckAction(&s, a, clipped[:]); err != nil {
		return env.Result{}, err
	}
	c.n++
	obs[0] = float32(c.n)
	return env.Result{Reward: float64(clipped[0]), Terminated: clipped[0] > 0.9}, nil
}
func (c *counter) Close() error { c.closed++; return nil }

func TestCheckAction(t *testing.T) {
	s := env.Spec{ID: "box", Act: spec.NewBox([]float32{-1, 0}, []float32{1, 2})}
	dst := make([]float32, 2)
	if err := env.CheckAction(&s, []float32{-3, 5}, dst); err != nil || dst[0] != -1 || dst[1] != 2 {
		t.Errorf("clip: %v %v", dst, err)
	}
	a := []float32{0.5, 1}
	if err := env.CheckAction(&s, a, a); err != nil || a[0] != 0.5 || a[1] != 1 {
		t.Errorf("in place: %v %v", a, err)
	}
	for _, c := range []struct {
		act  []float32
		want string
	}{
		{[]float32{1}, "box action: length 1, want 2"},
		{[]float32{0, float32(math.NaN())}, "box action: index 1 is NaN"},
		{[]float32{float32(math.Inf(-1)), 0}, "box action: index 0 is -Inf"},
	} {
		err := env.CheckAction(&s, c.act, dst)
		if err == nil || err.Error() != c.want {
			t.Errorf("CheckAction(%v) = %v, want %q", c.act, err, c.want)
		}
	}
	d := env.Spec{ID: "disc", Act: spec.NewDiscrete(3)}
	if err := env.CheckAction(&d, []float32{-5, 9, 2}, make([]float32, 3)); err != nil {
		t.Errorf("discrete scores refused: %v", err)
	}
	if n := testing.AllocsPerRun(100, func() { env.CheckAction(&s, []float32{0, 1}, dst) }); n != 0 {
		t.Errorf("CheckAction allocates %g times", n)
	}
}

func TestTimeLimit(t *testing.T) {
	c := &counter{}
	tl := env.NewTimeLimit(c, 0)
	if tl.Spec().MaxSteps != 5 {
		t.Fatalf("MaxSteps %d", tl.Spec().MaxSteps)
	}
	obs := make([]float32, 1)
	if _, err := tl.Step([]float32{0}, obs); err == nil {
		t.Error("step before reset accepted")
	}
	tl.Reset(1, obs)
	for k := 1; k <= 5; k++ {
		r, err := tl.Step([]float32{0}, obs)
		if err != nil {
			t.Fatal(err)
		}
		if r.Truncated != (k == 5) || r.Terminated {
			t.Fatalf("step %d: %+v", k, r)
		}
		if tl.Elapsed() != k {
			t.Fatalf("elapsed %d", tl.Elapsed())
		}
	}
	if _, err := tl.Step([]float32{0}, obs); err == nil || !strings.Contains(err.Error(), "call Reset") {
		t.Errorf("step after truncation: %v", err)
	}
	// A terminating step at the limit is both terminated and truncated.
	tl.Reset(1, obs)
	for range 4 {
		tl.Step([]float32{0}, obs)
	}
	if r, _ := tl.Step([]float32{1}, obs); !r.Terminated || !r.Truncated {
		t.Errorf("terminating last step %+v", r)
	}
	// An explicit limit overrides the Spec's; termination ends the episode.
	tl = env.NewTimeLimit(&counter{}, 2)
	tl.Reset(0, obs)
	if r, _ := tl.Step([]float32{1}, obs); !r.Terminated || r.Truncated {
		t.Errorf("termination %+v", r)
	}
	if _, err := tl.Step([]float32{0}, obs); err == nil {
		t.Error("step after termination accepted")
	}
	// A refused action does not count as a step.
	tl.Reset(0, obs)
	if _, err := tl.Step([]float32{float32(math.NaN())}, obs); err == nil || tl.Elapsed() != 0 {
		t.Errorf("NaN action: %v, elapsed %d", err, tl.Elapsed())
	}
	if tl.Unwrap() == nil || tl.Close() != nil {
		t.Error("Unwrap/Close")
	}
}

func TestRunEpisodeAndRollout(t *testing.T) {
	half := env.PolicyFunc(func(_, a []float32) error { a[0] = 0.5; return nil })
	// The raw env ends at its Spec's MaxSteps.
	ep, err := env.RunEpisode(&counter{}, half, 3)
	if err != nil || ep.Length != 5 || ep.Return != 2.5 || !ep.Truncated || ep.Terminated {
		t.Errorf("episode %+v %v", ep, err)
	}
	stop := env.PolicyFunc(func(o, a []float32) error {
		a[0] = 0
		if o[0] >= 2 {
			a[0] = 1
		}
		return nil
	})
	ep, _ = env.RunEpisode(env.NewTimeLimit(&counter{}, 0), stop, 1)
	if ep.Length != 3 || !ep.Terminated || ep.Return != 1 {
		t.Errorf("terminated episode %+v", ep)
	}
	bad := env.PolicyFunc(func(_, a []float32) error { a[0] = float32(math.NaN()); return nil })
	if _, err := env.RunEpisode(&counter{}, bad, 0); err == nil || !strings.Contains(err.Error(), "index 0") {
		t.Errorf("NaN policy: %v", err)
	}
	fail := env.PolicyFunc(func(_, _ []float32) error { return errors.New("boom") })
	if _, err := env.RunEpisode(&counter{}, fail, 0); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("failing policy: %v", err)
	}
	eps, err := env.Rollout(&counter{}, half, 9, 4)
	if err != nil || len(eps) != 4 {
		t.Fatal(eps, err)
	}
	s := env.Summarize(eps)
	if s.Episodes != 4 || s.MeanReturn != 2.5 || s.StdReturn != 0 || s.MeanLength != 5 || s.SuccessRate != 0 {
		t.Errorf("summary %+v", s)
	}
}

func TestRandomPolicy(t *testing.T) {
	box := spec.NewBox([]float32{-1, 10}, []float32{1, 12})
	p, err := env.NewRandom(box, rng.Derive(1, "random"))
	if err != nil {
		t.Fatal(err)
	}
	a := make([]float32, 2)
	var lo, hi [2]float32 = [2]float32{9, 99}, [2]float32{-9, -99}
	for range 2000 {
		p.Act(nil, a)
		for i := range a {
			lo[i], hi[i] = min(lo[i], a[i]), max(hi[i], a[i])
		}
	}
	if lo[0] < -1 || hi[0] > 1 || lo[1] < 10 || hi[1] > 12 || hi[0]-lo[0] < 1.9 || hi[1]-lo[1] < 1.9 {
		t.Errorf("random actions span [%v, %v]", lo, hi)
	}
	counts := make([]int, 4)
	d, _ := env.NewRandom(spec.NewDiscrete(4), rng.Derive(2, "random"))
	s := make([]float32, 4)
	for range 4000 {
		d.Act(nil, s)
		counts[spec.Argmax(s)]++
	}
	for i, c := range counts {
		if c < 900 || c > 1100 {
			t.Errorf("discrete choice %d drawn %d times of 4000", i, c)
		}
	}
	if _, err := env.NewRandom(spec.UniformBox(1, 0, float32(math.Inf(1))), rng.New(0)); err == nil {
		t.Error("unbounded space accepted")
	}
}

func pendulums(i int) (env.Env, error) { return env.NewTimeLimit(classic.NewPendulum(), 0), nil }

func frozen(i int) (env.Env, error) {
	f, err := classic.NewFrozenLake(classic.FrozenLakeConfig{ID: "frozenlake-8x8", Map: classic.FrozenLake8x8, Slip: 0.3})
	if err != nil {
		return nil, err
	}
	return env.NewTimeLimit(f, 0), nil
}

// vecTrace runs a Vector for steps steps with actions from a fixed stream
// and returns everything it produced.
func vecTrace(t *testing.T, newEnv func(int) (env.Env, error), n, workers, steps int, seed uint64) ([]float32, []env.VecResult) {
	t.Helper()
	v, err := env.NewVector(n, workers, newEnv)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	s := v.Spec()
	obs := make([]float32, n*s.Obs.Dim)
	final := make([]float32, n*s.Obs.Dim)
	act := make([]float32, n*s.Act.Dim)
	res := make([]env.VecResult, n)
	if err := v.Reset(seed, obs); err != nil {
		t.Fatal(err)
	}
	r := rng.Derive(seed, "test-actions")
	all := append([]float32(nil), obs...)
	var results []env.VecResult
	for range steps {
		r.FillUniform(act, -2, 2)
		clear(final)
		if err := v.Step(act, obs, final, res); err != nil {
			t.Fatal(err)
		}
		all = append(all, obs...)
		all = append(all, final...)
		results = append(results, res...)
	}
	return all, results
}

// TestVectorDeterministic checks that a Vector's output depends only on the
// seed, not on the number of workers (scheduling), and that each copy
// matches a single env run on its own.
func TestVectorDeterministic(t *testing.T) {
	for _, mk := range []func(int) (env.Env, error){pendulums, frozen} {
		o1, r1 := vecTrace(t, mk, 7, 1, 450, 5)
		for _, w := range []int{2, 3, 7} {
			o2, r2 := vecTrace(t, mk, 7, w, 450, 5)
			for i := range o1 {
				if math.Float32bits(o1[i]) != math.Float32bits(o2[i]) {
					t.Fatalf("workers %d: value %d differs", w, i)
				}
			}
			for i := range r1 {
				if r1[i] != r2[i] {
					t.Fatalf("workers %d: result %d differs: %+v vs %+v", w, i, r1[i], r2[i])
				}
			}
		}
		o3, _ := vecTrace(t, mk, 7, 2, 450, 6)
		same := true
		for i := range o1 {
			same = same && o1[i] == o3[i]
		}
		if same {
			t.Error("another seed gave the same trace")
		}
	}
}

// TestVectorAutoReset checks Gymnasium same-step autoreset: the final
// observation goes to final, obs holds the new episode's first observation,
// the episode summary matches a single-env replay of the same copy.
func TestVectorAutoReset(t *testing.T) {
	const n = 3
	v, err := env.NewVector(n, 2, pendulums)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	obs := make([]float32, n*3)
	final := make([]float32, n*3)
	act := make([]float32, n)
	res := make([]env.VecResult, n)
	v.Reset(11, obs)
	// Replay copy 1 alone with the seeds the Vector derives for it.
	seeds := rng.Derive(11, "vector", "1")
	single := env.NewTimeLimit(classic.NewPendulum(), 0)
	sobs := make([]float32, 3)
	single.Reset(seeds.Uint64(), sobs)
	var ret float64
	dones := 0
	for k := range 450 {
		for i := range act {
			act[i] = float32(math.Sin(float64(k + i)))
		}
		if err := v.Step(act, obs, final, res); err != nil {
			t.Fatal(err)
		}
		r, _ := single.Step(act[1:2], sobs)
		ret += r.Reward
		if res[1].Done != r.Truncated || res[1].Result.Reward != r.Reward {
			t.Fatalf("step %d: copy 1 %+v, single %+v", k, res[1], r)
		}
		if !res[1].Done {
			if fmt.Sprint(obs[3:6]) != fmt.Sprint(sobs) {
				t.Fatalf("step %d: obs %v, single %v", k, obs[3:6], sobs)
			}
			continue
		}
		dones++
		if (k+1)%200 != 0 || res[1].Episode.Length != 200 || math.Abs(res[1].Episode.Return-ret) > 1e-9 || !res[1].Episode.Truncated {
			t.Fatalf("step %d: episode %+v, want length 200 return %g", k, res[1].Episode, ret)
		}
		if fmt.Sprint(final[3:6]) != fmt.Sprint(sobs) {
			t.Fatalf("step %d: final obs %v, single %v", k, final[3:6], sobs)
		}
		single.Reset(seeds.Uint64(), sobs)
		if fmt.Sprint(obs[3:6]) != fmt.Sprint(sobs) {
			t.Fatalf("step %d: reset obs %v, single %v", k, obs[3:6], sobs)
		}
		ret = 0
	}
	if dones != 2 {
		t.Errorf("%d episodes ended in 450 steps, want 2", dones)
	}
}

func TestVectorErrors(t *testing.T) {
	if _, err := env.NewVector(0, 1, pendulums); err == nil {
		t.Error("0 copies accepted")
	}
	mixed := func(i int) (env.Env, error) {
		if i == 2 {
			return frozen(i)
		}
		return pendulums(i)
	}
	if _, err := env.NewVector(3, 1, mixed); err == nil || !strings.Contains(err.Error(), "copy 2") {
		t.Errorf("mixed dims: %v", err)
	}
	failing := func(i int) (env.Env, error) {
		if i == 1 {
			return nil, errors.New("no")
		}
		return pendulums(i)
	}
	if _, err := env.NewVector(3, 1, failing); err == nil || !strings.Contains(err.Error(), "copy 1") {
		t.Errorf("failing factory: %v", err)
	}
	v, _ := env.NewVector(4, 2, pendulums)
	obs, final := make([]float32, 12), make([]float32, 12)
	act, res := make([]float32, 4), make([]env.VecResult, 4)
	if err := v.Step(act, obs, final, res); err == nil {
		t.Error("step before reset accepted")
	}
	v.Reset(1, obs)
	if err := v.Step(act[:3], obs, final, res); err == nil {
		t.Error("short action buffer accepted")
	}
	act[2] = float32(math.NaN())
	act[3] = float32(math.NaN())
	err := v.Step(act, obs, final, res)
	if err == nil || !strings.Contains(err.Error(), "copy 2") || !strings.Contains(err.Error(), "pendulum action: index 0") {
		t.Errorf("NaN action: %v", err)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if err := v.Reset(1, obs); err == nil {
		t.Error("reset after close accepted")
	}
}

// TestVectorRace steps many Vectors of many envs at once; run with -race.
func TestVectorRace(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mk := pendulums
			if g%2 == 1 {
				mk = frozen
			}
			v, err := env.NewVector(16, 4, mk)
			if err != nil {
				t.Error(err)
				return
			}
			defer v.Close()
			s := v.Spec()
			obs := make([]float32, 16*s.Obs.Dim)
			final := make([]float32, 16*s.Obs.Dim)
			act := make([]float32, 16*s.Act.Dim)
			res := make([]env.VecResult, 16)
			v.Reset(uint64(g), obs)
			r := rng.Derive(uint64(g), "race")
			for range 300 {
				r.FillUniform(act, -1, 1)
				if err := v.Step(act, obs, final, res); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestVectorStepAllocs(t *testing.T) {
	v, _ := env.NewVector(8, 2, pendulums)
	defer v.Close()
	obs, final := make([]float32, 24), make([]float32, 24)
	act, res := make([]float32, 8), make([]env.VecResult, 8)
	v.Reset(1, obs)
	// Episodes last 200 steps, so 100 steps contain no autoreset.
	if n := testing.AllocsPerRun(100, func() { v.Step(act, obs, final, res) }); n != 0 {
		t.Errorf("Vector.Step allocates %g times per call", n)
	}
}
