package classic

import (
	"math"
	"testing"

	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/env/envtest"
	"github.com/dwm-rl/dwm/rng"
)

func TestPendulumConformance(t *testing.T) {
	envtest.Run(t, func() (env.Env, error) { return NewPendulum(), nil })
}

// TestPendulumHandSteps checks single steps against values worked out from
// Gymnasium's formulas (cost on the old state, semi-implicit Euler, clips).
func TestPendulumHandSteps(t *testing.T) {
	cases := []struct {
		name               string
		th, dth, u         float64
		wantTh, wantDth, r float64
	}{
		// θ̇' = 0.3 + (15·sin 0.5 + 3·1)·0.05 = 0.30 + (7.19138307906 + 3)·0.05; θ' = 0.5 + 0.05·θ̇';
		// cost = 0.25 + 0.1·0.09 + 0.001·1 = 0.26.
		{"plain", 0.5, 0.3, 1.0, 0.5404784576976576, 0.8095691539531522, -0.26},
		// u = 5 clipped to 2; θ̇' = 7.9 + (15 sin 3 + 6)·0.05 = 8.3058 clipped to 8; θ' = 3 + 0.4;
		// cost = 3² + 0.1·7.9² + 0.001·2² = 9 + 6.241 + 0.004.
		{"clips", 3.0, 7.9, 5.0, 3.4, 8, -15.245},
		// angle_normalize(4) = 4 − 2π = −2.2832; cost = 5.21300... + 0.4 + 0.00025.
		{"wraps", 4.0, -2.0, -0.5, 3.8678699064259527, -2.642601871480946, -5.613185146920742},
		{"wraps-neg", -3.5, 0.0, -3.0, -3.501845628961639, -0.036912579232785125, -7.750120454100327},
	}
	p := NewPendulum()
	obs := make([]float32, 3)
	for _, c := range cases {
		p.SetState(c.th, c.dth)
		r, err := p.Step([]float32{float32(c.u)}, obs)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		th, dth := p.State()
		if math.Abs(th-c.wantTh) > 1e-12 || math.Abs(dth-c.wantDth) > 1e-12 || math.Abs(r.Reward-c.r) > 1e-12 {
			t.Errorf("%s: got θ=%.17g θ̇=%.17g r=%.17g, want %.17g %.17g %.17g", c.name, th, dth, r.Reward, c.wantTh, c.wantDth, c.r)
		}
		want := []float32{float32(math.Cos(c.wantTh)), float32(math.Sin(c.wantTh)), float32(c.wantDth)}
		for i := range obs {
			if math.Abs(float64(obs[i]-want[i])) > 1e-6 {
				t.Errorf("%s: obs %v, want %v", c.name, obs, want)
				break
			}
		}
		if r.Terminated || r.Truncated || r.Success {
			t.Errorf("%s: flags %+v", c.name, r)
		}
	}
}

func TestAngleNormalize(t *testing.T) {
	for _, c := range []struct{ x, want float64 }{
		{0, 0}, {math.Pi, -math.Pi}, {-math.Pi, -math.Pi}, {3 * math.Pi / 2, -math.Pi / 2},
		{-3 * math.Pi / 2, math.Pi / 2}, {7, 7 - 2*math.Pi}, {-20, -20 + 6*math.Pi},
	} {
		if got := AngleNormalize(c.x); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("AngleNormalize(%g) = %g, want %g", c.x, got, c.want)
		}
	}
}

func TestPendulumResetDistribution(t *testing.T) {
	p := NewPendulum()
	obs := make([]float32, 3)
	var minTh, maxTh, minD, maxD float64 = 9, -9, 9, -9
	for _, s := range rng.Seeds(1, 2000) {
		if err := p.Reset(s, obs); err != nil {
			t.Fatal(err)
		}
		th, d := p.State()
		minTh, maxTh, minD, maxD = min(minTh, th), max(maxTh, th), min(minD, d), max(maxD, d)
	}
	if minTh < -math.Pi || maxTh > math.Pi || minTh > -3 || maxTh < 3 {
		t.Errorf("θ range [%g, %g], want spread over [−π, π]", minTh, maxTh)
	}
	if minD < -1 || maxD > 1 || minD > -0.98 || maxD < 0.98 {
		t.Errorf("θ̇ range [%g, %g], want spread over [−1, 1]", minD, maxD)
	}
}

func TestPendulumStepBeforeReset(t *testing.T) {
	if _, err := NewPendulum().Step([]float32{0}, make([]float32, 3)); err == nil {
		t.Fatal("step before reset accepted")
	}
}

// TestPendulumExpertSwingsUp checks the expert balances the pendulum from
// hanging down and does far better than doing nothing.
func TestPendulumExpertSwingsUp(t *testing.T) {
	p := NewPendulum()
	c := NewPendulumExpert()
	t.Logf("LQR gains %v", c.K)
	eps, err := env.Rollout(p, c, 7, 20)
	if err != nil {
		t.Fatal(err)
	}
	zero := env.PolicyFunc(func(_, a []float32) error { a[0] = 0; return nil })
	zeps, err := env.Rollout(p, zero, 7, 20)
	if err != nil {
		t.Fatal(err)
	}
	s, z := env.Summarize(eps), env.Summarize(zeps)
	t.Logf("expert mean %.1f (min %.1f), zero torque %.1f", s.MeanReturn, s.MinReturn, z.MeanReturn)
	if s.MeanReturn < -250 || s.MinReturn < -500 {
		t.Errorf("expert mean return %.1f min %.1f, want > −250 and > −500", s.MeanReturn, s.MinReturn)
	}
	// From hanging at rest the last 50 steps must be upright.
	obs := make([]float32, 3)
	act := make([]float32, 1)
	p.SetState(math.Pi, 0)
	p.observe(obs)
	for k := range 200 {
		c.Act(obs, act)
		if _, err := p.Step(act, obs); err != nil {
			t.Fatal(err)
		}
		if th, _ := p.State(); k >= 150 && math.Abs(AngleNormalize(th)) > 0.05 {
			t.Fatalf("step %d: θ = %g, not upright", k, AngleNormalize(th))
		}
	}
}
