package denoiser

import (
	"fmt"
	"math"
	"testing"

	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

func randMat(s *rng.Stream, rows, cols int, scale float32) *tensor.Mat {
	m := tensor.New(rows, cols)
	s.FillNormal(m.Data)
	for i := range m.Data {
		m.Data[i] *= scale
	}
	return m
}

// weighted returns Σ y⊙r in float64.
func weighted(y, r *tensor.Mat) float64 {
	var s float64
	for i := 0; i < y.Len(); i++ {
		s += float64(y.Data[i]) * float64(r.Data[i])
	}
	return s
}

// checkGrad compares grad[i] with the central difference of loss() when
// vals[i] is perturbed by ±h, for up to maxN indices spread over vals. The
// tolerance (2e-3 absolute + 2e-2 relative) is that of nn's gradient checks:
// float32 forward passes with h = 1e-2 give central differences accurate to
// about 1e-3 on these sizes (measured: worst error 4e-4 here).
func checkGrad(t *testing.T, what string, vals, grad []float32, loss func() float64, maxN int) {
	t.Helper()
	step := max(1, len(vals)/maxN)
	bad := 0
	for i := 0; i < len(vals); i += step {
		old := vals[i]
		h := float32(1e-2) * max(1, float32(math.Abs(float64(old))))
		vals[i] = old + h
		lp := loss()
		vals[i] = old - h
		lm := loss()
		vals[i] = old
		num := (lp - lm) / float64(2*h)
		ana := float64(grad[i])
		if math.Abs(ana-num) > 2e-3+2e-2*math.Max(math.Abs(ana), math.Abs(num)) {
			if bad < 5 {
				t.Errorf("%s[%d]: analytic %g, numeric %g", what, i, ana, num)
			}
			bad++
		}
	}
}

func snapshot(ps []*nn.Param) map[string][]float32 {
	g := map[string][]float32{}
	for _, p := range ps {
		g[p.Name] = append([]float32(nil), p.G...)
	}
	return g
}

func TestGradTimeEmbedding(t *testing.T) {
	for _, k := range []int{1, 3} {
		t.Run(fmt.Sprint("k", k), func(t *testing.T) {
			s := rng.New(1)
			e := NewTimeEmbedding("te", k, 8, tensor.Mish, s)
			times := make([]float32, 2*k)
			for i := range times {
				times[i] = float32(s.Float64())
			}
			y := e.Forward(times)
			r := randMat(s, y.Rows, y.Cols, 1)
			loss := func() float64 { return weighted(e.Forward(times), r) }
			nn.ZeroGrad(e.Params())
			e.Forward(times)
			e.Backward(r)
			g := snapshot(e.Params())
			for _, p := range e.Params() {
				checkGrad(t, p.Name, p.W, g[p.Name], loss, 40)
			}
			// Embed gives every member's embedding of one time.
			one := make([]float32, k)
			for i := range one {
				one[i] = times[0]
			}
			want := e.Forward(one).Clone()
			got := tensor.New(0, 0)
			e.Embed(got, times[0])
			for i := range want.Data {
				if math.Abs(float64(got.Data[i]-want.Data[i])) > 1e-5 {
					t.Fatalf("Embed[%d] = %v, Forward %v", i, got.Data[i], want.Data[i])
				}
			}
		})
	}
}

func TestSinusoidal(t *testing.T) {
	m := tensor.New(0, 0)
	Sinusoidal(m, []float32{0, 0.5}, 6)
	// Row 0: sin 0 = 0, cos 0 = 1. Row 1: τ = 500, frequencies 1, 0.01, 1e-4.
	want := [][]float64{{0, 0, 0, 1, 1, 1}, {math.Sin(500), math.Sin(5), math.Sin(0.05), math.Cos(500), math.Cos(5), math.Cos(0.05)}}
	for i, row := range want {
		for j, v := range row {
			if math.Abs(float64(m.At(i, j))-v) > 1e-6 {
				t.Fatalf("Sinusoidal[%d][%d] = %v, want %v", i, j, m.At(i, j), v)
			}
		}
	}
}

func TestGradFiLM(t *testing.T) {
	for _, k := range []int{1, 2} {
		t.Run(fmt.Sprint("k", k), func(t *testing.T) {
			s := rng.New(2)
			f := NewFiLM("film", k, 5, 3, s)
			h, c := randMat(s, 3*k, 5, 1), randMat(s, 3*k, 3, 1)
			r := randMat(s, 3*k, 5, 1)
			loss := func() float64 { return weighted(f.Forward(h, c), r) }
			nn.ZeroGrad(f.Params())
			f.Forward(h, c)
			dh, dc := f.Backward(r)
			dh, dc = dh.Clone(), dc.Clone()
			g := snapshot(f.Params())
			for _, p := range f.Params() {
				checkGrad(t, p.Name, p.W, g[p.Name], loss, 40)
			}
			checkGrad(t, "h", h.Data, dh.Data, loss, 40)
			checkGrad(t, "c", c.Data, dc.Data, loss, 40)
		})
	}
}

// mlpCases are the residual-MLP variants the tests cover.
var mlpCases = []struct {
	k, cond int
	film    bool
}{{1, 0, false}, {1, 3, false}, {3, 3, false}, {1, 3, true}, {3, 2, true}, {2, 0, true}}

func TestGradResMLP(t *testing.T) {
	for _, tc := range mlpCases {
		t.Run(fmt.Sprintf("k%d/c%d/film=%v", tc.k, tc.cond, tc.film), func(t *testing.T) {
			s := rng.New(3)
			m, err := NewResMLP("mlp", tc.k, 4, tc.cond, MLPConfig{Width: 8, Blocks: 2, TimeDim: 8, FiLM: tc.film}, s)
			if err != nil {
				t.Fatal(err)
			}
			rows := 3 * tc.k
			x := randMat(s, rows, 4, 1)
			times := make([]float32, rows)
			keep := make([]float32, rows)
			for i := range times {
				times[i] = float32(s.Float64())
				keep[i] = float32(i % 2)
			}
			var cond *tensor.Mat
			if tc.cond > 0 {
				cond = randMat(s, rows, tc.cond, 1)
			} else {
				keep = nil
			}
			r := randMat(s, rows, 4, 1)
			loss := func() float64 { return weighted(m.Forward(x, times, cond, keep), r) }
			nn.ZeroGrad(m.Params())
			m.Forward(x, times, cond, keep)
			dc := m.Backward(r)
			if (dc == nil) != (tc.cond == 0) {
				t.Fatalf("condition gradient %v for condition width %d", dc, tc.cond)
			}
			g := snapshot(m.Params())
			if err := nn.CheckNames(m.Params()); err != nil {
				t.Fatal(err)
			}
			for _, p := range m.Params() {
				checkGrad(t, p.Name, p.W, g[p.Name], loss, 25)
			}
			if dc != nil {
				dcc := dc.Clone()
				checkGrad(t, "cond", cond.Data, dcc.Data, loss, 40)
				for i := 0; i < rows; i++ {
					if keep[i] == 0 {
						for _, v := range dcc.Row(i) {
							if v != 0 {
								t.Fatalf("dropped condition row %d has gradient %v", i, v)
							}
						}
					}
				}
			}
		})
	}
}

// TestResMLPStepMatchesForward checks the fused sampling path against the
// training path: same outputs for a shared time, conditions repeated with
// period B', across chunks (two per member with two threads and K = 1 or
// 3) and members.
func TestResMLPStepMatchesForward(t *testing.T) {
	for _, tc := range mlpCases {
		t.Run(fmt.Sprintf("k%d/c%d/film=%v", tc.k, tc.cond, tc.film), func(t *testing.T) {
			s := rng.New(4)
			m, err := NewResMLP("mlp", tc.k, 5, tc.cond, MLPConfig{Width: 16, Blocks: 2, TimeDim: 8, FiLM: tc.film}, s)
			if err != nil {
				t.Fatal(err)
			}
			const nc, reps = 7, 80 // 560 rows per member: three chunks
			n := nc * reps
			rows := tc.k * n
			x := randMat(s, rows, 5, 1)
			tm := float32(0.37)
			times := make([]float32, rows)
			for i := range times {
				times[i] = tm
			}
			var conds, cond *tensor.Mat
			var keepC, keep []float32
			if tc.cond > 0 {
				conds = randMat(s, nc, tc.cond, 1)
				keepC = make([]float32, nc)
				for i := range keepC {
					keepC[i] = float32((i + 1) % 3 / 2) // some dropped
				}
				cond = tensor.New(rows, tc.cond)
				keep = make([]float32, rows)
				for i := 0; i < rows; i++ {
					copy(cond.Row(i), conds.Row(i%n%nc))
					keep[i] = keepC[i%n%nc]
				}
			}
			want := m.Forward(x, times, cond, keep).Clone()
			m.SetCond(conds, keepC)
			got := tensor.New(0, 0)
			m.Step(got, x, tm)
			for i := range want.Data[:want.Len()] {
				if d := math.Abs(float64(got.Data[i] - want.Data[i])); d > 1e-4*(1+math.Abs(float64(want.Data[i]))) {
					t.Fatalf("Step[%d] = %v, Forward %v", i, got.Data[i], want.Data[i])
				}
			}
			// Steady state allocates nothing.
			if a := testing.AllocsPerRun(5, func() { m.Step(got, x, tm) }); a > 0 {
				t.Errorf("Step allocates %v times per call", a)
			}
		})
	}
}

func TestStepChunks(t *testing.T) {
	for _, c := range []struct{ n, k, p, want int }{
		{1280, 3, 2, 2}, // BDWM: 6 equal items on 2 threads
		{1280, 2, 2, 1}, // one member per thread
		{1280, 1, 2, 2}, //
		{1, 1, 2, 1},    // batch 1: one chunk
		{5000, 1, 2, 4}, // chunks of at most maxStepChunk rows
		{1000, 3, 4, 4}, // 12 items on 4 threads
		{100, 5, 1, 1},  // serial
	} {
		if got := stepChunks(c.n, c.k, c.p); got != c.want {
			t.Errorf("stepChunks(%d, %d, %d) = %d, want %d", c.n, c.k, c.p, got, c.want)
		}
	}
}
