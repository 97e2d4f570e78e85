package classic

import (
	"fmt"
	"math"
)

// PendulumExpert is a swing-up controller for Pendulum: energy shaping far
// from the top and a discrete-time LQR near it. It is the "expert" whose
// returns serve as Pendulum's reference maximum.
//
// With the Pendulum dynamics θ̈ = a·sin θ + b·u (a = 3g/(2l) = 15,
// b = 3/(ml²) = 3), the energy E = ½θ̇² + a(cos θ − 1) is 0 upright at rest
// and obeys dE/dt = b·u·θ̇, so u = clip(−KE·E·θ̇, ±2) pumps E to 0. Once
// cos θ ≥ CatchCos the LQR takes over: u = clip(−K·[θ, θ̇], ±2) with K from
// the Riccati recursion of the env's own linearised semi-implicit step and
// its own cost weights (Q = diag(1, 0.1), R = 0.001).
type PendulumExpert struct {
	// KE is the energy-shaping gain.
	KE float64
	// CatchCos is the cos θ above which the LQR takes over.
	CatchCos float64
	// K holds the LQR gains on θ and θ̇.
	K [2]float64
}

// NewPendulumExpert returns the controller with its LQR gains solved.
func NewPendulumExpert() *PendulumExpert {
	return &PendulumExpert{KE: 1, CatchCos: 0.8, K: pendulumLQR()}
}

// pendulumLQR iterates the discrete Riccati equation to its fixed point.
func pendulumLQR() [2]float64 {
	const dt = PendulumDT
	a := 3 * PendulumG / (2 * PendulumLength)
	b := 3 / (PendulumMass * PendulumLength * PendulumLength)
	// x' = A x + B u for x = [θ, θ̇]: θ̇' = θ̇ + dt(aθ + bu), θ' = θ + dt·θ̇'.
	A := [2][2]float64{{1 + dt*dt*a, dt}, {dt * a, 1}}
	B := [2]float64{dt * dt * b, dt * b}
	Q := [2]float64{1, 0.1}
	const R = 0.001
	P := [2][2]float64{{Q[0], 0}, {0, Q[1]}}
	var K [2]float64
	for range 10000 {
		// PB = P·B, s = R + BᵀPB, K = (BᵀPA)/s.
		PB := [2]float64{P[0][0]*B[0] + P[0][1]*B[1], P[1][0]*B[0] + P[1][1]*B[1]}
		s := R + B[0]*PB[0] + B[1]*PB[1]
		for j := range 2 {
			K[j] = (PB[0]*A[0][j] + PB[1]*A[1][j]) / s
		}
		// P' = Q + AᵀPA − AᵀPB·K.
		var next [2][2]float64
		for i := range 2 {
			for j := range 2 {
				var apa float64
				for k := range 2 {
					for l := range 2 {
						apa += A[k][i] * P[k][l] * A[l][j]
					}
				}
				apb := A[0][i]*PB[0] + A[1][i]*PB[1]
				next[i][j] = apa - apb*K[j]
			}
			next[i][i] += Q[i]
		}
		P = next
	}
	return K
}

// Act writes the torque for obs = [cos θ, sin θ, θ̇].
func (c *PendulumExpert) Act(obs, act []float32) error {
	if len(obs) != 3 || len(act) != 1 {
		return fmt.Errorf("pendulum expert: obs/action lengths %d/%d, want 3/1", len(obs), len(act))
	}
	cos, sin, dth := float64(obs[0]), float64(obs[1]), float64(obs[2])
	th := math.Atan2(sin, cos)
	var u float64
	if cos >= c.CatchCos {
		u = -(c.K[0]*th + c.K[1]*dth)
	} else {
		a := 3 * PendulumG / (2 * PendulumLength)
		e := 0.5*dth*dth + a*(cos-1)
		u = -c.KE * e * dth
		if dth == 0 {
			u = PendulumMaxTorque // start a swing from rest
		}
	}
	act[0] = float32(min(max(u, -PendulumMaxTorque), PendulumMaxTorque))
	return nil
}
