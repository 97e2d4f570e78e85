package sac_test

import (
	"math"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/sac"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

func mustNew(t *testing.T, obsDim, actDim int, cfg sac.Config, seed uint64) *sac.Agent {
	t.Helper()
	a, err := sac.New(obsDim, actDim, cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestConfigValidate(t *testing.T) {
	nan := float32(math.NaN())
	bad := []struct {
		cfg   sac.Config
		field string
	}{
		{sac.Config{Hidden: []int{64, 0}}, "Hidden[1]"},
		{sac.Config{Activation: "swoosh"}, "Activation"},
		{sac.Config{ActorLR: -1e-4}, "ActorLR"},
		{sac.Config{CriticLR: nan}, "CriticLR"},
		{sac.Config{AlphaLR: float32(math.Inf(1))}, "AlphaLR"},
		{sac.Config{Gamma: 1.5}, "Gamma"},
		{sac.Config{Gamma: nan}, "Gamma"},
		{sac.Config{Tau: -0.1}, "Tau"},
		{sac.Config{BatchSize: -1}, "BatchSize"},
		{sac.Config{InitAlpha: -1}, "InitAlpha"},
		{sac.Config{TargetEntropy: nan}, "TargetEntropy"},
		{sac.Config{LogStdMin: nan}, "LogStdMin"},
		{sac.Config{LogStdMax: float32(math.Inf(-1))}, "LogStdMax"},
		{sac.Config{LogStdMin: 3}, "LogStdMin"}, // above the default max 2
		{sac.Config{BCWeight: -0.5}, "BCWeight"},
	}
	for _, c := range bad {
		err := c.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), "sac.Config."+c.field+" ") {
			t.Errorf("%+v: error %v, want one naming %s", c.cfg, err, c.field)
		}
		if _, err := sac.New(3, 1, c.cfg, 1); err == nil {
			t.Errorf("New accepted %+v", c.cfg)
		}
	}
	if err := (sac.Config{}).Validate(); err != nil {
		t.Fatalf("zero config: %v", err)
	}
	d := sac.Config{}.WithDefaults(3)
	if len(d.Hidden) != 2 || d.Hidden[0] != 256 || d.Activation != "relu" || d.ActorLR != 3e-4 || d.CriticLR != 3e-4 ||
		d.AlphaLR != 3e-4 || d.Gamma != 0.99 || d.Tau != 0.005 || d.BatchSize != 256 || d.InitAlpha != 1 ||
		d.TargetEntropy != -3 || d.LogStdMin != -5 || d.LogStdMax != 2 || d.BCWeight != 0 {
		t.Fatalf("defaults %+v", d)
	}
	agenttest.RejectsBadDims(t, func(o, a int) error { _, err := sac.New(o, a, sac.Config{}, 1); return err })
}

func TestUpdatePanicsOnWrongBatch(t *testing.T) {
	a := mustNew(t, 3, 1, sac.Config{Hidden: []int{8}}, 1)
	b := agenttest.Batches(4, 1, 8, 1, 1)[0] // obs dim 4, agent expects 3
	agenttest.MustPanic(t, "sac.Update", func() { a.Update(b) })
}

// The α step moves log α by the Adam learning rate in the direction that
// brings the entropy towards the target: up when the entropy is below it.
func TestEntropyTuningDirection(t *testing.T) {
	bs := agenttest.Batches(3, 1, 32, 20, 2)
	for _, c := range []struct {
		target float32
		up     bool
	}{{5, true}, {-20, false}} { // 5 nats is above any tanh-Gaussian's entropy on [-1, 1]
		a := mustNew(t, 3, 1, sac.Config{Hidden: []int{16, 16}, TargetEntropy: c.target}, 1)
		prev := a.Alpha()
		for u, b := range bs {
			ms := a.Update(b)
			if got := agenttest.Metric(t, ms, "train/alpha"); got != float64(prev) {
				t.Fatalf("update %d reports α %v, it used %v", u, got, prev)
			}
			alpha := a.Alpha()
			if (alpha > prev) != c.up || alpha == prev {
				t.Fatalf("target %v, entropy %.3f: α went %v → %v", c.target, agenttest.Metric(t, ms, "train/entropy"), prev, alpha)
			}
			if u == 0 {
				// Adam's first step is exactly lr·sign(gradient) up to ε.
				step := math.Log(float64(alpha)) - math.Log(float64(prev))
				if math.Abs(math.Abs(step)-3e-4) > 1e-6 {
					t.Fatalf("first log α step %v, want ±3e-4", step)
				}
			}
			prev = alpha
		}
	}
	fixed := mustNew(t, 3, 1, sac.Config{Hidden: []int{16}, FixedAlpha: true, InitAlpha: 0.2}, 1)
	for _, b := range bs[:5] {
		fixed.Update(b)
	}
	if math.Abs(float64(fixed.Alpha())-0.2) > 1e-7 {
		t.Fatalf("fixed α moved to %v", fixed.Alpha())
	}
	for _, p := range fixed.Params() {
		if p.Name == "log_alpha" {
			t.Fatal("fixed α is listed as trainable")
		}
	}
}

// On a one-step problem with reward -|a|² the policy's entropy trades off
// against reward, so entropy tuning has an interior fixed point: α must
// settle where the policy's entropy equals the target.
func TestEntropyTuningReachesTarget(t *testing.T) {
	const target = -1.5
	a := mustNew(t, 1, 1, sac.Config{Hidden: []int{16, 16}, TargetEntropy: target, ActorLR: 3e-3, CriticLR: 3e-3, AlphaLR: 1e-2}, 3)
	s := rng.New(4)
	const n = 64
	b := &replay.Batch{Obs: make([]float32, n), Act: make([]float32, n), Rew: make([]float32, n), NextObs: make([]float32, n), Done: make([]float32, n)}
	var ent, first float64
	const updates, last = 3000, 300
	for u := 0; u < updates; u++ {
		s.FillUniform(b.Act, -1, 1)
		for i := range b.Rew {
			b.Rew[i] = -4 * b.Act[i] * b.Act[i]
			b.Done[i] = 1
		}
		ms := a.Update(b)
		if u == 0 {
			first = agenttest.Metric(t, ms, "train/entropy")
		}
		if u >= updates-last {
			ent += agenttest.Metric(t, ms, "train/entropy") / last
		}
	}
	t.Logf("entropy %.3f at the first update, %.3f over the last %d (target %v), α %.4f", first, ent, last, target, a.Alpha())
	if math.Abs(first-target) < 0.5 {
		t.Fatalf("entropy starts at %.3f, too close to the target %v for the test to mean anything", first, target)
	}
	if math.Abs(ent-target) > 0.1 {
		t.Fatalf("entropy %.3f, target %v", ent, target)
	}
}

func TestBCTerm(t *testing.T) {
	bs := agenttest.Batches(3, 2, 32, 40, 5)
	if m := mustNew(t, 3, 2, sac.Config{Hidden: []int{16, 16}, BCWeight: 1}, 1).Update(bs[0]); agenttest.Metric(t, m, "loss/bc_kl") != 0 {
		t.Fatal("loss/bc_kl is not 0 without a reference")
	}
	kl := map[float32]float64{}
	for _, w := range []float32{0, 5} {
		a := mustNew(t, 3, 2, sac.Config{Hidden: []int{16, 16}, ActorLR: 3e-3}, 1)
		for _, b := range bs[:10] {
			a.Update(b)
		}
		a.FreezeBCReference()
		a.SetBCWeight(w)
		if got := agenttest.Metric(t, a.Update(bs[10]), "loss/bc_kl"); math.Abs(got) > 1e-9 {
			t.Fatalf("KL right after freezing = %v, want 0", got)
		}
		for _, b := range bs[11:] {
			kl[w] = agenttest.Metric(t, a.Update(b), "loss/bc_kl")
		}
	}
	t.Logf("KL to the frozen policy after 30 updates: weight 0 → %.4g, weight 5 → %.4g", kl[0], kl[5])
	if !(kl[0] > 0) || !(kl[5] < kl[0]/2) {
		t.Fatalf("KL with weight 5 (%v) is not well below KL with weight 0 (%v)", kl[5], kl[0])
	}
	defer func() {
		if recover() == nil {
			t.Fatal("SetBCWeight(-1) did not panic")
		}
	}()
	mustNew(t, 3, 2, sac.Config{}, 1).SetBCWeight(-1)
}

func TestExtraActorLoss(t *testing.T) {
	bs := agenttest.Batches(3, 2, 16, 3, 6)
	plain := mustNew(t, 3, 2, sac.Config{Hidden: []int{16}}, 1)
	hooked := mustNew(t, 3, 2, sac.Config{Hidden: []int{16}}, 1)
	calls := 0
	// A constant term: adds 1 to the loss and nothing to the gradient.
	hooked.ExtraActorLoss = func(obs, mean, logStd, dMean, dLogStd *tensor.Mat) float32 {
		calls++
		if obs.Rows != 16 || obs.Cols != 3 || mean.Rows != 16 || mean.Cols != 2 || !tensor.SameShape(mean, logStd) ||
			!tensor.SameShape(mean, dMean) || !tensor.SameShape(mean, dLogStd) {
			t.Fatalf("hook shapes obs %s mean %s logStd %s dMean %s dLogStd %s", obs.Shape(), mean.Shape(), logStd.Shape(), dMean.Shape(), dLogStd.Shape())
		}
		return 1
	}
	for _, b := range bs {
		lp := agenttest.Metric(t, plain.Update(b), "loss/actor")
		lh := agenttest.Metric(t, hooked.Update(b), "loss/actor")
		if math.Abs(lh-lp-1) > 1e-9 {
			t.Fatalf("loss/actor with a constant-1 term %v, without %v", lh, lp)
		}
	}
	if calls != len(bs) {
		t.Fatalf("hook called %d times in %d updates", calls, len(bs))
	}
	// A term with a gradient pulls the means towards 0.
	pull := mustNew(t, 3, 2, sac.Config{Hidden: []int{16}, ActorLR: 1e-2}, 1)
	pull.ExtraActorLoss = func(_, mean, _, dMean, _ *tensor.Mat) float32 {
		var s float64
		for i, v := range mean.Values() {
			s += float64(v * v)
			dMean.Data[i] += 100 * 2 * v / float32(mean.Rows)
		}
		return float32(100 * s / float64(mean.Rows))
	}
	first := agenttest.Metric(t, pull.Update(bs[0]), "loss/actor")
	for k := 0; k < 30; k++ {
		pull.Update(bs[1])
	}
	if last := agenttest.Metric(t, pull.Update(bs[2]), "loss/actor"); !(last < first/3) {
		t.Fatalf("actor loss with a strong mean² term went %v → %v", first, last)
	}
}

// Loading a state without a BC reference drops the agent's reference;
// loading one with it creates it.
func TestSetStateBCReference(t *testing.T) {
	with := mustNew(t, 3, 2, sac.Config{Hidden: []int{8}}, 1)
	with.FreezeBCReference()
	without := mustNew(t, 3, 2, sac.Config{Hidden: []int{8}}, 2)
	m, o, r, err := without.State()
	if err != nil {
		t.Fatal(err)
	}
	if err := with.SetState(m, o, r); err != nil {
		t.Fatal(err)
	}
	if with.HasBCReference() {
		t.Fatal("reference kept after loading a state without one")
	}
	src := mustNew(t, 3, 2, sac.Config{Hidden: []int{8}}, 3)
	src.FreezeBCReference()
	src.SetBCWeight(0.25)
	if m, o, r, err = src.State(); err != nil {
		t.Fatal(err)
	}
	if err := without.SetState(m, o, r); err != nil {
		t.Fatal(err)
	}
	if !without.HasBCReference() || without.BCWeight() != 0.25 {
		t.Fatalf("after loading: reference %v, weight %v", without.HasBCReference(), without.BCWeight())
	}
}

// TestCloneBehaviour: behaviour cloning recovers a known tanh-Gaussian
// behaviour policy, a = tanh(u) with u ~ N(0.8·s₀ − 0.3, 0.3²) for states
// uniform in [−1, 1]³: after 1500 steps the policy mean is off 0.8·s₀ − 0.3
// by at most 0.05 on average over fresh states (measured 0.019; worst 0.136
// of 512, bound 0.25) and σ is within 20 % of 0.3 (measured 0.29), and the
// loss fell. Only the actor changes: the critic's
// Q-values are untouched.
func TestCloneBehaviour(t *testing.T) {
	const O, A, n = 3, 2, 256
	a := mustNew(t, O, A, sac.Config{Hidden: []int{32, 32}}, 1)
	s := rng.New(7)
	b := replay.NewBatch(n, O, A, false)
	fill := func() {
		for i := 0; i < n; i++ {
			for j := 0; j < O; j++ {
				b.Obs[i*O+j] = float32(2*s.Float64() - 1)
				b.NextObs[i*O+j] = b.Obs[i*O+j]
			}
			for j := 0; j < A; j++ {
				u := 0.8*float64(b.Obs[i*O]) - 0.3 + 0.3*s.NormFloat64()
				b.Act[i*A+j] = float32(math.Tanh(u))
			}
		}
	}
	fill()
	before := criticSum(t, a, b)
	first := a.CloneBehaviour(b)
	var last float64
	for range 1500 {
		fill()
		last = a.CloneBehaviour(b)
	}
	if !(last < first) {
		t.Fatalf("BC loss went %v → %v", first, last)
	}
	if after := criticSum(t, a, b); after != before {
		t.Fatalf("behaviour cloning changed the critic: Q %v → %v", before, after)
	}
	// Means from deterministic actions, σ from the spread of sampled ones.
	fill()
	act := make([]float32, n*A)
	if err := a.ActBatch(b.Obs, act, true); err != nil {
		t.Fatal(err)
	}
	var worst, mae float64
	for i := 0; i < n; i++ {
		want := 0.8*float64(b.Obs[i*O]) - 0.3
		for j := 0; j < A; j++ {
			e := math.Abs(math.Atanh(float64(act[i*A+j])) - want)
			worst = max(worst, e)
			mae += e / (n * A)
		}
	}
	obs := make([]float32, 4000*O) // one state, many samples
	for i := range 4000 {
		obs[i*O] = 0.5
	}
	samples := make([]float32, 4000*A)
	if err := a.ActBatch(obs, samples, false); err != nil {
		t.Fatal(err)
	}
	var m, m2 float64
	for i := range 4000 {
		u := math.Atanh(min(max(float64(samples[i*A]), -1+1e-6), 1-1e-6))
		m += u / 4000
		m2 += u * u / 4000
	}
	sd := math.Sqrt(m2 - m*m)
	t.Logf("BC loss %.4g → %.4g; mean error %.3g (worst %.3g); σ %.3g (want 0.3)", first, last, mae, worst, sd)
	if mae > 0.05 || worst > 0.25 || math.Abs(sd-0.3) > 0.06 {
		t.Fatalf("cloned policy: mean error %.3g (max 0.05), worst %.3g (max 0.25), σ %.3g (want 0.3 ± 0.06)", mae, worst, sd)
	}
}

// criticSum returns the sum of the agent's critic parameters (b unused: the
// check is that no critic value changed).
func criticSum(t *testing.T, a *sac.Agent, _ *replay.Batch) float64 {
	t.Helper()
	st, _, _, err := a.State()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, x := range st {
		if strings.HasPrefix(x.Name, "critic") {
			for _, v := range x.Data {
				sum += float64(v)
			}
		}
	}
	return sum
}

// TestFreezeAlpha: a frozen α keeps its value through updates; unfrozen it
// is learned again.
func TestFreezeAlpha(t *testing.T) {
	bs := agenttest.Batches(3, 2, 32, 20, 9)
	a := mustNew(t, 3, 2, sac.Config{Hidden: []int{16}}, 1)
	a.FreezeAlpha(true)
	for _, b := range bs[:10] {
		a.Update(b)
	}
	if a.Alpha() != 1 {
		t.Fatalf("frozen α moved to %v", a.Alpha())
	}
	a.FreezeAlpha(false)
	for _, b := range bs[10:] {
		a.Update(b)
	}
	if a.Alpha() == 1 {
		t.Fatal("α not learned after unfreezing")
	}
}

func TestSetAlpha(t *testing.T) {
	a := mustNew(t, 3, 1, sac.Config{Hidden: []int{8}}, 1)
	if err := a.SetAlpha(0.1); err != nil || math.Abs(float64(a.Alpha())-0.1) > 1e-6 {
		t.Fatalf("SetAlpha(0.1): α %v, %v", a.Alpha(), err)
	}
	for _, v := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if err := a.SetAlpha(v); err == nil {
			t.Errorf("SetAlpha(%v) accepted", v)
		}
	}
}
