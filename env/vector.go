package env

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"

	"github.com/dwm-rl/dwm/rng"
)

// VecResult is one copy's outcome of a Vector step.
type VecResult struct {
	// Result is the copy's step result.
	Result Result
	// Done reports that the copy's episode ended on this step (Result.Terminated
	// or Result.Truncated). The copy was then reset at once: the observation it
	// ended in is in the Final buffer and the observation buffer holds the first
	// observation of its next episode (Gymnasium's "same-step" autoreset, where
	// the final observation travels in info["final_observation"]).
	Done bool
	// Episode summarizes the finished episode when Done; zero otherwise.
	Episode Episode
}

// Vector steps N copies of an environment in parallel on a fixed pool of
// worker goroutines, resetting each copy as soon as its episode ends.
//
// Observations and actions are flat, copy-major buffers: copy i's action is
// act[i*A:(i+1)*A] and its observation obs[i*O:(i+1)*O], where A and O are
// Spec().Act.Dim and Spec().Obs.Dim.
//
// Results depend only on the seed given to Reset and on the actions, never on
// scheduling: each copy owns its env and its seed stream (copy i's episode
// seeds are drawn from rng.Derive(seed, "vector", i)), workers touch disjoint
// parts of the buffers, and the first error is reported by copy index.
// A Vector is not safe for concurrent use by several goroutines; Close it to
// stop its workers.
type Vector struct {
	envs    []Env
	spec    Spec
	streams []*rng.Stream
	running []Episode
	errs    []error
	workers int
	jobs    chan span
	wg      sync.WaitGroup
	reset   bool
	closed  bool

	// The current call's arguments, read by the workers.
	op              int
	seed            uint64
	act, obs, final []float32
	res             []VecResult
}

type span struct{ lo, hi int }

const (
	opReset = iota
	opStep
)

// NewVector makes n copies with newEnv(i) for i = 0..n-1 and steps them on
// workers goroutines: the caller's and workers−1 started here. workers <= 0
// means runtime.GOMAXPROCS(0); at most n are used; 1 steps the copies in
// turn with no goroutines, the fastest choice for cheap envs and few copies.
// The copies must share observation and action dimensions. Pass
// TimeLimit-wrapped envs (as envs.Make returns) so episodes end, although a
// positive Spec().MaxSteps is also enforced here.
func NewVector(n, workers int, newEnv func(i int) (Env, error)) (*Vector, error) {
	if n <= 0 {
		return nil, fmt.Errorf("vector env: %d copies, want at least 1", n)
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	v := &Vector{envs: make([]Env, 0, n), workers: workers}
	for i := range n {
		e, err := newEnv(i)
		if err != nil {
			v.closeEnvs()
			return nil, fmt.Errorf("vector env: make copy %d: %w", i, err)
		}
		v.envs = append(v.envs, e)
		s := e.Spec()
		if i == 0 {
			v.spec = s
			continue
		}
		if s.Obs.Dim != v.spec.Obs.Dim || s.Act.Dim != v.spec.Act.Dim {
			v.closeEnvs()
			return nil, fmt.Errorf("vector env: copy %d (%s) has obs/act dims %d/%d, copy 0 (%s) has %d/%d",
				i, s.ID, s.Obs.Dim, s.Act.Dim, v.spec.ID, v.spec.Obs.Dim, v.spec.Act.Dim)
		}
	}
	v.streams = make([]*rng.Stream, n)
	v.running = make([]Episode, n)
	v.errs = make([]error, n)
	if workers > 1 {
		v.jobs = make(chan span, workers)
		for range workers - 1 {
			go v.worker()
		}
	}
	return v, nil
}

// N returns the number of copies.
func (v *Vector) N() int { return len(v.envs) }

// Spec returns copy 0's Spec (all copies share its dimensions).
func (v *Vector) Spec() Spec { return v.spec }

// Env returns copy i (for inspection; stepping it directly breaks the
// Vector's bookkeeping).
func (v *Vector) Env(i int) Env { return v.envs[i] }

// Reset derives each copy's seed stream from seed, resets every copy with
// its stream's first draw and writes the first observations into obs
// (len obs == N*Obs.Dim).
func (v *Vector) Reset(seed uint64, obs []float32) error {
	if v.closed {
		return errors.New("vector env: reset after close")
	}
	if want := len(v.envs) * v.spec.Obs.Dim; len(obs) != want {
		return fmt.Errorf("vector env %s: reset obs buffer length %d, want %d", v.spec.ID, len(obs), want)
	}
	v.op, v.seed, v.obs = opReset, seed, obs
	err := v.run()
	v.obs = nil
	v.reset = err == nil
	return err
}

// Step applies act (len N*Act.Dim) to every copy, writes the next
// observations into obs (len N*Obs.Dim) and each copy's outcome into res
// (len N). For a copy whose episode ended, res[i].Done is set, its final
// observation is written to final[i*O:(i+1)*O] (len final == N*Obs.Dim, or
// nil to discard final observations; other copies' parts are left untouched)
// and obs holds the first observation of its next episode. An error names the copy; after an error the copies'
// states are unspecified until the next Reset.
func (v *Vector) Step(act, obs, final []float32, res []VecResult) error {
	if v.closed {
		return errors.New("vector env: step after close")
	}
	if !v.reset {
		return fmt.Errorf("vector env %s: step before reset", v.spec.ID)
	}
	n, o, a := len(v.envs), v.spec.Obs.Dim, v.spec.Act.Dim
	switch {
	case len(act) != n*a:
		return fmt.Errorf("vector env %s: action buffer length %d, want %d (%d copies × %d)", v.spec.ID, len(act), n*a, n, a)
	case len(obs) != n*o:
		return fmt.Errorf("vector env %s: obs buffer length %d, want %d", v.spec.ID, len(obs), n*o)
	case final != nil && len(final) != n*o:
		return fmt.Errorf("vector env %s: final obs buffer length %d, want %d", v.spec.ID, len(final), n*o)
	case len(res) != n:
		return fmt.Errorf("vector env %s: result buffer length %d, want %d", v.spec.ID, len(res), n)
	}
	v.op, v.act, v.obs, v.final, v.res = opStep, act, obs, final, res
	err := v.run()
	v.act, v.obs, v.final, v.res = nil, nil, nil, nil
	if err != nil {
		v.reset = false
	}
	return err
}

// Close stops the workers and closes every copy. It is safe to call more
// than once.
func (v *Vector) Close() error {
	if v.closed {
		return nil
	}
	v.closed = true
	if v.jobs != nil {
		close(v.jobs)
	}
	return v.closeEnvs()
}

func (v *Vector) closeEnvs() error {
	var errs []error
	for i, e := range v.envs {
		if err := e.Close(); err != nil {
			errs = append(errs, fmt.Errorf("vector env: close copy %d: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

// run performs the current operation on every copy, spread over the workers,
// and returns the error of the lowest-numbered copy that failed.
func (v *Vector) run() error {
	n := len(v.envs)
	if v.workers <= 1 {
		for i := range n {
			v.one(i)
		}
	} else {
		// The calling goroutine does the first chunk itself while the
		// pool's workers−1 goroutines do the others.
		chunk := (n + v.workers - 1) / v.workers
		for lo := chunk; lo < n; lo += chunk {
			v.wg.Add(1)
			v.jobs <- span{lo, min(lo+chunk, n)}
		}
		for i := range chunk {
			v.one(i)
		}
		v.wg.Wait()
	}
	for i, err := range v.errs {
		if err != nil {
			for j := i; j < n; j++ {
				v.errs[j] = nil
			}
			return err
		}
	}
	return nil
}

func (v *Vector) worker() {
	for s := range v.jobs {
		for i := s.lo; i < s.hi; i++ {
			v.one(i)
		}
		v.wg.Done()
	}
}

// one performs the current operation on copy i. It touches only copy i's
// env, stream, bookkeeping and buffer parts.
func (v *Vector) one(i int) {
	e, o := v.envs[i], v.spec.Obs.Dim
	obs := v.obs[i*o : (i+1)*o]
	if v.op == opReset {
		v.streams[i] = rng.Derive(v.seed, "vector", strconv.Itoa(i))
		v.running[i] = Episode{}
		if err := e.Reset(v.streams[i].Uint64(), obs); err != nil {
			v.errs[i] = fmt.Errorf("vector env: reset copy %d: %w", i, err)
		}
		return
	}
	a := v.spec.Act.Dim
	r, err := e.Step(v.act[i*a:(i+1)*a], obs)
	if err != nil {
		v.errs[i] = fmt.Errorf("vector env: step copy %d: %w", i, err)
		return
	}
	ep := &v.running[i]
	ep.Return += r.Reward
	ep.Length++
	ep.Success = ep.Success || r.Success
	if v.spec.MaxSteps > 0 && ep.Length >= v.spec.MaxSteps {
		r.Truncated = true
	}
	vr := VecResult{Result: r}
	if r.Terminated || r.Truncated {
		ep.Terminated, ep.Truncated = r.Terminated, r.Truncated
		vr.Done, vr.Episode = true, *ep
		*ep = Episode{}
		if v.final != nil {
			copy(v.final[i*o:(i+1)*o], obs)
		}
		if err := e.Reset(v.streams[i].Uint64(), obs); err != nil {
			v.errs[i] = fmt.Errorf("vector env: autoreset copy %d: %w", i, err)
		}
	}
	v.res[i] = vr
}
