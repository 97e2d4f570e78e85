package dawm

import (
	"fmt"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/rng"
)

// PipelineConfig configures Pipeline: every stage of DAWM from a dataset to
// a trained offline agent. Zero fields take the defaults of the stage
// configurations.
type PipelineConfig struct {
	// Model configures the state–reward diffusion model.
	Model Config
	// ModelSteps is the number of diffusion training steps (required, > 0).
	ModelSteps int
	// IDM configures the inverse-dynamics model.
	IDM IDMConfig
	// Gen configures generation; every dataset row that starts a full window
	// is a generation start unless Starts limits it.
	Gen GenConfig
	// Starts, if positive, is the number of dataset rows (evenly spaced)
	// generation starts from.
	Starts int
	// Filter selects the generated transitions; RangeMargin > 0 also keeps
	// only transitions inside the dataset's state range widened by it.
	Filter      FilterConfig
	RangeMargin float32
	// Learner configures the offline learner.
	Learner LearnerConfig
}

// PipelineResult holds what Pipeline produced.
type PipelineResult struct {
	Model     *WorldModel
	IDM       *InverseDynamics
	Generated *dataset.Dataset // after filtering
	Raw       int              // generated transitions before filtering
	Agent     Learner
	Metrics   []agent.Metric
}

// Synthesis holds what Synthesize produced: the fitted models and the
// generated transitions.
type Synthesis struct {
	Model     *WorldModel
	IDM       *InverseDynamics
	Generated *dataset.Dataset // after filtering
	Raw       int              // generated transitions before filtering
	// ModelLoss and IDMLoss are the final training losses (mean over the
	// last 100 steps).
	ModelLoss, IDMLoss float32
}

// Synthesize runs DAWM's data stages on d: it fits the diffusion model and
// the inverse-dynamics model, generates transitions from the generation
// starts and filters them (cfg.Learner is not used). Every random stream
// derives from seed, so the same d, cfg and seed give the same data.
// progress, if not nil, receives a line before each stage.
func Synthesize(d *dataset.Dataset, cfg PipelineConfig, seed uint64, progress func(string)) (*Synthesis, error) {
	say := func(format string, args ...any) {
		if progress != nil {
			progress(fmt.Sprintf(format, args...))
		}
	}
	if cfg.ModelSteps <= 0 {
		return nil, fmt.Errorf("dawm: pipeline: ModelSteps = %d, want > 0", cfg.ModelSteps)
	}
	if cfg.Starts < 0 {
		return nil, fmt.Errorf("dawm: pipeline: Starts = %d, want >= 0", cfg.Starts)
	}
	if cfg.RangeMargin < 0 {
		return nil, fmt.Errorf("dawm: pipeline: RangeMargin = %v, want >= 0", cfg.RangeMargin)
	}
	w, err := NewWorldModel(d, cfg.Model, rng.Derive(seed, "dawm", "model"))
	if err != nil {
		return nil, err
	}
	say("fitting the state–reward diffusion model (%d parameters) for %d steps on %d windows", w.ParamCount(), cfg.ModelSteps, len(w.starts))
	mloss, err := w.Train(cfg.ModelSteps, rng.Derive(seed, "dawm", "model-train"))
	if err != nil {
		return nil, err
	}
	say("diffusion loss %.4g; fitting the inverse-dynamics model on %d transitions", mloss, d.Len())
	idm, iloss, err := TrainInverseDynamics(d, nil, cfg.IDM, rng.Derive(seed, "dawm", "idm"))
	if err != nil {
		return nil, err
	}
	rows := w.starts
	if cfg.Starts > 0 && cfg.Starts < len(rows) {
		sel := make([]int, cfg.Starts)
		for i := range sel {
			sel[i] = rows[i*len(rows)/cfg.Starts]
		}
		rows = sel
	}
	say("inverse-dynamics loss %.4g; generating from %d dataset states", iloss, len(rows))
	g, err := Generate(w, idm, rows, cfg.Gen, rng.Derive(seed, "dawm", "generate"))
	if err != nil {
		return nil, err
	}
	fc := cfg.Filter
	if cfg.RangeMargin > 0 {
		fc.Low, fc.High = StateRange(d, cfg.RangeMargin)
	}
	f, err := Filter(g, fc)
	if err != nil {
		return nil, err
	}
	say("kept %d of %d generated transitions", f.Len(), g.Len())
	return &Synthesis{Model: w, IDM: idm, Generated: f, Raw: g.Len(), ModelLoss: mloss, IDMLoss: iloss}, nil
}

// Pipeline trains the inverse-dynamics and diffusion models on d, generates
// transitions, filters them and trains the learner on d ∪ generated data.
func Pipeline(d *dataset.Dataset, cfg PipelineConfig, seed uint64) (*PipelineResult, error) {
	s, err := Synthesize(d, cfg, seed, nil)
	if err != nil {
		return nil, err
	}
	l, m, err := TrainLearner(d, s.Generated, cfg.Learner, seed)
	if err != nil {
		return nil, err
	}
	return &PipelineResult{Model: s.Model, IDM: s.IDM, Generated: s.Generated, Raw: s.Raw, Agent: l, Metrics: m}, nil
}
