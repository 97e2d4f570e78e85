package bdwm

import (
	"math"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/rollout"
	"github.com/dwm-rl/dwm/worldmodel"
)

func TestLambdaFormula(t *testing.T) {
	cases := []struct{ bar, max, min, want float64 }{
		{0, 1, 0.3, 1},
		{0.2, 1, 0.3, 0.8},
		{0.7, 1, 0.3, 0.3},     // 1 − 0.7 = 0.3 = λ_min
		{0.9, 1, 0.3, 0.3},     // clipped at λ_min
		{2, 1, 0.3, 0.3},       // σ̄ above σ_max after the window
		{0.05, 0.2, 0.3, 0.75}, // 1 − 0.25
		{0, 0, 0.3, 1},         // no uncertainty seen: no division by zero
		{0.5, 1, 0, 0.5},
	}
	for _, c := range cases {
		if got := Lambda(c.bar, c.max, c.min); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Lambda(σ̄=%v, σ_max=%v, λ_min=%v) = %v, want %v", c.bar, c.max, c.min, got, c.want)
		}
	}
}

func TestBCSchedule(t *testing.T) {
	cases := []struct {
		t    int64
		w0   float64
		n    int
		want float64
	}{{0, 2, 100, 2}, {25, 2, 100, 1.5}, {50, 2, 100, 1}, {99, 2, 100, 0.02}, {100, 2, 100, 0}, {1000, 2, 100, 0}, {5, 1, 0, 0}}
	for _, c := range cases {
		if got := BCWeightAt(c.t, c.w0, c.n); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("BCWeightAt(%d, %v, %d) = %v, want %v", c.t, c.w0, c.n, got, c.want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"percentile 100", Config{EtaPercentile: 100}, "bdwm.eta_percentile = 100"},
		{"negative online α", Config{OnlineAlpha: -0.1}, "bdwm.online_alpha = -0.1"},
		{"NaN online α", Config{OnlineAlpha: math.NaN()}, "bdwm.online_alpha = NaN"},
		{"online α without SAC", Config{OnlineAlpha: 0.1, Learner: IQL, NoBC: true}, "only sac has a temperature"},
		{"percentile > 100", Config{EtaPercentile: 150}, "bdwm.eta_percentile = 150"},
		{"percentile < 0", Config{EtaPercentile: -5}, "bdwm.eta_percentile = -5"},
		{"K < 1", Config{Model: worldmodel.Config{Members: -1}}, "K ≥ 1"},
		{"M < 2 with aleatoric", Config{Model: worldmodel.Config{Samples: 1}}, "bdwm.model.samples = 1"},
		{"variant", Config{Variant: "dreamer"}, "bdwm.variant"},
		{"learner", Config{Learner: "ppo"}, `bdwm.learner = "ppo": want sac, iql or calql`},
		{"iql with BC", Config{Learner: IQL}, "bdwm.learner = iql with bdwm.no_bc = false"},
		{"calql with BC", Config{Learner: CalQL, BCWeight: 0.5}, "set bdwm.no_bc=true"},
		{"real ratio", Config{RealRatio: 1.5}, "bdwm.real_ratio"},
		{"lambda min", Config{LambdaMin: -0.1}, "bdwm.lambda_min"},
		{"lambda", Config{Lambda: 2}, "bdwm.lambda = 2"},
		{"horizon", Config{Horizon: -1}, "bdwm.horizon"},
		{"on reject", Config{OnReject: "retry"}, "bdwm.on_reject"},
		{"penalty", Config{RewardPenalty: -1}, "bdwm.reward_penalty"},
		{"bc weight", Config{BCWeight: math.Inf(1)}, "bdwm.bc_weight"},
		{"absorb reward", Config{AbsorbReward: math.NaN()}, "bdwm.absorb_reward"},
		{"offline bc weight", Config{OfflineBCWeight: -1}, "bdwm.offline_bc_weight = -1"},
		{"offline bc steps", Config{OfflineBCSteps: -5}, "bdwm.offline_bc_steps = -5"},
		{"offline bc batch", Config{OfflineBCBatch: -1}, "bdwm.offline_bc_batch"},
		{"bounds margin", Config{BoundsMargin: math.NaN()}, "bdwm.bounds_margin"},
	}
	for _, c := range cases {
		err := c.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	// M = 1 is fine without the aleatoric estimate.
	if err := (Config{Model: worldmodel.Config{Samples: 1}, EpistemicOnly: true}).Validate(); err != nil {
		t.Errorf("M = 1 with epistemic_only: %v", err)
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	// IQL and Cal-QL run without BC, and the baselines never have it.
	for _, c := range []Config{{Learner: IQL, NoBC: true}, {Learner: CalQL, NoBC: true}, {Learner: IQL, Variant: MOPO}, {Learner: CalQL, Variant: DIAMOND}} {
		if err := c.Validate(); err != nil {
			t.Errorf("%s/%s: %v", c.Variant, c.Learner, err)
		}
	}
}

func TestVariantDefaults(t *testing.T) {
	b := Config{}.WithDefaults()
	if b.Variant != BDWM || b.Model.Kind != worldmodel.Diffusion || b.Model.Members != 3 || b.Model.Samples != 5 ||
		b.EtaPercentile != 90 || b.LambdaMin != 0.3 || b.NoFilter || b.FixedLambda || b.NoBC || b.OnReject != Auto {
		t.Errorf("BDWM defaults: %+v", b)
	}
	m := Config{Variant: MOPO}.WithDefaults()
	if m.Model.Kind != worldmodel.Gaussian || m.Model.Members != 7 || m.Model.Elites != 5 || !m.NoFilter || !m.FixedLambda ||
		!m.NoBC || m.RewardPenalty != 1 || m.RealRatio != 0.05 {
		t.Errorf("MOPO defaults: %+v", m)
	}
	d := Config{Variant: DIAMOND}.WithDefaults()
	if d.Model.Kind != worldmodel.Diffusion || d.Model.Members != 1 || !d.NoFilter || !d.FixedLambda || d.Lambda != 0.5 || !d.NoBC || d.RealRatio != 0.5 {
		t.Errorf("DIAMOND defaults: %+v", d)
	}
	// The baselines' switches hold whatever the file says.
	if c := (Config{Variant: MOPO, NoFilter: false}).WithDefaults(); !c.NoFilter {
		t.Error("MOPO ran with the filter")
	}
}

// TestResolveOnReject: auto absorbs when at most 1 % of the rewards are
// negative (hopper's are all positive; walker2d-medium has 0.1 % below 0)
// and stops otherwise (pendulum's and halfcheetah's costs); explicit
// choices stand.
func TestResolveOnReject(t *testing.T) {
	pos := make([]float32, 1000)
	for i := range pos {
		pos[i] = float32(i) / 100
	}
	fewNeg := append([]float32{-1, -2}, pos...)
	costs := append(make([]float32, 0, 1000), pos...)
	for i := 0; i < 50; i++ {
		costs[i] = -1
	}
	for _, c := range []struct {
		name string
		in   rollout.OnReject
		rew  []float32
		want rollout.OnReject
	}{
		{"non-negative", Auto, pos, rollout.Absorb},
		{"0.2 % negative", Auto, fewNeg, rollout.Absorb},
		{"5 % negative", Auto, costs, rollout.Stop},
		{"no rewards", Auto, nil, rollout.Stop},
		{"explicit stop", rollout.Stop, pos, rollout.Stop},
		{"explicit absorb", rollout.Absorb, costs, rollout.Absorb},
	} {
		if got := resolveOnReject(c.in, c.rew); got != c.want {
			t.Errorf("%s: %s → %s, want %s", c.name, c.in, got, c.want)
		}
	}
}
