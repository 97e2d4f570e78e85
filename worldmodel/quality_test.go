package worldmodel

import (
	"math"
	"testing"

	"github.com/dwm-rl/dwm/rng"
)

// TestEpistemicSeparatesOOD: on data collected by a narrow behaviour
// policy, σ_ep of uniformly random actions exceeds σ_ep of the dataset
// actions at the same held-out states with AUROC ≥ 0.9 (issue 8), and the
// quality report is finite. The shared-encoder variant is measured too and
// logged for comparison.
func TestEpistemicSeparatesOOD(t *testing.T) {
	data := narrowTask(4000, rng.New(11))
	for _, c := range []struct {
		name   string
		shared bool
		check  bool
	}{{"per-member encoders", false, true}, {"shared encoder", true, false}} {
		cfg := smallDiffusion()
		cfg.SharedEncoder = c.shared
		_, rep, err := Fit(data, cfg, FitOptions{Steps: 1200, Seed: 12, Quality: QualityOptions{MaxTransitions: 500}})
		if err != nil {
			t.Fatal(err)
		}
		q := rep.Quality
		t.Logf("%s: AUROC %.3f, Spearman %.3f, one-step MSE %.4f, mean σ_ep %.4f (dataset actions) vs %.4f (random actions), σ_al %.4f, loss %.4f",
			c.name, q.AUROC, q.Spearman, q.OneStepMSE, q.SigmaEp, q.SigmaEpOOD, q.SigmaAl, rep.Loss)
		if !c.check {
			continue
		}
		if !rep.HasQuality || q.N != 500 || !q.EpistemicDefined {
			t.Fatalf("quality report missing: %+v", rep)
		}
		if q.AUROC < 0.9 {
			t.Errorf("AUROC %.3f < 0.9", q.AUROC)
		}
		// The reward is one of the D = |S| + 1 target dimensions whose
		// squared errors OneStepMSE averages.
		if D := float64(data.ObsDim + 1); !(q.RewardMSE > 0 && q.RewardMSE <= D*q.OneStepMSE) {
			t.Errorf("reward MSE %v outside (0, %v·%v]", q.RewardMSE, D, q.OneStepMSE)
		}
		for name, v := range q.Metrics() {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("metric %s = %v", name, v)
			}
		}
	}
}

// TestSingleMemberEpistemicUndefined: with K = 1 σ_ep is zero everywhere
// and the model says it is undefined; the quality report marks Spearman and
// AUROC NaN instead of dividing by zero.
func TestSingleMemberEpistemicUndefined(t *testing.T) {
	data := narrowTask(600, rng.New(13))
	cfg := smallDiffusion()
	cfg.Members = 1
	m, rep, err := Fit(data, cfg, FitOptions{Steps: 30, Seed: 14, Quality: QualityOptions{MaxTransitions: 50}})
	if err != nil {
		t.Fatal(err)
	}
	if m.EpistemicDefined() || rep.Quality.EpistemicDefined {
		t.Fatal("K = 1 reported a defined epistemic uncertainty")
	}
	if !math.IsNaN(rep.Quality.AUROC) || !math.IsNaN(rep.Quality.Spearman) {
		t.Errorf("K = 1: AUROC %v, Spearman %v, want NaN", rep.Quality.AUROC, rep.Quality.Spearman)
	}
	// The metrics a run logs leave the undefined ones out.
	qm := rep.Quality.Metrics()
	for _, name := range []string{"uncertainty/spearman", "uncertainty/auroc"} {
		if v, ok := qm[name]; ok {
			t.Errorf("K = 1: Metrics has %s = %v; it is undefined", name, v)
		}
	}
	if _, ok := qm["model/one_step_mse"]; !ok {
		t.Error("K = 1: Metrics lost the one-step MSE")
	}
	var p Prediction
	if err := m.Predict(&p, data.Obs[:30], data.Act[:20], PredictOptions{Aleatoric: true}, rng.New(1)); err != nil {
		t.Fatal(err)
	}
	if p.EpistemicDefined {
		t.Error("prediction says epistemic defined with K = 1")
	}
	for i, v := range p.SigmaEp {
		if v != 0 {
			t.Fatalf("σ_ep[%d] = %v with K = 1, want 0", i, v)
		}
	}
	for i, v := range p.SigmaAl {
		if !(v > 0) {
			t.Fatalf("σ_al[%d] = %v, want > 0", i, v)
		}
	}
}
