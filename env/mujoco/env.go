//go:build cgo && !nomujoco

package mujoco

import (
	"errors"
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/spec"
)

// Maker builds environments of one id that share one compiled, read-only
// model (the shifts of the id already applied). Each Env owns its own
// simulation state, so Envs from one Maker can step in parallel goroutines.
type Maker struct {
	id     string
	task   *task
	model  *Model
	spec   env.Spec
	xBody  int
	adroit *adroitIDs // Adroit tasks: the names their rules read
	closed bool
}

// NewMaker compiles the model for id (see IDs) and applies its shifts.
func NewMaker(id string) (*Maker, error) {
	t, shifts, err := parseID(id)
	if err != nil {
		return nil, err
	}
	xml, err := t.xml()
	if err != nil {
		return nil, fmt.Errorf("mujoco: %s: %w", id, err)
	}
	m, err := LoadXML(xml)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	if err := applyShifts(m, t, shifts); err != nil {
		m.Close()
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	if m.NU() != t.actDim {
		m.Close()
		return nil, fmt.Errorf("mujoco: %s: model has %d actuators, want %d", id, m.NU(), t.actDim)
	}
	mk := &Maker{id: id, task: t, model: m, xBody: -1}
	if t.adroit != nil {
		if mk.adroit, err = bindAdroit(m, t.adroit); err != nil {
			m.Close()
			return nil, fmt.Errorf("%s: %w", id, err)
		}
	}
	if t.xBody != "" {
		if mk.xBody, err = m.ID(ObjBody, t.xBody); err != nil {
			m.Close()
			return nil, fmt.Errorf("%s: %w", id, err)
		}
	}
	inf := float32(math.Inf(1))
	mk.spec = env.Spec{
		ID:       id,
		Obs:      spec.UniformBox(t.obsDim(m.NQ(), m.NV()), -inf, inf),
		Act:      spec.UniformBox(t.actDim, -1, 1),
		MaxSteps: t.maxSteps,
		DT:       t.dt(m.Timestep()),
	}
	return mk, nil
}

// applyShifts edits the freshly loaded model in place (mjModel fields, not
// the MJCF): friction and gravity scale geom_friction and opt.gravity,
// kinematic scales jnt_range, morphology scales a limb (see Model.ScaleLimb).
func applyShifts(m *Model, t *task, shifts []shift) error {
	for _, s := range shifts {
		switch s.kind {
		case shiftFriction:
			m.ScaleFriction(s.k)
		case shiftGravity:
			m.ScaleGravity(s.k)
		case shiftKinematic:
			part := s.part
			if part == "" {
				part = t.kinematicJoint
			}
			if err := m.ScaleJointRange(part, s.k); err != nil {
				return fmt.Errorf("kinematic shift: %w", err)
			}
		case shiftMorphology:
			part := s.part
			if part == "" {
				part = t.morphologyBody
			}
			if err := m.ScaleLimb(part, s.k); err != nil {
				return fmt.Errorf("morphology shift: %w", err)
			}
		}
	}
	return nil
}

// Spec describes the environments this Maker builds.
func (mk *Maker) Spec() env.Spec { return mk.spec }

// Model is the shared model (read it, do not edit it once Envs exist).
func (mk *Maker) Model() *Model { return mk.model }

// New returns a new environment sharing the Maker's model.
func (mk *Maker) New() (*Env, error) {
	if mk.closed {
		return nil, fmt.Errorf("mujoco: %s: maker is closed", mk.id)
	}
	d, err := NewData(mk.model)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", mk.id, err)
	}
	e := &Env{spec: mk.spec, task: mk.task, data: d, xBody: mk.xBody, actWhat: mk.id + " action"}
	e.dt = mk.spec.DT
	if mk.task.scaleAct {
		e.ctrlRange = mk.model.Params().CtrlRange
	}
	if mk.adroit != nil {
		e.adroit = &adroitEnv{ids: mk.adroit}
	}
	return e, nil
}

// Close releases the Maker's hold on the model; Envs made from it keep
// working until they are closed. It is safe to call more than once.
func (mk *Maker) Close() error {
	if mk.closed {
		return nil
	}
	mk.closed = true
	return mk.model.Close()
}

// Make builds one environment for id; closing it frees everything. Use
// NewMaker to build many environments that share one model.
func Make(id string) (env.Env, error) {
	mk, err := NewMaker(id)
	if err != nil {
		return nil, err
	}
	defer mk.Close()
	return mk.New()
}

// StepInfo breaks down the last step's reward (Gymnasium's info dict).
type StepInfo struct {
	XPosition     float64 // x after the step
	XVelocity     float64 // (x after − x before) / dt
	ForwardReward float64
	HealthyReward float64
	CtrlCost      float64 // subtracted from the reward
	GoalDistance  float64 // AntMaze: distance from the ant's (x, y) to the goal
}

// Env is one MuJoCo environment (see the package documentation for the
// task definitions). It implements env.Env and is not safe for concurrent use.
//
// Actions are clipped to [-1, 1] before use, as env.Env requires; the control
// cost is computed on the clipped action. (Gymnasium passes the raw action to
// MuJoCo, which clamps the control to ctrlrange, and charges the raw action:
// the dynamics agree, only the cost of an out-of-bound action differs.)
type Env struct {
	spec      env.Spec
	task      *task
	data      *Data
	dt        float64
	xBody     int
	ctrlRange []float64 // AntMaze, Adroit: actuator ctrlrange, for the [-1,1] mapping
	adroit    *adroitEnv
	goal      [2]float64
	info      StepInfo
	ready     bool        // Reset succeeded and no simulation error since
	actWhat   string      // "<id> action", names the action in errors
	resetRNG  *rng.Stream // reseeded by every Reset (no allocation per episode)
}

var errClosed = errors.New("environment is closed")

// Spec describes the environment.
func (e *Env) Spec() env.Spec { return e.spec }

// Data exposes the simulation state (for tests and diagnostics).
func (e *Env) Data() *Data { return e.data }

// Info returns the reward breakdown of the last step (locomotion and
// AntMaze tasks; Adroit tasks report theirs through AdroitInfo).
func (e *Env) Info() StepInfo { return e.info }

// Goal returns the AntMaze goal (zero for other tasks).
func (e *Env) Goal() [2]float64 { return e.goal }

// Reset starts an episode: mj_resetData, the task's reset noise on the
// default pose and zero velocity (drawn from rng.Derive(seed, "env/mujoco",
// base id), so shifted variants of a task start from the same states), then
// mj_forward. AntMaze draws a new goal first; Adroit tasks add no noise and
// draw their object placement instead (see the package documentation).
func (e *Env) Reset(seed uint64, obs []float32) error {
	if e.data == nil {
		return fmt.Errorf("%s: reset: %w", e.spec.ID, errClosed)
	}
	if len(obs) != e.spec.Obs.Dim {
		return fmt.Errorf("%s: reset: observation buffer length %d, want %d", e.spec.ID, len(obs), e.spec.Obs.Dim)
	}
	e.ready = false
	t, d := e.task, e.data
	if e.resetRNG == nil {
		e.resetRNG = rng.New(0)
	}
	r := e.resetRNG
	r.Reseed(seed, "env/mujoco", t.name)
	if t.maze != nil {
		e.goal = t.maze.goalXY(r.Float64)
	}
	if err := d.Reset(); err != nil {
		return fmt.Errorf("%s: %w", e.spec.ID, err)
	}
	if e.adroit != nil {
		if err := e.adroit.reset(d, r); err != nil {
			return fmt.Errorf("%s: %w", e.spec.ID, err)
		}
		e.info = StepInfo{}
		e.adroit.info = AdroitInfo{}
		e.adroit.observe(d, obs)
		e.ready = true
		return nil
	}
	qpos, qvel, qpos0 := d.QPos(), d.QVel(), d.Model().QPos0()
	for i := range qpos {
		qpos[i] = qpos0[i] + uniform(r, t.noiseQpos)
	}
	for i := range qvel {
		if t.qvelNormal {
			qvel[i] = t.noiseQvel * r.NormFloat64()
		} else {
			qvel[i] = uniform(r, t.noiseQvel)
		}
	}
	if err := d.Forward(); err != nil {
		return fmt.Errorf("%s: %w", e.spec.ID, err)
	}
	e.info = StepInfo{XPosition: e.x()}
	t.observe(obs, qpos, qvel, e.goal)
	e.ready = true
	return nil
}

// uniform draws from U(−s, s) as numpy's uniform(low, high) does.
func uniform(r *rng.Stream, s float64) float64 { return -s + r.Float64()*(2*s) }

// SetState writes qpos and qvel and runs mj_forward (Gymnasium's set_state),
// then writes the observation into obs. It starts an episode like Reset.
func (e *Env) SetState(qpos, qvel []float64, obs []float32) error {
	if e.data == nil {
		return fmt.Errorf("%s: set state: %w", e.spec.ID, errClosed)
	}
	d := e.data
	if len(qpos) != len(d.QPos()) || len(qvel) != len(d.QVel()) || len(obs) != e.spec.Obs.Dim {
		return fmt.Errorf("%s: set state: lengths qpos %d, qvel %d, obs %d; want %d, %d, %d", e.spec.ID,
			len(qpos), len(qvel), len(obs), len(d.QPos()), len(d.QVel()), e.spec.Obs.Dim)
	}
	e.ready = false
	copy(d.QPos(), qpos)
	copy(d.QVel(), qvel)
	if err := d.Forward(); err != nil {
		return fmt.Errorf("%s: %w", e.spec.ID, err)
	}
	if e.adroit != nil {
		e.adroit.measure(d)
		e.adroit.observe(d, obs)
	} else {
		e.task.observe(obs, d.QPos(), d.QVel(), e.goal)
	}
	e.info = StepInfo{XPosition: e.x()}
	e.ready = true
	return nil
}

// x is the forward position the reward differentiates.
func (e *Env) x() float64 {
	if e.xBody >= 0 {
		return e.data.XPos(e.xBody)[0]
	}
	return e.data.QPos()[0]
}

// Step applies action for frame_skip simulation steps (one C call running
// mj_step frame_skip times and then mj_rnePostConstraint), writes the next
// observation into obs, and returns the reward and termination flag. It never
// sets Truncated: the episode limit (Spec().MaxSteps) is applied by
// env.TimeLimit. A MuJoCo error or warning (for example NaN in the state,
// after which MuJoCo resets the data) is returned as an error, and the
// environment must be Reset before stepping again.
func (e *Env) Step(action, obs []float32) (env.Result, error) {
	if e.data == nil {
		return env.Result{}, fmt.Errorf("%s: step: %w", e.spec.ID, errClosed)
	}
	if !e.ready {
		return env.Result{}, fmt.Errorf("%s: step before reset (or after a simulation error)", e.spec.ID)
	}
	if err := env.ValidateAction(&e.spec, action); err != nil {
		return env.Result{}, err
	}
	if len(obs) != e.spec.Obs.Dim {
		return env.Result{}, fmt.Errorf("%s: step: observation buffer length %d, want %d", e.spec.ID, len(obs), e.spec.Obs.Dim)
	}
	t, d := e.task, e.data
	ctrl := d.Ctrl()
	var sumSq float64
	for i, a := range action {
		c := min(max(float64(a), -1), 1)
		sumSq += c * c
		if e.ctrlRange != nil {
			lo, hi := e.ctrlRange[2*i], e.ctrlRange[2*i+1]
			c = min(max(lo+(c+1)*0.5*(hi-lo), lo), hi)
		}
		ctrl[i] = c
	}
	xBefore := e.x()
	if err := d.Step(t.frameSkip); err != nil {
		e.ready = false
		return env.Result{}, fmt.Errorf("%s: %w", e.spec.ID, err)
	}
	if e.adroit != nil {
		var res env.Result
		res.Reward, res.Success, res.Terminated = e.adroit.evaluate(d)
		e.adroit.observe(d, obs)
		return res, nil
	}
	qpos, qvel := d.QPos(), d.QVel()
	xAfter := e.x()
	info := StepInfo{XPosition: xAfter, XVelocity: (xAfter - xBefore) / e.dt}
	var res env.Result
	if t.maze != nil {
		dx, dy := qpos[0]-e.goal[0], qpos[1]-e.goal[1]
		info.GoalDistance = math.Hypot(dx, dy)
		if info.GoalDistance <= goalRadius {
			res.Reward, res.Success, res.Terminated = 1, true, true
		}
	} else {
		info.ForwardReward = info.XVelocity
		info.CtrlCost = t.ctrlCost * sumSq
		// Gymnasium v4 pays the healthy reward on every step when
		// terminate_when_unhealthy is on, the terminating step included.
		info.HealthyReward = t.healthy
		res.Reward = info.ForwardReward + info.HealthyReward - info.CtrlCost
		if t.isHealthy != nil {
			res.Terminated = !t.isHealthy(qpos, qvel)
		}
	}
	e.info = info
	t.observe(obs, qpos, qvel, e.goal)
	return res, nil
}

// Close frees the simulation state (and the model once nothing else uses
// it). It is safe to call more than once.
func (e *Env) Close() error {
	if e.data == nil {
		return nil
	}
	err := e.data.Close()
	e.data = nil
	e.ready = false
	return err
}
