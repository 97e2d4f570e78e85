package optim

import (
	"math"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/nn"
)

// refAdam is a float64 transcription of torch.optim.Adam/AdamW's update.
func refAdam(w, g []float64, steps int, lr, b1, b2, eps, wd float64, decoupled bool) []float64 {
	w = append([]float64(nil), w...)
	m := make([]float64, len(w))
	v := make([]float64, len(w))
	for t := 1; t <= steps; t++ {
		for i := range w {
			gi := g[i]
			if decoupled {
				w[i] *= 1 - lr*wd
			} else {
				gi += wd * w[i]
			}
			m[i] = b1*m[i] + (1-b1)*gi
			v[i] = b2*v[i] + (1-b2)*gi*gi
			mh := m[i] / (1 - math.Pow(b1, float64(t)))
			denom := math.Sqrt(v[i])/math.Sqrt(1-math.Pow(b2, float64(t))) + eps
			w[i] -= lr * mh / denom
		}
	}
	return w
}

func TestAdamHandComputedStep(t *testing.T) {
	// One step from m = v = 0: m̂ = g, v̂ = g², so w -= lr·g/(|g|+eps).
	p := nn.NewParam("p", 3)
	copy(p.W, []float32{1, -2, 0.5})
	copy(p.G, []float32{0.5, -4, 0})
	a := NewAdam([]*nn.Param{p}, AdamConfig{LR: 0.1})
	a.Step()
	want := []float32{0.9, -1.9, 0.5}
	for i := range want {
		if math.Abs(float64(p.W[i]-want[i])) > 1e-6 {
			t.Fatalf("w = %v, want %v", p.W, want)
		}
	}
}

func TestAdamMatchesReference(t *testing.T) {
	for _, tc := range []struct {
		name      string
		wd        float32
		decoupled bool
	}{{"adam", 0, false}, {"adam-l2", 0.1, false}, {"adamw", 0.1, true}} {
		t.Run(tc.name, func(t *testing.T) {
			// 37 values exercise the 16- and 8-wide vector paths and the tail.
			w0 := []float64{1, -2, 0.5, 3, -0.1, 0.01, 7}
			g := []float64{0.5, -4, 0, 1e-3, 2, -0.3, 1}
			for i := len(w0); i < 37; i++ {
				w0 = append(w0, math.Sin(float64(i)))
				g = append(g, math.Cos(float64(3*i))*float64(i%5))
			}
			p := nn.NewParam("p", len(w0))
			for i := range w0 {
				p.W[i] = float32(w0[i])
				p.G[i] = float32(g[i])
			}
			cfg := AdamConfig{LR: 0.01, Beta1: 0.8, Beta2: 0.95, Eps: 1e-6, WeightDecay: tc.wd}
			var a *Adam
			if tc.decoupled {
				a = NewAdamW([]*nn.Param{p}, cfg)
			} else {
				a = NewAdam([]*nn.Param{p}, cfg)
			}
			for range 10 {
				a.Step()
			}
			want := refAdam(w0, g, 10, 0.01, 0.8, 0.95, 1e-6, float64(tc.wd), tc.decoupled)
			for i := range want {
				if math.Abs(float64(p.W[i])-want[i]) > 1e-5*(1+math.Abs(want[i])) {
					t.Fatalf("w[%d] = %v, want %v", i, p.W[i], want[i])
				}
			}
		})
	}
}

func TestAdamStateRoundTrip(t *testing.T) {
	mk := func() (*nn.Param, *Adam) {
		p := nn.NewParam("net/w", 2, 2)
		copy(p.W, []float32{1, 2, 3, 4})
		copy(p.G, []float32{0.1, -0.2, 0.3, -0.4})
		return p, NewAdamW([]*nn.Param{p}, AdamConfig{WeightDecay: 0.01})
	}
	p1, a1 := mk()
	a1.Step()
	a1.Step()
	step, st := a1.State()
	p2, a2 := mk()
	copy(p2.W, p1.W)
	if err := a2.SetState(step, st); err != nil {
		t.Fatal(err)
	}
	a1.Step()
	a2.Step()
	for i := range p1.W {
		if p1.W[i] != p2.W[i] {
			t.Fatalf("resumed optimiser differs: %v vs %v", p1.W, p2.W)
		}
	}
	delete(st, "v/net/w")
	if err := a2.SetState(step, st); err == nil || !strings.Contains(err.Error(), "v/net/w") {
		t.Fatalf("err = %v", err)
	}
	st["v/net/w"] = nn.Tensor{Shape: []int{4}, Data: make([]float32, 4)}
	if err := a2.SetState(step, st); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Fatalf("err = %v", err)
	}
}

func TestAdamConfigValidate(t *testing.T) {
	for _, c := range []AdamConfig{{LR: -1}, {Beta1: 1}, {Beta2: -0.1}, {Eps: -1}, {WeightDecay: -1}} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

func TestSchedules(t *testing.T) {
	l := Linear{Start: 1, End: 0, Steps: 10}
	if l.At(0) != 1 || l.At(5) != 0.5 || l.At(20) != 0 {
		t.Fatalf("Linear: %v %v %v", l.At(0), l.At(5), l.At(20))
	}
	c := Cosine{Base: 1, Min: 0.1, Warmup: 10, Steps: 110}
	if c.At(0) != 0.1 || c.At(9) != 1 {
		t.Fatalf("Cosine warmup: %v %v", c.At(0), c.At(9))
	}
	if v := c.At(60); math.Abs(float64(v)-0.55) > 1e-6 {
		t.Fatalf("Cosine midpoint = %v", v)
	}
	if c.At(110) != 0.1 || c.At(10) != 1 {
		t.Fatalf("Cosine ends: %v %v", c.At(10), c.At(110))
	}
	if Constant(3).At(7) != 3 {
		t.Fatal("Constant")
	}
}

func TestEMA(t *testing.T) {
	p := nn.NewParam("w", 1)
	p.W[0] = 0
	e := NewEMA([]*nn.Param{p}, 0.9, false)
	p.W[0] = 1
	e.Update()
	if got := e.Params()[0].W[0]; math.Abs(float64(got)-0.1) > 1e-7 {
		t.Fatalf("EMA = %v, want 0.1", got)
	}
	if e.Params()[0].Name != "ema/w" {
		t.Fatal("name")
	}
	// With warm-up the first update uses decay min(0.9, 1/10) = 0.1.
	w := NewEMA([]*nn.Param{p}, 0.9, true)
	p.W[0] = 2
	w.Update()
	if got := w.Params()[0].W[0]; math.Abs(float64(got)-1.9) > 1e-6 {
		t.Fatalf("warm-up EMA = %v, want 1.9", got)
	}
	q := nn.NewParam("w", 1)
	w.CopyTo([]*nn.Param{q})
	if q.W[0] != w.Params()[0].W[0] {
		t.Fatal("CopyTo")
	}
}

// BenchmarkAdamStep times one fused update of the denoiser's 815k
// parameters (40→512→512→512→512→17).
func BenchmarkAdamStep(b *testing.B) {
	sizes := []int{40, 512, 512, 512, 512, 17}
	var ps []*nn.Param
	for i := 0; i+1 < len(sizes); i++ {
		ps = append(ps, nn.NewParam("w", sizes[i], sizes[i+1]), nn.NewParam("b", sizes[i+1]))
	}
	for _, p := range ps {
		for j := range p.G {
			p.G[j] = float32(j%7) - 3
		}
	}
	a := NewAdam(ps, AdamConfig{})
	for b.Loop() {
		a.Step()
	}
	b.ReportMetric(float64(nn.NumParams(ps))*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gparams/s")
}
