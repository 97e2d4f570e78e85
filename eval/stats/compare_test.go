package stats

import (
	"math"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/rng"
	"pgregory.net/rapid"
)

func TestAggregateMedianAndOptimalityGap(t *testing.T) {
	for _, c := range []struct {
		name   string
		scores [][]float64
		median float64
		gap    float64 // γ = 100
	}{
		// Task means 2, 10, 5: median 5. min(·, 100) of the pooled runs
		// 1 3 10 5 5 5 has mean 29/6.
		{"three tasks", [][]float64{{1, 3}, {10}, {5, 5, 5}}, 5, 100 - 29.0/6},
		// Two task means: their average. Runs above γ count as γ:
		// (50 + 100 + 100 + 0)/4 = 62.5.
		{"above the target", [][]float64{{50, 150}, {100, 0}}, 75, 37.5},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := AggregateMedian(c.scores); math.Abs(got-c.median) > 1e-12 {
				t.Errorf("median %v, want %v", got, c.median)
			}
			if got := OptimalityGap(100)(c.scores); math.Abs(got-c.gap) > 1e-12 {
				t.Errorf("optimality gap %v, want %v", got, c.gap)
			}
		})
	}
	if !math.IsNaN(AggregateMedian(nil)) || !math.IsNaN(OptimalityGap(100)([][]float64{{1, math.NaN()}})) {
		t.Error("empty or NaN input must give NaN")
	}
}

func TestProbabilityOfImprovement(t *testing.T) {
	for _, c := range []struct {
		name string
		x, y [][]float64
		want float64
	}{
		// 1 < 2, 2 = 2 (½), 3 > 2: 1.5 of 3 pairs.
		{"ties count half", [][]float64{{1, 2, 3}}, [][]float64{{2}}, 0.5},
		// Task 1: every x above every y (1); task 2: none (0).
		{"averaged over tasks", [][]float64{{5, 6}, {0}}, [][]float64{{1, 2, 3}, {9, 9}}, 0.5},
		// 4 of the 6 pairs: 3 > 1, 3 > 2, 4 > 1, 4 > 2; 3 < 5, 4 < 5.
		{"partial overlap", [][]float64{{3, 4}}, [][]float64{{1, 2, 5}}, 4.0 / 6},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ProbabilityOfImprovement(c.x, c.y)
			if err != nil || math.Abs(got-c.want) > 1e-12 {
				t.Errorf("P(X > Y) = %v, %v; want %v", got, err, c.want)
			}
		})
	}
	for _, c := range []struct {
		name string
		x, y [][]float64
		want string
	}{
		{"task counts differ", [][]float64{{1}}, [][]float64{{1}, {2}}, "1 tasks for X and 2 for Y"},
		{"no tasks", nil, nil, "at least one"},
		{"empty task", [][]float64{{1}, {}}, [][]float64{{1}, {2}}, "task 1 has 0 runs of X"},
		{"NaN", [][]float64{{math.NaN()}}, [][]float64{{1}}, "NaN"},
	} {
		t.Run("error/"+c.name, func(t *testing.T) {
			if _, err := ProbabilityOfImprovement(c.x, c.y); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// P(X > Y) and P(Y > X) sum to 1, a method is even with itself, and
// adding the same constant to both sides changes nothing.
func TestProbabilityOfImprovementProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		tasks := rapid.IntRange(1, 4).Draw(t, "tasks")
		x, y := make([][]float64, tasks), make([][]float64, tasks)
		for i := range x {
			// Few distinct values, so that ties are common.
			x[i] = rapid.SliceOfN(rapid.Map(rapid.IntRange(-3, 3), func(v int) float64 { return float64(v) }), 1, 8).Draw(t, "x")
			y[i] = rapid.SliceOfN(rapid.Map(rapid.IntRange(-3, 3), func(v int) float64 { return float64(v) }), 1, 8).Draw(t, "y")
		}
		pxy, err := ProbabilityOfImprovement(x, y)
		if err != nil {
			t.Fatal(err)
		}
		pyx, _ := ProbabilityOfImprovement(y, x)
		if math.Abs(pxy+pyx-1) > 1e-12 || pxy < 0 || pxy > 1 {
			t.Fatalf("P(X>Y) %v + P(Y>X) %v ≠ 1", pxy, pyx)
		}
		if p, _ := ProbabilityOfImprovement(x, x); math.Abs(p-0.5) > 1e-12 {
			t.Fatalf("P(X > X) = %v, want 0.5", p)
		}
	})
}

func TestProbabilityOfImprovementCI(t *testing.T) {
	// Every run of X beats every run of Y: every resample says so too.
	x := [][]float64{{10, 11, 12}, {7, 8}}
	y := [][]float64{{1, 2, 3}, {0, 1, 2}}
	iv, err := ProbabilityOfImprovementCI(x, y, 2000, 0.95, rng.New(1))
	if err != nil || iv != (Interval{Point: 1, Lo: 1, Hi: 1}) {
		t.Fatalf("dominating X: %+v, %v; want [1, 1] at 1", iv, err)
	}
	// Overlapping runs: the interval holds the point, stays in [0, 1], and
	// the same stream state gives the same interval.
	x = [][]float64{{3, 5, 7, 9}, {2, 4}}
	y = [][]float64{{4, 6, 8}, {1, 3, 5}}
	a, err := ProbabilityOfImprovementCI(x, y, 4000, 0.95, rng.New(2))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ProbabilityOfImprovementCI(x, y, 4000, 0.95, rng.New(2))
	if a != b || !(0 <= a.Lo && a.Lo < a.Point && a.Point < a.Hi && a.Hi <= 1) {
		t.Errorf("interval %+v (again %+v)", a, b)
	}
	if _, err := ProbabilityOfImprovementCI(x, y, 0, 0.95, rng.New(2)); err == nil {
		t.Error("resamples 0 accepted")
	}
}

func TestScoreDistribution(t *testing.T) {
	scores := [][]float64{{1, 2}, {3, 4}}
	taus := []float64{0, 1, 2.5, 4}
	got := ScoreDistribution(scores, taus)
	want := []float64{1, 0.75, 0.5, 0}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("profile %v, want %v", got, want)
		}
	}
	band, err := ScoreDistributionCI(scores, taus, 2000, 0.95, rng.New(3))
	if err != nil {
		t.Fatal(err)
	}
	for i, iv := range band {
		if iv.Point != want[i] || iv.Lo > iv.Point || iv.Hi < iv.Point || iv.Lo < 0 || iv.Hi > 1 {
			t.Errorf("τ = %v: %+v", taus[i], iv)
		}
	}
	// Stratified: task 1's runs (3, 4) are always above 2.5 and task 0's
	// never, so every resample has exactly half the runs above it.
	if band[2] != (Interval{Point: 0.5, Lo: 0.5, Hi: 0.5}) {
		t.Errorf("τ = 2.5: %+v, want exactly 0.5 (stratified resampling)", band[2])
	}
	if _, err := ScoreDistributionCI([][]float64{{1}, {}}, taus, 10, 0.95, rng.New(3)); err == nil {
		t.Error("a task without runs accepted")
	}
}
