package experiment

import (
	"context"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/agent/calql"
	"github.com/dwm-rl/dwm/agent/iql"
	"github.com/dwm-rl/dwm/bdwm"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/train"
	"github.com/dwm-rl/dwm/worldmodel"
)

// tinyBDWMLearner is a BDWM run on the embedded Pendulum data with IQL or
// Cal-QL as the base learner that takes seconds.
func tinyBDWMLearner(t *testing.T, learner, name string) Config {
	c := Default("bdwm", "pendulum")
	c.Dataset, c.Name, c.Seed, c.RunsDir = "pendulum-medium", name, 4, t.TempDir()
	c.Train.OfflineSteps, c.Train.OnlineSteps = 60, 250
	c.Train.BatchSize, c.Train.EvalEpisodes, c.Train.EvalEvery = 32, 1, 1000
	c.BDWM.Learner, c.BDWM.NoBC = learner, true
	c.IQL = iql.Config{Hidden: []int{32, 32}}
	c.CalQL.CQL.Hidden, c.CalQL.CQL.ActorHidden, c.CalQL.CQL.NumActions = []int{32, 32}, []int{32}, 2
	c.BDWM.Model = worldmodel.Config{Members: 2, Samples: 2, LatentDim: 8, EncoderHidden: []int{16}, Width: 16, Blocks: 1,
		TimeDim: 8, DiffusionSteps: 10, SampleSteps: 5, BatchSize: 32}
	c.BDWM.ModelSteps, c.BDWM.EtaSamples, c.BDWM.RolloutBatch, c.BDWM.RolloutEvery = 20, 100, 16, 30
	c.BDWM.QualitySamples, c.BDWM.SigmaBatch, c.BDWM.SigmaEvery = 50, 16, 20
	c.BDWM.ModelTrainEvery, c.BDWM.ModelTrainSteps = 100, 2
	return c
}

// probeBatches wraps the loop's agent so that every update's batch is
// checked: offline, Cal-QL's rows from D_off carry finite Monte-Carlo
// returns and imagined rows −∞; online every row is finite or −∞ (D_on's
// running episode and imagined rows). It reports how many imagined
// (−∞) rows the offline batches had.
type probeBatches struct {
	train.Agent
	t         *testing.T
	calql     bool
	imagRows  int
	finiteOff int
}

func (p *probeBatches) Update(b *replay.Batch) []agent.Metric {
	for _, v := range b.MC {
		switch {
		case math.IsInf(float64(v), -1):
			p.imagRows++
		case math.IsNaN(float64(v)) || math.IsInf(float64(v), 1):
			p.t.Errorf("MC bound %v in a batch", v)
		default:
			p.finiteOff++
		}
	}
	return p.Agent.Update(b)
}

// TestBDWMLearners runs BDWM with IQL and with Cal-QL through Run: the
// loop trains the agent the learner names, Cal-QL's batches carry D_off's
// Monte-Carlo bounds and no bound (−∞) for imagined rows, and the run
// finishes with an evaluation.
func TestBDWMLearners(t *testing.T) {
	for _, learner := range []string{bdwm.IQL, bdwm.CalQL} {
		c := tinyBDWMLearner(t, learner, "bdwm-"+learner)
		c.Train.OnlineSteps = 60
		var probe *probeBatches
		ext := func(l *train.Loop) error {
			switch learner {
			case bdwm.IQL:
				a, ok := l.Agent.(*iql.Agent)
				if !ok {
					t.Fatalf("iql: loop trains %T", l.Agent)
				}
				if a.Config().ScheduleSteps != 60 || a.StateNorm() == nil {
					t.Errorf("iql: actor schedule over %d steps, state normalizer %v; want the 60 offline steps and one fitted on D_off",
						a.Config().ScheduleSteps, a.StateNorm())
				}
			case bdwm.CalQL:
				if a, ok := l.Agent.(*calql.Agent); !ok || !a.Calibrated() {
					t.Errorf("calql: loop trains %T", l.Agent)
				}
			}
			probe = &probeBatches{Agent: l.Agent, t: t, calql: learner == bdwm.CalQL}
			l.Agent = probe
			return nil
		}
		res, err := Run(context.Background(), c, Options{Out: io.Discard, Quiet: true, Extend: ext})
		if err != nil {
			t.Fatalf("%s: %v", learner, err)
		}
		rc, err := loadRunConfig(res.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if rc.BDWM.Learner != learner || !rc.BDWM.NoBC {
			t.Errorf("%s: resolved learner %q, no_bc %v", learner, rc.BDWM.Learner, rc.BDWM.NoBC)
		}
		if f, ok := res.Final(); !ok || f.Step != 120 {
			t.Errorf("%s: final evaluation %+v, %v", learner, f, ok)
		}
		if learner == bdwm.CalQL && (probe.imagRows == 0 || probe.finiteOff == 0) {
			t.Errorf("calql: %d unbounded and %d bounded batch rows, want both", probe.imagRows, probe.finiteOff)
		}
		t.Logf("%s: %d bounded, %d unbounded batch rows", learner, probe.finiteOff, probe.imagRows)
	}
}

// TestBDWMLearnersResume: BDWM runs with IQL and Cal-QL interrupted
// offline and online and resumed end with the same evaluation as an
// uninterrupted run.
func TestBDWMLearnersResume(t *testing.T) {
	for _, learner := range []string{bdwm.IQL, bdwm.CalQL} {
		whole := tinyBDWMLearner(t, learner, "whole")
		res, err := Run(context.Background(), whole, Options{Out: io.Discard, Quiet: true})
		if err != nil {
			t.Fatalf("%s: %v", learner, err)
		}
		want, _ := res.Final()
		for _, tc := range []struct {
			name   string
			online bool
			at     int64
		}{{"offline", false, 40}, {"online", true, 100}} {
			c := tinyBDWMLearner(t, learner, "cut")
			ctx, cancel := context.WithCancel(context.Background())
			stop := cancelAt(cancel, tc.online, tc.at)
			r1, err := Run(ctx, c, Options{Out: io.Discard, Quiet: true, Extend: stop})
			cancel()
			if err != nil || !r1.Interrupted {
				t.Fatalf("%s %s: interrupted run: %+v, %v", learner, tc.name, r1, err)
			}
			r2, err := Resume(context.Background(), "cut", c.RunsDir, Options{Out: io.Discard, Quiet: true})
			if err != nil {
				t.Fatalf("%s %s: resume: %v", learner, tc.name, err)
			}
			got, _ := r2.Final()
			if got.Step != want.Step || got.Return != want.Return {
				t.Errorf("%s %s: resumed run ends with %+v, uninterrupted %+v", learner, tc.name, got.Result, want.Result)
			}
			t.Logf("%s %s: final return %.3f at step %d both ways", learner, tc.name, got.Return, got.Step)
		}
	}
}

// TestBDWMLearnerConfigErrors: a learner's errors name their field.
func TestBDWMLearnerConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		set  func(*Config)
		want string
	}{
		{func(c *Config) { c.BDWM.Learner = "td3" }, `bdwm.learner = "td3": want sac, iql or calql`},
		{func(c *Config) { c.BDWM.NoBC = false }, "bdwm.learner = iql with bdwm.no_bc = false"},
		{func(c *Config) { c.IQL.Hidden = []int{32, -1} }, "Hidden[1] = -1"},
		{func(c *Config) { c.BDWM.Learner, c.BDWM.NoBC = bdwm.CalQL, false }, "set bdwm.no_bc=true"},
	} {
		c := tinyBDWMLearner(t, bdwm.IQL, "bad")
		tc.set(&c)
		_, err := Resolve(c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one containing %q", err, tc.want)
		}
	}
}

// TestBDWMAgentKept: an agent of the learner's own kind (newBDWMAgent, what
// newAgent would build) is kept, the SAC placeholder is replaced, and a
// foreign agent is refused.
func TestBDWMAgentKept(t *testing.T) {
	d, err := LoadDataset("pendulum-medium")
	if err != nil {
		t.Fatal(err)
	}
	for _, learner := range []string{bdwm.SAC, bdwm.IQL, bdwm.CalQL} {
		c := tinyBDWMLearner(t, learner, "kept")
		own, err := newBDWMAgent(c, d.ObsDim, d.ActDim)
		if err != nil {
			t.Fatal(err)
		}
		loop := &train.Loop{Agent: own}
		mc, err := bdwmLearner(c, loop, d)
		if err != nil || loop.Agent != own {
			t.Errorf("%s: own agent %T replaced by %T (%v)", learner, own, loop.Agent, err)
		}
		if (mc != nil) != (learner == bdwm.CalQL) || (mc != nil && len(mc) != d.Len()) {
			t.Errorf("%s: %d offline MC returns", learner, len(mc))
		}
	}
	c := tinyBDWMLearner(t, bdwm.IQL, "foreign")
	foreign, err := newBDWMAgent(tinyBDWMLearner(t, bdwm.CalQL, "x"), d.ObsDim, d.ActDim)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bdwmLearner(c, &train.Loop{Agent: foreign}, d); err == nil {
		t.Error("a Cal-QL agent accepted for bdwm.learner=iql")
	}
}

// TestBDWMLearnerEvaluate: `dwm eval` (Evaluate) rebuilds a BDWM run's own
// base learner from its saved config and loads its checkpoint, and the saved
// config holds the learner's resolved section.
func TestBDWMLearnerEvaluate(t *testing.T) {
	for _, learner := range []string{bdwm.IQL, bdwm.CalQL} {
		c := tinyBDWMLearner(t, learner, "ev-"+learner)
		c.Train.OnlineSteps = 0
		res, err := Run(context.Background(), c, Options{Out: io.Discard, Quiet: true})
		if err != nil {
			t.Fatalf("%s: %v", learner, err)
		}
		ev, err := Evaluate(res.Name, c.RunsDir, 2, 9)
		if err != nil {
			t.Fatalf("%s: evaluate: %v", learner, err)
		}
		if ev.Step != 60 || len(ev.Episodes) != 2 {
			t.Errorf("%s: evaluated step %d over %d episodes", learner, ev.Step, len(ev.Episodes))
		}
		rc, err := loadRunConfig(res.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if learner == bdwm.IQL && rc.IQL.ScheduleSteps != 60 {
			t.Errorf("saved iql section not resolved: schedule_steps %d", rc.IQL.ScheduleSteps)
		}
		if learner == bdwm.CalQL && (rc.CalQL.CQL.Gamma == 0 || rc.CalQL.CQL.BatchSize == 0) {
			t.Errorf("saved calql section not resolved: gamma %v, batch_size %d", rc.CalQL.CQL.Gamma, rc.CalQL.CQL.BatchSize)
		}
	}
}

// cancelAt returns an Options.Extend that cancels the run's context at
// offline update at (online: env step at), as a signal would, chaining
// the loop's own hooks.
func cancelAt(cancel context.CancelFunc, online bool, at int64) func(*train.Loop) error {
	return func(l *train.Loop) error {
		if online {
			h := l.Hooks.AfterEnvStep
			l.Hooks.AfterEnvStep = func(step int64, tr train.Transition) error {
				if step == at {
					cancel()
				}
				if h == nil {
					return nil
				}
				return h(step, tr)
			}
			return nil
		}
		h := l.Hooks.BeforeUpdate
		l.Hooks.BeforeUpdate = func(phase train.Phase, step int64) ([]agent.Metric, error) {
			if phase == train.Offline && step == at {
				cancel()
			}
			if h == nil {
				return nil, nil
			}
			return h(phase, step)
		}
		return nil
	}
}
