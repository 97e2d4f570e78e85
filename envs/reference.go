package envs

import (
	"fmt"

	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/rng"
)

// Reference holds the measured mean undiscounted returns of a uniform random
// policy and of the scripted expert (see Expert) on one env id, the two ends
// of the normalized score scale, as D4RL's ref_min_score/ref_max_score.
type Reference struct {
	ID string
	// Episodes is the number of episodes per policy and Seed the seed they
	// were measured with (see Measure).
	Episodes int
	Seed     uint64
	// Random and Expert are mean returns; RandomStd and ExpertStd their
	// population standard deviations across episodes.
	Random, RandomStd float64
	Expert, ExpertStd float64
	// RandomSuccess and ExpertSuccess are the fractions of episodes with a
	// successful step (goal reached); 0 for tasks without goals.
	RandomSuccess, ExpertSuccess float64
}

// Normalize maps a return to the score 100·(ret − Random)/(Expert − Random).
func (r Reference) Normalize(ret float64) float64 {
	return 100 * (ret - r.Random) / (r.Expert - r.Random)
}

// Measure runs episodes episodes of the random policy and of the expert on
// Make(id). Episode k of both uses env seed rng.Seeds(seed, episodes)[k];
// the random policy draws from rng.Derive(seed, "reference", "random", id).
func Measure(id string, episodes int, seed uint64) (Reference, error) {
	ref := Reference{ID: id, Episodes: episodes, Seed: seed}
	e, err := Make(id)
	if err != nil {
		return ref, err
	}
	defer e.Close()
	random, err := env.NewRandom(e.Spec().Act, rng.Derive(seed, "reference", "random", id))
	if err != nil {
		return ref, fmt.Errorf("reference %s: %w", id, err)
	}
	expert, err := Expert(id)
	if err != nil {
		return ref, fmt.Errorf("reference %s: %w", id, err)
	}
	for _, p := range []struct {
		policy            env.Policy
		mean, std, succes *float64
	}{
		{random, &ref.Random, &ref.RandomStd, &ref.RandomSuccess},
		{expert, &ref.Expert, &ref.ExpertStd, &ref.ExpertSuccess},
	} {
		eps, err := env.Rollout(e, p.policy, seed, episodes)
		if err != nil {
			return ref, fmt.Errorf("reference %s: %w", id, err)
		}
		s := env.Summarize(eps)
		*p.mean, *p.std, *p.succes = s.MeanReturn, s.StdReturn, s.SuccessRate
	}
	return ref, nil
}

// ReferenceFor returns the measured reference of id, if the table has one.
func ReferenceFor(id string) (Reference, bool) {
	for _, r := range References() {
		if r.ID == id {
			return r, true
		}
	}
	return Reference{}, false
}
