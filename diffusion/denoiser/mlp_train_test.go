package denoiser

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/dwm-rl/dwm/internal/blas"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// TestResMLPTrainDataParallel checks the data-parallel training path
// against the layer-by-layer one (within rounding), including a cut member
// (odd K, 150 rows per member), and that its results are bitwise identical
// over repeated runs and thread counts.
func TestResMLPTrainDataParallel(t *testing.T) {
	type result struct {
		y, dc []float32
		g     [][]float32
	}
	run := func(k, cw, n int, act tensor.Activation, layered bool, threads int) result {
		old := blas.Threads()
		blas.SetThreads(threads)
		defer blas.SetThreads(old)
		s := rng.New(5)
		m, err := NewResMLP("mlp", k, 5, cw, MLPConfig{Width: 48, Blocks: 2, TimeDim: 8, Act: act}, s)
		if err != nil {
			t.Fatal(err)
		}
		m.layered = layered
		rows := k * n
		x := randMat(s, rows, 5, 1)
		times := make([]float32, rows)
		for i := range times {
			times[i] = float32(s.Float64())
		}
		var cond *tensor.Mat
		var keep []float32
		if cw > 0 {
			cond = randMat(s, rows, cw, 1)
			keep = make([]float32, rows)
			for i := range keep {
				keep[i] = float32(i % 3 % 2)
			}
		}
		dy := randMat(s, rows, 5, 1)
		nn.ZeroGrad(m.Params())
		var r result
		r.y = slices.Clone(m.Forward(x, times, cond, keep).Values())
		if m.tr.active == layered {
			t.Fatalf("layered %v but data-parallel path active %v", layered, m.tr.active)
		}
		if dc := m.Backward(dy); dc != nil {
			r.dc = slices.Clone(dc.Values())
		}
		for _, p := range m.Params() {
			r.g = append(r.g, slices.Clone(p.G))
		}
		return r
	}
	far := func(a, b []float32) int {
		for i := range a {
			if math.Abs(float64(a[i]-b[i])) > 1e-4*(1+math.Abs(float64(a[i]))) {
				return i
			}
		}
		return -1
	}
	for _, k := range []int{1, 2, 3} {
		for _, cw := range []int{0, 3} {
			for _, n := range []int{4, 150} {
				for _, act := range []tensor.Activation{tensor.SiLU, tensor.ReLU} {
					name := fmt.Sprintf("K%d/c%d/n%d/%v", k, cw, n, act)
					want := run(k, cw, n, act, true, 1)
					ref := run(k, cw, n, act, false, 1)
					if i := far(want.y, ref.y); i >= 0 {
						t.Fatalf("%s: output[%d] %v, layered %v", name, i, ref.y[i], want.y[i])
					}
					if (ref.dc == nil) != (cw == 0) || far(want.dc, ref.dc) >= 0 {
						t.Fatalf("%s: condition gradients differ", name)
					}
					for j := range want.g {
						if i := far(want.g[j], ref.g[j]); i >= 0 {
							t.Fatalf("%s: gradient %d [%d] %v, layered %v", name, j, i, ref.g[j][i], want.g[j][i])
						}
					}
					for _, th := range []int{2, 3, 2} {
						got := run(k, cw, n, act, false, th)
						if !slices.Equal(got.y, ref.y) || !slices.Equal(got.dc, ref.dc) {
							t.Fatalf("%s: threads %d: outputs not bitwise equal", name, th)
						}
						for j := range got.g {
							if !slices.Equal(got.g[j], ref.g[j]) {
								t.Fatalf("%s: threads %d: gradient %d not bitwise equal", name, th, j)
							}
						}
					}
				}
			}
		}
	}
}
