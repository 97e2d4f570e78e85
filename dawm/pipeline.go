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

// Pipeline trains the inverse-dynamics and diffusion models on d, generates
// transitions, filters them and trains the learner on d ∪ generated data.
func Pipeline(d *dataset.Dataset, cfg PipelineConfig, seed uint64) (*PipelineResult, error) {
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
	if _, err := w.Train(cfg.ModelSteps, rng.Derive(seed, "dawm", "model-train")); err != nil {
		return nil, err
	}
	idm, _, err := TrainInverseDynamics(d, nil, cfg.IDM, rng.Derive(seed, "dawm", "idm"))
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
	l, m, err := TrainLearner(d, f, cfg.Learner, seed)
	if err != nil {
		return nil, err
	}
	return &PipelineResult{Model: w, IDM: idm, Generated: f, Raw: g.Len(), Agent: l, Metrics: m}, nil
}
