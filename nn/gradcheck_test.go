package nn

import (
	"fmt"
	"math"
	"testing"

	"github.com/dwm-rl/dwm/internal/blas"
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

// weighted returns Σ r⊙y in float64.
func weighted(y, r *tensor.Mat) float64 {
	var s float64
	for i := 0; i < y.Len(); i++ {
		s += float64(y.Data[i]) * float64(r.Data[i])
	}
	return s
}

// near reports whether an analytic gradient matches a numeric one.
func near(ana, num float64) bool {
	return math.Abs(ana-num) <= 2e-3+2e-2*math.Max(math.Abs(ana), math.Abs(num))
}

// checkGrad compares grad[i] with the central difference of loss() when
// vals[i] is perturbed, for up to maxN indices spread over vals.
func checkGrad(t *testing.T, what string, vals, grad []float32, loss func() float64, maxN int) {
	t.Helper()
	step := max(1, len(vals)/maxN)
	for i := 0; i < len(vals); i += step {
		old := vals[i]
		h := float32(1e-2) * max(1, float32(math.Abs(float64(old))))
		vals[i] = old + h
		lp := loss()
		vals[i] = old - h
		lm := loss()
		vals[i] = old
		num := (lp - lm) / float64(2*h)
		if !near(float64(grad[i]), num) {
			t.Errorf("%s[%d]: analytic %g, numeric %g", what, i, grad[i], num)
		}
	}
}

// checkLayer runs a finite-difference check of every parameter and of the
// input gradient of l at input x.
func checkLayer(t *testing.T, l Layer, x *tensor.Mat, s *rng.Stream) {
	t.Helper()
	y := l.Forward(x)
	r := randMat(s, y.Rows, y.Cols, 1)
	loss := func() float64 { return weighted(l.Forward(x), r) }
	ZeroGrad(l.Params())
	l.Forward(x)
	dx := l.Backward(r)
	if dx == nil {
		t.Fatal("Backward returned nil input gradient")
	}
	dxc := dx.Clone()
	grads := map[string][]float32{}
	for _, p := range l.Params() {
		grads[p.Name] = append([]float32(nil), p.G...)
	}
	for _, p := range l.Params() {
		checkGrad(t, p.Name, p.W, grads[p.Name], loss, 40)
	}
	checkGrad(t, "input", x.Data[:x.Len()], dxc.Data, loss, 40)
	// Predict must match Forward.
	pd := tensor.New(0, 0)
	l.Predict(pd, x)
	y = l.Forward(x)
	for i := 0; i < y.Len(); i++ {
		if math.Abs(float64(pd.Data[i]-y.Data[i])) > 1e-5*(1+math.Abs(float64(y.Data[i]))) {
			t.Fatalf("Predict[%d] = %v, Forward = %v", i, pd.Data[i], y.Data[i])
		}
	}
	// Backward accumulates: a second pass doubles the gradients.
	l.Forward(x)
	l.Backward(r)
	for _, p := range l.Params() {
		for i, g := range p.G {
			if want := 2 * grads[p.Name][i]; math.Abs(float64(g-want)) > 1e-4*(1+math.Abs(float64(want))) {
				t.Fatalf("%s[%d]: gradient after two backward passes %v, want %v", p.Name, i, g, want)
			}
		}
	}
}

func TestGradLinear(t *testing.T) {
	for _, act := range []tensor.Activation{tensor.Identity, tensor.SiLU, tensor.Mish, tensor.Tanh, tensor.Sigmoid, tensor.ReLU} {
		t.Run(act.String(), func(t *testing.T) {
			s := rng.New(1)
			l := NewLinear("l", 7, 5, act, s)
			x := randMat(s, 4, 7, 1)
			if act == tensor.ReLU {
				// Keep pre-activations away from the kink: the bias moves any
				// |z| < 0.05 by 0.2 (h = 0.01 in checkGrad).
				z := tensor.New(0, 0)
				tensor.MatMul(z, x, &l.w, false, false)
				for i := 0; i < z.Len(); i++ {
					if v := z.Data[i] + l.B.W[i%5]; math.Abs(float64(v)) < 0.05 {
						x.Data[i/5*7] += 0.5
					}
				}
			}
			checkLayer(t, l, x, s)
		})
	}
}

func TestGradLayerNorm(t *testing.T) {
	for _, k := range []int{1, 3} {
		for _, act := range []tensor.Activation{tensor.Identity, tensor.SiLU, tensor.Tanh} {
			t.Run(fmt.Sprintf("k%d/%v", k, act), func(t *testing.T) {
				s := rng.New(2)
				l := NewEnsembleLayerNorm("ln", k, 6, act)
				s.FillNormal(l.G.W)
				s.FillNormal(l.B.W)
				x := randMat(s, 2*k, 6, 2)
				checkLayer(t, l, x, s)
			})
		}
	}
}

func TestGradMLP(t *testing.T) {
	for _, ln := range []bool{false, true} {
		t.Run(fmt.Sprintf("layernorm=%v", ln), func(t *testing.T) {
			s := rng.New(3)
			m := NewMLP("m", MLPConfig{Sizes: []int{5, 8, 8, 3}, Hidden: tensor.SiLU, Output: tensor.Tanh, LayerNorm: ln}, s)
			checkLayer(t, m, randMat(s, 6, 5, 1), s)
		})
	}
}

func TestGradEnsemble(t *testing.T) {
	s := rng.New(4)
	l := NewEnsembleLinear("e", 3, 4, 5, tensor.Mish, s)
	checkLayer(t, l, randMat(s, 3*2, 4, 1), s)
	m := NewEnsembleMLP("em", 3, MLPConfig{Sizes: []int{4, 6, 2}, Hidden: tensor.SiLU, LayerNorm: true}, s)
	checkLayer(t, m, randMat(s, 3*2, 4, 1), s)
}

func TestGradLosses(t *testing.T) {
	s := rng.New(5)
	pred, target := randMat(s, 4, 3, 1), randMat(s, 4, 3, 1)
	g := tensor.New(0, 0)
	MSE(g, pred, target)
	checkGrad(t, "MSE", pred.Data, g.Clone().Data, func() float64 { return float64(MSE(nil, pred, target)) }, 20)
	for _, delta := range []float32{0.5, 1, 5} {
		Huber(g, pred, target, delta)
		checkGrad(t, "Huber", pred.Data, g.Clone().Data, func() float64 { return float64(Huber(nil, pred, target, delta)) }, 20)
	}
	mean, logStd := randMat(s, 4, 3, 1), randMat(s, 4, 3, 0.5)
	gm, gs := tensor.New(0, 0), tensor.New(0, 0)
	GaussianNLL(gm, gs, mean, logStd, target)
	f := func() float64 { return float64(GaussianNLL(nil, nil, mean, logStd, target)) }
	checkGrad(t, "GaussianNLL/mean", mean.Data, gm.Clone().Data, f, 20)
	checkGrad(t, "GaussianNLL/logStd", logStd.Data, gs.Clone().Data, f, 20)
}

func TestLossValues(t *testing.T) {
	p := tensor.FromRows([][]float32{{1, 2}, {3, 4}})
	q := tensor.FromRows([][]float32{{1, 0}, {0, 4}})
	if v := MSE(nil, p, q); v != 13.0/4 {
		t.Fatalf("MSE = %v, want 3.25", v)
	}
	// d = 0, 2, 3, 0 with delta 1: 0 + 1.5 + 2.5 + 0 over 4.
	if v := Huber(nil, p, q, 1); v != 1 {
		t.Fatalf("Huber = %v, want 1", v)
	}
	// N(0,1) at 0, one column: NLL = ½log2π.
	z := tensor.New(1, 1)
	if v := GaussianNLL(nil, nil, z, z, z); math.Abs(float64(v)-halfLog2Pi) > 1e-6 {
		t.Fatalf("GaussianNLL = %v", v)
	}
}

func TestGradDiagGaussian(t *testing.T) {
	s := rng.New(6)
	mean, logStd, x := randMat(s, 3, 4, 1), randMat(s, 3, 4, 0.5), randMat(s, 3, 4, 1)
	r := randMat(s, 3, 1, 1)
	lp := tensor.New(0, 0)
	loss := func() float64 { DiagGaussianLogProb(lp, mean, logStd, x); return weighted(lp, r) }
	dm, ds, dx := tensor.New(0, 0), tensor.New(0, 0), tensor.New(0, 0)
	DiagGaussianLogProbBackward(dm, ds, dx, r, mean, logStd, x)
	checkGrad(t, "mean", mean.Data, dm.Data, loss, 20)
	checkGrad(t, "logStd", logStd.Data, ds.Data, loss, 20)
	checkGrad(t, "x", x.Data, dx.Data, loss, 20)
	// Standard normal at 0 in 4 dims: -2·log2π.
	z := tensor.New(1, 4)
	DiagGaussianLogProb(lp, z, z, z)
	if math.Abs(float64(lp.Data[0])+4*halfLog2Pi) > 1e-5 {
		t.Fatalf("logp = %v", lp.Data[0])
	}
}

func TestTanhGaussian(t *testing.T) {
	s := rng.New(7)
	mean, logStd, noise := randMat(s, 3, 2, 1), randMat(s, 3, 2, 0.5), randMat(s, 3, 2, 1)
	ra, rl := randMat(s, 3, 2, 1), randMat(s, 3, 1, 1)
	var d TanhGaussian
	act, lp := tensor.New(0, 0), tensor.New(0, 0)
	loss := func() float64 {
		d.Sample(act, lp, mean, logStd, noise)
		return weighted(act, ra) + weighted(lp, rl)
	}
	loss()
	dm, ds := tensor.New(0, 0), tensor.New(0, 0)
	d.Backward(dm, ds, ra, rl)
	dmc, dsc := dm.Clone(), ds.Clone()
	checkGrad(t, "mean", mean.Data, dmc.Data, loss, 20)
	checkGrad(t, "logStd", logStd.Data, dsc.Data, loss, 20)

	// log-prob against the direct formula: Gaussian log-density of u minus
	// log(1 - tanh²u), in float64.
	d.Sample(act, lp, mean, logStd, noise)
	for i := 0; i < 3; i++ {
		var want float64
		for j := 0; j < 2; j++ {
			k := i*2 + j
			std := math.Exp(float64(logStd.Data[k]))
			u := float64(mean.Data[k]) + std*float64(noise.Data[k])
			z := (u - float64(mean.Data[k])) / std
			want += -0.5*z*z - math.Log(std) - 0.5*math.Log(2*math.Pi) - math.Log(1-math.Tanh(u)*math.Tanh(u))
			if math.Abs(float64(act.Data[k])-math.Tanh(u)) > 1e-6 {
				t.Fatalf("action %v, want %v", act.Data[k], math.Tanh(u))
			}
		}
		if math.Abs(float64(lp.Data[i])-want) > 1e-4 {
			t.Fatalf("logp[%d] = %v, want %v", i, lp.Data[i], want)
		}
	}
	// Stable at large |u| where 1 - tanh²u underflows in float32.
	big := tensor.FromRows([][]float32{{20}})
	zero := tensor.New(1, 1)
	d.Sample(act, lp, big, zero, zero)
	if want := -halfLog2Pi - 2*(math.Ln2-20-softplus(-40)); math.IsInf(float64(lp.Data[0]), 0) || math.Abs(float64(lp.Data[0])-want) > 1e-3 {
		t.Fatalf("logp at u=20 = %v, want %v", lp.Data[0], want)
	}
	mode := tensor.New(0, 0)
	TanhMode(mode, tensor.FromRows([][]float32{{0, 100}}))
	if mode.Data[0] != 0 || mode.Data[1] != 1 {
		t.Fatalf("TanhMode = %v", mode.Data)
	}
}

func TestEnsembleEqualsSeparateLinears(t *testing.T) {
	const K, B, in, out = 4, 5, 6, 3
	s := rng.New(8)
	e := NewEnsembleLinear("e", K, in, out, tensor.SiLU, s)
	lins := make([]*Linear, K)
	for k := range lins {
		lins[k] = NewLinear(fmt.Sprintf("l%d", k), in, out, tensor.SiLU, s)
		copy(lins[k].W.W, e.W.W[k*in*out:(k+1)*in*out])
		copy(lins[k].B.W, e.B.W[k*out:(k+1)*out])
	}
	x := randMat(s, K*B, in, 1)
	dy := randMat(s, K*B, out, 1)
	y := e.Forward(x).Clone()
	ZeroGrad(e.Params())
	dx := e.Backward(dy).Clone()
	for k, l := range lins {
		xk, dyk := x.RowView(k*B, (k+1)*B), dy.RowView(k*B, (k+1)*B)
		yk := l.Forward(xk)
		dxk := l.Backward(dyk)
		for i := 0; i < B*out; i++ {
			if math.Abs(float64(yk.Data[i]-y.Data[k*B*out+i])) > 1e-5 {
				t.Fatalf("member %d output differs", k)
			}
		}
		for i := 0; i < B*in; i++ {
			if math.Abs(float64(dxk.Data[i]-dx.Data[k*B*in+i])) > 1e-5 {
				t.Fatalf("member %d input gradient differs", k)
			}
		}
		for i, g := range l.W.G {
			if math.Abs(float64(g-e.W.G[k*in*out+i])) > 1e-5 {
				t.Fatalf("member %d weight gradient differs", k)
			}
		}
		for i, g := range l.B.G {
			if math.Abs(float64(g-e.B.G[k*out+i])) > 1e-5 {
				t.Fatalf("member %d bias gradient differs", k)
			}
		}
	}
}

func TestEnsembleParallelMatchesSerial(t *testing.T) {
	const K, B, in, out = 5, 64, 64, 64
	run := func(threads int, noInputGrad bool) (y, dx *tensor.Mat, g [][]float32) {
		old := blas.Threads()
		blas.SetThreads(threads)
		defer blas.SetThreads(old)
		s := rng.New(9)
		m := NewEnsembleMLP("e", K, MLPConfig{Sizes: []int{in, out, out}, Hidden: tensor.SiLU}, s)
		m.NoInputGrad = noInputGrad
		x := randMat(s, K*B, in, 1)
		dy := randMat(s, K*B, out, 1)
		y = m.Forward(x).Clone()
		if d := m.Backward(dy); d != nil {
			dx = d.Clone()
		}
		for _, p := range m.Params() {
			g = append(g, append([]float32(nil), p.G...))
		}
		return y, dx, g
	}
	close := func(a, b []float32) bool {
		for i := range a {
			if math.Abs(float64(a[i]-b[i])) > 1e-5*(1+math.Abs(float64(a[i]))) {
				return false
			}
		}
		return true
	}
	y1, dx1, g1 := run(1, false)
	for _, tc := range []struct {
		threads int
		noDX    bool
	}{{2, false}, {2, true}, {1, true}, {3, false}} {
		y2, dx2, g2 := run(tc.threads, tc.noDX)
		if !close(y1.Data, y2.Data) {
			t.Fatalf("%+v: outputs differ", tc)
		}
		if tc.noDX != (dx2 == nil) || (!tc.noDX && !close(dx1.Data, dx2.Data)) {
			t.Fatalf("%+v: input gradients differ", tc)
		}
		for i := range g1 {
			if !close(g1[i], g2[i]) {
				t.Fatalf("%+v: gradient of parameter %d differs", tc, i)
			}
		}
	}
}

func TestLinearParallelBackwardMatchesSerial(t *testing.T) {
	run := func(threads int) (dx *tensor.Mat, gw []float32) {
		old := blas.Threads()
		blas.SetThreads(threads)
		defer blas.SetThreads(old)
		s := rng.New(10)
		l := NewLinear("l", 96, 80, tensor.SiLU, s)
		x, dy := randMat(s, 70, 96, 1), randMat(s, 70, 80, 1)
		l.Forward(x)
		return l.Backward(dy).Clone(), append([]float32(nil), l.W.G...)
	}
	dx1, g1 := run(1)
	dx2, g2 := run(2)
	for i := range dx1.Data {
		if math.Abs(float64(dx1.Data[i]-dx2.Data[i])) > 1e-5 {
			t.Fatalf("dx[%d] differs: %v vs %v", i, dx1.Data[i], dx2.Data[i])
		}
	}
	for i := range g1 {
		if math.Abs(float64(g1[i]-g2[i])) > 1e-5 {
			t.Fatalf("W.G[%d] differs: %v vs %v", i, g1[i], g2[i])
		}
	}
}

func TestGradSequentialWithAct(t *testing.T) {
	s := rng.New(21)
	m := NewSequential(NewConv1d("c", 2, 3, 3, 1, 1, tensor.Identity, s), NewGroupNorm("g", 1, 3, tensor.Identity), NewAct(tensor.Mish), NewLinear("l", 3*6, 2, tensor.Tanh, s))
	checkLayer(t, m, randMat(s, 3, 2*6, 1), s)
}
