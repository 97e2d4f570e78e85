package classic

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/spec"
)

// Pendulum constants, all from Gymnasium's Pendulum-v1 (gymnasium/envs/classic_control/pendulum.py).
const (
	PendulumG         = 10.0 // gravity (Gymnasium default g=10.0)
	PendulumMass      = 1.0
	PendulumLength    = 1.0
	PendulumMaxSpeed  = 8.0
	PendulumMaxTorque = 2.0
	PendulumDT        = 0.05
	PendulumMaxSteps  = 200 // registered max_episode_steps
)

// Pendulum is Gymnasium's Pendulum-v1: swing a frictionless pendulum up and
// keep it upright. The state is the angle θ (0 = upright) and the angular
// velocity θ̇; the observation is [cos θ, sin θ, θ̇]; the action is a torque u
// in [−2, 2]. One step, exactly as Gymnasium (semi-implicit Euler):
//
//	cost  = angle_normalize(θ)² + 0.1·θ̇² + 0.001·u²   (of the state before the step)
//	θ̇'   = clip(θ̇ + (3g/(2l)·sin θ + 3/(m·l²)·u)·dt, −8, 8)
//	θ'    = θ + θ̇'·dt
//	reward = −cost, never terminated
//
// Reset draws θ ~ U(−π, π), θ̇ ~ U(−1, 1). The state is kept in float64 and
// θ is not wrapped, as in Gymnasium.
type Pendulum struct {
	spec    env.Spec
	th, dth float64
	act     [1]float32
	started bool
}

// NewPendulum returns a Pendulum with id "pendulum".
func NewPendulum() *Pendulum {
	return &Pendulum{spec: env.Spec{
		ID:       "pendulum",
		Obs:      spec.NewBox([]float32{-1, -1, -PendulumMaxSpeed}, []float32{1, 1, PendulumMaxSpeed}),
		Act:      spec.UniformBox(1, -PendulumMaxTorque, PendulumMaxTorque),
		MaxSteps: PendulumMaxSteps,
		DT:       PendulumDT,
	}}
}

// Spec describes the env.
func (p *Pendulum) Spec() env.Spec { return p.spec }

// Reset draws the initial state from seed and writes the first observation.
func (p *Pendulum) Reset(seed uint64, obs []float32) error {
	if err := checkObs(&p.spec, obs); err != nil {
		return err
	}
	s := rng.Derive(seed, p.spec.ID, "reset")
	p.th = (2*s.Float64() - 1) * math.Pi
	p.dth = 2*s.Float64() - 1
	p.started = true
	p.observe(obs)
	return nil
}

// SetState sets θ and θ̇ directly (for tests and dataset tools), as if the
// env had been reset to that state. θ̇ is not clipped.
func (p *Pendulum) SetState(theta, thetaDot float64) {
	p.th, p.dth, p.started = theta, thetaDot, true
}

// State returns θ and θ̇.
func (p *Pendulum) State() (theta, thetaDot float64) { return p.th, p.dth }

// Step applies the torque action[0] (clipped to [−2, 2]).
func (p *Pendulum) Step(action, obs []float32) (env.Result, error) {
	if err := env.CheckAction(&p.spec, action, p.act[:]); err != nil {
		return env.Result{}, err
	}
	if err := checkObs(&p.spec, obs); err != nil {
		return env.Result{}, err
	}
	if !p.started {
		return env.Result{}, fmt.Errorf("%s: step before reset", p.spec.ID)
	}
	u := float64(p.act[0])
	const g, m, l, dt = PendulumG, PendulumMass, PendulumLength, PendulumDT
	an := AngleNormalize(p.th)
	cost := an*an + 0.1*p.dth*p.dth + 0.001*u*u
	dth := p.dth + (3*g/(2*l)*math.Sin(p.th)+3/(m*l*l)*u)*dt
	dth = min(max(dth, -PendulumMaxSpeed), PendulumMaxSpeed)
	p.th += dth * dt
	p.dth = dth
	p.observe(obs)
	return env.Result{Reward: -cost}, nil
}

// Close does nothing.
func (p *Pendulum) Close() error { return nil }

func (p *Pendulum) observe(obs []float32) {
	sin, cos := math.Sincos(p.th)
	obs[0] = float32(cos)
	obs[1] = float32(sin)
	obs[2] = float32(p.dth)
}

// AngleNormalize maps x to [−π, π) as Gymnasium's angle_normalize does:
// ((x + π) mod 2π) − π with a non-negative modulo.
func AngleNormalize(x float64) float64 {
	r := math.Mod(x+math.Pi, 2*math.Pi)
	if r < 0 {
		r += 2 * math.Pi
	}
	return r - math.Pi
}

// checkObs returns an error if obs cannot hold an observation of s.
func checkObs(s *env.Spec, obs []float32) error {
	if len(obs) != s.Obs.Dim {
		return fmt.Errorf("%s: observation buffer length %d, want %d", s.ID, len(obs), s.Obs.Dim)
	}
	return nil
}
