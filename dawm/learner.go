package dawm

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/agent/iql"
	"github.com/dwm-rl/dwm/agent/td3bc"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
)

// Learner is an offline agent DAWM's data can train: TD3+BC or IQL.
type Learner interface {
	Update(b *replay.Batch) []agent.Metric
	FitStateNorm(obs []float32) error
	ActBatch(obs, act []float32, deterministic bool) error
}

// LearnerConfig configures TrainLearner. Zero fields take the defaults
// listed on each field.
type LearnerConfig struct {
	// Learner is "td3bc" (default) or "iql", with their packages' default
	// configurations.
	Learner string
	// RealRatio is the fraction of each batch drawn from the real dataset,
	// the rest from generated data (default 0.5, our choice; must be in
	// (0, 1]; 1 trains on real data only).
	RealRatio float64
	// Steps is the number of updates (required, > 0).
	Steps int
	// Batch is the batch size (default 256, both learners' CORL default).
	Batch int
}

// TrainLearner trains a TD3+BC or IQL agent for cfg.Steps updates on
// batches mixing real and generated transitions at cfg.RealRatio (replay
// .Mixed). The state normaliser is fitted on the real states only, so the
// agent's statistics do not depend on the generated data. gen may be nil
// only when RealRatio is 1. It returns the agent and the last update's
// metrics.
func TrainLearner(real, gen *dataset.Dataset, cfg LearnerConfig, seed uint64) (Learner, []agent.Metric, error) {
	if cfg.Learner == "" {
		cfg.Learner = "td3bc"
	}
	if cfg.RealRatio == 0 {
		cfg.RealRatio = 0.5
	}
	if cfg.Batch == 0 {
		cfg.Batch = 256
	}
	if cfg.Learner != "td3bc" && cfg.Learner != "iql" {
		return nil, nil, fmt.Errorf("dawm: learner: Learner = %q, want \"td3bc\" or \"iql\"", cfg.Learner)
	}
	if !(cfg.RealRatio > 0 && cfg.RealRatio <= 1) || math.IsNaN(cfg.RealRatio) {
		return nil, nil, fmt.Errorf("dawm: learner: RealRatio = %v, want in (0, 1]", cfg.RealRatio)
	}
	if cfg.Steps <= 0 {
		return nil, nil, fmt.Errorf("dawm: learner: Steps = %d, want > 0", cfg.Steps)
	}
	if cfg.Batch <= 0 {
		return nil, nil, fmt.Errorf("dawm: learner: Batch = %d, want > 0", cfg.Batch)
	}
	if gen == nil && cfg.RealRatio < 1 {
		return nil, nil, fmt.Errorf("dawm: learner: RealRatio = %v needs generated data, got none", cfg.RealRatio)
	}
	if gen != nil && (gen.ObsDim != real.ObsDim || gen.ActDim != real.ActDim) {
		return nil, nil, fmt.Errorf("dawm: learner: generated data has obs/act dims %d/%d, real data %d/%d", gen.ObsDim, gen.ActDim, real.ObsDim, real.ActDim)
	}
	var l Learner
	var err error
	switch cfg.Learner {
	case "td3bc":
		l, err = td3bc.New(real.ObsDim, real.ActDim, td3bc.Config{}, seed)
	case "iql":
		l, err = iql.New(real.ObsDim, real.ActDim, iql.Config{}, seed)
	default:
		return nil, nil, fmt.Errorf("dawm: learner: Learner = %q, want \"td3bc\" or \"iql\"", cfg.Learner)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("dawm: learner %s: %w", cfg.Learner, err)
	}
	if err := l.FitStateNorm(real.Observations); err != nil {
		return nil, nil, fmt.Errorf("dawm: learner %s: state normaliser: %w", cfg.Learner, err)
	}
	rb, err := replay.FromDataset(real, 0, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("dawm: learner: real data: %w", err)
	}
	var src replay.Sampler = rb
	if cfg.RealRatio < 1 {
		if gen.Len() == 0 {
			return nil, nil, fmt.Errorf("dawm: learner: generated dataset is empty (filtered out entirely?)")
		}
		gb, err := replay.FromDataset(gen, 0, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("dawm: learner: generated data: %w", err)
		}
		if src, err = replay.NewMixed(rb, gb, cfg.RealRatio); err != nil {
			return nil, nil, fmt.Errorf("dawm: learner: %w", err)
		}
	}
	batch := replay.NewBatch(cfg.Batch, real.ObsDim, real.ActDim, false)
	s := rng.Derive(seed, "dawm", "learner", "batches")
	var m []agent.Metric
	for step := 0; step < cfg.Steps; step++ {
		src.SampleRows(s, batch, 0, cfg.Batch)
		m = m[:0]
		m = append(m, l.Update(batch)...)
	}
	for _, x := range m {
		if math.IsNaN(x.Value) || math.IsInf(x.Value, 0) {
			return nil, nil, fmt.Errorf("dawm: learner %s: metric %s = %v after %d updates", cfg.Learner, x.Name, x.Value, cfg.Steps)
		}
	}
	return l, m, nil
}
