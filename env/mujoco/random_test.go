//go:build cgo && !nomujoco

package mujoco

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/rng"
)

// randomReturns runs episodes of the uniform random policy on id: episode i
// resets with seed i and draws its actions from rng.Derive(i, "random-policy"),
// ending at termination or at the task's episode limit.
func randomReturns(t testing.TB, id string, episodes int) (returns []float64, meanLen float64) {
	mk, err := NewMaker(id)
	if err != nil {
		t.Fatal(err)
	}
	defer mk.Close()
	e, err := mk.New()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s := e.Spec()
	obs := make([]float32, s.Obs.Dim)
	act := make([]float32, s.Act.Dim)
	total := 0
	for ep := range episodes {
		if err := e.Reset(uint64(ep), obs); err != nil {
			t.Fatal(err)
		}
		r := rng.Derive(uint64(ep), "random-policy")
		ret := 0.0
		for step := 1; step <= s.MaxSteps; step++ {
			r.FillUniform(act, -1, 1)
			res, err := e.Step(act, obs)
			if err != nil {
				t.Fatal(err)
			}
			ret += res.Reward
			total++
			if res.Terminated {
				break
			}
		}
		returns = append(returns, ret)
	}
	return returns, float64(total) / float64(episodes)
}

func meanStd(x []float64) (float64, float64) {
	var m, v float64
	for _, a := range x {
		m += a
	}
	m /= float64(len(x))
	for _, a := range x {
		v += (a - m) * (a - m)
	}
	return m, math.Sqrt(v / float64(len(x)))
}

// TestMeasureRandomReturns regenerates the RandomReturns table (reference.go).
// It runs only when DWM_MEASURE_RANDOM=1 (about two minutes).
func TestMeasureRandomReturns(t *testing.T) {
	if os.Getenv("DWM_MEASURE_RANDOM") != "1" {
		t.Skip("set DWM_MEASURE_RANDOM=1 to measure random-policy returns")
	}
	var b strings.Builder
	for _, id := range baseIDs() {
		const episodes = 100
		rets, meanLen := randomReturns(t, id, episodes)
		m, s := meanStd(rets)
		fmt.Fprintf(&b, "\t{ID: %q, Episodes: %d, Mean: %.4g, Std: %.4g, MeanLength: %.4g},\n", id, episodes, m, s, meanLen)
	}
	t.Logf("RandomReturns table:\n%s", b.String())
}

// TestRandomReturnsTable re-measures a few episodes and checks them against
// the stored table (a change of model or task rules shows up here).
func TestRandomReturnsTable(t *testing.T) {
	ids := []string{"hopper", "walker2d", "halfcheetah"}
	if !testing.Short() {
		ids = append(ids, "ant")
	}
	for _, id := range ids {
		ref, ok := RandomReturn(id)
		if !ok {
			t.Fatalf("no reference random return for %s", id)
		}
		n := 40
		if id == "halfcheetah" || id == "ant" {
			n = 6
		}
		rets, _ := randomReturns(t, id, n)
		m, _ := meanStd(rets)
		// The first n of the table's episodes are exactly these ones, so the
		// mean must lie well within the spread of the table's episodes.
		if tol := 4 * ref.Std / math.Sqrt(float64(n)); math.Abs(m-ref.Mean) > tol {
			t.Fatalf("%s: random return over %d episodes %.3f, table %.3f ± %.3f", id, n, m, ref.Mean, tol)
		}
	}
}
