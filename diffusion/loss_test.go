package diffusion

import (
	"math"
	"testing"

	"github.com/dwm-rl/dwm/diffusion/denoiser"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// TestLossGradient replays Loss's random draws (same stream state) to check
// its parameter and condition gradients against central differences of the
// returned loss, with two members, condition dropout, known elements and
// loss weights, in every parameterisation. Each member's gradient is that
// of its own loss, so the gradients are K times those of the returned mean.
func TestLossGradient(t *testing.T) {
	for _, pred := range []Prediction{Eps, X0, V} {
		t.Run(string(pred), func(t *testing.T) {
			const K, n, D, C = 2, 3, 3, 2
			net, err := denoiser.NewResMLP("g", K, D, C, denoiser.MLPConfig{Width: 8, Blocks: 1, TimeDim: 8}, rng.New(1))
			if err != nil {
				t.Fatal(err)
			}
			m, err := New(net, Config{Schedule: ScheduleConfig{Steps: 10}, Prediction: pred, CondDrop: 0.3,
				Known: []int{1}, Weights: []float32{2, 1, 0.5}})
			if err != nil {
				t.Fatal(err)
			}
			s := rng.New(2)
			x0, cond := tensor.New(K*n, D), tensor.New(K*n, C)
			s.FillNormal(x0.Data)
			s.FillNormal(cond.Data)
			st := rng.New(3)
			state, _ := st.State()
			loss := func() float64 {
				st.SetState(state)
				l, _, err := m.Loss(x0, cond, st)
				if err != nil {
					t.Fatal(err)
				}
				return float64(l)
			}
			ps := net.Params()
			nn.ZeroGrad(ps)
			_, dc, _ := func() (float32, *tensor.Mat, error) { st.SetState(state); return m.Loss(x0, cond, st) }()
			dcc := dc.Clone()
			grads := make([][]float32, len(ps))
			for i, p := range ps {
				grads[i] = append([]float32(nil), p.G...)
			}
			check := func(what string, vals, grad []float32) {
				for i := 0; i < len(vals); i += max(1, len(vals)/15) {
					old := vals[i]
					h := float32(1e-2)
					vals[i] = old + h
					lp := loss()
					vals[i] = old - h
					lm := loss()
					vals[i] = old
					num := K * (lp - lm) / float64(2*h)
					if ana := float64(grad[i]); math.Abs(ana-num) > 2e-3+2e-2*math.Max(math.Abs(ana), math.Abs(num)) {
						t.Errorf("%s[%d]: analytic %g, numeric %g", what, i, ana, num)
					}
				}
			}
			for i, p := range ps {
				check(p.Name, p.W, grads[i])
			}
			check("cond", cond.Data, dcc.Data)
		})
	}
}

// TestNoAllocations: after the first call, a training loss and a guided,
// inpainted batched sampling call of a K = 3 ensemble allocate nothing.
func TestNoAllocations(t *testing.T) {
	const K, D, C = 3, 4, 2
	net, err := denoiser.NewResMLP("a", K, D, C, denoiser.MLPConfig{Width: 16, Blocks: 1, TimeDim: 8}, rng.New(1))
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(net, Config{Schedule: ScheduleConfig{Steps: 20}, CondDrop: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	s := rng.New(2)
	x0, cond := tensor.New(K*8, D), tensor.New(K*8, C)
	s.FillNormal(x0.Data)
	s.FillNormal(cond.Data)
	if _, _, err := m.Loss(x0, cond, s); err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(5, func() { m.Loss(x0, cond, s) }); a > 0 {
		t.Errorf("Loss allocates %v times per call", a)
	}
	sp, err := m.NewSampler(SamplerConfig{Steps: 5, Guidance: 1.5, Eta: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	c := tensor.New(4, C)
	s.FillNormal(c.Data)
	req := Request{Cond: c, M: 3, Inpaint: &Inpaint{Index: []int{2}, Values: tensor.New(4, 1)}}
	x := tensor.New(0, 0)
	if err := sp.Sample(x, req, s); err != nil {
		t.Fatal(err)
	}
	if x.Rows != K*3*4 {
		t.Fatalf("%d sample rows, want %d", x.Rows, K*3*4)
	}
	if a := testing.AllocsPerRun(5, func() { sp.Sample(x, req, s) }); a > 0 {
		t.Errorf("Sample allocates %v times per call", a)
	}
}

// TestUnconditionalGuidanceRejected: guidance needs a conditional denoiser.
func TestUnconditionalGuidanceRejected(t *testing.T) {
	net, _ := denoiser.NewResMLP("u", 1, 2, 0, denoiser.MLPConfig{Width: 8, Blocks: 1, TimeDim: 8}, rng.New(1))
	m, err := New(net, Config{Schedule: ScheduleConfig{Steps: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.NewSampler(SamplerConfig{Guidance: 1}); err == nil {
		t.Fatal("guidance on an unconditional model accepted")
	}
	if err := (Config{CondDrop: 0.1}).Validate(net); err == nil {
		t.Fatal("condition dropout on an unconditional model accepted")
	}
	if _, _, err := m.Loss(tensor.New(2, 2), tensor.New(2, 1), rng.New(1)); err == nil {
		t.Fatal("a condition given to an unconditional model accepted")
	}
}

// TestLossGradRows checks the weighted loss of distillation by hand: two
// members of one row each, element weights (1, 0) (a known element) and
// row weights (2, 3).
func TestLossGradRows(t *testing.T) {
	net, _ := denoiser.NewResMLP("w", 2, 2, 0, denoiser.MLPConfig{Width: 4, Blocks: 1, TimeDim: 4}, rng.New(1))
	m, err := New(net, Config{Schedule: ScheduleConfig{Steps: 4}, Known: []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	out := tensor.FromRows([][]float32{{1, 5}, {2, 7}})
	tgt := tensor.FromRows([][]float32{{0, 0}, {4, 0}})
	// Member 0: 2·1² over 2 elements = 1; member 1: 3·2² / 2 = 6; mean 3.5.
	if l := m.lossGradRows(out, tgt, []float32{2, 3}); math.Abs(float64(l)-3.5) > 1e-6 {
		t.Fatalf("loss %v, want 3.5", l)
	}
	// d/dout: member 0: 2·2·1/2 = 2; member 1: 3·2·(−2)/2 = −6; known: 0.
	want := []float32{2, 0, -6, 0}
	for i, w := range want {
		if m.grad.Data[i] != w {
			t.Fatalf("gradient %v, want %v", m.grad.Data[:4], want)
		}
	}
}
