package eval

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/env"
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
	// SuccessRate is the fraction of successful episodes.
	SuccessRate float64
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
	}, nil
}

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
	left := n
	for left > 0 {
		if err := act(e.obs, e.act); err != nil {
			return Result{}, fmt.Errorf("evaluate %s: policy: %w", e.vec.Spec().ID, err)
		}
		if err := e.vec.Step(e.act, e.obs, e.final, e.res); err != nil {
			return Result{}, fmt.Errorf("evaluate: %w", err)
		}
		for i := range e.res {
			if e.res[i].Done && !done[i] {
				done[i] = true
				eps[i] = e.res[i].Episode
				left--
			}
		}
	}
	return Summarize(eps, e.ref), nil
}

// Summarize computes a Result from episodes; ref may be nil.
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
