package sac

import (
	"math"
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// Finite-difference checks of the hand-written gradients (agenttest.GradCheck).
//
// The networks are tiny (3→8→8→·) with tanh hidden units (ReLU kinks make
// finite differences unreliable), everything is float32, and the central
// difference uses a step h = 1e-2, divided by the float32 step actually
// taken. Its error is O(h²) from truncation plus about ε·|L|/h from the
// float32 rounding of the loss (ε ≈ 6e-8), about 1e-5 absolute here: a sweep
// of h over {3e-3, 1e-2, 3e-2, 1e-1} showed rounding dominating below 1e-2
// and truncation above 3e-2. The error measure is
// |analytic - numeric| / (|analytic| + |numeric| + 1e-2), so gradients below
// 1e-2 are compared in absolute terms. Measured maxima over every entry:
// critic 1.0e-3, actor 2.5e-4 (SAC) and 1.5e-3 (SAC+BC); the tolerance for
// both is 5e-3. A 5% error in any one gradient path gives errors ≥ 1e-2.
// The KL is evaluated in float64 from float32 inputs (h = 1e-3): measured
// 4.8e-7, tolerance 5e-6.

func tinyAgent(t *testing.T, cfg Config) *Agent {
	t.Helper()
	cfg.Hidden = []int{8, 8}
	cfg.Activation = "tanh"
	a, err := New(3, 2, cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestCriticLossGradient(t *testing.T) {
	a := tinyAgent(t, Config{InitAlpha: 0.3})
	b := agenttest.Batches(3, 2, 6, 1, 11)[0]
	n := a.bindBatch(b)
	a.updStream.FillNormal(a.buf.nextNoise.Resize(n, 2).Values())
	a.criticTargets(n, a.Alpha())
	a.criticLossGrad(n)
	grads := agenttest.SaveGrads(a.criticParams)
	loss := func() float64 { l, _ := a.criticLossGrad(n); return l }
	worst := agenttest.GradCheck(t, a.criticParams, grads, loss, 5e-3)
	t.Logf("critic loss: largest finite-difference error %.2g", worst)
}

// The actor gradient goes through the critic (dQ/dã of the min member), the
// tanh-Gaussian, the log-std squash and the BC KL term.
func TestActorLossGradient(t *testing.T) {
	for _, bc := range []bool{false, true} {
		t.Run(map[bool]string{false: "SAC", true: "SAC+BC"}[bc], func(t *testing.T) {
			a := tinyAgent(t, Config{InitAlpha: 0.3, BCWeight: 0.7})
			if bc {
				// A reference away from the current actor, so the KL and its
				// gradient are not zero.
				a.FreezeBCReference()
				s := rng.New(5)
				for _, p := range a.bcRef.Params() {
					for i := range p.W {
						p.W[i] += 0.3 * s.NormFloat32()
					}
				}
			}
			b := agenttest.Batches(3, 2, 6, 1, 13)[0]
			n := a.bindBatch(b)
			a.updStream.FillNormal(a.buf.noise.Resize(n, 2).Values())
			_, _, kl := a.actorLossGrad(n, a.Alpha())
			if bc && !(kl > 0.01) {
				t.Fatalf("BC KL = %v, want clearly positive", kl)
			}
			grads := agenttest.SaveGrads(a.actorParams)
			for _, p := range a.criticParams {
				for i, g := range p.G {
					if g != 0 {
						t.Fatalf("critic gradient %s[%d] = %v after the actor pass, want 0", p.Name, i, g)
					}
				}
			}
			loss := func() float64 { l, _, _ := a.actorLossGrad(n, a.Alpha()); return l }
			worst := agenttest.GradCheck(t, a.actorParams, grads, loss, 5e-3)
			t.Logf("actor loss: largest finite-difference error %.2g", worst)
		})
	}
}

func TestGaussianKLGradient(t *testing.T) {
	s := rng.New(3)
	const rows, cols = 4, 3
	mk := func(scale, shift float32) *tensor.Mat {
		m := tensor.New(rows, cols)
		s.FillNormal(m.Data)
		for i := range m.Data {
			m.Data[i] = m.Data[i]*scale + shift
		}
		return m
	}
	mean, logStd, refMean, refLogStd := mk(1, 0), mk(0.5, -0.5), mk(1, 0), mk(0.5, -0.5)
	const w = 0.8
	dMean, dLogStd := tensor.New(rows, cols), tensor.New(rows, cols)
	Fill := func(m *tensor.Mat, v float32) { tensor.Fill(m, v) }
	Fill(dMean, 0.25) // GaussianKL adds to what is there
	Fill(dLogStd, -0.5)
	GaussianKL(dMean, dLogStd, mean, logStd, refMean, refLogStd, w)
	scratchM, scratchS := tensor.New(rows, cols), tensor.New(rows, cols)
	loss := func() float64 { return w * GaussianKL(scratchM, scratchS, mean, logStd, refMean, refLogStd, 0) }
	var worst float64
	const h = 1e-3
	for _, c := range []struct {
		name string
		x    *tensor.Mat
		g    *tensor.Mat
		base float32
	}{{"mean", mean, dMean, 0.25}, {"logStd", logStd, dLogStd, -0.5}} {
		for i := range c.x.Data {
			old := c.x.Data[i]
			c.x.Data[i] = old + h
			hi := c.x.Data[i]
			lp := loss()
			c.x.Data[i] = old - h
			lo := c.x.Data[i]
			lm := loss()
			c.x.Data[i] = old
			num := (lp - lm) / (float64(hi) - float64(lo))
			e := agenttest.GradErr(float64(c.g.Data[i]-c.base), num)
			worst = max(worst, e)
			if e > 5e-6 {
				t.Errorf("d%s[%d]: analytic %.7g, numeric %.7g", c.name, i, c.g.Data[i]-c.base, num)
			}
		}
	}
	t.Logf("KL: largest finite-difference error %.2g", worst)

	// KL of a distribution to itself is 0 with zero gradient.
	Fill(dMean, 0)
	Fill(dLogStd, 0)
	if kl := GaussianKL(dMean, dLogStd, mean, logStd, mean, logStd, 1); math.Abs(kl) > 1e-6 {
		t.Errorf("KL(p‖p) = %v", kl)
	}
	for i := range dMean.Data {
		if math.Abs(float64(dMean.Data[i])) > 1e-6 || math.Abs(float64(dLogStd.Data[i])) > 1e-6 {
			t.Fatalf("gradient of KL(p‖p) at %d: %v, %v", i, dMean.Data[i], dLogStd.Data[i])
		}
	}
}

// The closed form matches a Monte-Carlo estimate E_{x~ref}[log ref(x) - log π(x)],
// which also shows the direction of the KL (reference first).
func TestGaussianKLMonteCarlo(t *testing.T) {
	mean := tensor.FromRows([][]float32{{0.3, -1}})
	logStd := tensor.FromRows([][]float32{{-0.2, 0.4}})
	refMean := tensor.FromRows([][]float32{{-0.5, -0.6}})
	refLogStd := tensor.FromRows([][]float32{{0.1, -0.7}})
	kl := GaussianKL(tensor.New(1, 2), tensor.New(1, 2), mean, logStd, refMean, refLogStd, 0)
	s := rng.New(9)
	const n = 200000
	x := tensor.New(1, 2)
	lr, lp := tensor.New(0, 0), tensor.New(0, 0)
	var sum, sq float64
	for k := 0; k < n; k++ {
		for j := 0; j < 2; j++ {
			x.Data[j] = refMean.Data[j] + float32(math.Exp(float64(refLogStd.Data[j])))*s.NormFloat32()
		}
		nn.DiagGaussianLogProb(lr, refMean, refLogStd, x)
		nn.DiagGaussianLogProb(lp, mean, logStd, x)
		d := float64(lr.Data[0] - lp.Data[0])
		sum += d
		sq += d * d
	}
	mc := sum / n
	se := math.Sqrt((sq/n - mc*mc) / n)
	if math.Abs(mc-kl) > 4*se {
		t.Fatalf("closed-form KL %.5f, Monte-Carlo %.5f ± %.5f", kl, mc, se)
	}
}
