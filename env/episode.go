package env

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/rng"
)

// Episode summarizes one finished episode.
type Episode struct {
	// Return is the undiscounted sum of rewards.
	Return float64
	// Length is the number of steps taken.
	Length int
	// Success reports that some step set Result.Success.
	Success bool
	// Terminated and Truncated are the last step's flags.
	Terminated, Truncated bool
}

// RunEpisode runs one episode of p in e from Reset(seed) until a step is
// terminated or truncated, and returns its summary. If e.Spec().MaxSteps is
// positive the episode is also cut (and reported truncated) after that many
// steps, so an unwrapped env with a limit in its Spec behaves like a
// TimeLimit-wrapped one; an env with MaxSteps 0 must end episodes itself.
func RunEpisode(e Env, p Policy, seed uint64) (Episode, error) {
	s := e.Spec()
	obs := make([]float32, s.Obs.Dim)
	act := make([]float32, s.Act.Dim)
	var ep Episode
	if err := e.Reset(seed, obs); err != nil {
		return ep, fmt.Errorf("run episode %s seed %d: %w", s.ID, seed, err)
	}
	for {
		if err := p.Act(obs, act); err != nil {
			return ep, fmt.Errorf("run episode %s seed %d step %d: policy: %w", s.ID, seed, ep.Length, err)
		}
		r, err := e.Step(act, obs)
		if err != nil {
			return ep, fmt.Errorf("run episode %s seed %d step %d: %w", s.ID, seed, ep.Length, err)
		}
		ep.Length++
		ep.Return += r.Reward
		ep.Success = ep.Success || r.Success
		if s.MaxSteps > 0 && ep.Length >= s.MaxSteps {
			r.Truncated = true
		}
		if r.Terminated || r.Truncated {
			ep.Terminated, ep.Truncated = r.Terminated, r.Truncated
			return ep, nil
		}
	}
}

// Rollout runs n episodes of p in e, episode k seeded with rng.Seeds(seed, n)[k],
// and returns their summaries in order.
func Rollout(e Env, p Policy, seed uint64, n int) ([]Episode, error) {
	out := make([]Episode, 0, n)
	for _, s := range rng.Seeds(seed, n) {
		ep, err := RunEpisode(e, p, s)
		if err != nil {
			return out, err
		}
		out = append(out, ep)
	}
	return out, nil
}

// Summary holds the mean statistics of a set of episodes.
type Summary struct {
	Episodes             int
	MeanReturn           float64
	StdReturn            float64 // population standard deviation
	MeanLength           float64
	SuccessRate          float64
	MinReturn, MaxReturn float64
}

// Summarize computes the Summary of eps (zero for none).
func Summarize(eps []Episode) Summary {
	var s Summary
	s.Episodes = len(eps)
	if len(eps) == 0 {
		return s
	}
	s.MinReturn, s.MaxReturn = eps[0].Return, eps[0].Return
	for _, e := range eps {
		s.MeanReturn += e.Return
		s.MeanLength += float64(e.Length)
		if e.Success {
			s.SuccessRate++
		}
		s.MinReturn = min(s.MinReturn, e.Return)
		s.MaxReturn = max(s.MaxReturn, e.Return)
	}
	n := float64(len(eps))
	s.MeanReturn /= n
	s.MeanLength /= n
	s.SuccessRate /= n
	for _, e := range eps {
		d := e.Return - s.MeanReturn
		s.StdReturn += d * d
	}
	s.StdReturn = math.Sqrt(s.StdReturn / n)
	return s
}
