package experiment

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/dwm-rl/dwm/worldmodel"
)

// TestBDWMRun runs each model-based algorithm for a few steps on the
// embedded Pendulum dataset through Run: the resolved config names the
// variant and the task's termination rule, and the run finishes.
func TestBDWMRun(t *testing.T) {
	for _, algo := range []string{"bdwm", "mopo", "diamond"} {
		c := Default(algo, "pendulum")
		c.Dataset = "pendulum-medium"
		c.RunsDir = t.TempDir()
		c.Train.OfflineSteps, c.Train.OnlineSteps = 60, 60
		c.Train.BatchSize, c.Train.EvalEpisodes, c.Train.EvalEvery = 32, 1, 1000
		c.SAC.Hidden = []int{32, 32}
		c.BDWM.Model = worldmodel.Config{Members: 2, Samples: 2, LatentDim: 8, EncoderHidden: []int{16}, Width: 16, Blocks: 1,
			TimeDim: 8, DiffusionSteps: 10, SampleSteps: 5, BatchSize: 32, GaussianHidden: []int{16}, Elites: 2}
		c.BDWM.ModelSteps, c.BDWM.EtaSamples, c.BDWM.RolloutBatch, c.BDWM.RolloutEvery = 20, 100, 16, 30
		c.BDWM.QualitySamples, c.BDWM.SigmaBatch, c.BDWM.SigmaEvery = 50, 16, 20
		res, err := Run(context.Background(), c, Options{Out: io.Discard, Quiet: true})
		if err != nil {
			t.Fatalf("%s: %v", algo, err)
		}
		rc, err := loadRunConfig(res.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if string(rc.BDWM.Variant) != algo || rc.BDWM.Model.Termination != worldmodel.Never {
			t.Errorf("%s: resolved variant %q, termination %q", algo, rc.BDWM.Variant, rc.BDWM.Model.Termination)
		}
		if _, ok := res.Final(); !ok {
			t.Errorf("%s: no evaluation", algo)
		}
	}
}

func TestWorldModelFitEval(t *testing.T) {
	out := filepath.Join(t.TempDir(), "wm.safetensors")
	rep, err := FitWorldModel(WorldModelFit{Dataset: "pendulum-medium", Env: "pendulum", Steps: 20, Out: out, QualitySamples: 100,
		Model: worldmodel.Config{Members: 2, Samples: 2, LatentDim: 8, EncoderHidden: []int{16}, Width: 16, Blocks: 1, TimeDim: 8,
			DiffusionSteps: 10, SampleSteps: 5, BatchSize: 32}}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.HasQuality || rep.Quality.N != 100 {
		t.Errorf("fit report %+v", rep)
	}
	q, err := EvalWorldModel(out, "pendulum-medium", 50, 1)
	if err != nil {
		t.Fatal(err)
	}
	if q.N != 50 || !(q.OneStepMSE > 0) {
		t.Errorf("eval %+v", q)
	}
	if _, err := FitWorldModel(WorldModelFit{Dataset: "pendulum-medium", Steps: 1}, nil); err == nil {
		t.Error("no output file accepted")
	}
}
