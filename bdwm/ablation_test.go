package bdwm

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/rollout"
	"github.com/dwm-rl/dwm/train"
	"github.com/dwm-rl/dwm/worldmodel"
)

// fakeAgent acts at random and records the BC calls.
type fakeAgent struct {
	s       *rng.Stream
	frozen  int
	weights []float32
	cloned  int
	alpha   []bool    // FreezeAlpha calls that changed the hold
	alphaAt []int     // len(weights) at each of them
	set     []float64 // SetAlpha calls
	setAt   []int     // len(weights) at each of them
}

func (f *fakeAgent) SetAlpha(v float64) error {
	f.set = append(f.set, v)
	f.setAt = append(f.setAt, len(f.weights))
	return nil
}

func (f *fakeAgent) FreezeAlpha(frozen bool) {
	if n := len(f.alpha); n > 0 && f.alpha[n-1] == frozen {
		return
	}
	f.alpha = append(f.alpha, frozen)
	f.alphaAt = append(f.alphaAt, len(f.weights))
}

func (f *fakeAgent) ActBatch(_, act []float32, _ bool) error {
	f.s.FillUniform(act, -1, 1)
	return nil
}
func (f *fakeAgent) FreezeBCReference()    { f.frozen++ }
func (f *fakeAgent) SetBCWeight(w float32) { f.weights = append(f.weights, w) }
func (f *fakeAgent) CloneBehaviour(b *replay.Batch) float64 {
	f.cloned++
	return float64(b.Len())
}

// actOnly has no BC term.
type actOnly struct{ s *rng.Stream }

func (a actOnly) ActBatch(_, act []float32, _ bool) error {
	a.s.FillUniform(act, -1, 1)
	return nil
}

// toyData: 2-D states, 1-D actions from a narrow behaviour policy,
// deterministic smooth dynamics.
func toyData(n int) *dataset.Dataset {
	s := rng.New(3)
	d := dataset.New(2, 1, n)
	for i := 0; i < n; i++ {
		x, y := 2*s.Float64()-1, 2*s.Float64()-1
		a := 0.5*x + 0.05*s.NormFloat64()
		d.Append([]float32{float32(x), float32(y)}, []float32{float32(a)}, float32(-x*x),
			[]float32{float32(x + 0.1*a), float32(0.9 * y)}, false, i%100 == 99)
	}
	return d
}

func tinyConfig() Config {
	return Config{
		Model: worldmodel.Config{Members: 3, Samples: 3, LatentDim: 8, EncoderHidden: []int{32}, Width: 32, Blocks: 1,
			TimeDim: 8, DiffusionSteps: 10, SampleSteps: 5, BatchSize: 32, LR: 2e-3, Termination: worldmodel.Never},
		ModelSteps: 60, EtaSamples: 200, Horizon: 3, RolloutBatch: 40, RolloutEvery: 10, SigmaBatch: 16, SigmaEvery: 5,
		BCSteps: 20, BCWeight: 2, OfflineBCSteps: 5, OfflineBCBatch: 16, ModelTrainEvery: 10, ModelTrainSteps: 2, QualityEvery: 50, QualitySamples: 50,
	}
}

func newTiny(t *testing.T, cfg Config, ag Learner) *Method {
	t.Helper()
	m, err := New(cfg, Parts{Agent: ag, Data: toyData(600), OnlineCapacity: 200, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func metric(ms []agent.Metric, name string) (float64, bool) {
	for _, x := range ms {
		if x.Name == name {
			return x.Value, true
		}
	}
	return 0, false
}

// drive runs the hooks as the loop would: offline updates, the switch,
// then online steps with transitions near the data. Every metric of every
// step must be finite, as train.Loop's guard demands.
func drive(t *testing.T, m *Method, offline, online int) []agent.Metric {
	t.Helper()
	h := m.Hooks()
	var ms []agent.Metric
	var err error
	finite := func(phase string, i int) {
		t.Helper()
		for _, x := range ms {
			if math.IsNaN(x.Value) || math.IsInf(x.Value, 0) {
				t.Fatalf("%s step %d: metric %s = %v; the training loop stops a run on it", phase, i, x.Name, x.Value)
			}
		}
	}
	for i := 0; i < offline; i++ {
		if ms, err = h.BeforeUpdate(train.Offline, int64(i)); err != nil {
			t.Fatal(err)
		}
		finite("offline", i)
	}
	if err := h.OnSwitch(); err != nil {
		t.Fatal(err)
	}
	s := rng.New(8)
	for i := 0; i < online; i++ {
		x, y := float32(2*s.Float64()-1), float32(2*s.Float64()-1)
		a := float32(2*s.Float64() - 1)
		tr := train.Transition{Obs: []float32{x, y}, Act: []float32{a}, Next: []float32{x + 0.1*a, 0.9 * y}, Reward: -x * x,
			Truncated: i%50 == 49}
		m.online.Add(tr.Obs, tr.Act, tr.Reward, tr.Next, false)
		if err := h.AfterEnvStep(int64(i), tr); err != nil {
			t.Fatal(err)
		}
		if ms, err = h.BeforeUpdate(train.Online, int64(i)); err != nil {
			t.Fatal(err)
		}
		finite("online", i)
		if lam, _ := metric(ms, "train/lambda"); lam != m.onMix.Ratio {
			t.Fatalf("online step %d: logged λ %v, sampler ratio %v", i, lam, m.onMix.Ratio)
		}
	}
	return ms
}

// bdwm.online_alpha sets α once, at the switch (before the first online
// BC weight); left at 0 it never does.
func TestOnlineAlpha(t *testing.T) {
	for _, v := range []float64{0, 0.1} {
		ag := &fakeAgent{s: rng.New(1)}
		cfg := tinyConfig()
		cfg.OnlineAlpha = v
		drive(t, newTiny(t, cfg, ag), 30, 20)
		switch {
		case v == 0 && len(ag.set) != 0:
			t.Errorf("online_alpha 0: SetAlpha called %v", ag.set)
		case v > 0 && (!slices.Equal(ag.set, []float64{v}) || ag.setAt[0] != 1):
			t.Errorf("online_alpha %v: SetAlpha calls %v after %v BC weights, want [%v] after 1 (the anchor's, before the switch's)", v, ag.set, ag.setAt, v)
		}
	}
}

func TestFullMethodHooks(t *testing.T) {
	ag := &fakeAgent{s: rng.New(1)}
	cfg := tinyConfig()
	m := newTiny(t, cfg, ag)
	ms := drive(t, m, 30, 60)
	// π_β is cloned (5 steps) and frozen before the offline phase, π_offline
	// frozen at the switch.
	// α is held from the anchor until w_BC reaches 0 online: released
	// after the anchor's weight, the switch's and online steps 0..BCSteps.
	if !slices.Equal(ag.alpha, []bool{true, false}) || !slices.Equal(ag.alphaAt, []int{1, 2 + cfg.BCSteps + 1}) {
		t.Errorf("FreezeAlpha calls %v after %v BC weights, want [true false] after [1 %d]", ag.alpha, ag.alphaAt, 2+cfg.BCSteps+1)
	}
	if ag.frozen != 2 || ag.cloned != 5 || m.st.BCLoss != 16 {
		t.Errorf("references frozen %d times, want 2; %d cloning steps, want 5; cloning loss %v, want 16", ag.frozen, ag.cloned, m.st.BCLoss)
	}
	// w_BC is OfflineBCWeight offline and follows Eq. 6 at every online step (the
	// first values are set before the offline phase and at the switch).
	d := m.cfg
	if len(ag.weights) != 62 || ag.weights[0] != float32(d.OfflineBCWeight) || ag.weights[1] != float32(d.BCWeight) {
		t.Fatalf("BC weights %v", ag.weights)
	}
	for i, w := range ag.weights[2:] {
		if want := float32(BCWeightAt(int64(i), d.BCWeight, d.BCSteps)); w != want {
			t.Errorf("online step %d: w_BC %v, want %v", i, w, want)
		}
	}
	if m.st.Eta <= 0 || !m.st.EpistemicDefined {
		t.Errorf("η = %v, epistemic defined %v", m.st.Eta, m.st.EpistemicDefined)
	}
	if rc := m.rolloutConfig(); rc.Filter != rollout.Epistemic || rc.Eta != m.st.Eta || rc.Predict.MeanNext || !rc.Predict.Aleatoric {
		t.Errorf("rollout config %+v", rc)
	}
	lam, _ := metric(ms, "train/lambda")
	bar, _ := metric(ms, "uncertainty/sigma_ep")
	smax, _ := metric(ms, "uncertainty/sigma_max")
	if want := Lambda(bar, smax, d.LambdaMin); lam != want || bar <= 0 || smax < bar && m.st.Episodes < int64(d.SigmaMaxEpisodes) {
		t.Errorf("λ %v (Eq. 5: %v), σ̄ %v, σ_max %v", lam, want, bar, smax)
	}
	if m.st.RolloutTotal.Rejected == 0 {
		t.Log("note: no transition rejected in the tiny run")
	}
}

// TestAblationSwitches: each Table II switch changes exactly its part.
func TestAblationSwitches(t *testing.T) {
	t.Run("no filter", func(t *testing.T) {
		cfg := tinyConfig()
		cfg.NoFilter = true
		m := newTiny(t, cfg, &fakeAgent{s: rng.New(1)})
		drive(t, m, 30, 0)
		if m.rolloutConfig().Filter != rollout.None || m.st.RolloutTotal.Rejected != 0 {
			t.Errorf("filter %v, rejected %d", m.rolloutConfig().Filter, m.st.RolloutTotal.Rejected)
		}
	})
	t.Run("fixed lambda", func(t *testing.T) {
		cfg := tinyConfig()
		cfg.FixedLambda = true
		m := newTiny(t, cfg, &fakeAgent{s: rng.New(1)})
		ms := drive(t, m, 10, 30)
		if lam, _ := metric(ms, "train/lambda"); lam != 0.5 || m.onMix.Ratio != 0.5 {
			t.Errorf("λ %v, sampler %v", lam, m.onMix.Ratio)
		}
	})
	t.Run("no offline BC", func(t *testing.T) {
		cfg := tinyConfig()
		cfg.NoOfflineBC = true
		ag := &fakeAgent{s: rng.New(1)}
		m := newTiny(t, cfg, ag)
		drive(t, m, 10, 5)
		if ag.frozen != 1 || ag.cloned != 0 || len(ag.weights) != 6 {
			t.Errorf("frozen %d (want 1, at the switch), cloned %d (want 0), weights %v (want 6)", ag.frozen, ag.cloned, ag.weights)
		}
	})
	t.Run("no BC", func(t *testing.T) {
		cfg := tinyConfig()
		cfg.NoBC = true
		ag := &fakeAgent{s: rng.New(1)}
		m := newTiny(t, cfg, ag)
		ms := drive(t, m, 10, 20)
		// The offline anchor stays (cloned, frozen, weight w_0) and ends at
		// the switch (weight 0); no π_offline, no Eq. 6 schedule.
		if ag.frozen != 1 || ag.cloned != 5 || !slices.Equal(ag.weights, []float32{float32(cfg.WithDefaults().OfflineBCWeight), 0}) {
			t.Errorf("no BC: frozen %d (want 1, π_β), cloned %d (want 5), weights %v (want [w_0 0])", ag.frozen, ag.cloned, ag.weights)
		}
		if w, _ := metric(ms, "train/w_bc"); w != 0 {
			t.Errorf("w_BC %v", w)
		}
		// α is held by the anchor and released at the switch.
		if !slices.Equal(ag.alpha, []bool{true, false}) || !slices.Equal(ag.alphaAt, []int{1, 2}) {
			t.Errorf("no BC: FreezeAlpha calls %v after %v weights, want [true false] after [1 2]", ag.alpha, ag.alphaAt)
		}
		cfg.NoOfflineBC = true
		ag = &fakeAgent{s: rng.New(1)}
		drive(t, newTiny(t, cfg, ag), 10, 5)
		if ag.frozen != 0 || ag.cloned != 0 || len(ag.weights) != 0 {
			t.Errorf("no BC, no offline BC: frozen %d, cloned %d, weights %v: want no BC at all", ag.frozen, ag.cloned, ag.weights)
		}
		// A learner without the BC term is accepted only with no_bc.
		if _, err := New(cfg, Parts{Agent: actOnly{rng.New(1)}, Data: toyData(100), Seed: 1}); err != nil {
			t.Error(err)
		}
		cfg.NoBC = false
		if _, err := New(cfg, Parts{Agent: actOnly{rng.New(1)}, Data: toyData(100), Seed: 1}); err == nil || !strings.Contains(err.Error(), "no_bc") {
			t.Errorf("learner without BC: %v", err)
		}
	})
	t.Run("epistemic only", func(t *testing.T) {
		cfg := tinyConfig()
		cfg.EpistemicOnly = true
		m := newTiny(t, cfg, &fakeAgent{s: rng.New(1)})
		ms := drive(t, m, 10, 0)
		rc := m.rolloutConfig()
		if !rc.Predict.MeanNext || rc.Predict.Aleatoric || rc.Filter != rollout.Epistemic {
			t.Errorf("rollout config %+v", rc)
		}
		if _, ok := metric(ms, "uncertainty/imag_sigma_al"); ok {
			t.Error("σ_al reported with epistemic_only")
		}
	})
	t.Run("K=1", func(t *testing.T) {
		cfg := tinyConfig()
		cfg.Model.Members = 1
		m := newTiny(t, cfg, &fakeAgent{s: rng.New(1)})
		ms := drive(t, m, 30, 30)
		def, _ := metric(ms, "uncertainty/epistemic_defined")
		bar, _ := metric(ms, "uncertainty/sigma_ep")
		lam, _ := metric(ms, "train/lambda")
		if def != 0 || m.st.Eta != 0 || bar != 0 || lam != cfg.WithDefaults().Lambda || m.st.RolloutTotal.Rejected != 0 {
			t.Errorf("K = 1: defined %v, η %v, σ̄ %v, λ %v, rejected %d", def, m.st.Eta, bar, lam, m.st.RolloutTotal.Rejected)
		}
		// Undefined measures are left out, never logged as NaN (the
		// training loop's guard stops a run on a NaN metric).
		for _, name := range []string{"uncertainty/spearman", "uncertainty/auroc"} {
			if v, ok := metric(ms, name); ok {
				t.Errorf("K = 1: %s logged (%v); it is undefined", name, v)
			}
		}
		if !strings.Contains(m.qualityLine(), "undefined") {
			t.Errorf("K = 1: quality line %q does not say the σ_ep measures are undefined", m.qualityLine())
		}
		if m.st.RolloutTotal.Accepted == 0 {
			t.Error("K = 1 imagined nothing")
		}
	})
	for _, mode := range []rollout.OnReject{"", rollout.Absorb, rollout.Stop} {
		t.Run("on_reject="+string(mode), func(t *testing.T) {
			cfg := tinyConfig()
			cfg.OnReject = mode
			m := newTiny(t, cfg, &fakeAgent{s: rng.New(1)})
			drive(t, m, 30, 0)
			st := m.st.RolloutTotal
			want := st.Rejected // absorb
			if mode != rollout.Absorb {
				want = 0 // stop, and auto's choice for the toy data's costs (r = −x²)
			}
			if st.Rejected == 0 || st.Absorbed != want {
				t.Errorf("absorbed %d of %d rejected, want %d", st.Absorbed, st.Rejected, want)
			}
		})
	}
}

// TestBaselineVariants: MOPO imagines with the Gaussian ensemble and its
// reward penalty, without filter or Eq. 6's BC (the base learner's offline
// anchor is shared by every variant: weight w_0 offline, 0 from the
// switch); DIAMOND with one diffusion member.
func TestBaselineVariants(t *testing.T) {
	cfg := tinyConfig()
	cfg.Variant = MOPO
	cfg.Model = worldmodel.Config{Members: 4, Elites: 2, GaussianHidden: []int{32}, BatchSize: 32, LR: 2e-3, Samples: 3}
	ag := &fakeAgent{s: rng.New(1)}
	m := newTiny(t, cfg, ag)
	drive(t, m, 20, 20)
	rc := m.rolloutConfig()
	if m.model.Config().Kind != worldmodel.Gaussian || rc.Filter != rollout.None || rc.RewardPenalty != 1 ||
		!slices.Equal(ag.weights, []float32{float32(cfg.WithDefaults().OfflineBCWeight), 0}) || m.onMix.Ratio != 0.5 {
		t.Errorf("MOPO: kind %s, rollout %+v, BC weights %v, λ %v", m.model.Config().Kind, rc, ag.weights, m.onMix.Ratio)
	}
	if m.st.RolloutTotal.Penalty <= 0 {
		t.Error("MOPO: no penalty measured")
	}
	cfg = tinyConfig()
	cfg.Variant = DIAMOND
	cfg.Model.Members = 0
	m = newTiny(t, cfg, &fakeAgent{s: rng.New(1)})
	drive(t, m, 20, 20)
	if m.model.Members() != 1 || m.rolloutConfig().Filter != rollout.None || m.onMix.Ratio != 0.5 || m.offMix.Ratio != 0.5 {
		t.Errorf("DIAMOND: members %d, filter %v, λ %v, real ratio %v", m.model.Members(), m.rolloutConfig().Filter, m.onMix.Ratio, m.offMix.Ratio)
	}
}

func TestNewErrors(t *testing.T) {
	ag := &fakeAgent{s: rng.New(1)}
	if _, err := New(tinyConfig(), Parts{Agent: ag, Data: toyData(1), Seed: 1}); err == nil || !strings.Contains(err.Error(), "normalizers need at least") {
		t.Errorf("1 transition: %v", err)
	}
	if _, err := New(tinyConfig(), Parts{Agent: ag, Seed: 1}); err == nil {
		t.Error("no dataset accepted")
	}
	bad := tinyConfig()
	bad.EtaPercentile = 100
	if _, err := New(bad, Parts{Agent: ag, Data: toyData(100), Seed: 1}); err == nil || !strings.Contains(err.Error(), "eta_percentile") {
		t.Errorf("percentile 100: %v", err)
	}
}

// The real share of online batches is D_on alone (Algorithm 1) or, with
// online_real=symmetric, half D_off and half D_on (all D_off while D_on is
// empty); a bad value is refused by name.
func TestOnlineReal(t *testing.T) {
	count := func(mode string) (fromOn, total int) {
		cfg := tinyConfig()
		cfg.OnlineReal = mode
		m := newTiny(t, cfg, &fakeAgent{s: rng.New(1)})
		m.onMix.Ratio = 1 // only the real share (D_imag is empty anyway)
		b := replay.NewBatch(64, 2, 1, false)
		if mode == OnlineRealSymmetric { // d_on has nothing to sample yet
			m.onMix.Sample(rng.New(2), b)
			for i := 0; i < 64; i++ {
				if b.Obs[2*i] == 5 {
					t.Fatalf("%s: a D_on row sampled before D_on holds any", mode)
				}
			}
		}
		m.online.Add([]float32{5, 5}, []float32{0}, 0, []float32{5, 5}, false)
		m.onMix.Sample(rng.New(2), b)
		for i := 0; i < 64; i++ {
			if b.Obs[2*i] == 5 {
				fromOn++
			}
		}
		return fromOn, 64
	}
	if on, n := count(OnlineRealDOn); on != n {
		t.Errorf("d_on: %d of %d real rows from D_on, want all", on, n)
	}
	if on, n := count(OnlineRealSymmetric); on != n/2 {
		t.Errorf("symmetric: %d of %d real rows from D_on, want half", on, n)
	}
	cfg := tinyConfig()
	cfg.OnlineReal = "both"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "bdwm.online_real") {
		t.Errorf("online_real=both: %v", err)
	}
}

// A checkpoint from a dwm from before model/reward_mse restores with the
// reward error unknown (NaN: left out of the metrics until the next
// quality report), not as an error or a 0; a current one round-trips.
func TestQualityStateWithoutRewardMSE(t *testing.T) {
	q := worldmodel.Quality{N: 5, OneStepMSE: 0.25, RewardMSE: 0.125, Spearman: 0.5, AUROC: 0.75, SigmaEp: 1, SigmaEpOOD: 2, SigmaAl: 3, EpistemicDefined: true}
	got, err := qualityFrom(qualityStrings(q))
	if err != nil || got != q {
		t.Fatalf("round trip: %+v, %v; want %+v", got, err, q)
	}
	old := qualityStrings(q)
	delete(old, "reward_mse")
	got, err = qualityFrom(old)
	if err != nil || !math.IsNaN(got.RewardMSE) || got.OneStepMSE != 0.25 {
		t.Fatalf("an older checkpoint: %+v, %v", got, err)
	}
}
