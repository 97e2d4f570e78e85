// Package env defines dwm's environment interface with Gymnasium's
// semantics: Reset(seed) gives the first observation; Step(action) gives the
// next observation, a reward, and separate terminated (a true end of the task,
// no bootstrapping) and truncated (a time limit) flags.
//
// Observations are written into a caller-owned buffer so stepping allocates
// nothing. Environments are not safe for concurrent use; a Vector steps many
// copies in parallel.
package env

import "github.com/dwm-rl/dwm/spec"

// Spec describes an environment instance.
type Spec struct {
	// ID is the full env id including any shift, e.g. "hopper-friction-2.0".
	ID string
	// Obs and Act are the observation and action spaces.
	Obs, Act spec.Space
	// MaxSteps is the episode limit applied by TimeLimit (0: none).
	MaxSteps int
	// DT is the simulated seconds per step (0 if not meaningful).
	DT float64
}

// Result is what one step returns besides the observation.
type Result struct {
	Reward     float64
	Terminated bool
	Truncated  bool
	// Success is set by goal-reaching tasks when the goal is reached.
	Success bool
}

// Env is one environment instance.
type Env interface {
	// Spec describes the instance.
	Spec() Spec
	// Reset starts a new episode using seed for any randomness and writes
	// the first observation into obs (len obs == Spec().Obs.Dim).
	Reset(seed uint64, obs []float32) error
	// Step applies action, writes the next observation into obs and
	// returns the reward and end flags. An action of the wrong length or
	// holding NaN/Inf is an error naming the env and the index; out-of-bound
	// actions are clipped to the action Box.
	Step(action, obs []float32) (Result, error)
	// Close releases resources (C memory for MuJoCo envs). It is safe to call
	// more than once.
	Close() error
}
