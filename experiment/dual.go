package experiment

import (
	"fmt"

	"github.com/dwm-rl/dwm/agent/dual"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/train"
)

// validateDual checks a dual config: it needs a dataset (the planner is
// fitted on it) and a valid dual: section.
func validateDual(c Config) error {
	if c.Dataset == "" {
		return fmt.Errorf("algorithm dual needs an offline dataset (--dataset): its planner is fitted on it")
	}
	return c.DUAL.Validate()
}

// resolveDual fills DUAL's defaults: the offline budget that places the
// planner→actor switch, the critics' (IQL's cosine schedule spans the
// offline updates, as for iql runs; Cal-QL's CQL defaults need the action
// width; SO2's).
func resolveDual(c Config, actDim int) dual.Config {
	d := c.DUAL
	if d.OfflineSteps == 0 {
		d.OfflineSteps = c.Train.OfflineSteps
	}
	if d.IQL.ScheduleSteps == 0 && c.Train.OfflineSteps > 0 {
		d.IQL.ScheduleSteps = c.Train.OfflineSteps // CORL: cosine T_max = offline_iterations
	}
	d.IQL = d.IQL.WithDefaults()
	d.CalQL.CQL = d.CalQL.CQL.WithDefaults(actDim)
	d.SO2 = d.SO2.WithDefaults()
	return d.WithDefaults()
}

// newDualAgent builds the DUAL agent; it loads the run's dataset, on which
// the planner (and its normalisation) is fitted.
func newDualAgent(c Config, obsDim, actDim int) (train.Agent, error) {
	if c.Dataset == "" {
		return nil, fmt.Errorf("algorithm dual needs an offline dataset (--dataset)")
	}
	d, err := LoadDataset(c.Dataset)
	if err != nil {
		return nil, err
	}
	a, err := dual.New(d, obsDim, actDim, c.DUAL, c.Seed)
	if err != nil {
		return nil, fmt.Errorf("algorithm dual: %w", err)
	}
	return a, nil
}

// wireDual hands the loop DUAL's hooks: the offline→online switch
// (distillation if not yet done, first Laplace fit, Cal-QL's online α) and
// the per-step shift observation. With the Cal-QL critic it rebuilds the
// buffers with Monte-Carlo returns, as build does for calql runs.
func wireDual(c Config, loop *train.Loop, data *dataset.Dataset) error {
	ag, ok := loop.Agent.(*dual.Agent)
	if !ok {
		return fmt.Errorf("algorithm dual: agent %T, want *dual.Agent", loop.Agent)
	}
	var mc calqlOnlineMC
	if ag.Config().Critic == dual.CriticCalQL {
		var err error
		if mc, err = dualCalQLBuffers(c, loop, data); err != nil {
			return err
		}
	}
	loop.Hooks.OnSwitch = ag.StartOnline
	loop.Hooks.AfterEnvStep = func(_ int64, t train.Transition) error {
		if mc != nil {
			if err := mc.Step(t.Terminated, t.Truncated); err != nil {
				return err
			}
		}
		return ag.AfterEnvStep(t.Obs, t.Act, t.Reward, t.Next, t.Terminated, t.Truncated)
	}
	return nil
}

// calqlOnlineMC is what Cal-QL's OnlineMC offers the hook.
type calqlOnlineMC interface {
	Step(terminal, truncated bool) error
}

// dualCalQLBuffers replaces the loop's buffers by ones with Cal-QL's
// Monte-Carlo column (offline: the dataset's MC returns; online: filled
// when each episode ends) and returns the online filler.
func dualCalQLBuffers(c Config, loop *train.Loop, data *dataset.Dataset) (calqlOnlineMC, error) {
	cal := c.DUAL.CalQL
	mcs, err := cal.MCReturns(data)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", c.Dataset, err)
	}
	extra := 0
	if c.Buffer.Mix == "append" {
		extra = int(c.Train.OnlineSteps)
	}
	offline, err := replay.FromDataset(data, extra, mcs)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", c.Dataset, err)
	}
	loop.OfflineSampler = offline
	if c.Train.OnlineSteps == 0 {
		return nil, nil
	}
	if c.Buffer.Mix == "append" {
		loop.OnlineBuffer, loop.OnlineSampler = offline, offline
	} else {
		on, err := replay.New(c.Buffer.Size, data.ObsDim, data.ActDim, true)
		if err != nil {
			return nil, err
		}
		mix, err := replay.NewMixed(on, offline, c.Buffer.Ratio)
		if err != nil {
			return nil, err
		}
		loop.OnlineBuffer, loop.OnlineSampler = on, mix
	}
	m, err := cal.OnlineMC(loop.OnlineBuffer)
	if err != nil {
		return nil, err
	}
	return m, nil
}
