package diffusion

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// Bimodal target of the statistical tests: y | c = ±c + noise·bimodalStd,
// + with probability bimodalPPos.
const (
	bimodalPPos = 0.3
	bimodalStd  = 0.05
	// modeWindow is the half-width of the window around ±c that counts as
	// "in a mode": 5 noise standard deviations, so the true in-mode mass is
	// 1 − 6e-7.
	modeWindow = 5 * bimodalStd
)

// modeStats counts the samples ys for condition c near +c, near −c and
// elsewhere, and returns the fraction in either mode and the p-value of a
// chi-square goodness-of-fit test (1 degree of freedom) of the two mode
// counts against the weights bimodalPPos : 1 − bimodalPPos.
func modeStats(ys []float32, c float64) (inMode, pValue float64, pos, neg int) {
	for _, y := range ys {
		switch {
		case math.Abs(float64(y)-c) < modeWindow:
			pos++
		case math.Abs(float64(y)+c) < modeWindow:
			neg++
		}
	}
	n := float64(pos + neg)
	inMode = n / float64(len(ys))
	if n == 0 {
		return 0, 0, pos, neg
	}
	ep, en := n*bimodalPPos, n*(1-bimodalPPos)
	chi2 := (float64(pos)-ep)*(float64(pos)-ep)/ep + (float64(neg)-en)*(float64(neg)-en)/en
	return inMode, math.Erfc(math.Sqrt(chi2 / 2)), pos, neg
}

// bimodalVerdict applies the test of issue 7 to samples for condition c:
// both modes present with ≥ 95% of the mass (the true mass is 1 − 6e-7) and
// their weights consistent with 0.3/0.7 (chi-square p ≥ 0.01).
func bimodalVerdict(ys []float32, c float64) (ok bool, msg string) {
	in, p, pos, neg := modeStats(ys, c)
	ok = in >= 0.95 && p >= 0.01
	return ok, fmt.Sprintf("c=%.2f: in-mode %.4f, +mode %d, −mode %d (weight of + %.3f), chi-square p %.3g",
		c, in, pos, neg, float64(pos)/float64(max(pos+neg, 1)), p)
}

func newOracleModel(t *testing.T, kind ScheduleKind, steps int, pred Prediction, d int) *Model {
	t.Helper()
	sc, err := NewSchedule(ScheduleConfig{Kind: kind, Steps: steps})
	if err != nil {
		t.Fatal(err)
	}
	o := &oracle{sc: sc, pred: pred, d: d, pPos: bimodalPPos, std: bimodalStd}
	m, err := New(o, Config{Schedule: ScheduleConfig{Kind: kind, Steps: steps}, Prediction: pred})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var testConds = []float64{0.6, 1.0, 1.4}

func condMat(cs []float64) *tensor.Mat {
	m := tensor.New(len(cs), 1)
	for i, c := range cs {
		m.Data[i] = float32(c)
	}
	return m
}

// column returns the samples of condition b (layout [K, M, B, D], element
// 0) of member k.
func column(x *tensor.Mat, k, mm, b, nb int) []float32 {
	out := make([]float32, mm)
	for m := 0; m < mm; m++ {
		out[m] = x.At((k*mm+m)*nb+b, 0)
	}
	return out
}

func sample(t *testing.T, m *Model, cfg SamplerConfig, req Request, seed uint64) *tensor.Mat {
	t.Helper()
	s, err := m.NewSampler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(0, 0)
	if err := s.Sample(x, req, rng.New(seed)); err != nil {
		t.Fatal(err)
	}
	return x
}

// TestOracleSamplersRecoverTarget checks the sampler mathematics with the
// exact denoiser: deterministic DDIM on all 100 steps in every schedule and
// parameterisation, and DDPM's ancestral sampler on 1000 steps, reproduce
// both modes and their weights. (DDPM on only 100 steps is measurably
// biased on this narrow-mode target — weight of + 0.283 at c = 0.6 with
// 20000 samples in every schedule — a discretisation error of its Gaussian
// reverse kernel that vanishes at T = 1000: 0.297–0.300.)
func TestOracleSamplersRecoverTarget(t *testing.T) {
	t.Parallel()
	const mm = 2000
	type tc struct {
		kind  ScheduleKind
		pred  Prediction
		steps int
		cfg   SamplerConfig
	}
	var cases []tc
	for _, kind := range []ScheduleKind{Linear, Cosine, VP} {
		for _, pred := range []Prediction{Eps, X0, V} {
			cases = append(cases, tc{kind, pred, 100, SamplerConfig{Method: DDIM}})
		}
	}
	cases = append(cases, tc{Cosine, Eps, 1000, SamplerConfig{Method: DDPM}}, tc{Linear, V, 1000, SamplerConfig{Method: DDPM, LargeVariance: true}})
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%s/%s-T%d", c.kind, c.pred, c.cfg.Method, c.steps), func(t *testing.T) {
			m := newOracleModel(t, c.kind, c.steps, c.pred, 1)
			n := mm
			if c.cfg.LargeVariance {
				n = 500 // the slowest case: fewer samples
			}
			x := sample(t, m, c.cfg, Request{Cond: condMat(testConds), M: n}, 1)
			for b, cv := range testConds {
				if ok, msg := bimodalVerdict(column(x, 0, n, b, len(testConds)), cv); !ok {
					t.Error(msg)
				}
			}
		})
	}
}

// TestDDIMEta1EqualsDDPM: DDIM with η = 1 on all steps is DDPM's ancestral
// sampler with the posterior variance (Song et al. 2021, Sec. 4.1); with the
// same random stream the two produce the same samples up to rounding.
func TestDDIMEta1EqualsDDPM(t *testing.T) {
	m := newOracleModel(t, Cosine, 50, V, 2)
	req := Request{Cond: condMat(testConds), M: 50}
	a := sample(t, m, SamplerConfig{Method: DDPM}, req, 7)
	b := sample(t, m, SamplerConfig{Method: DDIM, Eta: 1}, req, 7)
	// Measured max difference 2e-6; float32 rounding over 50 steps.
	for i := range a.Data[:a.Len()] {
		if d := math.Abs(float64(a.Data[i] - b.Data[i])); d > 1e-4 {
			t.Fatalf("sample %d: DDPM %v, DDIM(η=1) %v", i, a.Data[i], b.Data[i])
		}
	}
	// A subset of steps: DDPM respaced equals DDIM η=1 on the same subset.
	a = sample(t, m, SamplerConfig{Method: DDPM, Timesteps: []int{3, 9, 20, 33, 50}}, req, 8)
	b = sample(t, m, SamplerConfig{Method: DDIM, Eta: 1, Timesteps: []int{3, 9, 20, 33, 50}}, req, 8)
	for i := range a.Data[:a.Len()] {
		if d := math.Abs(float64(a.Data[i] - b.Data[i])); d > 1e-4 {
			t.Fatalf("subset sample %d: DDPM %v, DDIM(η=1) %v", i, a.Data[i], b.Data[i])
		}
	}
}

// TestParameterisationsAgree: deterministic DDIM from the same noise gives
// the same samples whichever parameterisation the (exact) network uses.
func TestParameterisationsAgree(t *testing.T) {
	req := Request{Cond: condMat(testConds), M: 20}
	var ref *tensor.Mat
	for _, pred := range []Prediction{Eps, X0, V} {
		m := newOracleModel(t, Linear, 100, pred, 2)
		x := sample(t, m, SamplerConfig{Steps: 20}, req, 3)
		if ref == nil {
			ref = x
			continue
		}
		// Measured max difference 3e-6.
		for i := range x.Data[:x.Len()] {
			if d := math.Abs(float64(x.Data[i] - ref.Data[i])); d > 1e-4 {
				t.Fatalf("%s: sample %d = %v, eps gives %v", pred, i, x.Data[i], ref.Data[i])
			}
		}
	}
}

func TestConversions(t *testing.T) {
	s := rng.New(4)
	x0, eps := make([]float32, 8), make([]float32, 8)
	s.FillNormal(x0)
	s.FillNormal(eps)
	a, sg := float32(0.6), float32(0.8)
	xt := make([]float32, 8)
	for i := range xt {
		xt[i] = a*x0[i] + sg*eps[i]
	}
	outs := map[Prediction][]float32{}
	for _, p := range []Prediction{Eps, X0, V} {
		o := make([]float32, 8)
		p.Target(o, x0, eps, a, sg)
		outs[p] = o
		gx, ge := make([]float32, 8), make([]float32, 8)
		p.Split(gx, ge, o, xt, a, sg)
		for i := range gx {
			if math.Abs(float64(gx[i]-x0[i])) > 1e-5 || math.Abs(float64(ge[i]-eps[i])) > 1e-5 {
				t.Fatalf("%s: Split gives x0 %v ε %v, want %v %v", p, gx[i], ge[i], x0[i], eps[i])
			}
		}
	}
	for _, p := range []Prediction{Eps, X0, V} {
		for _, q := range []Prediction{Eps, X0, V} {
			got := make([]float32, 8)
			Convert(got, q, p, outs[p], xt, a, sg)
			for i := range got {
				if math.Abs(float64(got[i]-outs[q][i])) > 1e-5 {
					t.Fatalf("Convert %s→%s [%d] = %v, want %v", p, q, i, got[i], outs[q][i])
				}
			}
		}
	}
	// v = α ε − σ x0 at a hand-computed point.
	o := make([]float32, 1)
	V.Target(o, []float32{2}, []float32{1}, 0.6, 0.8)
	if math.Abs(float64(o[0])-(0.6-1.6)) > 1e-6 {
		t.Fatalf("v = %v, want -1", o[0])
	}
}

// TestGuidanceCombination: with guidance w the sampler uses
// (1+w)·f(x, c) − w·f(x, ∅). The oracle's unconditional input is c = 1, so
// with c = 1 guidance changes nothing, and for c ≠ 1 a one-step x0 sampler
// returns exactly the combination.
func TestGuidanceCombination(t *testing.T) {
	m := newOracleModel(t, Cosine, 10, X0, 1)
	req := Request{Cond: condMat([]float64{1}), M: 100}
	a := sample(t, m, SamplerConfig{Steps: 10}, req, 5)
	b := sample(t, m, SamplerConfig{Steps: 10, Guidance: 2}, req, 5)
	for i := range a.Data[:a.Len()] {
		if math.Abs(float64(a.Data[i]-b.Data[i])) > 1e-5 {
			t.Fatalf("guidance with c = ∅ changed sample %d: %v vs %v", i, a.Data[i], b.Data[i])
		}
	}
	// One step from T: x = x̂0 exactly. Compare with the combination of the
	// two one-step samples from the same noise.
	one := SamplerConfig{Timesteps: []int{10}}
	cond := condMat([]float64{0.5})
	xc := sample(t, m, one, Request{Cond: cond, M: 50}, 6)
	xu := sample(t, m, one, Request{Cond: condMat([]float64{1}), M: 50}, 6)
	one.Guidance = 1.5
	xg := sample(t, m, one, Request{Cond: cond, M: 50}, 6)
	for i := range xg.Data[:xg.Len()] {
		want := 2.5*xc.Data[i] - 1.5*xu.Data[i]
		if math.Abs(float64(xg.Data[i]-want)) > 1e-5 {
			t.Fatalf("guided sample %d = %v, want %v", i, xg.Data[i], want)
		}
	}
}

func TestInpaint(t *testing.T) {
	m := newOracleModel(t, Cosine, 20, V, 3)
	vals := tensor.FromRows([][]float32{{0.25}, {-0.5}})
	p := &Inpaint{Index: []int{1}, Values: vals}
	for _, sc := range []SamplerConfig{{Steps: 5}, {Method: DDPM}} {
		x := sample(t, m, sc, Request{Cond: condMat([]float64{1, 1}), M: 4, Inpaint: p}, 9)
		for r := 0; r < x.Rows; r++ {
			if got, want := x.At(r, 1), vals.At(r%2, 0); got != want {
				t.Fatalf("%s: row %d element 1 = %v, want %v", sc.Method, r, got, want)
			}
		}
	}
	// The known element pulls the rest of the row to its mode: a known
	// value of −1 makes the oracle's posterior pick the − component
	// (without it 30% of rows would be near +1). Replacement inpainting is
	// approximate (the other elements may commit to a mode before the known
	// one dominates the posterior): measured 186 of 200 rows near −1. The oracle also reads the clean known
	// value as if it were noisy; a network trained with Config.Known does not.
	x := sample(t, m, SamplerConfig{Steps: 20}, Request{Cond: condMat([]float64{1}), M: 200,
		Inpaint: &Inpaint{Index: []int{0}, Values: tensor.FromRows([][]float32{{-1}})}}, 10)
	near := 0
	for r := 0; r < x.Rows; r++ {
		if v := x.At(r, 2); math.Abs(float64(v)+1) < modeWindow {
			near++
		}
	}
	if near < 180 {
		t.Fatalf("%d of 200 rows have element 2 near −1 given element 0 = −1, want ≥ 180", near)
	}
}

func TestSampleLayoutAndNoAllocs(t *testing.T) {
	m := newOracleModel(t, Cosine, 100, V, 1)
	s, err := m.NewSampler(SamplerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(0, 0)
	cond := condMat([]float64{0.5, 1.5})
	st := rng.New(1)
	if err := s.Sample(x, Request{Cond: cond, M: 300}, st); err != nil {
		t.Fatal(err)
	}
	if x.Rows != 600 || x.Cols != 1 {
		t.Fatalf("shape %s, want 600×1", x.Shape())
	}
	// Row (m·B + b) belongs to condition b: |y| ≈ c.
	for r := 0; r < x.Rows; r++ {
		c := []float64{0.5, 1.5}[r%2]
		if y := math.Abs(float64(x.At(r, 0))); math.Abs(y-c) > modeWindow {
			t.Fatalf("row %d: |y| = %v for condition %v", r, y, c)
		}
	}
}

func TestScheduleValues(t *testing.T) {
	lin, _ := NewSchedule(ScheduleConfig{Kind: Linear})
	if lin.T != 1000 || math.Abs(lin.Beta[1]-1e-4) > 1e-12 || math.Abs(lin.Beta[1000]-0.02) > 1e-12 {
		t.Fatalf("linear: T %d, β_1 %v, β_T %v", lin.T, lin.Beta[1], lin.Beta[1000])
	}
	lin50, _ := NewSchedule(ScheduleConfig{Kind: Linear, Steps: 50})
	if math.Abs(lin50.Beta[1]-2e-3) > 1e-12 || math.Abs(lin50.Beta[50]-0.4) > 1e-12 {
		t.Fatalf("linear T=50 scaled by 20: β_1 %v, β_T %v", lin50.Beta[1], lin50.Beta[50])
	}
	cos, _ := NewSchedule(ScheduleConfig{Kind: Cosine, Steps: 100})
	f := func(t float64) float64 { c := math.Cos((t/100 + 0.008) / 1.008 * math.Pi / 2); return c * c }
	for _, t0 := range []int{1, 10, 50, 90} {
		if want := f(float64(t0)) / f(0); math.Abs(cos.AlphaBar[t0]-want) > 1e-12 {
			t.Fatalf("cosine ᾱ_%d = %v, want %v", t0, cos.AlphaBar[t0], want)
		}
	}
	if math.Abs(cos.Beta[100]-0.999) > 1e-12 {
		t.Fatalf("cosine β_T = %v, want the clip 0.999", cos.Beta[100])
	}
	vp, _ := NewSchedule(ScheduleConfig{Kind: VP, Steps: 100})
	for _, t0 := range []int{1, 37, 100} {
		tau := float64(t0) / 100
		if want := math.Exp(-0.1*tau - 0.5*19.9*tau*tau); math.Abs(vp.AlphaBar[t0]-want) > 1e-12 {
			t.Fatalf("vp ᾱ_%d = %v, want %v", t0, vp.AlphaBar[t0], want)
		}
	}
	for _, s := range []*Schedule{lin, lin50, cos, vp} {
		if s.AlphaBar[0] != 1 || s.Sigma[0] != 0 {
			t.Fatalf("%s: ᾱ_0 = %v", s.cfg.Kind, s.AlphaBar[0])
		}
		for t0 := 1; t0 <= s.T; t0++ {
			if !(s.AlphaBar[t0] < s.AlphaBar[t0-1]) || s.AlphaBar[t0] <= 0 {
				t.Fatalf("%s: ᾱ not decreasing and positive at %d", s.cfg.Kind, t0)
			}
			if d := s.Alpha[t0]*s.Alpha[t0] + s.Sigma[t0]*s.Sigma[t0] - 1; math.Abs(d) > 1e-12 {
				t.Fatalf("%s: α²+σ² − 1 = %v", s.cfg.Kind, d)
			}
		}
	}
}

// TestForwardProcessMoments: Q's draws have mean α_t x_0 and variance σ_t².
func TestForwardProcessMoments(t *testing.T) {
	sc, _ := NewSchedule(ScheduleConfig{Steps: 100})
	s := rng.New(11)
	const n = 200000
	x0, eps, xt := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range x0 {
		x0[i] = 1.5
	}
	s.FillNormal(eps)
	sc.Q(xt, x0, eps, 40)
	var m, v float64
	for _, x := range xt {
		m += float64(x)
	}
	m /= n
	for _, x := range xt {
		v += (float64(x) - m) * (float64(x) - m)
	}
	v /= n
	// Standard errors: σ/√n ≈ 0.0016 for the mean, σ²√(2/n) ≈ 0.0016 for the variance.
	if math.Abs(m-1.5*sc.Alpha[40]) > 0.01 || math.Abs(v-sc.Sigma[40]*sc.Sigma[40]) > 0.01 {
		t.Fatalf("mean %v (want %v), variance %v (want %v)", m, 1.5*sc.Alpha[40], v, sc.Sigma[40]*sc.Sigma[40])
	}
}

func TestConfigErrors(t *testing.T) {
	m := newOracleModel(t, Cosine, 100, V, 2)
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"steps not dividing T", func() error { _, err := m.NewSampler(SamplerConfig{Steps: 7}); return err }(), "Steps = 7"},
		{"steps above T", func() error { _, err := m.NewSampler(SamplerConfig{Steps: 200}); return err }(), "Steps = 200"},
		{"unsorted timesteps", func() error { _, err := m.NewSampler(SamplerConfig{Timesteps: []int{5, 3}}); return err }(), "Timesteps"},
		{"timestep out of range", func() error { _, err := m.NewSampler(SamplerConfig{Timesteps: []int{0, 3}}); return err }(), "step 0"},
		{"negative eta", func() error { _, err := m.NewSampler(SamplerConfig{Eta: -1}); return err }(), "Eta = -1"},
		{"unknown method", func() error { _, err := m.NewSampler(SamplerConfig{Method: "euler"}); return err }(), `Method = "euler"`},
		{"unknown schedule", ScheduleConfig{Kind: "quadratic"}.Validate(), `Kind = "quadratic"`},
		{"schedule steps", ScheduleConfig{Steps: -3}.Validate(), "Steps = -3"},
		{"linear beta too large", ScheduleConfig{Kind: Linear, Steps: 10}.Validate(), "BetaEnd"},
		{"prediction", Config{Prediction: "score"}.Validate(m.Net), `"score"`},
		{"cond drop", Config{CondDrop: 1}.Validate(m.Net), "CondDrop = 1"},
		{"known index", Config{Known: []int{0, 2}}.Validate(m.Net), "Known[1] = 2"},
		{"weights", Config{Weights: []float32{1}}.Validate(m.Net), "Weights has 1"},
		{"cond width in sample", func() error {
			s, _ := m.NewSampler(SamplerConfig{Steps: 10})
			return s.Sample(tensor.New(0, 0), Request{Cond: tensor.New(3, 2)}, rng.New(1))
		}(), "condition has width 2, the denoiser expects 1"},
		{"missing cond", func() error {
			s, _ := m.NewSampler(SamplerConfig{Steps: 10})
			return s.Sample(tensor.New(0, 0), Request{B: 3}, rng.New(1))
		}(), "no condition"},
		{"cond width in loss", func() error {
			_, _, err := m.Loss(tensor.New(4, 2), tensor.New(4, 3), rng.New(1))
			return err
		}(), "condition has width 3"},
		{"cond rows in loss", func() error {
			_, _, err := m.Loss(tensor.New(4, 2), tensor.New(5, 1), rng.New(1))
			return err
		}(), "5 condition rows for 4 data rows"},
		{"data width", func() error {
			_, _, err := m.Loss(tensor.New(4, 3), tensor.New(4, 1), rng.New(1))
			return err
		}(), "data rows have 3 values"},
		{"inpaint shape", func() error {
			s, _ := m.NewSampler(SamplerConfig{Steps: 10})
			return s.Sample(tensor.New(0, 0), Request{Cond: tensor.New(2, 1), Inpaint: &Inpaint{Index: []int{0}, Values: tensor.New(1, 1)}}, rng.New(1))
		}(), "Inpaint.Values is 1×1, want 2×1"},
		{"samples", func() error {
			s, _ := m.NewSampler(SamplerConfig{Steps: 10})
			return s.Sample(tensor.New(0, 0), Request{Cond: tensor.New(2, 1), M: -1}, rng.New(1))
		}(), "Request.M = -1"},
		{"distill target above teacher", DistillConfig{TeacherSteps: 20, TargetSteps: 40}.Validate(m), "TargetSteps = 40"},
		{"distill target not a power-of-two fraction", DistillConfig{TeacherSteps: 20, TargetSteps: 3}.Validate(m), "power of two"},
		{"distill teacher steps", DistillConfig{TeacherSteps: 30}.Validate(m), "TeacherSteps = 30"},
		{"distill eps teacher", DistillConfig{}.Validate(newOracleModel(t, Cosine, 100, Eps, 2)), "v- or x0-prediction model"},
	}
	for _, c := range cases {
		if c.err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %q does not mention %q", c.name, c.err, c.want)
		}
	}
	// Guidance needs a conditional model; an unconditional oracle is faked
	// by a config check on a model with CondDim 0 in the learned tests.
}

func TestMMD2(t *testing.T) {
	s := rng.New(12)
	a, b, c := tensor.New(400, 2), tensor.New(400, 2), tensor.New(400, 2)
	s.FillNormal(a.Data)
	s.FillNormal(b.Data)
	s.FillNormal(c.Data)
	for i := range c.Data {
		c.Data[i] += 0.5
	}
	same, diff := MMD2(a, b, 1), MMD2(a, c, 1)
	// Same distribution: the unbiased estimate is centred on 0 with spread
	// O(1/n) ≈ 0.003; a 0.5 shift in both coordinates gives ≈ 0.11 (the
	// population value 2 − 2·(1/2)·exp(−0.25/4)… for h = 1).
	if math.Abs(same) > 0.01 || diff < 0.05 {
		t.Fatalf("MMD² same %v, shifted %v", same, diff)
	}
}
