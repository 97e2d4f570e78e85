package classic

import (
	"math"
	"testing"

	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/env/envtest"
)

func TestFrozenLakeConformance(t *testing.T) {
	for _, cfg := range []FrozenLakeConfig{
		{ID: "frozenlake-4x4", Slip: GymnasiumSlip},
		{ID: "frozenlake-8x8-slip-0.2", Map: FrozenLake8x8, Slip: 0.2},
	} {
		t.Run(cfg.ID, func(t *testing.T) {
			envtest.Run(t, func() (env.Env, error) { return NewFrozenLake(cfg) })
		})
	}
}

func TestFrozenLakeSpec(t *testing.T) {
	for _, c := range []struct {
		cfg       FrozenLakeConfig
		n, limits int
	}{
		{FrozenLakeConfig{}, 16, 100},
		{FrozenLakeConfig{Map: FrozenLake8x8}, 64, 200},
		{FrozenLakeConfig{Map: FrozenLake8x8, MaxSteps: 7}, 64, 7},
	} {
		f, err := NewFrozenLake(c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		s := f.Spec()
		if s.Obs.N != c.n || s.Obs.Dim != c.n || s.Act.N != 4 || s.Act.Dim != 4 || s.MaxSteps != c.limits {
			t.Errorf("%+v: spec %+v", c.cfg, s)
		}
	}
}

func TestFrozenLakeConfigValidate(t *testing.T) {
	for _, cfg := range []FrozenLakeConfig{
		{Slip: -0.1}, {Slip: 1.5}, {Slip: math.NaN()}, {MaxSteps: -1},
		{Map: []string{}}, {Map: []string{"SF", "F"}}, {Map: []string{"SX"}}, {Map: []string{"FF", "FG"}},
		{Map: []string{"SS", "FG"}},
	} {
		if _, err := NewFrozenLake(cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
}

// TestFrozenLakeDeterministicPath walks the shortest path of the 4×4 map
// without slip: down, down, right, down, right, right reaches G in 6 steps.
func TestFrozenLakeDeterministicPath(t *testing.T) {
	f, _ := NewFrozenLake(FrozenLakeConfig{})
	obs := make([]float32, 16)
	f.Reset(0, obs)
	path := []int{Down, Down, Right, Down, Right, Right}
	states := []int{4, 8, 9, 13, 14, 15}
	for k, a := range path {
		act := make([]float32, 4)
		act[a] = 1
		r, err := f.Step(act, obs)
		if err != nil {
			t.Fatal(err)
		}
		if f.State() != states[k] || obs[states[k]] != 1 {
			t.Fatalf("step %d: state %d, want %d", k, f.State(), states[k])
		}
		last := k == len(path)-1
		if r.Terminated != last || r.Success != last || (r.Reward == 1) != last {
			t.Fatalf("step %d: result %+v", k, r)
		}
	}
	// Stepping on from the goal stays there with reward 0, still terminated.
	r, _ := f.Step([]float32{1, 0, 0, 0}, obs)
	if f.State() != 15 || r.Reward != 0 || !r.Terminated {
		t.Fatalf("after goal: state %d result %+v", f.State(), r)
	}
	// A hole terminates with reward 0.
	f.Reset(0, obs)
	f.SetState(1)
	r, _ = f.Step([]float32{0, 1, 0, 0}, obs)
	if f.State() != 5 || r.Reward != 0 || !r.Terminated || r.Success {
		t.Fatalf("into hole: state %d result %+v", f.State(), r)
	}
	// Off the grid stays put.
	f.Reset(0, obs)
	f.Step([]float32{0, 0, 0, 1}, obs)
	if f.State() != 0 {
		t.Fatalf("up from the start: state %d", f.State())
	}
}

// chiSquare returns Pearson's statistic of observed counts against expected
// probabilities.
func chiSquare(counts map[int]int, probs map[int]float64, n int) float64 {
	var x2 float64
	for s, p := range probs {
		e := p * float64(n)
		d := float64(counts[s]) - e
		x2 += d * d / e
	}
	return x2
}

// TestFrozenLakeSlipFrequencies checks, with a chi-square test at a fixed
// seed, that the empirical next-cell frequencies match the slip model: the
// intended move with probability 1−p, each perpendicular move with p/2.
func TestFrozenLakeSlipFrequencies(t *testing.T) {
	const n = 30000
	const crit = 13.816 // χ²(2) critical value at α = 0.001
	cases := []struct {
		m    []string
		slip float64
		s, a int
	}{
		{FrozenLake4x4, GymnasiumSlip, 0, Down}, // left perpendicular stays put
		{FrozenLake4x4, 0.2, 0, Right},
		{FrozenLake8x8, 0.2, 9, Up},
		{FrozenLake8x8, 0.5, 9, Left},
		{FrozenLake8x8, 0.05, 10, Down},
	}
	for _, c := range cases {
		f, err := NewFrozenLake(FrozenLakeConfig{Map: c.m, Slip: c.slip})
		if err != nil {
			t.Fatal(err)
		}
		obs := make([]float32, len(c.m)*len(c.m[0]))
		if err := f.Reset(42, obs); err != nil {
			t.Fatal(err)
		}
		act := make([]float32, 4)
		act[c.a] = 1
		counts := map[int]int{}
		for range n {
			f.SetState(c.s)
			if _, err := f.Step(act, obs); err != nil {
				t.Fatal(err)
			}
			counts[f.State()]++
		}
		// Expected distribution written from the definition, not from Transitions.
		want := map[int]float64{}
		want[f.move(c.s, c.a)] += 1 - c.slip
		want[f.move(c.s, (c.a+1)%4)] += c.slip / 2
		want[f.move(c.s, (c.a+3)%4)] += c.slip / 2
		for s := range counts {
			if want[s] == 0 {
				t.Fatalf("slip %g s %d a %d: reached impossible cell %d", c.slip, c.s, c.a, s)
			}
		}
		x2 := chiSquare(counts, want, n)
		t.Logf("slip %g s %d a %d: counts %v χ² %.2f", c.slip, c.s, c.a, counts, x2)
		if x2 > crit {
			t.Errorf("slip %g s %d a %d: χ² %.2f > %.3f (counts %v, want %v)", c.slip, c.s, c.a, x2, crit, counts, want)
		}
		// The test has power: a slip 0.05 off is rejected.
		wrong := map[int]float64{}
		q := c.slip + 0.05
		wrong[f.move(c.s, c.a)] += 1 - q
		wrong[f.move(c.s, (c.a+1)%4)] += q / 2
		wrong[f.move(c.s, (c.a+3)%4)] += q / 2
		if x2w := chiSquare(counts, wrong, n); x2w < crit {
			t.Errorf("slip %g: χ² against slip %g is only %.2f; the test has no power", c.slip, q, x2w)
		}
		// Transitions agrees with the definition.
		for _, o := range f.Transitions(c.s, c.a) {
			if math.Abs(o.Prob-want[o.Next]) > 1e-12 {
				t.Errorf("Transitions(%d, %d): cell %d prob %g, want %g", c.s, c.a, o.Next, o.Prob, want[o.Next])
			}
		}
	}
}

func TestFrozenLakeNoSlipIsDeterministic(t *testing.T) {
	f, _ := NewFrozenLake(FrozenLakeConfig{Map: FrozenLake8x8})
	obs := make([]float32, 64)
	f.Reset(1, obs)
	for range 1000 {
		f.SetState(9)
		f.Step([]float32{0, 0, 1, 0}, obs)
		if f.State() != 10 {
			t.Fatalf("slip 0 moved to %d", f.State())
		}
	}
}

func TestFrozenLakeOptimal(t *testing.T) {
	// Without slip the value of the start is γ^5 (the goal is 6 moves away).
	f, _ := NewFrozenLake(FrozenLakeConfig{})
	o, err := NewFrozenLakeOptimal(f, 0.9)
	if err != nil {
		t.Fatal(err)
	}
	if want := math.Pow(0.9, 5); math.Abs(o.V[0]-want) > 1e-9 {
		t.Errorf("V(start) = %g, want %g", o.V[0], want)
	}
	ep, err := env.RunEpisode(f, o, 1)
	if err != nil || !ep.Success || ep.Length != 6 {
		t.Errorf("optimal deterministic episode %+v, %v", ep, err)
	}
	// With slip, V satisfies the Bellman optimality equation and beats
	// every other action by the greedy choice.
	fs, _ := NewFrozenLake(FrozenLakeConfig{Map: FrozenLake8x8, Slip: 0.2})
	os, _ := NewFrozenLakeOptimal(fs, 0.999)
	for s := range 64 {
		if fs.terminal(s) {
			continue
		}
		best := math.Inf(-1)
		for a := range 4 {
			var q float64
			for _, tr := range fs.Transitions(s, a) {
				v := 0.0
				if !tr.Terminal {
					v = os.V[tr.Next]
				}
				q += tr.Prob * (tr.Reward + 0.999*v)
			}
			best = max(best, q)
		}
		if math.Abs(best-os.V[s]) > 1e-9 {
			t.Errorf("cell %d: V %g, Bellman max %g", s, os.V[s], best)
		}
	}
	if _, err := NewFrozenLakeOptimal(f, 0); err == nil {
		t.Error("gamma 0 accepted")
	}
}

func TestFrozenLakeSuccessProbAndExpert(t *testing.T) {
	f, _ := NewFrozenLake(FrozenLakeConfig{})
	path := make([]int, 16)
	for s, a := range map[int]int{0: Down, 4: Down, 8: Right, 9: Down, 13: Right, 14: Right} {
		path[s] = a
	}
	if p := f.SuccessProb(path, 6); p != 1 {
		t.Errorf("deterministic path within 6 steps: %g", p)
	}
	if p := f.SuccessProb(path, 5); p != 0 {
		t.Errorf("deterministic path within 5 steps: %g", p)
	}
	// The exact probability matches the empirical success rate, and the
	// expert is at least as good as every single discount.
	fs, _ := NewFrozenLake(FrozenLakeConfig{Map: FrozenLake8x8, Slip: GymnasiumSlip})
	ex := NewFrozenLakeExpert(fs)
	exact := fs.SuccessProb(ex.Action, 200)
	eps, err := env.Rollout(env.NewTimeLimit(fs, 0), ex, 4, 2000)
	if err != nil {
		t.Fatal(err)
	}
	emp := env.Summarize(eps).SuccessRate
	if math.Abs(emp-exact) > 4*math.Sqrt(exact*(1-exact)/2000) {
		t.Errorf("expert success: empirical %.4f, exact %.4f", emp, exact)
	}
	for _, g := range []float64{0.9, 0.99, 0.999, 1} {
		o, _ := NewFrozenLakeOptimal(fs, g)
		if p := fs.SuccessProb(o.Action, 200); p > exact+1e-12 {
			t.Errorf("γ %g policy succeeds with %g > expert's %g", g, p, exact)
		}
	}
	t.Logf("8x8 slippery expert: γ %g, success within 200 steps %.4f (empirical %.4f)", ex.Gamma, exact, emp)
}
