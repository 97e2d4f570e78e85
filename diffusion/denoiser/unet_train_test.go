package denoiser

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/dwm-rl/dwm/internal/blas"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// TestTemporalUNetTrainParts checks the data-parallel training path
// (Forward, Backward) against the layer-by-layer one within rounding, and
// that its results are bitwise identical over repeated runs and 1, 2 and 3
// threads. Measured worst relative differences (outputs, condition and
// parameter gradients, relative to 1 + |value|): 1.3e-5; the tolerance is
// 1e-4.
func TestTemporalUNetTrainParts(t *testing.T) {
	type result struct{ y, dc, g []float32 }
	run := func(cond, rows int, layered bool, threads int) result {
		old := blas.Threads()
		blas.SetThreads(threads)
		defer blas.SetThreads(old)
		s := rng.New(9)
		u, err := NewTemporalUNet("unet", 3, cond, UNetConfig{Horizon: 16, Dim: 8, Mults: []int{1, 2, 4}, Groups: 4}, s)
		if err != nil {
			t.Fatal(err)
		}
		x := randMat(s, rows, u.Dim(), 1)
		times := make([]float32, rows)
		for i := range times {
			times[i] = float32(s.Float64())
		}
		var c *tensor.Mat
		var keep []float32
		if cond > 0 {
			c = randMat(s, rows, cond, 1)
			keep = make([]float32, rows)
			for i := range keep {
				keep[i] = float32(i % 3 % 2)
			}
		}
		dy := randMat(s, rows, u.Dim(), 1)
		// Backward adds to the gradients: start from non-zero ones. Run
		// twice, so that the second pass reuses the first one's buffers.
		var r result
		for range 2 {
			for _, p := range u.Params() {
				rng.New(3).FillNormal(p.G)
			}
			var y, dc *tensor.Mat
			if layered {
				y = u.forwardLayers(x, times, c, keep)
				dc = u.backwardLayers(dy)
			} else {
				y = u.Forward(x, times, c, keep)
				dc = u.Backward(dy)
			}
			r = result{y: slices.Clone(y.Values())}
			if dc != nil {
				r.dc = slices.Clone(dc.Values())
			}
			for _, p := range u.Params() {
				r.g = append(r.g, p.G...)
			}
		}
		return r
	}
	for _, tc := range []struct{ cond, rows int }{{0, 7}, {2, 12}, {2, 1}} {
		t.Run(fmt.Sprintf("cond%d_rows%d", tc.cond, tc.rows), func(t *testing.T) {
			want := run(tc.cond, tc.rows, true, 1)
			got := run(tc.cond, tc.rows, false, 2)
			var worst float64
			for _, v := range [][2][]float32{{want.y, got.y}, {want.dc, got.dc}, {want.g, got.g}} {
				if len(v[0]) != len(v[1]) {
					t.Fatalf("lengths %d and %d", len(v[0]), len(v[1]))
				}
				for i := range v[0] {
					worst = math.Max(worst, math.Abs(float64(v[0][i]-v[1][i]))/(1+math.Abs(float64(v[0][i]))))
				}
			}
			t.Logf("worst relative difference from the layer-by-layer path: %.2g", worst)
			if worst > 1e-4 {
				t.Errorf("worst relative difference %.2g > 1e-4", worst)
			}
			for _, threads := range []int{1, 2, 3, 2} {
				r := run(tc.cond, tc.rows, false, threads)
				if !slices.Equal(r.y, got.y) || !slices.Equal(r.dc, got.dc) || !slices.Equal(r.g, got.g) {
					t.Fatalf("%d threads: results differ from 2 threads", threads)
				}
			}
		})
	}
}
