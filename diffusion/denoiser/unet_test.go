package denoiser

import (
	"fmt"
	"math"
	"testing"

	"github.com/dwm-rl/dwm/internal/blas"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

var smallUNet = UNetConfig{Horizon: 8, Dim: 8, Mults: []int{1, 2}, Kernel: 3, Groups: 4}

// TestGradResBlock checks Diffuser's residual temporal block (with and
// without the 1×1 residual convolution) against finite differences, for
// its parameters, its input and the shared embedding.
func TestGradResBlock(t *testing.T) {
	for _, io := range [][2]int{{4, 8}, {8, 8}} {
		t.Run(fmt.Sprintf("%d-%d", io[0], io[1]), func(t *testing.T) {
			s := rng.New(5)
			b := newResBlock("rb", io[0], io[1], 6, smallUNet, s)
			const rows, L = 3, 8
			x, memb := randMat(s, rows, io[0]*L, 1), randMat(s, rows, 6, 1)
			r := randMat(s, rows, io[1]*L, 1)
			loss := func() float64 { return weighted(b.forward(x, memb), r) }
			nn.ZeroGrad(b.params())
			b.forward(x, memb)
			dm := tensor.New(rows, 6)
			dx := b.backward(r, dm).Clone()
			g := snapshot(b.params())
			for _, p := range b.params() {
				checkGrad(t, p.Name, p.W, g[p.Name], loss, 30)
			}
			checkGrad(t, "x", x.Data, dx.Data, loss, 40)
			checkGrad(t, "memb", memb.Data, dm.Data, loss, 18)
			// predict with the time bias precomputed matches forward.
			want := b.forward(x, memb).Clone()
			tb := tensor.New(0, 0)
			b.temb.Predict(tb, memb)
			for _, serial := range []*stepScratch{nil, new(stepScratch)} {
				got := tensor.New(0, 0)
				b.predict(got, x, tb, 0, serial)
				for i := range want.Data[:want.Len()] {
					if math.Abs(float64(got.Data[i]-want.Data[i])) > 1e-5 {
						t.Fatalf("predict (serial %v)[%d] = %v, forward %v", serial != nil, i, got.Data[i], want.Data[i])
					}
				}
			}
		})
	}
}

func TestGradTemporalUNet(t *testing.T) {
	for _, cond := range []int{0, 2} {
		t.Run(fmt.Sprint("cond", cond), func(t *testing.T) {
			s := rng.New(6)
			u, err := NewTemporalUNet("unet", 3, cond, smallUNet, s)
			if err != nil {
				t.Fatal(err)
			}
			if err := nn.CheckNames(u.Params()); err != nil {
				t.Fatal(err)
			}
			const rows = 3
			x := randMat(s, rows, u.Dim(), 1)
			times := []float32{0.1, 0.5, 0.9}
			var c *tensor.Mat
			keep := []float32{1, 0, 1}
			if cond > 0 {
				c = randMat(s, rows, cond, 1)
			} else {
				keep = nil
			}
			r := randMat(s, rows, u.Dim(), 1)
			loss := func() float64 { return weighted(u.Forward(x, times, c, keep), r) }
			nn.ZeroGrad(u.Params())
			u.Forward(x, times, c, keep)
			dc := u.Backward(r)
			g := snapshot(u.Params())
			for _, p := range u.Params() {
				checkGrad(t, p.Name, p.W, g[p.Name], loss, 12)
			}
			if cond > 0 {
				dcc := dc.Clone()
				checkGrad(t, "cond", c.Data, dcc.Data, loss, 6)
				for _, v := range dcc.Row(1) {
					if v != 0 {
						t.Fatalf("dropped condition has gradient %v", v)
					}
				}
			} else if dc != nil {
				t.Fatal("unconditional U-Net returned a condition gradient")
			}
		})
	}
}

func TestTemporalUNetStepMatchesForward(t *testing.T) {
	for _, cond := range []int{0, 2} {
		t.Run(fmt.Sprint("cond", cond), func(t *testing.T) {
			s := rng.New(7)
			u, err := NewTemporalUNet("unet", 3, cond, UNetConfig{Horizon: 16, Dim: 8, Mults: []int{1, 2, 4}, Groups: 4}, s)
			if err != nil {
				t.Fatal(err)
			}
			// 20 rows: two parallel parts of 10 (with two threads), so the
			// second part starts at condition 10 mod 4 = 2.
			const nc, reps = 4, 5
			rows := nc * reps
			x := randMat(s, rows, u.Dim(), 1)
			tm := float32(0.3)
			times := make([]float32, rows)
			for i := range times {
				times[i] = tm
			}
			var conds, c *tensor.Mat
			var keepC, keep []float32
			if cond > 0 {
				conds = randMat(s, nc, cond, 1)
				keepC = []float32{1, 0, 1, 1}
				c = tensor.New(rows, cond)
				keep = make([]float32, rows)
				for i := 0; i < rows; i++ {
					copy(c.Row(i), conds.Row(i%nc))
					keep[i] = keepC[i%nc]
				}
			}
			want := u.Forward(x, times, c, keep).Clone()
			u.SetCond(conds, keepC)
			got := tensor.New(0, 0)
			u.Step(got, x, tm)
			for i := range want.Data[:want.Len()] {
				if d := math.Abs(float64(got.Data[i] - want.Data[i])); d > 1e-4*(1+math.Abs(float64(want.Data[i]))) {
					t.Fatalf("Step[%d] = %v, Forward %v", i, got.Data[i], want.Data[i])
				}
			}
			if a := testing.AllocsPerRun(5, func() { u.Step(got, x, tm) }); a > 0 {
				t.Errorf("Step allocates %v times per call", a)
			}
			// After a parameter change, SetCond refreshes the replicas.
			for _, p := range u.Params() {
				for i := range p.W {
					p.W[i] *= 1.01
				}
			}
			want = u.Forward(x, times, c, keep).Clone()
			u.SetCond(conds, keepC)
			u.Step(got, x, tm)
			for i := range want.Data[:want.Len()] {
				if d := math.Abs(float64(got.Data[i] - want.Data[i])); d > 1e-4*(1+math.Abs(float64(want.Data[i]))) {
					t.Fatalf("after a parameter change: Step[%d] = %v, Forward %v", i, got.Data[i], want.Data[i])
				}
			}
		})
	}
}

// TestTemporalUNetStepSerialEqualsParallel: the parallel Step (replicas)
// gives the same numbers as one thread.
func TestTemporalUNetStepSerialEqualsParallel(t *testing.T) {
	s := rng.New(8)
	u, err := NewTemporalUNet("unet", 3, 2, UNetConfig{Horizon: 16, Dim: 8, Mults: []int{1, 2}, Groups: 4}, s)
	if err != nil {
		t.Fatal(err)
	}
	x, conds := randMat(s, 40, u.Dim(), 1), randMat(s, 3, 2, 1)
	run := func(threads int) *tensor.Mat {
		old := blas.Threads()
		blas.SetThreads(threads)
		defer blas.SetThreads(old)
		u.SetCond(conds, nil)
		out := tensor.New(0, 0)
		u.Step(out, x, 0.6)
		return out
	}
	a, b := run(1), run(2)
	for i := range a.Data[:a.Len()] {
		if math.Abs(float64(a.Data[i]-b.Data[i])) > 1e-5 {
			t.Fatalf("output %d: 1 thread %v, 2 threads %v", i, a.Data[i], b.Data[i])
		}
	}
}

func TestUNetConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  UNetConfig
		want string
	}{
		{UNetConfig{Horizon: 1}, "Horizon = 1"},
		{UNetConfig{Horizon: 12}, "Horizon = 12: must be divisible by 8"},
		{UNetConfig{Horizon: 32, Kernel: 4}, "Kernel = 4"},
		{UNetConfig{Horizon: 32, Dim: 12}, "Groups = 8 does not divide the 12 channels"},
		{UNetConfig{Horizon: 32, Mults: []int{1, 0}}, "Mults[1] = 0"},
	} {
		_, err := NewTemporalUNet("u", 3, 0, c.cfg, rng.New(1))
		if err == nil || !contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want it to mention %q", c.cfg, err, c.want)
		}
	}
	if _, err := NewResMLP("m", 1, 3, 0, MLPConfig{TimeDim: 7}, rng.New(1)); err == nil || !contains(err.Error(), "TimeDim = 7") {
		t.Errorf("odd TimeDim: %v", err)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
