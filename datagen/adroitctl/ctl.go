//go:build cgo && !nomujoco

package adroitctl

import (
	"fmt"
	"math"
	"strings"

	"github.com/dwm-rl/dwm/env/mujoco"
)

// Task names the Adroit task an Expert controls.
type Task int

// The four Adroit tasks.
const (
	Pen Task = iota
	Door
	Hammer
	Relocate
)

var taskNames = [...]string{"pen", "door", "hammer", "relocate"}

// String returns the task's env id ("pen", "door", "hammer", "relocate").
func (t Task) String() string { return taskNames[t] }

// TaskOf returns the Adroit task of an env id (shifted ids included).
func TaskOf(id string) (Task, bool) {
	if _, ok := mujoco.EpisodeSuccessSteps(id); !ok {
		return 0, false
	}
	for i, n := range taskNames {
		if id == n || strings.HasPrefix(id, n+"-") {
			return Task(i), true
		}
	}
	return 0, false
}

// Control ranges (ctrlrange) of the actuators, in action order: the task's
// arm actuators, then the 24 hand actuators (wrist WRJ1, WRJ0; FF, MF, RF
// J3..J0; LFJ4, LF J3..J0; TH J4..J0), from env/mujoco/assets.
var (
	armRanges = map[Task][][2]float64{
		Pen:      nil,
		Door:     {{-0.3, 0.5}, {-0.75, 0.75}, {-0.75, 0.75}, {-1, 2}},
		Hammer:   {{-0.4, 0.25}, {-0.3, 0.3}},
		Relocate: {{-0.25, 0.25}, {0, 0.2}, {-0.3, 0.5}, {-0.75, 0.75}, {-0.75, 0.75}, {-0.75, 0.75}},
	}
	armJoints = map[Task][]string{
		Pen:      nil,
		Door:     {"ARTz", "ARRx", "ARRy", "ARRz"},
		Hammer:   {"ARRx", "ARRy"},
		Relocate: {"ARTx", "ARTy", "ARTz", "ARRx", "ARRy", "ARRz"},
	}
)

func handRanges() [][2]float64 {
	r := [][2]float64{{-0.524, 0.175}, {-0.79, 0.61}}
	for _, f := range []string{"FF", "MF", "RF", "LF"} {
		if f == "LF" {
			r = append(r, [2]float64{0, 0.7})
		}
		r = append(r, [2]float64{-0.44, 0.44}, [2]float64{0, 1.6}, [2]float64{0, 1.6}, [2]float64{0, 1.6})
	}
	return append(r, [2]float64{-1, 1}, [2]float64{0, 1.3}, [2]float64{-0.26, 0.26}, [2]float64{-0.52, 0.52}, [2]float64{-1.571, 0})
}

// Hand joint offsets (after the arm joints) of the fingers and thumb.
const (
	wrj1 = 0
	wrj0 = 1
	ff   = 2  // FFJ3, J2, J1, J0
	mf   = 6  // MFJ3..J0
	rf   = 10 // RFJ3..J0
	lf   = 14 // LFJ4, LFJ3..J0
	th   = 19 // THJ4..THJ0
)

// armGain is the arm servos' static gain: gainprm 500 against biasprm −200·q
// holds the joint at 2.5·ctrl.
const armGain = 500.0 / 200.0

// robot holds what every task controller needs: the env, the joint
// addresses, the control ranges and a scratch state for Jacobians.
type robot struct {
	env    *mujoco.Env
	task   Task
	nArm   int
	armAdr []int
	// ikAdr are the qpos addresses of the joints reach moves (the arm's,
	// then the wrist's if useWrist), ikIdx their actuator indices.
	ikAdr, ikIdx []int
	// wrist makes reach move the wrist joints too (after useWrist).
	wrist bool
	// fixed marks IK joints (bit j: ikAdr[j]) that reach leaves at their
	// posture targets.
	fixed  uint
	ranges [][2]float64
	grasp  int // S_grasp site
	// ptBody and ptLocal name the point reach moves: the S_grasp site if
	// ptBody < 0, else the point ptLocal of body ptBody's frame.
	ptBody  int
	ptLocal [3]float64
	scratch *mujoco.Data
	// scratchEnv owns scratch
	scratchEnv *mujoco.Env
	// target joint positions, one per actuator
	q []float64
	// jac and dq are reach's buffers (3 × IK joints, IK joints).
	jac, dq []float64
}

func newRobot(e *mujoco.Env, t Task) (*robot, error) {
	m := e.Data().Model()
	r := &robot{env: e, task: t, nArm: len(armJoints[t]), ptBody: -1}
	r.ranges = append(append([][2]float64{}, armRanges[t]...), handRanges()...)
	if len(r.ranges) != e.Spec().Act.Dim {
		return nil, fmt.Errorf("adroit expert %s: %d actuators known, env has %d", t, len(r.ranges), e.Spec().Act.Dim)
	}
	for _, j := range armJoints[t] {
		a, err := m.JointQPosAdr(j)
		if err != nil {
			return nil, fmt.Errorf("adroit expert %s: %w", t, err)
		}
		r.armAdr = append(r.armAdr, a)
		r.ikAdr = append(r.ikAdr, a)
		r.ikIdx = append(r.ikIdx, len(r.ikIdx))
	}
	var err error
	if r.grasp, err = m.SiteID("S_grasp"); err != nil {
		return nil, fmt.Errorf("adroit expert %s: %w", t, err)
	}
	// The scratch state gets its own copy of the model: e's model may be
	// closed by its owner (mujoco.Make does so).
	mk, err := mujoco.NewMaker(e.Spec().ID)
	if err != nil {
		return nil, fmt.Errorf("adroit expert %s: %w", t, err)
	}
	defer mk.Close()
	if r.scratchEnv, err = mk.New(); err != nil {
		return nil, fmt.Errorf("adroit expert %s: %w", t, err)
	}
	r.scratch = r.scratchEnv.Data()
	r.q = make([]float64, len(r.ranges))
	return r, nil
}

func (r *robot) close() error { return r.scratchEnv.Close() }

// palm is the S_grasp site position.
func (r *robot) palm() [3]float64 { return r.env.Data().SiteXPos(r.grasp) }

// hand returns the current qpos of hand joint k (0..23).
func (r *robot) hand(k int) float64 { return r.env.Data().QPos()[r.nArm+k] }

// useWrist adds the two wrist joints to the joints reach moves.
func (r *robot) useWrist() error {
	m := r.env.Data().Model()
	for k, j := range []string{"WRJ1", "WRJ0"} {
		a, err := m.JointQPosAdr(j)
		if err != nil {
			return err
		}
		r.ikAdr = append(r.ikAdr, a)
		r.ikIdx = append(r.ikIdx, r.nArm+k)
	}
	return nil
}

// point returns the point reach moves (see ptBody) in state d.
func (r *robot) point(d *mujoco.Data) [3]float64 {
	if r.ptBody < 0 {
		return d.SiteXPos(r.grasp)
	}
	return bodyPoint(d, r.ptBody, r.ptLocal)
}

// bodyPoint returns the world position of point l of body b's frame.
func bodyPoint(d *mujoco.Data, b int, l [3]float64) [3]float64 {
	x, R := d.XPos(b), d.XMat(b)
	for i := range 3 {
		x[i] += R[3*i]*l[0] + R[3*i+1]*l[1] + R[3*i+2]*l[2]
	}
	return x
}

// localPoint returns world point p in body b's frame.
func localPoint(d *mujoco.Data, b int, p [3]float64) [3]float64 {
	x, R := d.XPos(b), d.XMat(b)
	v := sub(p, x)
	var l [3]float64
	for i := range 3 {
		l[i] = R[i]*v[0] + R[3+i]*v[1] + R[6+i]*v[2]
	}
	return l
}

// jacobian fills J (3 × len(ikAdr), row-major) of the reach point with
// respect to the IK joints by central differences on the scratch state.
func (r *robot) jacobian(J []float64) error {
	d := r.env.Data()
	copy(r.scratch.QPos(), d.QPos())
	const h = 1e-4
	n := len(J) / 3
	for j, a := range r.ikAdr[:n] {
		if r.fixed&(1<<j) != 0 {
			for i := range 3 {
				J[i*n+j] = 0
			}
			continue
		}
		q0 := r.scratch.QPos()[a]
		r.scratch.QPos()[a] = q0 + h
		if err := r.scratch.Forward(); err != nil {
			return err
		}
		p := r.point(r.scratch)
		r.scratch.QPos()[a] = q0 - h
		if err := r.scratch.Forward(); err != nil {
			return err
		}
		m := r.point(r.scratch)
		r.scratch.QPos()[a] = q0
		for i := range 3 {
			J[i*n+j] = (p[i] - m[i]) / (2 * h)
		}
	}
	return nil
}

// reach sets the arm joint targets that move the reach point (the palm
// unless ptBody is set) by dx (damped least
// squares: dq = Jᵀ(JJᵀ + λ²I)⁻¹dx), each joint moving at most maxStep.
// Joints at a limit that the step would push further are left out and the
// step solved again with the others.
func (r *robot) reach(dx [3]float64, maxStep float64) error {
	n := r.nArm
	if r.wrist {
		n = len(r.ikAdr)
	}
	if cap(r.jac) < 3*len(r.ikAdr) {
		r.jac, r.dq = make([]float64, 3*len(r.ikAdr)), make([]float64, len(r.ikAdr))
	}
	J, dq := r.jac[:3*n], r.dq[:n]
	if err := r.jacobian(J); err != nil {
		return err
	}
	qpos := r.env.Data().QPos()
	for range 3 {
		var A [9]float64
		for i := range 3 {
			for k := range 3 {
				for j := range n {
					A[i*3+k] += J[i*n+j] * J[k*n+j]
				}
			}
			A[i*3+i] += 1e-3
		}
		y := solve3(A, dx)
		again := false
		for j := range n {
			dq[j] = 0
			for i := range 3 {
				dq[j] += J[i*n+j] * y[i]
			}
			q, lo, hi := qpos[r.ikAdr[j]], r.ranges[r.ikIdx[j]][0], r.ranges[r.ikIdx[j]][1]
			if (q > hi-0.02 && dq[j] > 0) || (q < lo+0.02 && dq[j] < 0) {
				for i := range 3 {
					J[i*n+j] = 0
				}
				again = true
			}
		}
		if !again {
			break
		}
	}
	for j := range n {
		if r.fixed&(1<<j) == 0 {
			r.q[r.ikIdx[j]] = qpos[r.ikAdr[j]] + min(max(dq[j], -maxStep), maxStep)
		}
	}
	return nil
}

func solve3(A [9]float64, b [3]float64) [3]float64 {
	det := A[0]*(A[4]*A[8]-A[5]*A[7]) - A[1]*(A[3]*A[8]-A[5]*A[6]) + A[2]*(A[3]*A[7]-A[4]*A[6])
	var inv [9]float64
	inv[0] = (A[4]*A[8] - A[5]*A[7]) / det
	inv[1] = (A[2]*A[7] - A[1]*A[8]) / det
	inv[2] = (A[1]*A[5] - A[2]*A[4]) / det
	inv[3] = (A[5]*A[6] - A[3]*A[8]) / det
	inv[4] = (A[0]*A[8] - A[2]*A[6]) / det
	inv[5] = (A[2]*A[3] - A[0]*A[5]) / det
	inv[6] = (A[3]*A[7] - A[4]*A[6]) / det
	inv[7] = (A[1]*A[6] - A[0]*A[7]) / det
	inv[8] = (A[0]*A[4] - A[1]*A[3]) / det
	return [3]float64{
		inv[0]*b[0] + inv[1]*b[1] + inv[2]*b[2],
		inv[3]*b[0] + inv[4]*b[1] + inv[5]*b[2],
		inv[6]*b[0] + inv[7]*b[1] + inv[8]*b[2],
	}
}

// write turns the joint targets into actions in [-1, 1]. Arm servos hold
// 2.5·ctrl, so their control is q/2.5 plus a proportional correction of the
// sag; hand servos hold ctrl.
func (r *robot) write(act []float32) {
	qpos := r.env.Data().QPos()
	for i, q := range r.q {
		c := q
		if i < r.nArm {
			c = (q + 1.5*(q-qpos[r.armAdr[i]])) / armGain
		}
		lo, hi := r.ranges[i][0], r.ranges[i][1]
		a := (c - (lo+hi)/2) / ((hi - lo) / 2)
		act[i] = float32(min(max(a, -1), 1))
	}
}

// setHand sets the hand targets from a posture (24 joint angles).
func (r *robot) setHand(p [24]float64) { copy(r.q[r.nArm:], p[:]) }

// blend returns (1−t)·a + t·b per joint.
func blend(a, b [24]float64, t float64) [24]float64 {
	t = min(max(t, 0), 1)
	var o [24]float64
	for i := range o {
		o[i] = (1-t)*a[i] + t*b[i]
	}
	return o
}

func sub(a, b [3]float64) [3]float64 { return [3]float64{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
func add(a, b [3]float64) [3]float64 { return [3]float64{a[0] + b[0], a[1] + b[1], a[2] + b[2]} }
func norm(a [3]float64) float64      { return math.Sqrt(a[0]*a[0] + a[1]*a[1] + a[2]*a[2]) }
