package experiment

import (
	"fmt"

	"github.com/dwm-rl/dwm/agent/sac"
	"github.com/dwm-rl/dwm/bdwm"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/train"
	"github.com/dwm-rl/dwm/worldmodel"
)

// isBDWM reports whether algo runs through package bdwm.
func isBDWM(algo string) bool { return algo == "bdwm" || algo == "mopo" || algo == "diamond" }

// validateBDWM checks a bdwm, mopo or diamond config: it needs a dataset
// (D_off), and its base learner is SAC.
func validateBDWM(c Config) error {
	if c.Dataset == "" {
		return fmt.Errorf("algorithm %s needs an offline dataset (--dataset): its world model is fitted on it", c.Algo)
	}
	if err := c.SAC.Validate(); err != nil {
		return err
	}
	b := c.BDWM
	b.Variant = bdwm.Variant(c.Algo)
	return b.Validate()
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
// replay buffer, when built, serves as D_off.
func wireBDWM(c Config, loop *train.Loop, data *dataset.Dataset, offline *replay.Buffer, opts Options) error {
	ag, ok := loop.Agent.(*sac.Agent)
	if !ok {
		return fmt.Errorf("algorithm %s: base learner %T, want SAC", c.Algo, loop.Agent)
	}
	if data == nil {
		return fmt.Errorf("algorithm %s needs an offline dataset", c.Algo)
	}
	if offline != nil && offline.Len() != data.Len() {
		offline = nil
	}
	parts := bdwm.Parts{Agent: ag, Data: data, Offline: offline, OnlineCapacity: c.Buffer.Size, Seed: c.Seed}
	if opts.Out != nil {
		parts.Progress = func(msg string) { fmt.Fprintf(opts.Out, "%s: %s\n", c.Algo, msg) }
	}
	m, err := bdwm.New(resolveBDWM(c), parts)
	if err != nil {
		return fmt.Errorf("algorithm %s: %w", c.Algo, err)
	}
	loop.OfflineSampler = m.OfflineSampler()
	loop.OnlineBuffer, loop.OnlineSampler = m.OnlineBuffer(), m.OnlineSampler()
	loop.Hooks = m.Hooks()
	return nil
}
