package env

import (
	"fmt"

	"github.com/dwm-rl/dwm/spec"
)

// Rescaled exposes an env whose action Box has bounds other than [-1, 1]
// with actions in [-1, 1] per dimension, mapped affinely onto the env's
// bounds. Agents in dwm produce actions in [-1, 1] (a tanh squashing), and
// datasets record actions in this normalized space, so an agent trained on
// data acts correctly in the env. Discrete action spaces pass through.
type Rescaled struct {
	inner     Env
	spec      Spec
	mid, half []float32
	buf       []float32
}

// Rescale wraps e so its actions are in [-1, 1]. It returns e itself when the
// action space already is [-1, 1] or is Discrete. It returns an error when a
// bound is infinite (nothing to map onto).
func Rescale(e Env) (Env, error) {
	s := e.Spec()
	if s.Act.Kind != spec.Box {
		return e, nil
	}
	unit := true
	for i := range s.Act.Low {
		if s.Act.Low[i] != -1 || s.Act.High[i] != 1 {
			unit = false
		}
	}
	if unit {
		return e, nil
	}
	if !s.Act.Bounded() {
		return nil, fmt.Errorf("env %s: cannot rescale an unbounded action space %v", s.ID, s.Act)
	}
	r := &Rescaled{inner: e, spec: s}
	n := s.Act.Dim
	r.mid, r.half, r.buf = make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range n {
		r.mid[i] = (s.Act.High[i] + s.Act.Low[i]) / 2
		r.half[i] = (s.Act.High[i] - s.Act.Low[i]) / 2
	}
	r.spec.Act = spec.UniformBox(n, -1, 1)
	return r, nil
}

// Spec returns the inner spec with the action space [-1, 1]^n.
func (r *Rescaled) Spec() Spec { return r.spec }

// Reset resets the inner env.
func (r *Rescaled) Reset(seed uint64, obs []float32) error { return r.inner.Reset(seed, obs) }

// Step maps action from [-1, 1] to the env's bounds (clipping first) and steps.
func (r *Rescaled) Step(action, obs []float32) (Result, error) {
	if err := ValidateAction(&r.spec, action); err != nil {
		return Result{}, err
	}
	for i, a := range action {
		a = min(max(a, -1), 1)
		r.buf[i] = r.mid[i] + r.half[i]*a
	}
	return r.inner.Step(r.buf, obs)
}

// Close closes the inner env.
func (r *Rescaled) Close() error { return r.inner.Close() }

// Unwrap returns the wrapped env.
func (r *Rescaled) Unwrap() Env { return r.inner }
