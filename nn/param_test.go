package nn

import (
	"math"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/internal/blas"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

func TestPolyakAndCopy(t *testing.T) {
	a, b := NewParam("a", 2), NewParam("b", 2)
	a.W[0], a.W[1] = 1, 2
	b.W[0], b.W[1] = 3, 6
	Polyak([]*Param{a}, []*Param{b}, 0.25)
	if a.W[0] != 1.5 || a.W[1] != 3 {
		t.Fatalf("Polyak = %v", a.W)
	}
	CopyParams([]*Param{a}, []*Param{b})
	if a.W[0] != 3 || a.W[1] != 6 {
		t.Fatalf("CopyParams = %v", a.W)
	}
	expectPanic(t, func() { Polyak([]*Param{a}, []*Param{NewParam("c", 3)}, 1) })
}

func expectPanic(t *testing.T, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	f()
}

func TestClipGradNorm(t *testing.T) {
	p := NewParam("p", 2)
	p.G[0], p.G[1] = 3, 4
	if n := ClipGradNorm([]*Param{p}, 10); n != 5 || p.G[0] != 3 {
		t.Fatalf("no-clip: norm %v, G %v", n, p.G)
	}
	if n := ClipGradNorm([]*Param{p}, 1); n != 5 || math.Abs(float64(GradNorm([]*Param{p}))-1) > 1e-5 {
		t.Fatalf("clip: norm %v, after %v", n, GradNorm([]*Param{p}))
	}
	ZeroGrad([]*Param{p})
	if p.G[0] != 0 || p.G[1] != 0 {
		t.Fatal("ZeroGrad")
	}
}

func TestCheckFinite(t *testing.T) {
	p := NewParam("critic/q0/l1/w", 3)
	if err := CheckFinite([]*Param{p}); err != nil {
		t.Fatal(err)
	}
	p.G[2] = float32(math.Inf(1))
	err := CheckFinite([]*Param{p})
	if err == nil || !strings.Contains(err.Error(), "critic/q0/l1/w") || !strings.Contains(err.Error(), "gradient [2]") {
		t.Fatalf("err = %v", err)
	}
	p.W[1] = float32(math.NaN())
	if err := CheckFinite([]*Param{p}); err == nil || !strings.Contains(err.Error(), "value [1]") {
		t.Fatalf("err = %v", err)
	}
	if err := CheckNames([]*Param{p, p}); err == nil {
		t.Fatal("duplicate names accepted")
	}
}

func TestStateDictRoundTrip(t *testing.T) {
	s := rng.New(1)
	a := NewMLP("critic", MLPConfig{Sizes: []int{3, 4, 1}, Hidden: tensor.ReLU, LayerNorm: true}, s)
	b := NewMLP("critic", MLPConfig{Sizes: []int{3, 4, 1}, Hidden: tensor.ReLU, LayerNorm: true}, s)
	sd := StateDict(a.Params())
	if _, ok := sd["critic/l0/w"]; !ok {
		t.Fatalf("names: %v", sd)
	}
	if err := LoadStateDict(b.Params(), sd, true); err != nil {
		t.Fatal(err)
	}
	x := randMat(s, 2, 3, 1)
	ya, yb := tensor.New(0, 0), tensor.New(0, 0)
	a.Predict(ya, x)
	b.Predict(yb, x)
	for i := range ya.Data {
		if ya.Data[i] != yb.Data[i] {
			t.Fatal("loaded model differs")
		}
	}
	bad := StateDict(a.Params())
	bad["critic/l1/w"] = Tensor{Shape: []int{4, 2}, Data: make([]float32, 8)}
	err := LoadStateDict(b.Params(), bad, false)
	if err == nil || !strings.Contains(err.Error(), "critic/l1/w") || !strings.Contains(err.Error(), "[4 2]") {
		t.Fatalf("shape error = %v", err)
	}
	delete(bad, "critic/l1/w")
	if err := LoadStateDict(b.Params(), bad, false); err == nil || !strings.Contains(err.Error(), "critic/l1/w: missing") {
		t.Fatalf("missing error = %v", err)
	}
	extra := StateDict(a.Params())
	extra["actor/l0/w"] = Tensor{Shape: []int{1}, Data: []float32{0}}
	if err := LoadStateDict(b.Params(), extra, true); err == nil || !strings.Contains(err.Error(), "actor/l0/w") {
		t.Fatalf("strict error = %v", err)
	}
	if err := LoadStateDict(b.Params(), extra, false); err != nil {
		t.Fatalf("non-strict: %v", err)
	}
	if p := Prefixed("agent", a.Params()); p[0].Name != "agent/critic/l0/w" || &p[0].W[0] != &a.Params()[0].W[0] {
		t.Fatal("Prefixed")
	}
}

func TestPredictNoAllocs(t *testing.T) {
	if blas.Backend != "openblas" {
		t.Skip("gonum's Sgemm allocates; the zero-allocation guarantee is for the OpenBLAS build")
	}
	s := rng.New(2)
	m := NewMLP("actor", MLPConfig{Sizes: []int{23, 256, 256, 1}, Hidden: tensor.ReLU}, s)
	x, y := randMat(s, 1, 23, 1), tensor.New(0, 0)
	m.Predict(y, x)
	if a := testing.AllocsPerRun(20, func() { m.Predict(y, x) }); a != 0 {
		t.Fatalf("Predict at batch 1 allocates %v times", a)
	}
	// Averages over 100 runs: a worker goroutine descheduled by a loaded
	// machine can briefly need one more work batch (see blas.ParallelFor).
	xb := randMat(s, 256, 23, 1)
	m.Forward(xb)
	dy := randMat(s, 256, 1, 1)
	m.Backward(dy)
	if a := testing.AllocsPerRun(100, func() { m.Forward(xb); m.Backward(dy) }); a != 0 {
		t.Fatalf("Forward+Backward allocates %v times", a)
	}
	e := NewEnsembleMLP("ens", 3, MLPConfig{Sizes: []int{64, 64, 2}, Hidden: tensor.SiLU, LayerNorm: true}, s)
	xe, dye := randMat(s, 3*64, 64, 1), randMat(s, 3*64, 2, 1)
	e.Forward(xe)
	e.Backward(dye)
	if a := testing.AllocsPerRun(100, func() { e.Forward(xe); e.Backward(dye); e.Predict(y, xe) }); a != 0 {
		t.Fatalf("ensemble Forward+Backward+Predict allocates %v times", a)
	}
}

func TestInitBounds(t *testing.T) {
	l := NewLinear("l", 100, 50, tensor.Identity, rng.New(3))
	bound := float32(0.1)
	var maxAbs float32
	for _, v := range l.W.W {
		maxAbs = max(maxAbs, float32(math.Abs(float64(v))))
	}
	if maxAbs > bound || maxAbs < 0.09 {
		t.Fatalf("max |w| = %v, want just under %v", maxAbs, bound)
	}
	// The same seed gives the same weights.
	l2 := NewLinear("l", 100, 50, tensor.Identity, rng.New(3))
	if l2.W.W[17] != l.W.W[17] {
		t.Fatal("init not reproducible")
	}
}

func TestMLPConfigValidate(t *testing.T) {
	for _, c := range []MLPConfig{{Sizes: []int{3}}, {Sizes: []int{3, 0}}, {Sizes: []int{3, 2}, Hidden: 99}} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if err := (MLPConfig{Sizes: []int{3, 2}}).Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestZeroGradLarge(t *testing.T) {
	ps := []*Param{NewParam("a", 600, 700), NewParam("b", 3), NewParam("c", 1000)}
	for _, p := range ps {
		for i := range p.G {
			p.G[i] = 1
		}
	}
	ZeroGrad(ps)
	for _, p := range ps {
		for i, g := range p.G {
			if g != 0 {
				t.Fatalf("%s.G[%d] = %v after ZeroGrad", p.Name, i, g)
			}
		}
	}
	if a := testing.AllocsPerRun(20, func() { ZeroGrad(ps) }); a != 0 {
		t.Fatalf("ZeroGrad allocates %v times", a)
	}
}
