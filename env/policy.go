package env

import (
	"fmt"

	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/spec"
)

// Policy chooses actions: an observation in, an action out.
type Policy interface {
	// Act writes the action for obs into act (len act == the action Dim).
	Act(obs, act []float32) error
}

// PolicyFunc adapts a function to a Policy.
type PolicyFunc func(obs, act []float32) error

// Act calls f.
func (f PolicyFunc) Act(obs, act []float32) error { return f(obs, act) }

// Random is a Policy that draws actions uniformly from an action space: each
// dimension of a Box uniformly within its bounds, or a uniformly chosen
// element of a Discrete space (as i.i.d. U(0,1) scores, whose argmax is
// uniform). It ignores the observation.
type Random struct {
	space  spec.Space
	stream *rng.Stream
}

// NewRandom returns a uniform random policy over space drawing from stream.
// A Box with an infinite bound is an error.
func NewRandom(space spec.Space, stream *rng.Stream) (*Random, error) {
	if !space.Bounded() {
		return nil, fmt.Errorf("random policy: action space %v is unbounded", space)
	}
	return &Random{space: space, stream: stream}, nil
}

// Act writes a random action into act.
func (r *Random) Act(_, act []float32) error {
	if len(act) != r.space.Dim {
		return fmt.Errorf("random policy: action length %d, want %d", len(act), r.space.Dim)
	}
	if r.space.Kind == spec.Discrete {
		r.stream.FillUniform(act, 0, 1)
		return nil
	}
	for i := range act {
		lo, hi := float64(r.space.Low[i]), float64(r.space.High[i])
		act[i] = float32(lo + r.stream.Float64()*(hi-lo))
	}
	return nil
}
