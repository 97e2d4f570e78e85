package env

import "fmt"

// TimeLimit ends episodes after a fixed number of steps by setting
// Result.Truncated on the last one, as Gymnasium's TimeLimit does: the step
// that reaches the limit is truncated even if it is also terminated. It also
// enforces the episode protocol: Step before the first Reset, or after an
// episode ended (terminated or truncated), is an error until Reset is called.
type TimeLimit struct {
	inner   Env
	spec    Spec
	steps   int
	started bool
	ended   bool
}

// NewTimeLimit wraps e so that episodes last at most maxSteps steps. A
// maxSteps of 0 (or less) uses e.Spec().MaxSteps; if that is 0 too the wrapper
// only enforces the Reset/Step protocol.
func NewTimeLimit(e Env, maxSteps int) *TimeLimit {
	s := e.Spec()
	if maxSteps > 0 {
		s.MaxSteps = maxSteps
	}
	return &TimeLimit{inner: e, spec: s}
}

// Spec returns the wrapped env's Spec with MaxSteps set to this limit.
func (t *TimeLimit) Spec() Spec { return t.spec }

// Unwrap returns the wrapped env.
func (t *TimeLimit) Unwrap() Env { return t.inner }

// Elapsed returns the number of steps taken in the current episode.
func (t *TimeLimit) Elapsed() int { return t.steps }

// Reset resets the wrapped env and the step counter.
func (t *TimeLimit) Reset(seed uint64, obs []float32) error {
	if err := t.inner.Reset(seed, obs); err != nil {
		return err
	}
	t.steps, t.started, t.ended = 0, true, false
	return nil
}

// Step steps the wrapped env and sets Truncated when the limit is reached.
func (t *TimeLimit) Step(action, obs []float32) (Result, error) {
	if !t.started {
		return Result{}, fmt.Errorf("%s: step before reset", t.spec.ID)
	}
	if t.ended {
		return Result{}, fmt.Errorf("%s: step after the episode ended (step %d); call Reset", t.spec.ID, t.steps)
	}
	r, err := t.inner.Step(action, obs)
	if err != nil {
		return r, err
	}
	t.steps++
	if t.spec.MaxSteps > 0 && t.steps >= t.spec.MaxSteps {
		r.Truncated = true
	}
	t.ended = r.Terminated || r.Truncated
	return r, nil
}

// Close closes the wrapped env.
func (t *TimeLimit) Close() error { return t.inner.Close() }
