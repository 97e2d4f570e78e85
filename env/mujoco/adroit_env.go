//go:build cgo && !nomujoco

package mujoco

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/rng"
)

// adroitIDs are the model indices an Adroit task reads, resolved once per
// Maker (-1 where the task has no such part).
type adroitIDs struct {
	kind  adroitKind
	grasp int // site S_grasp: the palm position
	obj   int // body Object: pen, hammer or ball
	mocap int // the mocap body drawn at reset: target, frame, nail_board, target
	// pen sites
	epsBall, objTop, objBottom, tarTop, tarBottom int
	// door: handle site, hinge and latch qpos addresses
	handle, hinge, latch int
	// hammer: head site, nail head site, goal site, nail touch sensor address
	tool, nail, nailGoal, nailTouch int
	// relocate: target site, qpos address of the ball's OBJTx
	target, objX int
}

// bindAdroit resolves the names the task's rules read.
func bindAdroit(m *Model, a *adroit) (*adroitIDs, error) {
	ids := &adroitIDs{kind: a.kind}
	var err error
	site := func(dst *int, name string) {
		if err == nil {
			*dst, err = m.SiteID(name)
		}
	}
	body := func(dst *int, name string) {
		if err == nil {
			*dst, err = m.ID(ObjBody, name)
		}
	}
	mocap := func(name string) {
		if err == nil {
			ids.mocap, err = m.MocapID(name)
		}
	}
	qadr := func(dst *int, name string) {
		if err == nil {
			*dst, err = m.JointQPosAdr(name)
		}
	}
	site(&ids.grasp, "S_grasp")
	switch a.kind {
	case adroitPen:
		body(&ids.obj, "Object")
		mocap("target")
		site(&ids.epsBall, "eps_ball")
		site(&ids.objTop, "object_top")
		site(&ids.objBottom, "object_bottom")
		site(&ids.tarTop, "target_top")
		site(&ids.tarBottom, "target_bottom")
	case adroitDoor:
		mocap("frame")
		site(&ids.handle, "S_handle")
		qadr(&ids.hinge, "door_hinge")
		qadr(&ids.latch, "latch")
	case adroitHammer:
		body(&ids.obj, "Object")
		mocap("nail_board")
		site(&ids.tool, "tool")
		site(&ids.nail, "S_target")
		site(&ids.nailGoal, "nail_goal")
		if err == nil {
			ids.nailTouch, err = m.sensorAdr("S_nail")
		}
	case adroitRelocate:
		body(&ids.obj, "Object")
		mocap("target")
		site(&ids.target, "target")
		qadr(&ids.objX, "OBJTx")
	}
	if err != nil {
		return nil, fmt.Errorf("adroit model: %w", err)
	}
	return ids, nil
}

// AdroitInfo breaks down the last Adroit step (Gymnasium-Robotics' info
// "success" plus the distances the dense reward is made of).
type AdroitInfo struct {
	// Success is the task's success test for the state after the step (also
	// in env.Result.Success).
	Success bool
	// Goal is the task's progress measure: pen |centre − desired|, door
	// hinge angle (rad), hammer |nail head − goal|, relocate |ball − target|.
	Goal float64
	// Reach is |palm − handle| (door), |palm − hammer| (hammer) or
	// |palm − ball| (relocate); 0 for pen.
	Reach float64
	// Orientation is the pen's cosine similarity with the target (pen only).
	Orientation float64
}

// adroitEnv is the per-environment Adroit state.
type adroitEnv struct {
	ids *adroitIDs
	// penLen and tarLen normalise the pen and target axes (their tip-to-tip
	// lengths, measured after each reset as Gymnasium-Robotics does).
	penLen, tarLen float64
	info           AdroitInfo
}

// AdroitInfo returns the last step's breakdown (zero for other tasks).
func (e *Env) AdroitInfo() AdroitInfo {
	if e.adroit == nil {
		return AdroitInfo{}
	}
	return e.adroit.info
}

// u draws from U(lo, hi) as numpy's uniform does.
func u(r *rng.Stream, lo, hi float64) float64 { return lo + r.Float64()*(hi-lo) }

// reset draws the episode's randomisation after mj_resetData (default pose,
// zero velocity, mocap bodies at their model poses), as Gymnasium-Robotics'
// reset_model does, then runs mj_forward and measures the pen lengths:
//
//	pen       target orientation euler2quat(U(−1,1), U(−1,1), 0)
//	door      frame position (U(−0.3,−0.2), U(0.25,0.35), U(0.252,0.35))
//	hammer    board height U(0.1, 0.25)
//	relocate  ball (x, y) = (U(−0.15,0.15), U(−0.15,0.3)) through OBJTx/OBJTy,
//	          target (U(−0.2,0.2), U(−0.2,0.2), U(0.15,0.35))
func (a *adroitEnv) reset(d *Data, r *rng.Stream) error {
	ids := a.ids
	mp, mq := d.MocapPos()[3*ids.mocap:3*ids.mocap+3], d.MocapQuat()[4*ids.mocap:4*ids.mocap+4]
	switch ids.kind {
	case adroitPen:
		x := u(r, -1, 1)
		y := u(r, -1, 1)
		q := euler2quat([3]float64{x, y, 0})
		copy(mq, q[:])
	case adroitDoor:
		mp[0] = u(r, -0.3, -0.2)
		mp[1] = u(r, 0.25, 0.35)
		mp[2] = u(r, 0.252, 0.35)
	case adroitHammer:
		mp[2] = u(r, 0.1, 0.25)
	case adroitRelocate:
		qpos := d.QPos()
		qpos[ids.objX] = u(r, -0.15, 0.15)
		qpos[ids.objX+1] = u(r, -0.15, 0.3)
		mp[0] = u(r, -0.2, 0.2)
		mp[1] = u(r, -0.2, 0.2)
		mp[2] = u(r, 0.15, 0.35)
	}
	if err := d.Forward(); err != nil {
		return err
	}
	a.measure(d)
	return nil
}

// measure records the pen and target lengths of the current pose.
func (a *adroitEnv) measure(d *Data) {
	if a.ids.kind == adroitPen {
		a.penLen = dist3(d.SiteXPos(a.ids.objTop), d.SiteXPos(a.ids.objBottom))
		a.tarLen = dist3(d.SiteXPos(a.ids.tarTop), d.SiteXPos(a.ids.tarBottom))
	}
}

// axes returns the pen's and the target's unit axes (bottom to top).
func (a *adroitEnv) axes(d *Data) (obj, tar [3]float64) {
	ot, ob := d.SiteXPos(a.ids.objTop), d.SiteXPos(a.ids.objBottom)
	tt, tb := d.SiteXPos(a.ids.tarTop), d.SiteXPos(a.ids.tarBottom)
	for i := range 3 {
		obj[i] = (ot[i] - ob[i]) / a.penLen
		tar[i] = (tt[i] - tb[i]) / a.tarLen
	}
	return obj, tar
}

// evaluate computes the dense reward, the success flag and termination of
// the current state (after a step) and records the breakdown. Only pen
// terminates: when the pen has dropped (centre below 0.075 m), as D4RL's
// pen_v0.py does (Gymnasium-Robotics v1 never terminates).
func (a *adroitEnv) evaluate(d *Data) (reward float64, success, terminated bool) {
	ids := a.ids
	qvel := d.QVel()
	palm := d.SiteXPos(ids.grasp)
	var r float64
	var info AdroitInfo
	switch ids.kind {
	case adroitPen:
		pos := d.XPos(ids.obj)
		info.Goal = dist3(pos, d.SiteXPos(ids.epsBall))
		o, t := a.axes(d)
		info.Orientation = o[0]*t[0] + o[1]*t[1] + o[2]*t[2]
		r, info.Success = penReward(info.Goal, info.Orientation, pos[2])
		terminated = pos[2] < penDropHeight
	case adroitDoor:
		info.Reach = dist3(palm, d.SiteXPos(ids.handle))
		info.Goal = d.QPos()[ids.hinge]
		var v2 float64
		for _, v := range qvel {
			v2 += v * v
		}
		r, info.Success = doorReward(info.Reach, info.Goal, v2)
	case adroitHammer:
		hammer, head := d.XPos(ids.obj), d.SiteXPos(ids.tool)
		nail := d.SiteXPos(ids.nail)
		info.Reach = dist3(palm, hammer)
		info.Goal = dist3(nail, d.SiteXPos(ids.nailGoal))
		var v2 float64
		for _, v := range qvel {
			v2 += v * v
		}
		r, info.Success = hammerReward(info.Reach, dist3(head, nail), info.Goal, math.Sqrt(v2), hammer[2], head[2])
	case adroitRelocate:
		ball, target := d.XPos(ids.obj), d.SiteXPos(ids.target)
		info.Reach = dist3(palm, ball)
		info.Goal = dist3(ball, target)
		r, info.Success = relocateReward(info.Reach, dist3(palm, target), info.Goal, ball[2])
	}
	a.info = info
	return r, info.Success, terminated
}

// observe writes the task's observation (Gymnasium-Robotics' _get_obs):
//
//	pen (45)      qpos[:-6], pen centre, pen qvel (6), pen axis, target
//	              axis, centre − desired position, pen axis − target axis
//	door (39)     qpos[1:-2], latch, hinge, palm, handle, palm − handle,
//	              +1 if hinge > 1.0 else −1
//	hammer (46)   qpos[:-6], clip(qvel, ±1)[-6:], palm, hammer position,
//	              hammer Euler angles, nail head, clip(nail touch, ±1)
//	relocate (39) qpos[:-6], palm − ball, palm − target, ball − target
func (a *adroitEnv) observe(d *Data, dst []float32) {
	ids := a.ids
	qpos, qvel := d.QPos(), d.QVel()
	n := 0
	put := func(v ...float64) {
		for _, x := range v {
			dst[n] = float32(x)
			n++
		}
	}
	put3 := func(v [3]float64) { put(v[0], v[1], v[2]) }
	diff := func(p, q [3]float64) [3]float64 { return [3]float64{p[0] - q[0], p[1] - q[1], p[2] - q[2]} }
	palm := d.SiteXPos(ids.grasp)
	switch ids.kind {
	case adroitPen:
		pos := d.XPos(ids.obj)
		o, t := a.axes(d)
		put(qpos[:len(qpos)-6]...)
		put3(pos)
		put(qvel[len(qvel)-6:]...)
		put3(o)
		put3(t)
		put3(diff(pos, d.SiteXPos(ids.epsBall)))
		put3(diff(o, t))
	case adroitDoor:
		handle := d.SiteXPos(ids.handle)
		hinge := qpos[ids.hinge]
		put(qpos[1 : len(qpos)-2]...)
		put(qpos[ids.latch], hinge)
		put3(palm)
		put3(handle)
		put3(diff(palm, handle))
		if hinge > 1.0 {
			put(1)
		} else {
			put(-1)
		}
	case adroitHammer:
		put(qpos[:len(qpos)-6]...)
		for _, v := range qvel[len(qvel)-6:] {
			put(min(max(v, -1), 1))
		}
		put3(palm)
		put3(d.XPos(ids.obj))
		put3(mat2euler(d.XMat(ids.obj)))
		put3(d.SiteXPos(ids.nail))
		put(min(max(d.SensorData()[ids.nailTouch], -1), 1))
	case adroitRelocate:
		ball, target := d.XPos(ids.obj), d.SiteXPos(ids.target)
		put(qpos[:len(qpos)-6]...)
		put3(diff(palm, ball))
		put3(diff(palm, target))
		put3(diff(ball, target))
	}
	if n != len(dst) {
		panic(fmt.Sprintf("mujoco: adroit observation wrote %d of %d entries", n, len(dst))) // a bug in the tables above
	}
}
