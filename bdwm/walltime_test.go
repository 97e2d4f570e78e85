package bdwm_test

import (
	"context"
	"io"
	"os"
	"testing"
	"time"

	"github.com/dwm-rl/dwm/agent/sac"
	"github.com/dwm-rl/dwm/bdwm"
	"github.com/dwm-rl/dwm/datagen"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/experiment"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/worldmodel"
)

// TestWallTimeEstimate measures, with BDWM's default configuration on
// hopper's widths, the throughput of every part of a run (world-model
// training steps, predictions, SAC updates, env steps) and extrapolates the
// wall time of the 100k offline + 100k online hopper run. It is a
// measurement, not a check: it runs only with DWM_BDWM_WALLTIME=1
// (about two minutes on an idle 2-core machine):
//
//	DWM_BDWM_WALLTIME=1 go test -run WallTime -v ./bdwm
func TestWallTimeEstimate(t *testing.T) {
	if os.Getenv("DWM_BDWM_WALLTIME") == "" {
		t.Skip("set DWM_BDWM_WALLTIME=1 to measure")
	}
	path, err := datagen.Make(context.Background(), datagen.Config{Env: "hopper", Kind: "random", Size: 20000, Seed: 1, Workers: 2,
		CacheDir: t.TempDir()}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	d, err := dataset.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := bdwm.Config{}.WithDefaults()
	cfg.Model.Termination = worldmodel.Hopper
	data := worldmodel.FromDataset(d)
	m, err := worldmodel.New(d.ObsDim, d.ActDim, cfg.Model, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.FitNormalizers(data.Obs, data.Act, data.Next, data.Rew); err != nil {
		t.Fatal(err)
	}
	buf, err := replay.FromDataset(d, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	rate := func(n int, f func()) float64 {
		f() // warm up
		start := time.Now()
		for i := 0; i < n; i++ {
			f()
		}
		return float64(n) / time.Since(start).Seconds()
	}
	trainRate := rate(20, func() {
		if _, err := m.Train(buf, 1); err != nil {
			t.Fatal(err)
		}
	})
	var p worldmodel.Prediction
	s := rng.New(2)
	predict := func(b int, aleatoric bool) float64 {
		return float64(b) * rate(2, func() {
			if err := m.Predict(&p, data.Obs[:b*d.ObsDim], data.Act[:b*d.ActDim], worldmodel.PredictOptions{Aleatoric: aleatoric}, s); err != nil {
				t.Fatal(err)
			}
		})
	}
	imagineRate := predict(cfg.RolloutBatch, true)
	sigmaRate := predict(cfg.SigmaBatch, false)
	ag, err := sac.New(d.ObsDim, d.ActDim, sac.Config{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	batch := replay.NewBatch(256, d.ObsDim, d.ActDim, false)
	updRate := rate(200, func() {
		buf.Sample(s, batch)
		ag.Update(batch)
	})
	e, err := experiment.MakeEnv("hopper")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	obs, act := make([]float32, d.ObsDim), make([]float32, d.ActDim)
	e.Reset(1, obs)
	envRate := rate(2000, func() {
		if err := ag.Act(obs, act, false); err != nil {
			t.Fatal(err)
		}
		r, err := e.Step(act, obs)
		if err != nil {
			t.Fatal(err)
		}
		if r.Terminated || r.Truncated {
			e.Reset(2, obs)
		}
	})
	const offline, online = 100000, 100000
	rounds := float64(offline/cfg.RolloutEvery + online/cfg.RolloutEvery - 1)
	imagined := rounds * float64(cfg.RolloutBatch*cfg.Horizon) // upper bound: no rejections
	parts := []struct {
		what string
		sec  float64
	}{
		{"world-model fit (model_steps)", float64(cfg.ModelSteps) / trainRate},
		{"η (eta_samples predictions)", float64(cfg.EtaSamples) / sigmaRate},
		{"quality reports (2 × quality_samples each)", float64(2*cfg.QualitySamples*(1+online/cfg.QualityEvery)) / sigmaRate},
		{"imagination (≤ rounds × rollout_batch × horizon)", imagined / imagineRate},
		{"σ̄_ep (online/sigma_every × sigma_batch)", float64(online/cfg.SigmaEvery*cfg.SigmaBatch) / sigmaRate},
		{"online world-model training", float64(online/cfg.ModelTrainEvery*cfg.ModelTrainSteps) / trainRate},
		{"SAC updates (offline + online)", float64(offline+online) / updRate},
		{"env steps (online)", float64(online) / envRate},
	}
	var total float64
	for _, p := range parts {
		total += p.sec
		t.Logf("%-50s %8.0f s", p.what, p.sec)
	}
	t.Logf("measured: world-model train %.2f steps/s, imagination %.1f transitions/s (B=%d), predictions %.1f/s (B=%d), SAC %.0f updates/s, env %.0f steps/s",
		trainRate, imagineRate, cfg.RolloutBatch, sigmaRate, cfg.SigmaBatch, updRate, envRate)
	t.Logf("estimated wall time of a 100k + 100k hopper run with the defaults: %.2f h (load average at the end: %s)", total/3600, loadavg())
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return string(b[:min(len(b), 14)])
}
