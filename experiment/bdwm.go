package experiment

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/dwm-rl/dwm/agent/calql"
	"github.com/dwm-rl/dwm/agent/iql"
	"github.com/dwm-rl/dwm/agent/sac"
	"github.com/dwm-rl/dwm/bdwm"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/train"
	"github.com/dwm-rl/dwm/worldmodel"
)

// isBDWM reports whether algo runs through package bdwm.
func isBDWM(algo string) bool { return algo == "bdwm" || algo == "mopo" || algo == "diamond" }

// validateBDWM checks a bdwm, mopo or diamond config: it needs a dataset
// (D_off), and the config section of its base learner (sac:, iql: or
// calql:, chosen by bdwm.learner) must be valid.
func validateBDWM(c Config) error {
	if c.Dataset == "" {
		return fmt.Errorf("algorithm %s needs an offline dataset (--dataset): its world model is fitted on it", c.Algo)
	}
	b := c.BDWM
	b.Variant = bdwm.Variant(c.Algo)
	if err := b.Validate(); err != nil {
		return err
	}
	switch b.WithDefaults().Learner {
	case bdwm.IQL:
		return c.IQL.Validate()
	case bdwm.CalQL:
		return c.CalQL.Validate()
	}
	return c.SAC.Validate()
}

// bdwmLearnerConfig returns c with the defaults of its BDWM base learner's
// section applied as the plain algorithm resolves them: IQL's cosine actor
// schedule over the offline steps (CORL: T_max = offline_iterations) and
// its CORL defaults, Cal-QL's CQL defaults for actDim (CORL cal_ql.py).
// SAC's are applied by Resolve.
func bdwmLearnerConfig(c Config, actDim int) Config {
	switch c.BDWM.WithDefaults().Learner {
	case bdwm.IQL:
		if c.IQL.ScheduleSteps == 0 && c.Train.OfflineSteps > 0 {
			c.IQL.ScheduleSteps = c.Train.OfflineSteps
		}
		c.IQL = c.IQL.WithDefaults()
	case bdwm.CalQL:
		c.CalQL.CQL = c.CalQL.CQL.WithDefaults(actDim)
	}
	return c
}

// newBDWMAgent builds the base learner bdwm.learner names — SAC, IQL or
// Cal-QL — from its own config section (bdwmLearnerConfig's defaults).
// newAgent calls it for the bdwm, mopo and diamond algorithms, so that
// Evaluate reloads IQL and Cal-QL runs too.
func newBDWMAgent(c Config, obsDim, actDim int) (train.Agent, error) {
	c = bdwmLearnerConfig(c, actDim)
	switch c.BDWM.WithDefaults().Learner {
	case bdwm.IQL:
		return iql.New(obsDim, actDim, c.IQL, c.Seed)
	case bdwm.CalQL:
		return calql.New(obsDim, actDim, c.CalQL, c.Seed)
	}
	return sac.New(obsDim, actDim, c.SAC, c.Seed)
}

// bdwmLearner makes the loop train the agent bdwm.learner names: it
// replaces the SAC agent build makes for every bdwm algorithm by the IQL or
// Cal-QL agent (newBDWMAgent), with IQL's state normalizer fitted on D_off
// (a resumed run restores it; an agent newAgent built already had build fit
// it, and is kept), and sets the loop's γ to the learner's. For
// Cal-QL it returns D_off's Monte-Carlo returns (its lower bounds).
func bdwmLearner(c Config, loop *train.Loop, data *dataset.Dataset) (offlineMC []float32, err error) {
	c = bdwmLearnerConfig(c, data.ActDim)
	learner := c.BDWM.WithDefaults().Learner
	ok := false
	switch a := loop.Agent.(type) {
	case *sac.Agent:
		ok = learner == bdwm.SAC
	case *iql.Agent:
		ok = learner == bdwm.IQL
	case *calql.Agent:
		ok = learner == bdwm.CalQL && a.Calibrated()
	}
	if !ok {
		if _, isSAC := loop.Agent.(*sac.Agent); !isSAC {
			return nil, fmt.Errorf("agent %T, want the SAC agent build makes or the learner's own", loop.Agent)
		}
		ag, err := newBDWMAgent(c, data.ObsDim, data.ActDim)
		if err != nil {
			return nil, err
		}
		if f, ok := ag.(interface{ FitStateNorm([]float32) error }); ok {
			if err := f.FitStateNorm(data.Observations); err != nil {
				return nil, fmt.Errorf("dataset %s: %w", c.Dataset, err)
			}
		}
		loop.Agent = ag
	}
	switch learner {
	case bdwm.IQL:
		loop.Discount = float64(c.IQL.Gamma)
	case bdwm.CalQL:
		loop.Discount = float64(c.CalQL.CQL.Gamma)
		if offlineMC, err = c.CalQL.MCReturns(data); err != nil {
			return nil, fmt.Errorf("dataset %s: %w", c.Dataset, err)
		}
	}
	return offlineMC, nil
}

// resolveBDWM fills BDWM's defaults for the run's algorithm and sets the
// world model's termination rule from the task when the config leaves it
// open (worldmodel.TerminationFor: the hopper and walker2d healthy rules,
// never for pendulum and halfcheetah, a learned classifier otherwise).
func resolveBDWM(c Config) bdwm.Config {
	b := c.BDWM
	b.Variant = bdwm.Variant(c.Algo)
	b = b.WithDefaults()
	if b.Model.Termination == "" {
		b.Model.Termination = worldmodel.TerminationFor(c.Env)
	}
	return b
}

// wireBDWM builds the BDWM method around the loop's agent and the dataset
// and hands the loop its samplers, online buffer and hooks. The dataset's
// replay buffer, when built, serves as D_off. The world model's fit stops
// when ctx is cancelled.
func wireBDWM(ctx context.Context, c Config, loop *train.Loop, data *dataset.Dataset, offline *replay.Buffer, opts Options) error {
	if data == nil {
		return fmt.Errorf("algorithm %s needs an offline dataset", c.Algo)
	}
	offlineMC, err := bdwmLearner(c, loop, data)
	if err != nil {
		return fmt.Errorf("algorithm %s: bdwm.learner %s: %w", c.Algo, c.BDWM.WithDefaults().Learner, err)
	}
	ag, ok := loop.Agent.(bdwm.Learner)
	if !ok {
		return fmt.Errorf("algorithm %s: base learner %T cannot act in batches", c.Algo, loop.Agent)
	}
	if offline != nil && (offline.Len() != data.Len() || offlineMC != nil) {
		offline = nil // bdwm builds D_off (with the MC column for Cal-QL)
	}
	parts := bdwm.Parts{Agent: ag, Data: data, Offline: offline, OfflineMC: offlineMC, OnlineMC: offlineMC != nil,
		OnlineCapacity: c.Buffer.Size, Seed: c.Seed, Stop: ctx.Err}
	if opts.Out != nil {
		parts.Progress = func(msg string) { fmt.Fprintf(opts.Out, "%s: %s\n", c.Algo, msg) }
	}
	bc := resolveBDWM(c)
	if bc.ModelCache == "" {
		// Runs share fitted world models by default (bdwm.model_cache).
		if d, err := os.UserCacheDir(); err == nil {
			bc.ModelCache = filepath.Join(d, "dwm", "worldmodel")
		}
	}
	m, err := bdwm.New(bc, parts)
	if err != nil {
		return fmt.Errorf("algorithm %s: %w", c.Algo, err)
	}
	loop.OfflineSampler = m.OfflineSampler()
	loop.OnlineBuffer, loop.OnlineSampler = m.OnlineBuffer(), m.OnlineSampler()
	loop.Hooks = m.Hooks()
	if offlineMC != nil {
		// Cal-QL: online episodes get their Monte-Carlo returns when they
		// end (−∞ until then), as in the plain calql algorithm.
		mc, err := bdwmLearnerConfig(c, data.ActDim).CalQL.OnlineMC(m.OnlineBuffer())
		if err != nil {
			return fmt.Errorf("algorithm %s: %w", c.Algo, err)
		}
		after := loop.Hooks.AfterEnvStep
		loop.Hooks.AfterEnvStep = func(step int64, t train.Transition) error {
			if err := mc.Step(t.Terminated, t.Truncated); err != nil {
				return err
			}
			return after(step, t)
		}
	}
	// The world model's parameters are checked for NaN and infinity with
	// the agent's (it exists once the run has fitted or loaded it).
	loop.Hooks.Params = func() []*nn.Param {
		if wm := m.Model(); wm != nil {
			return nn.Prefixed("worldmodel", wm.Params())
		}
		return nil
	}
	return nil
}

// WorldModelFit describes `dwm worldmodel fit`: a world model fitted on a
// dataset alone, saved for inspection or for runs (bdwm.model_path).
type WorldModelFit struct {
	// Dataset is a dataset file, embedded or made name (LoadDataset).
	Dataset string
	// Env is the task id; it chooses the termination rule when Model
	// leaves it open (worldmodel.TerminationFor). May be empty then the
	// rule defaults to never terminating.
	Env string
	// Model configures the world model (worldmodel defaults for zero
	// fields).
	Model worldmodel.Config
	// Steps is the number of training steps (default 20000, bdwm's
	// model_steps default).
	Steps int
	// Seed seeds initialisation, minibatches and the held-out split.
	Seed uint64
	// Out is the model file to write (.safetensors).
	Out string
	// QualitySamples caps the held-out transitions of the report (default
	// 1000).
	QualitySamples int
	// Stop, if set, ends the fit early with its error (see
	// worldmodel.FitOptions.Stop); nothing is written then.
	Stop func() error
}

// FitWorldModel runs a WorldModelFit: loads the dataset, fits the model
// (progress lines to w, if not nil), writes it to j.Out and returns the fit
// report, whose Quality holds the held-out one-step error, Spearman and
// AUROC.
func FitWorldModel(j WorldModelFit, w io.Writer) (*worldmodel.FitReport, error) {
	if j.Out == "" {
		return nil, fmt.Errorf("worldmodel fit: no output file")
	}
	d, err := LoadDataset(j.Dataset)
	if err != nil {
		return nil, err
	}
	cfg := j.Model
	if cfg.Termination == "" && j.Env != "" {
		cfg.Termination = worldmodel.TerminationFor(j.Env)
	}
	steps := j.Steps
	if steps == 0 {
		steps = 20000
	}
	opt := worldmodel.FitOptions{Steps: steps, Seed: j.Seed, Quality: worldmodel.QualityOptions{MaxTransitions: max(j.QualitySamples, 0)}, Stop: j.Stop}
	if opt.Quality.MaxTransitions == 0 {
		opt.Quality.MaxTransitions = 1000
	}
	if w != nil {
		opt.Progress = func(done int, loss float64) { fmt.Fprintf(w, "step %d/%d: loss %.5g\n", done, steps, loss) }
	}
	m, rep, err := worldmodel.Fit(worldmodel.FromDataset(d), cfg, opt)
	if err != nil {
		return nil, fmt.Errorf("worldmodel fit on %s: %w", j.Dataset, err)
	}
	if err := m.Save(j.Out); err != nil {
		return nil, err
	}
	return rep, nil
}

// EvalWorldModel is `dwm worldmodel eval`: the uncertainty-quality report
// of the model file path on up to maxTransitions transitions of a dataset
// (its first ones; default 1000), with randomness from seed.
func EvalWorldModel(path, datasetRef string, maxTransitions int, seed uint64) (worldmodel.Quality, error) {
	m, err := worldmodel.Load(path, seed)
	if errors.Is(err, worldmodel.ErrNotModelFile) {
		// A model from BDWM's cache (<user cache>/dwm/worldmodel).
		if cm, cerr := bdwm.LoadCacheEntry(path, seed); cerr == nil {
			m, err = cm, nil
		}
	}
	if err != nil {
		return worldmodel.Quality{}, err
	}
	d, err := LoadDataset(datasetRef)
	if err != nil {
		return worldmodel.Quality{}, err
	}
	if maxTransitions == 0 {
		maxTransitions = 1000
	}
	return m.Evaluate(worldmodel.FromDataset(d), worldmodel.QualityOptions{MaxTransitions: maxTransitions}, rng.Derive(seed, "worldmodel", "eval"))
}
