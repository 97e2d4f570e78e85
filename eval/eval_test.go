package eval

import (
	"math"
	"strconv"
	"testing"

	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/envs"
	"github.com/dwm-rl/dwm/rng"
)

// A constant-torque policy on Pendulum gives the same result for the same
// seed, different results for different seeds, and exactly the returns of
// running each episode alone with env.RunEpisode.
func TestEvaluatorMatchesSingleEpisodes(t *testing.T) {
	const n = 4
	ev, err := New(n, 2, func(int) (env.Env, error) { return envs.Make("pendulum") }, &Reference{Random: -1200, Expert: -150})
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	act := func(obs, a []float32) error {
		for i := range a {
			a[i] = 0.5
		}
		return nil
	}
	r1, err := ev.Run(act, 11)
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := ev.Run(act, 11)
	r3, _ := ev.Run(act, 12)
	if r1.Return != r2.Return {
		t.Fatalf("same seed gave %v and %v", r1.Return, r2.Return)
	}
	if r1.Return == r3.Return {
		t.Fatalf("different seeds gave the same return %v", r1.Return)
	}
	if len(r1.Episodes) != n || r1.Length != 200 {
		t.Fatalf("episodes %d length %v, want %d and 200", len(r1.Episodes), r1.Length, n)
	}
	for i, ep := range r1.Episodes {
		single, _ := envs.Make("pendulum")
		alone, err := env.RunEpisode(single, env.PolicyFunc(func(o, a []float32) error { return act(o, a) }),
			rng.Derive(11, "vector", strconv.Itoa(i)).Uint64())
		if err != nil {
			t.Fatal(err)
		}
		if alone.Return != ep.Return {
			t.Fatalf("copy %d: return %v, alone %v", i, ep.Return, alone.Return)
		}
	}
	want := 100 * (r1.Return + 1200) / (1050)
	if math.Abs(r1.Normalized-want) > 1e-9 {
		t.Fatalf("normalized %v want %v", r1.Normalized, want)
	}
	if _, err := New(0, 1, nil, nil); err == nil {
		t.Fatal("zero episodes accepted")
	}
}
