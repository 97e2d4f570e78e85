package stats

import (
	"math"
	"slices"
	"testing"

	"github.com/dwm-rl/dwm/rng"
	"pgregory.net/rapid"
)

func finite() *rapid.Generator[float64] {
	return rapid.Float64Range(-1e6, 1e6)
}

func TestIQMProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x := rapid.SliceOfN(finite(), 1, 60).Draw(t, "x")
		q := IQM(x)
		lo, hi := slices.Min(x), slices.Max(x)
		if q < lo || q > hi {
			t.Fatalf("IQM %v outside [%v, %v]", q, lo, hi)
		}
		// The order of the runs does not matter.
		r := slices.Clone(x)
		slices.Reverse(r)
		if got := IQM(r); math.Abs(got-q) > 1e-9*math.Max(1, math.Abs(q)) {
			t.Fatalf("IQM depends on order: %v vs %v", q, got)
		}
		c := rapid.Float64Range(-1e3, 1e3).Draw(t, "shift")
		a := rapid.Float64Range(0.01, 100).Draw(t, "scale")
		y := make([]float64, len(x))
		for i, v := range x {
			y[i] = a*v + c
		}
		if got, want := IQM(y), a*q+c; math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
			t.Fatalf("IQM(a·x + c) = %v, a·IQM(x) + c = %v", got, want)
		}
		if len(x)%4 == 0 {
			tm, err := TrimmedMean(x, 0.25)
			if err != nil || math.Abs(tm-q) > 1e-9*math.Max(1, math.Abs(q)) {
				t.Fatalf("n = %d: IQM %v, trim_mean %v (%v)", len(x), q, tm, err)
			}
		}
	})
}

func TestBootstrapProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nTasks := rapid.IntRange(1, 4).Draw(t, "tasks")
		scores := make([][]float64, nTasks)
		lo, hi := math.Inf(1), math.Inf(-1)
		for i := range scores {
			scores[i] = rapid.SliceOfN(finite(), 1, 8).Draw(t, "runs")
			lo = min(lo, slices.Min(scores[i]))
			hi = max(hi, slices.Max(scores[i]))
		}
		seed := rapid.Uint64().Draw(t, "seed")
		conf := rapid.Float64Range(0.5, 0.99).Draw(t, "confidence")
		for _, stat := range []Aggregate{AggregateIQM, AggregateMean} {
			iv, err := StratifiedBootstrapCI(scores, stat, 200, conf, rng.New(seed))
			if err != nil {
				t.Fatal(err)
			}
			// Every resample only holds observed scores, and IQM and the
			// mean of means lie within their inputs' range.
			tol := 1e-9 * math.Max(1, math.Max(math.Abs(lo), math.Abs(hi)))
			if !(iv.Lo <= iv.Hi) || iv.Lo < lo-tol || iv.Hi > hi+tol || iv.Point < lo-tol || iv.Point > hi+tol {
				t.Fatalf("interval %+v not ordered within data range [%v, %v]", iv, lo, hi)
			}
			again, _ := StratifiedBootstrapCI(scores, stat, 200, conf, rng.New(seed))
			if again != iv {
				t.Fatalf("same seed, different interval: %+v vs %+v", iv, again)
			}
			// A wider confidence level never gives a narrower interval.
			wide, _ := StratifiedBootstrapCI(scores, stat, 200, math.Min(0.999, conf+0.005), rng.New(seed))
			if wide.Lo > iv.Lo || wide.Hi < iv.Hi {
				t.Fatalf("wider level narrower: %+v vs %+v", wide, iv)
			}
		}
	})
}

func TestCurveProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		values := rapid.SliceOfN(rapid.Float64Range(-100, 200), 0, 30).Draw(t, "values")
		steps := make([]int, len(values))
		for i := range steps {
			steps[i] = 1000 * i
		}
		window := rapid.IntRange(0, 5).Draw(t, "window")
		percent := rapid.Float64Range(0, 150).Draw(t, "percent")
		smooth := make([]float64, len(values))
		MovingAverageTo(smooth, values, window)
		target := percent / 100 * 100
		st, ok := StepsToReach(steps, values, 100, percent, window)
		first := slices.IndexFunc(smooth, func(v float64) bool { return v >= target })
		if ok {
			i := st / 1000
			if i != first {
				t.Fatalf("reached at index %d but smoothed curve %v, target %v", i, smooth, target)
			}
		} else if st != -1 || first >= 0 {
			t.Fatalf("not reached (step %d) but smoothed curve %v, target %v", st, smooth, target)
		}
		if b, i := Best(values); len(values) > 0 && (values[i] != b || b < slices.Max(values)) {
			t.Fatalf("Best = %v at %d of %v", b, i, values)
		}
	})
}
