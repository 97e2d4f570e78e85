package eval

import (
	"fmt"
	"math"
	"slices"

	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/env/mujoco"
	"github.com/dwm-rl/dwm/eval/stats"
)

// ActFunc writes actions for n observation rows: obs is n×ObsDim row-major,
// act n×ActDim. Evaluation calls it with deterministic (mode) actions in
// mind; the caller decides.
type ActFunc func(obs, act []float32) error

// Result is one evaluation.
type Result struct {
	// Episodes holds each episode's summary, in copy order.
	Episodes []env.Episode
	// Return and ReturnStd are the mean and population std of episode returns.
	Return, ReturnStd float64
	// Normalized is the mean normalized score, NaN without a reference.
	Normalized float64
	// SuccessRate is the fraction of successful episodes: those with more
	// than SuccessSteps steps reporting env.Result.Success (see
	// SuccessStepsFor).
	SuccessRate float64
	// SuccessSteps is the rule SuccessRate used: an episode succeeded when
	// more than this many of its steps reported success (0: any step).
	SuccessSteps int
	// EpisodeSuccessSteps holds, per episode in copy order, the number of
	// steps that reported success; nil for a Result made by Summarize.
	EpisodeSuccessSteps []int
	// Length is the mean episode length.
	Length float64
}

// Reference gives the random and expert returns that define the normalized
// score 100·(R − random)/(expert − random).
type Reference struct {
	Random, Expert float64
	// Name says where the figures come from (e.g. "D4RL hopper" or "dwm measured").
	Name string
}

// Evaluator runs evaluations on a fixed set of env copies, reusing buffers.
type Evaluator struct {
	vec      *env.Vector
	ref      *Reference
	obs, act []float32
	final    []float32
	res      []env.VecResult
	// successSteps is the episode success rule (see SetSuccessSteps).
	successSteps int
	// count holds each copy's number of successful steps in its episode.
	count []int
}

// SuccessStepsFor returns the episode success rule of an env id: the number
// of successful steps an episode must exceed to count as a success. It is
// D4RL's and DAPG's rule for the Adroit tasks (more than 20 steps for pen, 25
// for door, hammer and relocate: evaluate_success in D4RL's pen_v0.py and
// door_v0.py, hammer_v0.py, relocate_v0.py; mujoco.EpisodeSuccessSteps), and
// 0 (any successful step, Gymnasium-Robotics' and AntMaze's convention of a
// goal once reached) for every other id.
func SuccessStepsFor(id string) int {
	if n, ok := mujoco.EpisodeSuccessSteps(id); ok {
		return n
	}
	return 0
}

// New makes an Evaluator running episodes copies made by newEnv on workers
// goroutines (0: GOMAXPROCS). ref may be nil.
func New(episodes, workers int, newEnv func(i int) (env.Env, error), ref *Reference) (*Evaluator, error) {
	if episodes < 1 {
		return nil, fmt.Errorf("evaluator: episodes %d, want at least 1", episodes)
	}
	vec, err := env.NewVector(episodes, workers, newEnv)
	if err != nil {
		return nil, fmt.Errorf("evaluator: %w", err)
	}
	s := vec.Spec()
	return &Evaluator{
		vec: vec, ref: ref,
		obs:   make([]float32, episodes*s.Obs.Dim),
		act:   make([]float32, episodes*s.Act.Dim),
		final: make([]float32, episodes*s.Obs.Dim),
		res:   make([]env.VecResult, episodes),
		count: make([]int, episodes),

		successSteps: SuccessStepsFor(s.ID),
	}, nil
}

// SetSuccessSteps sets the episode success rule: an episode counts as a
// success when more than n of its steps report env.Result.Success (n = 0:
// any step). New sets SuccessStepsFor of the env id. It panics if n < 0.
func (e *Evaluator) SetSuccessSteps(n int) {
	if n < 0 {
		panic(fmt.Sprintf("eval: SetSuccessSteps(%d)", n))
	}
	e.successSteps = n
}

// SuccessSteps returns the episode success rule in use (see SetSuccessSteps).
func (e *Evaluator) SuccessSteps() int { return e.successSteps }

// Close releases the env copies.
func (e *Evaluator) Close() error { return e.vec.Close() }

// Run evaluates act for one episode per copy, the episodes seeded from seed.
// The same seed and policy give the same result.
func (e *Evaluator) Run(act ActFunc, seed uint64) (Result, error) {
	n := e.vec.N()
	if err := e.vec.Reset(seed, e.obs); err != nil {
		return Result{}, fmt.Errorf("evaluate: %w", err)
	}
	eps := make([]env.Episode, n)
	done := make([]bool, n)
	clear(e.count)
	left := n
	for left > 0 {
		if err := act(e.obs, e.act); err != nil {
			return Result{}, fmt.Errorf("evaluate %s: policy: %w", e.vec.Spec().ID, err)
		}
		if err := e.vec.Step(e.act, e.obs, e.final, e.res); err != nil {
			return Result{}, fmt.Errorf("evaluate: %w", err)
		}
		for i := range e.res {
			if done[i] {
				continue
			}
			if e.res[i].Result.Success {
				e.count[i]++
			}
			if e.res[i].Done {
				done[i] = true
				eps[i] = e.res[i].Episode
				eps[i].Success = e.count[i] > e.successSteps
				left--
			}
		}
	}
	r := Summarize(eps, e.ref)
	r.SuccessSteps = e.successSteps
	r.EpisodeSuccessSteps = slices.Clone(e.count)
	return r, nil
}

// Summarize computes a Result from episodes; ref may be nil. An episode
// counts as successful when its Success flag is set (whatever rule set it).
func Summarize(eps []env.Episode, ref *Reference) Result {
	r := Result{Episodes: eps, Normalized: math.NaN()}
	rets := make([]float64, len(eps))
	var succ, length float64
	for i, ep := range eps {
		rets[i] = ep.Return
		if ep.Success {
			succ++
		}
		length += float64(ep.Length)
	}
	if len(eps) == 0 {
		return r
	}
	r.Return = stats.Mean(rets)
	r.ReturnStd = stats.Std(rets)
	r.SuccessRate = succ / float64(len(eps))
	r.Length = length / float64(len(eps))
	if ref != nil && ref.Expert != ref.Random {
		r.Normalized = 100 * (r.Return - ref.Random) / (ref.Expert - ref.Random)
	}
	return r
}
