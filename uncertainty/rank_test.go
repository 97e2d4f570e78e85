package uncertainty

import (
	"math"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/rng"
)

func TestPercentile(t *testing.T) {
	x := []float32{5, 1, 4, 2, 3}
	for _, tc := range []struct {
		p    float64
		want float32
	}{
		{90, 4.6}, // position 4·0.9 = 3.6 → 4 + 0.6·(5−4)
		{50, 3},
		{25, 2},
		{10, 1.4},
		{99.999, 4.99996},
	} {
		got, err := Percentile(x, tc.p)
		if err != nil || math.Abs(float64(got-tc.want)) > 1e-5 {
			t.Errorf("Percentile(%v) = %v, %v; want %v", tc.p, got, err, tc.want)
		}
	}
	if x[0] != 5 || x[1] != 1 {
		t.Errorf("Percentile reordered its input: %v", x)
	}
	if got, _ := Percentile([]float32{7}, 90); got != 7 {
		t.Errorf("Percentile of one value = %v, want 7", got)
	}
	for _, tc := range []struct {
		x       []float32
		p       float64
		wantErr string
	}{
		{x, 0, "percentile 0 outside (0, 100)"},
		{x, 100, "percentile 100 outside (0, 100)"},
		{x, -5, "percentile -5 outside (0, 100)"},
		{x, math.NaN(), "percentile NaN outside (0, 100)"},
		{nil, 90, "percentile 90 of no values"},
		{[]float32{1, float32(math.NaN())}, 90, "values[1] is NaN"},
	} {
		_, err := Percentile(tc.x, tc.p)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("Percentile(%v, %v) err = %v, want %q", tc.x, tc.p, err, tc.wantErr)
		}
	}
}

func TestRejectTo(t *testing.T) {
	sigma := []float32{0.1, 0.5, 0.9, 0.5, float32(math.NaN())}
	dst := make([]bool, len(sigma))
	n := RejectTo(dst, sigma, 0.5)
	want := []bool{false, false, true, false, true}
	if n != 2 {
		t.Errorf("rejected %d, want 2", n)
	}
	for i := range want {
		if dst[i] != want[i] {
			t.Errorf("dst[%d] = %v, want %v (exactly the values above η are rejected)", i, dst[i], want[i])
		}
	}
}

func TestAUROC(t *testing.T) {
	for _, tc := range []struct {
		name   string
		scores []float32
		pos    []bool
		want   float64
	}{
		// Positives {0.9, 0.8, 0.4} vs negatives {0.5, 0.4, 0.1}: 0.9 and 0.8
		// beat all three (6), 0.4 beats 0.1, ties 0.4, loses to 0.5 (1.5):
		// 7.5 / 9.
		{"hand", []float32{0.9, 0.5, 0.8, 0.4, 0.4, 0.1}, []bool{true, false, true, false, true, false}, 7.5 / 9},
		{"perfect", []float32{3, 4, 1, 2}, []bool{true, true, false, false}, 1},
		{"reversed", []float32{1, 2, 3, 4}, []bool{true, true, false, false}, 0},
		{"all tied", []float32{2, 2, 2, 2, 2}, []bool{true, false, false, true, false}, 0.5},
	} {
		got, err := AUROC(tc.scores, tc.pos)
		if err != nil || math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: AUROC = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		scores  []float32
		pos     []bool
		wantErr string
	}{
		{[]float32{1, 2}, []bool{true}, "2 scores but 1 labels"},
		{[]float32{1, 2}, []bool{true, true}, "2 positives and 0 negatives"},
		{[]float32{1, 2}, []bool{false, false}, "0 positives and 2 negatives"},
		{[]float32{1, float32(math.NaN())}, []bool{true, false}, "scores[1] is NaN"},
	} {
		_, err := AUROC(tc.scores, tc.pos)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("AUROC(%v, %v) err = %v, want %q", tc.scores, tc.pos, err, tc.wantErr)
		}
	}
}

// TestAUROCMatchesPairCount checks the rank formula against the definition
// (count of positive-negative pairs won, ties one half) on random data with
// many ties.
func TestAUROCMatchesPairCount(t *testing.T) {
	r := rng.Derive(3, "auroc")
	var w Workspace
	for trial := 0; trial < 50; trial++ {
		n := 2 + r.IntN(40)
		scores := make([]float32, n)
		pos := make([]bool, n)
		for i := range scores {
			scores[i] = float32(r.IntN(6))
			pos[i] = r.IntN(2) == 0
		}
		pos[0], pos[1] = true, false
		var won float64
		var P, N float64
		for i := range scores {
			if pos[i] {
				P++
			} else {
				N++
			}
			for j := range scores {
				if pos[i] && !pos[j] {
					switch {
					case scores[i] > scores[j]:
						won++
					case scores[i] == scores[j]:
						won += 0.5
					}
				}
			}
		}
		got, err := w.AUROC(scores, pos)
		if err != nil || math.Abs(got-won/(P*N)) > 1e-12 {
			t.Fatalf("trial %d: AUROC = %v, %v; pair count %v", trial, got, err, won/(P*N))
		}
	}
}

func TestSpearman(t *testing.T) {
	for _, tc := range []struct {
		name string
		x, y []float32
		want float64
	}{
		// Ranks of y: 5→1, 6→2, 7→3.5, 8→5, 7→3.5; with rank deviations
		// dx = (−2 −1 0 1 2), dy = (−2 −1 .5 2 .5): 8 / √(10·9.5).
		{"ties", []float32{1, 2, 3, 4, 5}, []float32{5, 6, 7, 8, 7}, 8 / math.Sqrt(95)},
		{"monotone", []float32{1, 2, 3, 4}, []float32{1, 10, 100, 1000}, 1},
		{"reversed", []float32{1, 2, 3, 4}, []float32{4, 3, 2, 1}, -1},
		{"two", []float32{0, 1}, []float32{3, 2}, -1},
	} {
		got, err := Spearman(tc.x, tc.y)
		if err != nil || math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: Spearman = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		x, y    []float32
		wantErr string
	}{
		{[]float32{1, 2}, []float32{1}, "len(x) = 2, len(y) = 1"},
		{[]float32{1}, []float32{1}, "at least 2 pairs, got 1"},
		{[]float32{1, 1, 1}, []float32{1, 2, 3}, "x is constant"},
		{[]float32{1, 2, 3}, []float32{4, 4, 4}, "y is constant"},
		{[]float32{1, 2, 3}, []float32{4, float32(math.NaN()), 4}, "y[1] is NaN"},
	} {
		_, err := Spearman(tc.x, tc.y)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("Spearman(%v, %v) err = %v, want %q", tc.x, tc.y, err, tc.wantErr)
		}
	}
}

func TestWorkspaceDoesNotAllocate(t *testing.T) {
	r := rng.Derive(4, "ws")
	x := make([]float32, 500)
	y := make([]float32, 500)
	r.FillNormal(x)
	r.FillNormal(y)
	pos := make([]bool, 500)
	for i := range pos {
		pos[i] = i%3 == 0
	}
	var w Workspace
	w.Spearman(x, y) // grow the buffers
	w.Percentile(x, 90)
	n := testing.AllocsPerRun(10, func() {
		w.Spearman(x, y)
		w.AUROC(x, pos)
		w.Percentile(x, 90)
	})
	if n != 0 {
		t.Errorf("%v allocations per run after warm-up, want 0", n)
	}
}

func BenchmarkPercentile(b *testing.B) {
	x := benchSamples(Shape{K: 1, M: 1, B: 100000, D: 1})
	var w Workspace
	for b.Loop() {
		w.Percentile(x, 90)
	}
}

func BenchmarkAUROC(b *testing.B) {
	x := benchSamples(Shape{K: 1, M: 1, B: 4096, D: 1})
	pos := make([]bool, len(x))
	for i := range pos {
		pos[i] = i%2 == 0
	}
	var w Workspace
	for b.Loop() {
		w.AUROC(x, pos)
	}
}

func BenchmarkSpearman(b *testing.B) {
	x := benchSamples(Shape{K: 1, M: 2, B: 4096, D: 1})
	var w Workspace
	for b.Loop() {
		w.Spearman(x[:4096], x[4096:])
	}
}
