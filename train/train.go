package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/eval"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/progress"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
)

// Phase names the part of training a step belongs to.
type Phase string

// The two phases.
const (
	Offline Phase = "offline"
	Online  Phase = "online"
)

// ErrInterrupted is returned when the context was cancelled; a checkpoint
// was saved first.
var ErrInterrupted = errors.New("training interrupted; checkpoint saved")

// Agent is what the loop trains.
type Agent interface {
	// Act writes one action in [-1, 1] for obs.
	Act(obs, act []float32, deterministic bool) error
	// ActBatch writes one action per observation row.
	ActBatch(obs, act []float32, deterministic bool) error
	// Update does one gradient update and returns its metrics (a slice the
	// agent may reuse).
	Update(b *replay.Batch) []agent.Metric
	// State and SetState save and restore everything the agent needs to
	// continue exactly.
	State() (model, optimizer []checkpoint.Tensor, rngStates map[string][]byte, err error)
	SetState(model, optimizer []checkpoint.Tensor, rngStates map[string][]byte) error
}

// Logger records metrics, e.g. into the run store.
type Logger interface {
	Log(step int64, phase string, metrics map[string]float64) error
}

// Hooks let a method extend the loop without a loop of its own (BDWM sets
// its mixing ratio and BC weight before updates, trains its world model on
// new data, and keeps extra state in checkpoints). Every field is optional.
type Hooks struct {
	// BeforeUpdate runs before each update of phase at that phase's step;
	// it may change the sampler's ratio or the agent's loss weights, and
	// returns metrics to log with the update's.
	BeforeUpdate func(phase Phase, step int64) ([]agent.Metric, error)
	// OnSwitch runs once between the offline and the online phase.
	OnSwitch func() error
	// AfterEnvStep runs after each online transition was stored; the slices
	// are the loop's and valid only during the call.
	AfterEnvStep func(step int64, t Transition) error
	// AfterEval runs after each evaluation (e.g. to snapshot the policy
	// when it reaches a score, as dataset generation does).
	AfterEval func(e Evaluation) error
	// State and SetState add the method's own tensors and JSON to checkpoints.
	State    func() ([]checkpoint.Tensor, json.RawMessage, error)
	SetState func([]checkpoint.Tensor, json.RawMessage) error
	// Params returns the method's own trainable parameters (a world
	// model's), checked for NaN and infinity with the agent's (see
	// Config.CheckNumerics); nil or an empty result checks none.
	Params func() []*nn.Param
}

// Transition is one online step as the loop saw it.
type Transition struct {
	Obs, Act, Next        []float32
	Reward                float32
	Terminated, Truncated bool
}

// Config sets the loop's budgets and periods. Zero fields take defaults.
type Config struct {
	// OfflineSteps is the number of gradient updates on the offline data.
	OfflineSteps int64 `yaml:"offline_steps"`
	// OnlineSteps is the number of environment steps online.
	OnlineSteps int64 `yaml:"online_steps"`
	// LearningStarts is the number of initial online steps that take uniform
	// random actions and make no updates, when there is no offline data.
	// Default 5000 (CleanRL's SAC).
	LearningStarts int64 `yaml:"learning_starts"`
	// UTD is the number of updates per online env step. Default 1.
	UTD int `yaml:"utd"`
	// BatchSize is the number of transitions per update. Default 256 (CORL).
	BatchSize int `yaml:"batch_size"`
	// EvalEvery is the period of evaluations in steps of each phase. Default 5000.
	EvalEvery int64 `yaml:"eval_every"`
	// EvalEpisodes is the number of episodes per evaluation. Default 10 (CORL).
	EvalEpisodes int `yaml:"eval_episodes"`
	// CheckpointEvery is the period of checkpoints in steps. Default 10000.
	CheckpointEvery int64 `yaml:"checkpoint_every"`
	// CheckpointMinutes also writes a checkpoint when this many minutes of
	// wall time have passed since the last one (at the next update
	// offline, the next episode end online), so a slow run killed without
	// warning (SIGKILL, a pre-empted job, a session's end) loses at most
	// that much work. Default 10; negative turns it off. Checkpoints never
	// change a run's numbers, so this keeps runs deterministic.
	CheckpointMinutes float64 `yaml:"checkpoint_minutes"`
	// LogEvery is the period of logged update metrics in steps. Default 1000.
	LogEvery int64 `yaml:"log_every"`
	// CheckNumerics checks every parameter value and gradient for NaN and
	// infinity after every update (thorough mode, a few percent of an
	// update's time); otherwise they are checked every NumericsEvery steps.
	// Update metrics (losses, Q values) are checked after every update
	// either way.
	CheckNumerics bool `yaml:"check_numerics"`
	// NumericsEvery is the period in steps of the parameter check when
	// CheckNumerics is off. Default 100 (dwm's choice: well under 0.1% of
	// the updates' time).
	NumericsEvery int64 `yaml:"numerics_every"`
	// QBoundFactor k sets the critic-value bound k·r_max/(1−γ), r_max the
	// largest |reward| in the batches so far: a Q metric (QMetrics) beyond
	// it prints a warning and logs QOverBoundMetric, before the values
	// overflow. Default 2 (dwm's choice: |Q| ≤ r_max/(1−γ) holds for any
	// policy). Negative disables the check.
	QBoundFactor float64 `yaml:"q_bound_factor"`
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.UTD == 0 {
		c.UTD = 1
	}
	if c.LearningStarts == 0 {
		c.LearningStarts = 5000 // CleanRL's SAC
	}
	if c.BatchSize == 0 {
		c.BatchSize = 256 // CORL
	}
	if c.EvalEvery == 0 {
		c.EvalEvery = 5000
	}
	if c.EvalEpisodes == 0 {
		c.EvalEpisodes = 10 // CORL
	}
	if c.CheckpointEvery == 0 {
		c.CheckpointEvery = 10000
	}
	if c.CheckpointMinutes == 0 {
		c.CheckpointMinutes = 10
	}
	if c.LogEvery == 0 {
		c.LogEvery = 1000
	}
	if c.NumericsEvery == 0 {
		c.NumericsEvery = 100
	}
	if c.QBoundFactor == 0 {
		c.QBoundFactor = 2
	}
	return c
}

// Validate names the first field with an impossible value.
func (c Config) Validate() error {
	switch {
	case c.OfflineSteps < 0:
		return fmt.Errorf("train.offline_steps = %d: must be ≥ 0", c.OfflineSteps)
	case c.OnlineSteps < 0:
		return fmt.Errorf("train.online_steps = %d: must be ≥ 0", c.OnlineSteps)
	case c.OfflineSteps == 0 && c.OnlineSteps == 0:
		return fmt.Errorf("train: offline_steps and online_steps are both 0: nothing to do")
	case c.LearningStarts < 0:
		return fmt.Errorf("train.learning_starts = %d: must be ≥ 0", c.LearningStarts)
	case c.UTD < 0:
		return fmt.Errorf("train.utd = %d: must be ≥ 0", c.UTD)
	case c.BatchSize < 0:
		return fmt.Errorf("train.batch_size = %d: must be ≥ 0", c.BatchSize)
	case c.EvalEvery < 0:
		return fmt.Errorf("train.eval_every = %d: must be ≥ 0", c.EvalEvery)
	case c.EvalEpisodes < 0:
		return fmt.Errorf("train.eval_episodes = %d: must be ≥ 0", c.EvalEpisodes)
	case c.CheckpointEvery < 0:
		return fmt.Errorf("train.checkpoint_every = %d: must be ≥ 0", c.CheckpointEvery)
	case math.IsNaN(c.CheckpointMinutes) || math.IsInf(c.CheckpointMinutes, 0):
		return fmt.Errorf("train.checkpoint_minutes = %v: must be finite", c.CheckpointMinutes)
	case c.LogEvery < 0:
		return fmt.Errorf("train.log_every = %d: must be ≥ 0", c.LogEvery)
	case c.NumericsEvery < 0:
		return fmt.Errorf("train.numerics_every = %d: must be ≥ 0", c.NumericsEvery)
	case math.IsNaN(c.QBoundFactor) || math.IsInf(c.QBoundFactor, 0):
		return fmt.Errorf("train.q_bound_factor = %v: must be finite", c.QBoundFactor)
	}
	return nil
}

// Loop is one training run. Set its fields, then call Run.
type Loop struct {
	Config Config
	// Seed is the run seed; the loop derives its streams from it.
	Seed  uint64
	Agent Agent
	// Env is the training env (needed when OnlineSteps > 0).
	Env env.Env
	// Eval evaluates the agent; nil disables evaluation.
	Eval *eval.Evaluator
	// OfflineSampler draws offline batches (needed when OfflineSteps > 0).
	OfflineSampler replay.Sampler
	// OnlineBuffer receives online transitions; OnlineSampler draws online
	// batches (the buffer itself, or a Mixed of offline and online data).
	OnlineBuffer  *replay.Buffer
	OnlineSampler replay.Sampler
	// Checkpoints, if set, receives checkpoints; ConfigJSON is stored in each.
	// A run with both phases also checkpoints at the offline→online switch
	// (before OnSwitch runs) and pins that step in Checkpoints.Pinned, so
	// the switch stays on disk for branching runs from it (`dwm train
	// --fork`).
	Checkpoints *checkpoint.Dir
	ConfigJSON  json.RawMessage
	Logger      Logger
	Progress    *progress.Progress
	Hooks       Hooks
	// Discount is the agent's γ, for the critic-value bound (see
	// Config.QBoundFactor); 0 disables that check.
	Discount float64
	// Warnings receives warnings such as exploding critic values (nil:
	// discard).
	Warnings io.Writer

	st     state
	batch  *replay.Batch
	sample *rng.Stream // batch sampling
	expl   *rng.Stream // warm-up random actions
	params []*nn.Param // the agent's, if it is Parameterized
	// qWarned is set once a warning was printed in this log period.
	qWarned bool
	// lastSave is when this process last wrote (or started without) a
	// checkpoint; clock, if set, replaces time.Now (tests).
	lastSave time.Time
	clock    func() time.Time
	// Evaluations holds every evaluation of this process, in order.
	Evaluations []Evaluation
}

// Evaluation is one evaluation's result at a global step.
type Evaluation struct {
	Step  int64
	Phase Phase
	eval.Result
}

// state is the loop's own resumable state.
type state struct {
	OfflineStep int64 `json:"offline_step"`
	OnlineStep  int64 `json:"online_step"`
	Episodes    int64 `json:"episodes"`
	Switched    bool  `json:"switched"`
	LastCkpt    int64 `json:"last_checkpoint"`
	Done        bool  `json:"done"`
	// RewardMax is the largest |reward| in the batches so far, and QOver
	// the largest |Q|/bound since the last log (see checkQ).
	RewardMax float64 `json:"reward_max,omitempty"`
	QOver     float64 `json:"q_over,omitempty"`
}

// GlobalStep returns offline updates plus online env steps done so far.
func (l *Loop) GlobalStep() int64 { return l.st.OfflineStep + l.st.OnlineStep }

func (l *Loop) init() error {
	l.Config = l.Config.WithDefaults()
	l.lastSave = l.now()
	if err := l.Config.Validate(); err != nil {
		return err
	}
	if l.Agent == nil {
		return errors.New("train: no agent")
	}
	if p, ok := l.Agent.(Parameterized); ok {
		l.params = p.Params()
	}
	if l.Config.OfflineSteps > 0 && l.OfflineSampler == nil {
		return errors.New("train: offline steps requested but no offline data")
	}
	if l.Config.OnlineSteps > 0 && (l.Env == nil || l.OnlineBuffer == nil || l.OnlineSampler == nil) {
		return errors.New("train: online steps need an env, an online buffer and an online sampler")
	}
	if l.switchCheckpoint() && !slices.Contains(l.Checkpoints.Pinned, l.Config.OfflineSteps) {
		l.Checkpoints.Pinned = append(l.Checkpoints.Pinned, l.Config.OfflineSteps)
	}
	if l.sample == nil {
		l.sample = rng.Derive(l.Seed, "train", "sample")
		l.expl = rng.Derive(l.Seed, "train", "explore")
	}
	var obsDim, actDim int
	switch {
	case l.Env != nil:
		s := l.Env.Spec()
		obsDim, actDim = s.Obs.Dim, s.Act.Dim
	case l.OnlineBuffer != nil:
		obsDim, actDim = l.OnlineBuffer.Dims()
	}
	if obsDim == 0 {
		if b, ok := l.OfflineSampler.(interface{ Dims() (int, int) }); ok {
			obsDim, actDim = b.Dims()
		}
	}
	if obsDim == 0 {
		return errors.New("train: cannot tell observation and action widths (no env and no buffer)")
	}
	if l.batch == nil {
		l.batch = replay.NewBatch(l.Config.BatchSize, obsDim, actDim, true)
	}
	return nil
}

// Run trains until both budgets are spent or ctx is cancelled (then it saves
// a checkpoint and returns ErrInterrupted).
func (l *Loop) Run(ctx context.Context) error {
	if err := l.init(); err != nil {
		return err
	}
	if err := l.runOffline(ctx); err != nil {
		return err
	}
	if !l.st.Switched {
		if l.switchCheckpoint() && l.st.LastCkpt != l.GlobalStep() {
			if err := l.save(); err != nil {
				return err
			}
		}
		if l.Hooks.OnSwitch != nil && l.Config.OfflineSteps > 0 && l.Config.OnlineSteps > 0 {
			if err := l.Hooks.OnSwitch(); err != nil {
				return fmt.Errorf("train: offline→online switch: %w", err)
			}
		}
		l.st.Switched = true
	}
	if err := l.runOnline(ctx); err != nil {
		return err
	}
	l.st.Done = true
	if l.Checkpoints != nil {
		if err := l.save(); err != nil {
			return err
		}
	}
	return nil
}

// switchCheckpoint reports whether the run keeps a checkpoint at the
// offline→online switch: it has both phases and a checkpoint directory.
func (l *Loop) switchCheckpoint() bool {
	return l.Checkpoints != nil && l.Config.OfflineSteps > 0 && l.Config.OnlineSteps > 0
}

// checkpointDue reports whether a checkpoint is due at global step g: by
// steps (CheckpointEvery) or by wall time (CheckpointMinutes).
func (l *Loop) checkpointDue(g int64) bool {
	if l.Checkpoints == nil || g <= l.st.LastCkpt {
		return false
	}
	if g-l.st.LastCkpt >= l.Config.CheckpointEvery {
		return true
	}
	m := l.Config.CheckpointMinutes
	return m > 0 && l.now().Sub(l.lastSave) >= time.Duration(m*float64(time.Minute))
}

// now is the loop's clock (time.Now unless a test set clock).
func (l *Loop) now() time.Time {
	if l.clock != nil {
		return l.clock()
	}
	return time.Now()
}

func (l *Loop) update(phase Phase, step int64, sampler replay.Sampler) ([]agent.Metric, error) {
	var extra []agent.Metric
	if l.Hooks.BeforeUpdate != nil {
		m, err := l.Hooks.BeforeUpdate(phase, step)
		if err != nil {
			return nil, fmt.Errorf("train: %s step %d: %w", phase, step, err)
		}
		extra = m
	}
	sampler.SampleRows(l.sample, l.batch, 0, l.batch.Len())
	m := l.Agent.Update(l.batch)
	if err := l.checkUpdate(phase, step, m, extra); err != nil {
		return nil, err
	}
	if extra != nil {
		return append(append([]agent.Metric(nil), m...), extra...), nil
	}
	return m, nil
}

func (l *Loop) runOffline(ctx context.Context) error {
	n := l.Config.OfflineSteps
	if l.st.OfflineStep >= n {
		return nil
	}
	bar := l.Progress.Bar("offline", n, l.st.OfflineStep)
	defer bar.Done()
	start, startStep := time.Now(), l.st.OfflineStep
	for l.st.OfflineStep < n {
		if ctx.Err() != nil {
			return l.interrupt()
		}
		m, err := l.update(Offline, l.st.OfflineStep, l.OfflineSampler)
		if err != nil {
			return err
		}
		l.st.OfflineStep++
		s := l.st.OfflineStep
		if s%l.Config.LogEvery == 0 || s == n {
			sps := float64(s-startStep) / time.Since(start).Seconds()
			if err := l.log(Offline, m, map[string]float64{"time/updates_per_s": sps}); err != nil {
				return err
			}
			bar.Set(s, l.status())
		}
		if s%l.Config.EvalEvery == 0 || s == n {
			if err := l.evaluate(Offline); err != nil {
				return err
			}
			bar.Set(s, l.status())
		}
		if l.checkpointDue(l.GlobalStep()) {
			if err := l.save(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (l *Loop) runOnline(ctx context.Context) error {
	n := l.Config.OnlineSteps
	if l.st.OnlineStep >= n {
		return nil
	}
	s := l.Env.Spec()
	obs, next := make([]float32, s.Obs.Dim), make([]float32, s.Obs.Dim)
	act := make([]float32, s.Act.Dim)
	if err := l.Env.Reset(l.episodeSeed(), obs); err != nil {
		return fmt.Errorf("train: reset %s: %w", s.ID, err)
	}
	bar := l.Progress.Bar("online", n, l.st.OnlineStep)
	defer bar.Done()
	var epRet float64
	var epLen int
	var m []agent.Metric
	start, startStep := time.Now(), l.st.OnlineStep
	warm := l.Config.OfflineSteps == 0 && l.Config.LearningStarts > 0
	for l.st.OnlineStep < n {
		t := l.st.OnlineStep
		if warm && t < l.Config.LearningStarts {
			for i := range act {
				act[i] = float32(2*l.expl.Float64() - 1)
			}
		} else if err := l.Agent.Act(obs, act, false); err != nil {
			return fmt.Errorf("train: act at online step %d: %w", t, err)
		}
		r, err := l.Env.Step(act, next)
		if err != nil {
			return fmt.Errorf("train: online step %d: %w", t, err)
		}
		l.OnlineBuffer.Add(obs, act, float32(r.Reward), next, r.Terminated)
		if l.Hooks.AfterEnvStep != nil {
			tr := Transition{Obs: obs, Act: act, Next: next, Reward: float32(r.Reward), Terminated: r.Terminated, Truncated: r.Truncated}
			if err := l.Hooks.AfterEnvStep(t, tr); err != nil {
				return fmt.Errorf("train: online step %d: %w", t, err)
			}
		}
		epRet += r.Reward
		epLen++
		copy(obs, next)
		if !warm || t >= l.Config.LearningStarts {
			for range l.Config.UTD {
				if m, err = l.update(Online, t, l.OnlineSampler); err != nil {
					return err
				}
			}
		}
		l.st.OnlineStep++
		t = l.st.OnlineStep
		g := l.GlobalStep()
		if m != nil && (t%l.Config.LogEvery == 0 || t == n) {
			sps := float64(t-startStep) / time.Since(start).Seconds()
			if err := l.log(Online, m, map[string]float64{"time/env_steps_per_s": sps}); err != nil {
				return err
			}
		}
		if t%l.Config.EvalEvery == 0 || t == n {
			if err := l.evaluate(Online); err != nil {
				return err
			}
		}
		if r.Terminated || r.Truncated {
			l.st.Episodes++
			if err := l.logAt(g, Online, map[string]float64{"train/episode_return": epRet, "train/episode_length": float64(epLen)}); err != nil {
				return err
			}
			epRet, epLen = 0, 0
			bar.Set(t, l.status())
			if t < n && l.checkpointDue(g) {
				if err := l.save(); err != nil {
					return err
				}
			}
			if ctx.Err() != nil && t < n {
				return l.interrupt()
			}
			if err := l.Env.Reset(l.episodeSeed(), obs); err != nil {
				return fmt.Errorf("train: reset %s: %w", s.ID, err)
			}
		}
	}
	bar.Set(n, l.status())
	return nil
}

// episodeSeed is the env seed of the next training episode.
func (l *Loop) episodeSeed() uint64 {
	return rng.Derive(l.Seed, "train", "episode", strconv.FormatInt(l.st.Episodes, 10)).Uint64()
}

func (l *Loop) interrupt() error {
	if l.Checkpoints != nil {
		if err := l.save(); err != nil {
			return fmt.Errorf("%w (and saving failed: %v)", ErrInterrupted, err)
		}
	}
	return ErrInterrupted
}

func (l *Loop) status() string {
	if len(l.Evaluations) == 0 {
		return ""
	}
	e := l.Evaluations[len(l.Evaluations)-1]
	s := fmt.Sprintf("eval %.1f", e.Return)
	if !math.IsNaN(e.Normalized) {
		s = fmt.Sprintf("eval %.1f (%.1f norm.)", e.Return, e.Normalized)
	}
	if e.SuccessRate > 0 || e.SuccessSteps > 0 { // tasks with a success rule (Adroit) show it even at 0%
		s += fmt.Sprintf(", success %.0f%%", 100*e.SuccessRate)
	}
	return s
}

// EvaluateNow evaluates the agent at the current step as the periodic
// evaluations do (in the offline phase until the switch) and logs it. Call
// it after Restore; a branched run whose env differs from its parent's
// uses it to measure the restored agent on its own env.
func (l *Loop) EvaluateNow() error {
	if err := l.init(); err != nil {
		return err
	}
	if l.st.Switched || l.Config.OfflineSteps == 0 {
		return l.evaluate(Online)
	}
	return l.evaluate(Offline)
}

func (l *Loop) evaluate(phase Phase) error {
	if l.Eval == nil || l.Config.EvalEpisodes == 0 {
		return nil
	}
	g := l.GlobalStep()
	res, err := l.Eval.Run(func(obs, act []float32) error { return l.Agent.ActBatch(obs, act, true) },
		rng.Derive(l.Seed, "eval", strconv.FormatInt(g, 10)).Uint64())
	if err != nil {
		return fmt.Errorf("train: evaluate at step %d: %w", g, err)
	}
	ev := Evaluation{Step: g, Phase: phase, Result: res}
	l.Evaluations = append(l.Evaluations, ev)
	if l.Hooks.AfterEval != nil {
		if err := l.Hooks.AfterEval(ev); err != nil {
			return fmt.Errorf("train: after evaluation at step %d: %w", g, err)
		}
	}
	m := map[string]float64{"eval/return": res.Return, "eval/return_std": res.ReturnStd,
		"eval/length": res.Length, "eval/success_rate": res.SuccessRate}
	if !math.IsNaN(res.Normalized) {
		m["eval/normalized_return"] = res.Normalized
	}
	return l.logAt(g, phase, m)
}

func (l *Loop) log(phase Phase, m []agent.Metric, extra map[string]float64) error {
	out := make(map[string]float64, len(m)+len(extra))
	for _, x := range m {
		out[x.Name] = x.Value
	}
	for k, v := range extra {
		out[k] = v
	}
	l.qLogged(out)
	return l.logAt(l.GlobalStep(), phase, out)
}

func (l *Loop) logAt(step int64, phase Phase, m map[string]float64) error {
	if l.Logger == nil {
		return nil
	}
	if err := l.Logger.Log(step, string(phase), m); err != nil {
		return fmt.Errorf("train: log step %d: %w", step, err)
	}
	return nil
}
