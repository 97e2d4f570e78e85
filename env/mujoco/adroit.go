package mujoco

import (
	_ "embed"
	"fmt"
	"math"
	"strings"
	"text/template"
)

//go:embed assets/adroit_hand.xml.tmpl
var adroitHandTmpl string

//go:embed assets/adroit_pen.xml.tmpl
var adroitPenTmpl string

//go:embed assets/adroit_door.xml.tmpl
var adroitDoorTmpl string

//go:embed assets/adroit_hammer.xml.tmpl
var adroitHammerTmpl string

//go:embed assets/adroit_relocate.xml.tmpl
var adroitRelocateTmpl string

// adroitKind names one of the four Adroit tasks.
type adroitKind int

const (
	adroitPen adroitKind = iota
	adroitDoor
	adroitHammer
	adroitRelocate
)

// adroit describes an Adroit task: its model template and observation size.
// The rules (reset, observation, reward, success) follow Gymnasium-Robotics'
// AdroitHand*-v1 files adroit_pen.py, adroit_door.py, adroit_hammer.py and
// adroit_relocate.py (dense rewards).
type adroit struct {
	kind adroitKind
	// tmpl holds the task's "arm", "objects", "armactuators" and "extra"
	// template blocks for adroit_hand.xml.tmpl.
	tmpl string
	// forearmEuler is the forearm's fixed orientation (the pen task's hand
	// faces the other way round: no 3.14 about z).
	forearmEuler string
	obsDim       int
}

// adroitTask builds the task table entry for one Adroit task. Every task:
// frame_skip 5 × timestep 0.002, actions in [-1, 1] mapped linearly onto the
// actuators' ctrlrange (Gymnasium-Robotics' act_mean + a·act_rng); only pen
// terminates (when the pen drops, as in D4RL). Episode limits are D4RL's (pen 100, others 200; Gymnasium-
// Robotics registers 200 for pen too). Shifts without a part name act on the
// forefinger: kinematic on FFJ2 (MCP flexion), morphology on ffdistal.
func adroitTask(name, source string, a *adroit, actDim, maxSteps int) *task {
	return &task{
		name: name, source: source, xml: a.xml, frameSkip: 5, maxSteps: maxSteps,
		actDim: actDim, scaleAct: true, adroit: a,
		kinematicJoint: "FFJ2", morphologyBody: "ffdistal",
	}
}

var (
	penAdroit      = &adroit{kind: adroitPen, tmpl: adroitPenTmpl, forearmEuler: "-1.57 0 0", obsDim: 45}
	doorAdroit     = &adroit{kind: adroitDoor, tmpl: adroitDoorTmpl, forearmEuler: "-1.57 0 3.14", obsDim: 39}
	hammerAdroit   = &adroit{kind: adroitHammer, tmpl: adroitHammerTmpl, forearmEuler: "-1.57 0 3.14", obsDim: 46}
	relocateAdroit = &adroit{kind: adroitRelocate, tmpl: adroitRelocateTmpl, forearmEuler: "-1.57 0 3.14", obsDim: 39}
)

// adroitDigit is one of the three identical fingers (fore, middle, ring) of
// the template: P is the body name prefix, U the joint prefix.
type adroitDigit struct {
	P, U, Pos string
	// MiddleCOM is the z of the middle phalanx's centre of mass (the
	// published model has 0.011 for the forefinger and 0.012 elsewhere).
	MiddleCOM string
}

type adroitActuator struct{ J, Range string }

// adroitFingerActuators lists the hand's finger actuators in the published
// order, with their control ranges (rad). A_THJ4 has none in the published
// file and takes the default class's -1 1.
func adroitFingerActuators() []adroitActuator {
	var out []adroitActuator
	for _, f := range []string{"FF", "MF", "RF", "LF"} {
		if f == "LF" {
			out = append(out, adroitActuator{"LFJ4", "0 0.7"})
		}
		out = append(out,
			adroitActuator{f + "J3", "-0.44 0.44"},
			adroitActuator{f + "J2", "0 1.6"},
			adroitActuator{f + "J1", "0 1.6"},
			adroitActuator{f + "J0", "0 1.6"})
	}
	return append(out,
		adroitActuator{"THJ4", "-1 1"},
		adroitActuator{"THJ3", "0 1.3"},
		adroitActuator{"THJ2", "-0.26 0.26"},
		adroitActuator{"THJ1", "-0.52 0.52"},
		adroitActuator{"THJ0", "-1.571 0"})
}

// xml expands the shared hand template with the task's blocks.
func (a *adroit) xml() (string, error) {
	t, err := template.New("adroit").Parse(adroitHandTmpl)
	if err != nil {
		return "", fmt.Errorf("adroit hand template: %w", err)
	}
	if _, err := t.New("task").Parse(a.tmpl); err != nil {
		return "", fmt.Errorf("adroit task template: %w", err)
	}
	var b strings.Builder
	err = t.ExecuteTemplate(&b, "adroit", struct {
		Name, ForearmEuler string
		TendonFingers      []string
		Digits             []adroitDigit
		FingerActuators    []adroitActuator
	}{
		Name:          [...]string{"pen", "door", "hammer", "relocate"}[a.kind],
		ForearmEuler:  a.forearmEuler,
		TendonFingers: []string{"FF", "MF", "RF", "LF"},
		Digits: []adroitDigit{
			{P: "ff", U: "FF", Pos: "0.033 0 0.095", MiddleCOM: "0.011"},
			{P: "mf", U: "MF", Pos: "0.011 0 0.099", MiddleCOM: "0.012"},
			{P: "rf", U: "RF", Pos: "-0.011 0 0.095", MiddleCOM: "0.012"},
		},
		FingerActuators: adroitFingerActuators(),
	})
	if err != nil {
		return "", fmt.Errorf("adroit template: %w", err)
	}
	return b.String(), nil
}

// Reward rules, as pure functions of the quantities they read (Gymnasium-
// Robotics AdroitHand*-v1, dense reward). Each returns the reward and whether
// the step counts as a success.

// penDropHeight is the pen centre height below which the pen counts as
// dropped: −5 reward, and the end of the episode (D4RL's pen_v0.py).
const penDropHeight = 0.075

// penReward: dist is |pen centre − desired position|, sim the cosine between
// the pen's and the target's axes, z the pen centre's height.
//
//	−dist + sim, +10 if dist < 0.075 and sim > 0.9, +50 more if also
//	sim > 0.95, −5 if z < 0.075 (dropped). Success: dist < 0.075 and sim > 0.95.
func penReward(dist, sim, z float64) (float64, bool) {
	r := -dist + sim
	if dist < 0.075 && sim > 0.9 {
		r += 10
	}
	if dist < 0.075 && sim > 0.95 {
		r += 50
	}
	if z < penDropHeight {
		r -= 5
	}
	return r, dist < 0.075 && sim > 0.95
}

// doorReward: reach is |palm − handle|, hinge the door angle (rad), vel2
// Σ qvel².
//
//	−0.1·reach − 0.1·(hinge − 1.57)² − 1e-5·vel2, +2 if hinge > 0.2, +8 if
//	> 1.0, +10 if > 1.35. Success: hinge ≥ 1.35.
func doorReward(reach, hinge, vel2 float64) (float64, bool) {
	r := -0.1*reach - 0.1*(hinge-1.57)*(hinge-1.57) - 1e-5*vel2
	if hinge > 0.2 {
		r += 2
	}
	if hinge > 1.0 {
		r += 8
	}
	if hinge > 1.35 {
		r += 10
	}
	return r, hinge >= 1.35
}

// hammerReward: reach is |palm − hammer body|, headNail |hammer head − nail
// head|, nailGoal |nail head − goal|, velNorm |qvel|, hammerZ and headZ the
// heights of the hammer body and head.
//
//	−0.1·reach − headNail − 10·nailGoal − 0.01·velNorm, +2 if hammerZ > 0.04
//	and headZ > 0.04, +25 if nailGoal < 0.02, +75 more if < 0.01.
//	Success: nailGoal < 0.01.
func hammerReward(reach, headNail, nailGoal, velNorm, hammerZ, headZ float64) (float64, bool) {
	r := -0.1*reach - headNail - 10*nailGoal - 1e-2*velNorm
	if hammerZ > 0.04 && headZ > 0.04 {
		r += 2
	}
	if nailGoal < 0.020 {
		r += 25
	}
	if nailGoal < 0.010 {
		r += 75
	}
	return r, nailGoal < 0.01
}

// relocateReward: reach is |palm − ball|, palmTarget |palm − target|,
// ballTarget |ball − target|, z the ball's height.
//
//	−0.1·reach; if z > 0.04: +1 − 0.5·palmTarget − 0.5·ballTarget; +10 if
//	ballTarget < 0.1, +20 more if < 0.05. Success: ballTarget < 0.1.
func relocateReward(reach, palmTarget, ballTarget, z float64) (float64, bool) {
	r := -0.1 * reach
	if z > 0.04 {
		r += 1 - 0.5*palmTarget - 0.5*ballTarget
	}
	if ballTarget < 0.1 {
		r += 10
	}
	if ballTarget < 0.05 {
		r += 20
	}
	return r, ballTarget < 0.1
}

func dist3(a, b [3]float64) float64 {
	dx, dy, dz := a[0]-b[0], a[1]-b[1], a[2]-b[2]
	return math.Sqrt(dx*dx + dy*dy + dz*dz)
}

// euler2quat converts Euler angles to a (w, x, y, z) quaternion with the
// convention of gymnasium_robotics.utils.rotations.euler2quat (static x,
// then y, then z), used for the pen target.
func euler2quat(e [3]float64) [4]float64 {
	ai, aj, ak := e[2]/2, -e[1]/2, e[0]/2
	si, sj, sk := math.Sin(ai), math.Sin(aj), math.Sin(ak)
	ci, cj, ck := math.Cos(ai), math.Cos(aj), math.Cos(ak)
	cc, cs := ci*ck, ci*sk
	sc, ss := si*ck, si*sk
	return [4]float64{cj*cc + sj*ss, cj*cs - sj*sc, -(cj*ss + sj*cc), cj*sc - sj*cs}
}

// mat2euler converts a row-major rotation matrix (MuJoCo's xmat) to Euler
// angles with the convention of gymnasium_robotics.utils.rotations.mat2euler
// (the hammer's observed orientation; quat2euler there goes through the
// matrix too).
func mat2euler(m [9]float64) [3]float64 {
	const eps4 = 4 * 2.220446049250313e-16
	cy := math.Sqrt(m[8]*m[8] + m[5]*m[5])
	if cy > eps4 {
		return [3]float64{-math.Atan2(m[5], m[8]), -math.Atan2(-m[2], cy), -math.Atan2(m[1], m[0])}
	}
	return [3]float64{0, -math.Atan2(-m[2], cy), -math.Atan2(-m[3], m[4])}
}

// EpisodeSuccessSteps returns the episode success rule of DAPG and D4RL for
// an Adroit env id (shifted ids included): an episode is a success when more
// than n of its steps report env.Result.Success (evaluate_success in D4RL's
// pen_v0.py, door_v0.py, hammer_v0.py, relocate_v0.py: pen 20, the others
// 25). ok is false for ids that are not Adroit tasks.
func EpisodeSuccessSteps(id string) (n int, ok bool) {
	t, _, err := parseID(id)
	if err != nil || t.adroit == nil {
		return 0, false
	}
	if t.adroit.kind == adroitPen {
		return 20, true
	}
	return 25, true
}
