package diffusion

import (
	"math"
	"testing"

	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

func paramSum(ps []*nn.Param) float64 {
	var s float64
	for _, p := range ps {
		for _, w := range p.W {
			s += float64(w) * float64(w)
		}
	}
	return s
}

// testProgressiveDistillation distils the shared 64-step v-model to 4 steps
// (four stages, 300 iterations each). Measured on this target: each
// student's samples are at MMD² ≈ −0.0011 from its teacher's, the same as
// two independent runs of one sampler (MMD² values sit near −0.001 rather
// than 0 because the conditions are stratified, exactly M samples each,
// which biases the unbiased estimator slightly negative); from the same
// noise they differ by a mean |Δ| of 0.002–0.009; the 4-step student is at
// MMD² −0.0013 from the 64-step original while plain DDIM with 4 steps is
// at 0.0155. Bounds: MMD² ≤ 0.005 per stage, |Δ| ≤ 0.03, the 4-step student
// at most half as far from the original as 4-step DDIM, and the student
// keeps both modes with the original's weights.
func testProgressiveDistillation(t *testing.T) {
	orig := sharedV(t)
	before := paramSum(orig.Net.Params())
	d, err := NewDistiller(orig, func() (Denoiser, error) { return newBimodalNet(1, bimodalMLP, rng.New(99)) },
		DistillConfig{TeacherSteps: 64, TargetSteps: 4, Iters: 300, Adam: optim.AdamConfig{LR: 1e-3}})
	if err != nil {
		t.Fatal(err)
	}
	const mm = 600
	req := Request{Cond: condMat(testConds), M: mm}
	data := func(x0, cond *tensor.Mat, s *rng.Stream) { bimodalData(x0, cond, s) }
	s := rng.New(5)
	for !d.Done() {
		teacher, n := d.Current()
		rep, err := d.Stage(data, s)
		if err != nil {
			t.Fatal(err)
		}
		student, n2 := d.Current()
		if n2 != n/2 || rep.StudentSteps != n2 || rep.TeacherSteps != n {
			t.Fatalf("stage from %d steps gave %d (report %+v)", n, n2, rep)
		}
		xs := sample(t, student, SamplerConfig{Steps: n2}, req, 30)
		xt := sample(t, teacher, SamplerConfig{Steps: n}, req, 30) // same noise
		xt2 := sample(t, teacher, SamplerConfig{Steps: n}, req, 31)
		var dev float64
		for i := range xs.Data[:xs.Len()] {
			dev += math.Abs(float64(xs.Data[i] - xt.Data[i]))
		}
		dev /= float64(xs.Len())
		mmd := MMD2(jointSamples(xs, mm), jointSamples(xt2, mm), mmdBandwidths...)
		t.Logf("stage %d→%d: loss %.4f→%.4f, MMD² to teacher %.5f, mean |Δ| from the same noise %.4f",
			n, n2, rep.FirstLoss, rep.LastLoss, mmd, dev)
		if mmd > 0.005 || dev > 0.03 {
			t.Errorf("stage %d→%d: MMD² %.5f (bound 0.005), mean |Δ| %.4f (bound 0.03)", n, n2, mmd, dev)
		}
		if !(rep.LastLoss < rep.FirstLoss) {
			t.Errorf("stage %d→%d: loss did not decrease (%v → %v)", n, n2, rep.FirstLoss, rep.LastLoss)
		}
	}
	if after := paramSum(orig.Net.Params()); after != before {
		t.Fatalf("the original teacher changed during distillation")
	}
	if len(d.Reports()) != 4 {
		t.Fatalf("%d stage reports, want 4", len(d.Reports()))
	}
	if _, err := d.Stage(data, s); err == nil {
		t.Fatal("a stage past the target did not fail")
	}
	student, _ := d.Current()
	full := jointSamples(sample(t, orig, SamplerConfig{}, req, 32), mm)
	dist := MMD2(jointSamples(sample(t, student, SamplerConfig{Steps: 4}, req, 33), mm), full, mmdBandwidths...)
	naive := MMD2(jointSamples(sample(t, orig, SamplerConfig{Steps: 4}, req, 33), mm), full, mmdBandwidths...)
	t.Logf("to the 64-step original: 4-step student MMD² %.5f, 4-step DDIM %.5f", dist, naive)
	if dist > 0.005 || naive < 2*dist {
		t.Errorf("4-step student MMD² %.5f (bound 0.005), 4-step DDIM %.5f (want ≥ twice the student's)", dist, naive)
	}
	// Both modes survive with the teacher's weights: ≥ 95% in-mode mass and
	// a chi-square homogeneity test of the (+, −) counts of student and
	// original, p ≥ 0.01.
	big := Request{Cond: condMat(testConds), M: 2000}
	xs := sample(t, student, SamplerConfig{Steps: 4}, big, 34)
	xo := sample(t, orig, SamplerConfig{}, big, 35)
	for b, c := range testConds {
		in, _, sp, sn := modeStats(column(xs, 0, 2000, b, len(testConds)), c)
		_, _, op, on := modeStats(column(xo, 0, 2000, b, len(testConds)), c)
		p := homogeneity(sp, sn, op, on)
		t.Logf("c=%.1f: 4-step student in-mode %.4f, + %d − %d; 64-step original + %d − %d; homogeneity p %.3g", c, in, sp, sn, op, on, p)
		if in < 0.95 || p < 0.01 {
			t.Errorf("c=%.1f: 4-step student in-mode %.4f (want ≥ 0.95), homogeneity p %.3g with the original (want ≥ 0.01)", c, in, p)
		}
	}
}

// homogeneity returns the p-value of the chi-square test (1 degree of
// freedom) that the 2×2 table [[a, b], [c, d]] has equal row proportions.
func homogeneity(a, b, c, d int) float64 {
	n := float64(a + b + c + d)
	r1, r2 := float64(a+b), float64(c+d)
	c1, c2 := float64(a+c), float64(b+d)
	var chi2 float64
	for _, cell := range [][3]float64{{float64(a), r1, c1}, {float64(b), r1, c2}, {float64(c), r2, c1}, {float64(d), r2, c2}} {
		e := cell[1] * cell[2] / n
		chi2 += (cell[0] - e) * (cell[0] - e) / e
	}
	return math.Erfc(math.Sqrt(chi2 / 2))
}
