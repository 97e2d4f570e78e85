package stats

import (
	"math"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/rng"
)

func approx(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestMeanStd(t *testing.T) {
	if got := Mean([]float64{1, 2, 3, 4}); got != 2.5 {
		t.Errorf("Mean = %v, want 2.5", got)
	}
	// Deviations from the mean 5: 9+1+1+1+0+0+4+16 = 32; 32/7 under n−1.
	if got := Std([]float64{2, 4, 4, 4, 5, 5, 7, 9}); !approx(got, math.Sqrt(32.0/7), 1e-12) {
		t.Errorf("Std = %v, want √(32/7)", got)
	}
	if !math.IsNaN(Mean(nil)) || !math.IsNaN(Std([]float64{1})) {
		t.Error("Mean(nil) or Std of one value is not NaN")
	}
}

func TestIQM(t *testing.T) {
	for _, tc := range []struct {
		x    []float64
		want float64
	}{
		{[]float64{6, 1, 5, 2, 4, 3, 8, 7}, 4.5}, // middle four of 1…8: 3 4 5 6
		{[]float64{1, 2, 3, 10, 100}, 4.8},       // (¾·2 + 3 + ¾·10) / 2.5
		{[]float64{9, 1, 2}, 3},                  // (¼·1 + 2 + ¼·9) / 1.5
		{[]float64{0, 4}, 2},                     // (½·0 + ½·4) / 1
		{[]float64{7}, 7},
		{[]float64{-3, -3, -3}, -3},
	} {
		if got := IQM(tc.x); !approx(got, tc.want, 1e-12) {
			t.Errorf("IQM(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
	if !math.IsNaN(IQM(nil)) || !math.IsNaN(IQM([]float64{1, math.NaN()})) {
		t.Error("IQM of empty or NaN input is not NaN")
	}
	x := []float64{3, 1, 2}
	IQM(x)
	if x[0] != 3 {
		t.Error("IQM modified its input")
	}
}

func TestTrimmedMean(t *testing.T) {
	got, err := TrimmedMean([]float64{1, 2, 3, 10, 100}, 0.25) // cuts ⌊1.25⌋ = 1 each end
	if err != nil || got != 5 {
		t.Errorf("TrimmedMean = %v, %v; want 5", got, err)
	}
	for _, p := range []float64{-0.1, 0.5, math.NaN()} {
		if _, err := TrimmedMean([]float64{1, 2}, p); err == nil || !strings.Contains(err.Error(), "outside [0, 0.5)") {
			t.Errorf("TrimmedMean(p=%v) err = %v", p, err)
		}
	}
}

func TestQuantile(t *testing.T) {
	x := []float64{5, 1, 4, 2, 3}
	for q, want := range map[float64]float64{0: 1, 1: 5, 0.5: 3, 0.9: 4.6, 0.025: 1.1} {
		if got := Quantile(x, q); !approx(got, want, 1e-12) {
			t.Errorf("Quantile(%v) = %v, want %v", q, got, want)
		}
	}
}

func TestNormalizedScore(t *testing.T) {
	const random, expert = -20.272305, 3234.3 // D4RL hopper references
	for _, tc := range []struct{ r, want float64 }{
		{random, 0}, {expert, 100}, {(random + expert) / 2, 50}, {random - (expert - random), -100},
	} {
		got, err := NormalizedScore(tc.r, random, expert)
		if err != nil || !approx(got, tc.want, 1e-9) {
			t.Errorf("NormalizedScore(%v) = %v, %v; want %v", tc.r, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		r, rnd, exp float64
		wantErr     string
	}{
		{1, 5, 5, "expert reference 5 equals random reference"},
		{math.NaN(), 0, 1, "return is NaN"},
		{1, math.Inf(-1), 1, "random reference is -Inf"},
		{1, 0, math.Inf(1), "expert reference is +Inf"},
	} {
		if _, err := NormalizedScore(tc.r, tc.rnd, tc.exp); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("NormalizedScore(%v, %v, %v) err = %v, want %q", tc.r, tc.rnd, tc.exp, err, tc.wantErr)
		}
	}
}

func TestLastBest(t *testing.T) {
	v := []float64{1, 5, math.NaN(), 3}
	if Last(v) != 3 {
		t.Errorf("Last = %v", Last(v))
	}
	if b, i := Best(v); b != 5 || i != 1 {
		t.Errorf("Best = %v at %d, want 5 at 1", b, i)
	}
	if b, i := Best([]float64{math.NaN()}); !math.IsNaN(b) || i != -1 {
		t.Errorf("Best of only NaN = %v at %d", b, i)
	}
	if !math.IsNaN(Last(nil)) {
		t.Error("Last(nil) not NaN")
	}
}

func TestMovingAverageTo(t *testing.T) {
	v := []float64{10, 50, 80, 95, 90}
	dst := make([]float64, len(v))
	MovingAverageTo(dst, v, 2)
	want := []float64{10, 30, 65, 87.5, 92.5}
	for i := range want {
		if dst[i] != want[i] {
			t.Errorf("dst[%d] = %v, want %v", i, dst[i], want[i])
		}
	}
	// A NaN poisons only the windows that contain it.
	v = []float64{1, math.NaN(), 3, 5, 7}
	MovingAverageTo(dst, v, 2)
	if !math.IsNaN(dst[1]) || !math.IsNaN(dst[2]) || dst[3] != 4 || dst[4] != 6 || dst[0] != 1 {
		t.Errorf("with NaN: %v", dst)
	}
}

func TestStepsToReach(t *testing.T) {
	steps := []int{0, 10, 20, 30, 40}
	values := []float64{10, 50, 80, 95, 90}
	for _, tc := range []struct {
		percent  float64
		window   int
		wantStep int
		wantOK   bool
	}{
		{90, 1, 30, true},  // 95 ≥ 90 first at step 30
		{90, 2, 40, true},  // smoothed 10 30 65 87.5 92.5
		{50, 0, 10, true},  // reached exactly: ≥ counts
		{10, 1, 0, true},   // already at the first evaluation
		{99, 1, -1, false}, // never
		{90, 5, -1, false}, // full-window smoothing never gets there
	} {
		st, ok := StepsToReach(steps, values, 100, tc.percent, tc.window)
		if st != tc.wantStep || ok != tc.wantOK {
			t.Errorf("StepsToReach(%v%%, window %d) = %d, %v; want %d, %v", tc.percent, tc.window, st, ok, tc.wantStep, tc.wantOK)
		}
	}
	if st, ok := StepsToReach(nil, nil, 100, 90, 1); st != -1 || ok {
		t.Error("empty curve reached the target")
	}
}

func TestTransitionDip(t *testing.T) {
	steps := []int{0, 50, 100, 110, 120, 130, 200}
	values := []float64{10, 40, 60, 50, 45, 70, 80}
	for _, tc := range []struct {
		k      int
		want   float64
		wantOK bool
	}{
		{30, 15, true},   // 60 − min(50, 45, 70)
		{15, 10, true},   // 60 − 50
		{1000, 15, true}, // the whole online curve
		{5, 0, false},    // no online evaluation in (100, 105]
	} {
		dip, ok := TransitionDip(steps, values, 100, tc.k)
		if ok != tc.wantOK || (ok && dip != tc.want) {
			t.Errorf("TransitionDip(k=%d) = %v, %v; want %v, %v", tc.k, dip, ok, tc.want, tc.wantOK)
		}
	}
	// No drop: the dip is negative.
	if dip, ok := TransitionDip([]int{0, 1, 2}, []float64{5, 7, 9}, 0, 10); !ok || dip != -2 {
		t.Errorf("rising curve dip = %v, %v; want -2", dip, ok)
	}
	if _, ok := TransitionDip([]int{5, 6}, []float64{1, 2}, 0, 10); ok {
		t.Error("dip without an offline evaluation reported ok")
	}
	if dip, ok := TransitionDip([]int{0, 1, 2}, []float64{5, math.NaN(), 9}, 0, 10); !ok || !math.IsNaN(dip) {
		t.Errorf("dip over a NaN evaluation = %v, %v; want NaN", dip, ok)
	}
}

func TestBootstrapHandCases(t *testing.T) {
	s := rng.Derive(7, "bootstrap")
	// Constant scores: every resample is the same, the interval is a point.
	iv, err := StratifiedBootstrapCI([][]float64{{3, 3, 3}, {3, 3}}, AggregateIQM, 200, 0.95, s)
	if err != nil || iv != (Interval{3, 3, 3}) {
		t.Errorf("constant scores: %+v, %v", iv, err)
	}
	// Stratification: runs are only drawn within their task, so the mean of
	// the task means of {0,0,0} and {10,10,10} is always 5. A pooled
	// bootstrap would spread it over [0, 10].
	iv, err = StratifiedBootstrapCI([][]float64{{0, 0, 0}, {10, 10, 10}}, AggregateMean, 500, 0.95, s)
	if err != nil || iv != (Interval{5, 5, 5}) {
		t.Errorf("stratified: %+v, %v; want {5 5 5}", iv, err)
	}
	// One task, runs {0, 1}: resampled means are 0, ½, 1 with probability
	// ¼, ½, ¼, so the 2.5% and 97.5% quantiles are 0 and 1.
	iv, err = StratifiedBootstrapCI([][]float64{{0, 1}}, AggregateMean, 4000, 0.95, s)
	if err != nil || iv != (Interval{0.5, 0, 1}) {
		t.Errorf("two runs: %+v, %v; want {0.5 0 1}", iv, err)
	}
}

func TestBootstrapWidthMatchesNormalTheory(t *testing.T) {
	// 40 runs of N(0, 1): the percentile interval of the mean should be
	// close to mean ± 1.96·sd/√n.
	s := rng.Derive(8, "bootstrap", "normal")
	x := make([]float64, 40)
	for i := range x {
		x[i] = s.NormFloat64()
	}
	iv, err := StratifiedBootstrapCI([][]float64{x}, AggregateMean, 20000, 0.95, s)
	if err != nil {
		t.Fatal(err)
	}
	sd := math.Sqrt(Std(x) * Std(x) * 39 / 40) // the bootstrap's plug-in sd
	half := 1.96 * sd / math.Sqrt(40)
	if !approx(iv.Hi-iv.Lo, 2*half, 0.1*2*half) || !approx(iv.Point, Mean(x), 1e-12) {
		t.Errorf("interval %+v, normal theory %v ± %v", iv, Mean(x), half)
	}
}

func TestBootstrapErrors(t *testing.T) {
	s := rng.New(1)
	ok := [][]float64{{1, 2}}
	for _, tc := range []struct {
		name    string
		scores  [][]float64
		stat    Aggregate
		n       int
		conf    float64
		s       *rng.Stream
		wantErr string
	}{
		{"no tasks", nil, AggregateIQM, 10, 0.95, s, "no tasks"},
		{"empty task", [][]float64{{1}, {}}, AggregateIQM, 10, 0.95, s, "task 1 has no runs"},
		{"NaN", [][]float64{{1, math.NaN()}}, AggregateIQM, 10, 0.95, s, "task 0 run 1 score is NaN"},
		{"resamples", ok, AggregateIQM, 0, 0.95, s, "resamples = 0"},
		{"confidence 1", ok, AggregateIQM, 10, 1, s, "confidence 1 outside (0, 1)"},
		{"confidence 95", ok, AggregateIQM, 10, 95, s, "confidence 95 outside (0, 1)"},
		{"nil stream", ok, AggregateIQM, 10, 0.95, nil, "nil random stream"},
		{"nil stat", ok, nil, 10, 0.95, s, "nil statistic"},
		{"NaN stat", ok, func([][]float64) float64 { return math.NaN() }, 10, 0.95, s, "statistic is NaN on resample 0"},
	} {
		_, err := StratifiedBootstrapCI(tc.scores, tc.stat, tc.n, tc.conf, tc.s)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.wantErr)
		}
	}
}

func BenchmarkStratifiedBootstrapIQM(b *testing.B) {
	// 3 tasks × 5 seeds, rliable's default 50000 resamples.
	scores := [][]float64{{1, 2, 3, 4, 5}, {10, 12, 9, 11, 13}, {50, 40, 60, 55, 45}}
	for b.Loop() {
		StratifiedBootstrapCI(scores, AggregateIQM, DefaultResamples, 0.95, rng.New(1))
	}
}
