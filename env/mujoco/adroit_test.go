//go:build cgo && !nomujoco

package mujoco

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/rng"
)

var adroitIDList = []string{"pen", "door", "hammer", "relocate"}

func TestAdroitSpecs(t *testing.T) {
	cases := []struct {
		id                  string
		obs, act, steps, nq int
		// first and last actuator control ranges
		first, last [2]float64
	}{
		{"pen", 45, 24, 100, 30, [2]float64{-0.524, 0.175}, [2]float64{-1.571, 0}},
		{"door", 39, 28, 200, 30, [2]float64{-0.3, 0.5}, [2]float64{-1.571, 0}},
		{"hammer", 46, 26, 200, 33, [2]float64{-0.4, 0.25}, [2]float64{-1.571, 0}},
		{"relocate", 39, 30, 200, 36, [2]float64{-0.25, 0.25}, [2]float64{-1.571, 0}},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			mk := mustMaker(t, c.id)
			s, m := mk.Spec(), mk.Model()
			if s.Obs.Dim != c.obs || s.Act.Dim != c.act || s.MaxSteps != c.steps || math.Abs(s.DT-0.01) > 1e-15 {
				t.Fatalf("spec obs %d act %d steps %d dt %g, want %d %d %d 0.01", s.Obs.Dim, s.Act.Dim, s.MaxSteps, s.DT, c.obs, c.act, c.steps)
			}
			if m.NQ() != c.nq || m.NV() != c.nq || m.NU() != c.act || m.Timestep() != 0.002 {
				t.Fatalf("model nq %d nv %d nu %d timestep %g", m.NQ(), m.NV(), m.NU(), m.Timestep())
			}
			cr := m.Params().CtrlRange
			if got := [2]float64{cr[0], cr[1]}; got != c.first {
				t.Fatalf("first ctrlrange %v, want %v", got, c.first)
			}
			if got := [2]float64{cr[len(cr)-2], cr[len(cr)-1]}; got != c.last {
				t.Fatalf("last ctrlrange %v, want %v", got, c.last)
			}
			// The hand's 24 actuators end every task's list: A_WRJ1 first.
			if w := cr[2*(c.act-24) : 2*(c.act-24)+2]; w[0] != -0.524 || w[1] != 0.175 {
				t.Fatalf("A_WRJ1 ctrlrange %v", w)
			}
			if task, _, _ := parseID(c.id); task.obsDim(m.NQ(), m.NV()) != c.obs {
				t.Fatal("task obsDim disagrees")
			}
		})
	}
}

// adroitSite reads a named site's position.
func adroitSite(t *testing.T, e *Env, name string) [3]float64 {
	t.Helper()
	i, err := e.Data().Model().SiteID(name)
	if err != nil {
		t.Fatal(err)
	}
	return e.Data().SiteXPos(i)
}

func adroitBody(t *testing.T, e *Env, name string) int {
	t.Helper()
	return id(t, e.Data().Model(), ObjBody, name)
}

func sub3(a, b [3]float64) []float64 { return []float64{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }

// wantAdroitObs recomputes an observation from the state by name, written
// apart from adroit_env.go's index tables.
func wantAdroitObs(t *testing.T, id string, e *Env) []float64 {
	d := e.Data()
	qpos, qvel := d.QPos(), d.QVel()
	nq := len(qpos)
	palm := adroitSite(t, e, "S_grasp")
	var w []float64
	switch id {
	case "pen":
		obj := d.XPos(adroitBody(t, e, "Object"))
		top, bot := adroitSite(t, e, "object_top"), adroitSite(t, e, "object_bottom")
		ttop, tbot := adroitSite(t, e, "target_top"), adroitSite(t, e, "target_bottom")
		o, g := sub3(top, bot), sub3(ttop, tbot)
		for i := range 3 {
			o[i] /= 0.13
			g[i] /= 0.13
		}
		w = append(w, qpos[:24]...)
		w = append(w, obj[:]...)
		w = append(w, qvel[24:30]...)
		w = append(append(w, o...), g...)
		w = append(w, sub3(obj, adroitSite(t, e, "eps_ball"))...)
		w = append(w, o[0]-g[0], o[1]-g[1], o[2]-g[2])
	case "door":
		handle := adroitSite(t, e, "S_handle")
		w = append(w, qpos[1:28]...)
		w = append(w, qpos[29], qpos[28])
		w = append(append(w, palm[:]...), handle[:]...)
		w = append(w, sub3(palm, handle)...)
		open := -1.0
		if qpos[28] > 1 {
			open = 1
		}
		w = append(w, open)
	case "hammer":
		b := adroitBody(t, e, "Object")
		w = append(w, qpos[:27]...)
		for _, v := range qvel[27:] {
			w = append(w, math.Max(-1, math.Min(1, v)))
		}
		pos := d.XPos(b)
		eul := mat2euler(d.XMat(b))
		nail := adroitSite(t, e, "S_target")
		w = append(append(append(append(w, palm[:]...), pos[:]...), eul[:]...), nail[:]...)
		w = append(w, math.Max(-1, math.Min(1, d.SensorData()[0])))
	case "relocate":
		ball := d.XPos(adroitBody(t, e, "Object"))
		target := adroitSite(t, e, "target")
		w = append(w, qpos[:nq-6]...)
		w = append(append(append(w, sub3(palm, ball)...), sub3(palm, target)...), sub3(ball, target)...)
	}
	return w
}

func TestAdroitObservationLayout(t *testing.T) {
	for _, id := range adroitIDList {
		t.Run(id, func(t *testing.T) {
			e := mustEnv(t, mustMaker(t, id))
			obs := make([]float32, e.Spec().Obs.Dim)
			if err := e.Reset(5, obs); err != nil {
				t.Fatal(err)
			}
			check := func(when string) {
				t.Helper()
				want := wantAdroitObs(t, id, e)
				if len(want) != len(obs) {
					t.Fatalf("%s: obs length %d, want %d", when, len(obs), len(want))
				}
				for i := range obs {
					if math.Abs(float64(obs[i])-want[i]) > 1e-6*(1+math.Abs(want[i])) {
						t.Fatalf("%s: obs[%d] = %g, want %g", when, i, obs[i], want[i])
					}
				}
			}
			check("reset")
			for _, a := range randomActions(1, 30, e.Spec().Act.Dim, 1) {
				if _, err := e.Step(a, obs); err != nil {
					t.Fatal(err)
				}
			}
			check("after 30 steps")
		})
	}
}

// TestAdroitResetDraws checks the per-episode randomisation: it lies in the
// published ranges, depends on the seed only, and belongs to each Env (the
// shared model is not edited).
func TestAdroitResetDraws(t *testing.T) {
	for _, id := range adroitIDList {
		t.Run(id, func(t *testing.T) {
			mk := mustMaker(t, id)
			a, b := mustEnv(t, mk), mustEnv(t, mk)
			obs := make([]float32, mk.Spec().Obs.Dim)
			draw := func(e *Env, seed uint64) []float64 {
				if err := e.Reset(seed, obs); err != nil {
					t.Fatal(err)
				}
				d := e.Data()
				out := append(append([]float64(nil), d.MocapPos()...), d.MocapQuat()...)
				return append(out, d.QPos()...)
			}
			for seed := range uint64(50) {
				x := draw(a, seed)
				d := a.Data()
				mp, mq, qpos := d.MocapPos(), d.MocapQuat(), d.QPos()
				in := func(v, lo, hi float64) bool { return v >= lo && v <= hi }
				ok := true
				switch id {
				case "pen":
					// The target's axis: euler (x, y, 0) tilts z by at most
					// one radian about each axis.
					top, bot := adroitSite(t, a, "target_top"), adroitSite(t, a, "target_bottom")
					ok = top[2]-bot[2] > 0.13*math.Cos(1)*math.Cos(1)-1e-9 && mq[0] > 0
				case "door":
					ok = in(mp[0], -0.3, -0.2) && in(mp[1], 0.25, 0.35) && in(mp[2], 0.252, 0.35)
				case "hammer":
					ok = mp[0] == 0.05 && mp[1] == 0 && in(mp[2], 0.1, 0.25)
				case "relocate":
					n := len(qpos)
					ok = in(qpos[n-6], -0.15, 0.15) && in(qpos[n-5], -0.15, 0.3) &&
						in(mp[0], -0.2, 0.2) && in(mp[1], -0.2, 0.2) && in(mp[2], 0.15, 0.35)
				}
				if !ok {
					t.Fatalf("seed %d: draw out of range: mocap %v %v", seed, mp, mq)
				}
				if y := draw(b, seed+1); slicesEqual(x, y) {
					t.Fatalf("seeds %d and %d drew the same episode", seed, seed+1)
				}
				if y := draw(b, seed); !slicesEqual(x, y) {
					t.Fatalf("seed %d: two envs of one maker drew different episodes", seed)
				}
			}
		})
	}
}

func slicesEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// TestAdroitDeterminism: the same seed and actions give bitwise the same
// observations, rewards and success flags, in a fresh maker too.
func TestAdroitDeterminism(t *testing.T) {
	for _, id := range adroitIDList {
		t.Run(id, func(t *testing.T) {
			run := func(e *Env, seed uint64) ([]float32, []float64) {
				obs := make([]float32, e.Spec().Obs.Dim)
				if err := e.Reset(seed, obs); err != nil {
					t.Fatal(err)
				}
				traj := append([]float32(nil), obs...)
				var rs []float64
				for _, a := range randomActions(9, 40, e.Spec().Act.Dim, 1) {
					r, err := e.Step(a, obs)
					if err != nil {
						t.Fatal(err)
					}
					traj = append(traj, obs...)
					s := 0.0
					if r.Success {
						s = 1
					}
					rs = append(rs, r.Reward, s)
				}
				return traj, rs
			}
			e1 := mustEnv(t, mustMaker(t, id))
			e2 := mustEnv(t, mustMaker(t, id))
			t1, r1 := run(e1, 3)
			run(e2, 4) // a different episode first: nothing carries over
			t2, r2 := run(e2, 3)
			for i := range t1 {
				if math.Float32bits(t1[i]) != math.Float32bits(t2[i]) {
					t.Fatalf("obs entry %d differs: %g vs %g", i, t1[i], t2[i])
				}
			}
			if !slicesEqual(r1, r2) {
				t.Fatal("rewards or success flags differ")
			}
		})
	}
}

// adroitState builds a state by hand: the default pose with edits.
func adroitState(t *testing.T, e *Env, edit func(qpos []float64)) {
	t.Helper()
	m := e.Data().Model()
	qpos := append([]float64(nil), m.QPos0()...)
	edit(qpos)
	obs := make([]float32, e.Spec().Obs.Dim)
	if err := e.SetState(qpos, make([]float64, m.NV()), obs); err != nil {
		t.Fatal(err)
	}
}

func qadr(t *testing.T, e *Env, joint string) int {
	t.Helper()
	a, err := e.Data().Model().JointQPosAdr(joint)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestAdroitSuccessDetection sets states by hand on each side of each
// task's success threshold, checks the evaluation of the state itself, and
// that one step from it (hand at rest mid-range) reports the same.
func TestAdroitSuccessDetection(t *testing.T) {
	type state struct {
		name string
		// setup edits the default pose (and may move mocap bodies).
		setup func(t *testing.T, e *Env, qpos []float64)
		want  bool
	}
	hinge := func(v float64) func(*testing.T, *Env, []float64) {
		return func(t *testing.T, e *Env, q []float64) { q[qadr(t, e, "door_hinge")] = v }
	}
	nail := func(v float64) func(*testing.T, *Env, []float64) {
		return func(t *testing.T, e *Env, q []float64) { q[qadr(t, e, "nail_dir")] = v }
	}
	// ball puts the ball's centre dist metres from the relocate target
	// (placed at (0, 0.1, 0.2) by moving its mocap body).
	ball := func(dist float64) func(*testing.T, *Env, []float64) {
		return func(t *testing.T, e *Env, q []float64) {
			copy(e.Data().MocapPos(), []float64{0, 0.1, 0.2})
			x := qadr(t, e, "OBJTx")
			q[x], q[x+1], q[x+2] = dist, 0.1, 0.2-0.035
		}
	}
	// pen turns the target so its axis makes angle rad with the pen's (the
	// pen lies along x: quaternion of a rotation about y by π/2 − angle),
	// and shifts the pen dx along y from the desired position.
	pen := func(angle, dy float64) func(*testing.T, *Env, []float64) {
		return func(t *testing.T, e *Env, q []float64) {
			h := (math.Pi/2 - angle) / 2
			copy(e.Data().MocapQuat(), []float64{math.Cos(h), 0, math.Sin(h), 0})
			q[qadr(t, e, "OBJTy")] = dy
		}
	}
	cases := map[string][]state{
		"door": {
			{"closed", hinge(0), false},
			{"open 1.3 rad", hinge(1.3), false},
			{"open 1.4 rad", hinge(1.4), true},
			{"fully open", hinge(1.57), true},
		},
		"hammer": {
			{"nail out", nail(0), false},
			{"nail 0.075 in (1.6 cm to go)", nail(0.075), false},
			{"nail 0.085 in (0.6 cm to go)", nail(0.085), true},
		},
		"relocate": {
			{"ball on the table", func(*testing.T, *Env, []float64) {}, false},
			{"ball 0.15 from target", ball(0.15), false},
			{"ball 0.05 from target", ball(0.05), true},
			{"ball at target", ball(0), true},
		},
		"pen": {
			{"target upright", pen(math.Pi/2, 0), false},
			{"20 degrees off", pen(20*math.Pi/180, 0), false},
			{"10 degrees off", pen(10*math.Pi/180, 0), true},
			{"aligned", pen(0, 0), true},
			{"aligned, 0.1 m away", pen(0, 0.1), false},
		},
	}
	for _, id := range adroitIDList {
		for _, c := range cases[id] {
			t.Run(id+"/"+c.name, func(t *testing.T) {
				e := mustEnv(t, mustMaker(t, id))
				obs := make([]float32, e.Spec().Obs.Dim)
				if err := e.Reset(1, obs); err != nil {
					t.Fatal(err)
				}
				adroitState(t, e, func(q []float64) { c.setup(t, e, q) })
				if _, ok, _ := e.adroit.evaluate(e.Data()); ok != c.want {
					t.Fatalf("state: success %v, want %v (info %+v)", ok, c.want, e.AdroitInfo())
				}
				res, err := e.Step(make([]float32, e.Spec().Act.Dim), obs)
				if err != nil {
					t.Fatal(err)
				}
				if res.Success != c.want || e.AdroitInfo().Success != c.want {
					t.Fatalf("after a step: success %v, want %v (info %+v)", res.Success, c.want, e.AdroitInfo())
				}
			})
		}
	}
}

// TestAdroitRewardTerms checks each reward rule on hand-picked values: every
// term and bonus threshold.
func TestAdroitRewardTerms(t *testing.T) {
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	pen := []struct {
		dist, sim, z, want float64
		ok                 bool
	}{
		{0.2, 0.5, 0.25, -0.2 + 0.5, false},
		{0.05, 0.92, 0.25, -0.05 + 0.92 + 10, false},
		{0.05, 0.96, 0.25, -0.05 + 0.96 + 60, true},
		{0.08, 0.99, 0.25, -0.08 + 0.99, false},
		{0.3, 0.1, 0.05, -0.3 + 0.1 - 5, false},
	}
	for _, c := range pen {
		if r, ok := penReward(c.dist, c.sim, c.z); !near(r, c.want) || ok != c.ok {
			t.Errorf("penReward(%v) = %v %v, want %v %v", c, r, ok, c.want, c.ok)
		}
	}
	door := []struct {
		reach, hinge, vel2, want float64
		ok                       bool
	}{
		{0.3, 0, 100, -0.03 - 0.1*1.57*1.57 - 1e-3, false},
		{0.1, 0.5, 0, -0.01 - 0.1*1.07*1.07 + 2, false},
		{0.1, 1.2, 0, -0.01 - 0.1*0.37*0.37 + 10, false},
		{0.1, 1.35, 0, -0.01 - 0.1*0.22*0.22 + 10, true},
		{0, 1.5, 0, -0.1*0.07*0.07 + 20, true},
	}
	for _, c := range door {
		if r, ok := doorReward(c.reach, c.hinge, c.vel2); !near(r, c.want) || ok != c.ok {
			t.Errorf("doorReward(%v) = %v %v, want %v %v", c, r, ok, c.want, c.ok)
		}
	}
	hammer := []struct {
		reach, headNail, nailGoal, vel, hz, headZ, want float64
		ok                                              bool
	}{
		{0.2, 0.3, 0.09, 2, 0.03, 0.05, -0.02 - 0.3 - 0.9 - 0.02, false},
		{0.2, 0.3, 0.09, 2, 0.05, 0.05, -0.02 - 0.3 - 0.9 - 0.02 + 2, false},
		{0, 0, 0.015, 0, 0.05, 0.05, -0.15 + 2 + 25, false},
		{0, 0, 0.005, 0, 0.05, 0.05, -0.05 + 2 + 100, true},
	}
	for _, c := range hammer {
		if r, ok := hammerReward(c.reach, c.headNail, c.nailGoal, c.vel, c.hz, c.headZ); !near(r, c.want) || ok != c.ok {
			t.Errorf("hammerReward(%v) = %v %v, want %v %v", c, r, ok, c.want, c.ok)
		}
	}
	reloc := []struct {
		reach, palmT, ballT, z, want float64
		ok                           bool
	}{
		{0.4, 0.5, 0.3, 0.035, -0.04, false},
		{0.05, 0.4, 0.3, 0.06, -0.005 + 1 - 0.2 - 0.15, false},
		{0.05, 0.1, 0.08, 0.2, -0.005 + 1 - 0.05 - 0.04 + 10, true},
		{0.05, 0.05, 0.02, 0.2, -0.005 + 1 - 0.025 - 0.01 + 30, true},
		{0.05, 0.05, 0.02, 0.03, -0.005 + 30, true},
	}
	for _, c := range reloc {
		if r, ok := relocateReward(c.reach, c.palmT, c.ballT, c.z); !near(r, c.want) || ok != c.ok {
			t.Errorf("relocateReward(%v) = %v %v, want %v %v", c, r, ok, c.want, c.ok)
		}
	}
}

// TestAdroitStepReward checks, on hand-built states, that Step's reward is
// the dense reward recomputed here from the positions after the step.
func TestAdroitStepReward(t *testing.T) {
	setups := map[string]func(*testing.T, *Env, []float64){
		"pen":      func(t *testing.T, e *Env, q []float64) { q[qadr(t, e, "OBJTz")] = 0.01 },
		"door":     func(t *testing.T, e *Env, q []float64) { q[qadr(t, e, "door_hinge")] = 1.1 },
		"hammer":   func(t *testing.T, e *Env, q []float64) { q[qadr(t, e, "nail_dir")] = 0.075 },
		"relocate": func(t *testing.T, e *Env, q []float64) { q[qadr(t, e, "OBJTz")] = 0.1 },
	}
	for _, id := range adroitIDList {
		t.Run(id, func(t *testing.T) {
			e := mustEnv(t, mustMaker(t, id))
			obs := make([]float32, e.Spec().Obs.Dim)
			if err := e.Reset(2, obs); err != nil {
				t.Fatal(err)
			}
			adroitState(t, e, func(q []float64) { setups[id](t, e, q) })
			act := randomActions(5, 1, e.Spec().Act.Dim, 0.5)[0]
			res, err := e.Step(act, obs)
			if err != nil {
				t.Fatal(err)
			}
			d := e.Data()
			palm := adroitSite(t, e, "S_grasp")
			var want float64
			var v2 float64
			for _, v := range d.QVel() {
				v2 += v * v
			}
			switch id {
			case "pen":
				obj := d.XPos(adroitBody(t, e, "Object"))
				dist := math.Sqrt(sq3(sub3(obj, adroitSite(t, e, "eps_ball"))))
				o := sub3(adroitSite(t, e, "object_top"), adroitSite(t, e, "object_bottom"))
				g := sub3(adroitSite(t, e, "target_top"), adroitSite(t, e, "target_bottom"))
				sim := (o[0]*g[0] + o[1]*g[1] + o[2]*g[2]) / (0.13 * 0.13)
				want, _ = penReward(dist, sim, obj[2])
			case "door":
				reach := math.Sqrt(sq3(sub3(palm, adroitSite(t, e, "S_handle"))))
				want, _ = doorReward(reach, d.QPos()[qadr(t, e, "door_hinge")], v2)
			case "hammer":
				h := d.XPos(adroitBody(t, e, "Object"))
				head, nailHead, goal := adroitSite(t, e, "tool"), adroitSite(t, e, "S_target"), adroitSite(t, e, "nail_goal")
				want, _ = hammerReward(math.Sqrt(sq3(sub3(palm, h))), math.Sqrt(sq3(sub3(head, nailHead))),
					math.Sqrt(sq3(sub3(nailHead, goal))), math.Sqrt(v2), h[2], head[2])
			case "relocate":
				b := d.XPos(adroitBody(t, e, "Object"))
				tg := adroitSite(t, e, "target")
				want, _ = relocateReward(math.Sqrt(sq3(sub3(palm, b))), math.Sqrt(sq3(sub3(palm, tg))),
					math.Sqrt(sq3(sub3(b, tg))), b[2])
			}
			if math.Abs(res.Reward-want) > 1e-9*(1+math.Abs(want)) {
				t.Fatalf("reward %.12g, recomputed %.12g", res.Reward, want)
			}
		})
	}
}

func sq3(v []float64) float64 { return v[0]*v[0] + v[1]*v[1] + v[2]*v[2] }

// TestAdroitPenDrop: a pen below 7.5 cm costs 5 and ends the episode (D4RL).
func TestAdroitPenDrop(t *testing.T) {
	e := mustEnv(t, mustMaker(t, "pen"))
	obs := make([]float32, 45)
	if err := e.Reset(1, obs); err != nil {
		t.Fatal(err)
	}
	// OBJTx slides along the pen's own x axis, world −z (the pen body is
	// turned π/2 about y): 0.22 puts its centre 3 cm above the table.
	adroitState(t, e, func(q []float64) { q[qadr(t, e, "OBJTx")] = 0.22 })
	res, err := e.Step(make([]float32, 24), obs)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Terminated || res.Reward > -4 {
		t.Fatalf("dropped pen: %+v", res)
	}
	if err := e.Reset(1, obs); err != nil {
		t.Fatal(err)
	}
	if res, _ := e.Step(make([]float32, 24), obs); res.Terminated {
		t.Fatal("pen in hand terminated")
	}
}

func TestAdroitActionsClippedAndChecked(t *testing.T) {
	for _, id := range adroitIDList {
		t.Run(id, func(t *testing.T) {
			mk := mustMaker(t, id)
			a, b := mustEnv(t, mk), mustEnv(t, mk)
			n := mk.Spec().Act.Dim
			big, clipped := make([]float32, n), make([]float32, n)
			for i := range big {
				big[i] = float32(4 * (2*float64(i%2) - 1))
				clipped[i] = float32(2*float64(i%2) - 1)
			}
			ta, ra := rollout(t, a, 1, [][]float32{big, big, big})
			tb, rb := rollout(t, b, 1, [][]float32{clipped, clipped, clipped})
			for i := range ta {
				if ta[i] != tb[i] {
					t.Fatalf("obs %d differs: %g vs %g", i, ta[i], tb[i])
				}
			}
			if !slicesEqual(ra, rb) {
				t.Fatalf("rewards differ: %v vs %v", ra, rb)
			}
			// Control = ctrlrange low + (a+1)/2 · width.
			cr := mk.Model().Params().CtrlRange
			for i, c := range a.Data().Ctrl() {
				want := cr[2*i+1]
				if i%2 == 0 {
					want = cr[2*i]
				}
				if math.Abs(c-want) > 1e-12 {
					t.Fatalf("ctrl[%d] = %g, want %g", i, c, want)
				}
			}
			obs := make([]float32, mk.Spec().Obs.Dim)
			for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1))} {
				act := make([]float32, n)
				act[n-3] = bad
				_, err := a.Step(act, obs)
				if err == nil {
					t.Fatalf("action with %g: no error", bad)
				}
				for _, w := range []string{id, "index " + strconv.Itoa(n-3)} {
					if !strings.Contains(err.Error(), w) {
						t.Fatalf("error %q does not name %q", err, w)
					}
				}
			}
			if _, err := a.Step(make([]float32, n-1), obs); err == nil || !strings.Contains(err.Error(), id) {
				t.Fatalf("short action: error %v", err)
			}
		})
	}
}

// TestAdroitRotations: euler2quat and mat2euler are inverse (the pen target
// and the hammer's observed angles use them), and euler2quat's quaternion
// turns MuJoCo's body frame as intended.
func TestAdroitRotations(t *testing.T) {
	for _, e := range [][3]float64{{0, 0, 0}, {0.3, -0.7, 0}, {-1, 1, 0}, {0.2, 0.4, -1.1}} {
		q := euler2quat(e)
		w, x, y, z := q[0], q[1], q[2], q[3]
		m := [9]float64{
			1 - 2*(y*y+z*z), 2 * (x*y - z*w), 2 * (x*z + y*w),
			2 * (x*y + z*w), 1 - 2*(x*x+z*z), 2 * (y*z - x*w),
			2 * (x*z - y*w), 2 * (y*z + x*w), 1 - 2*(x*x+y*y),
		}
		got := mat2euler(m)
		for i := range 3 {
			if math.Abs(got[i]-e[i]) > 1e-12 {
				t.Fatalf("mat2euler(euler2quat(%v)) = %v", e, got)
			}
		}
	}
	// A target drawn as euler (x, 0, 0) is the upright pen turned about x.
	e := mustEnv(t, mustMaker(t, "pen"))
	q := euler2quat([3]float64{0.5, 0, 0})
	copy(e.Data().MocapQuat(), q[:])
	adroitState(t, e, func([]float64) {})
	ax := sub3(adroitSite(t, e, "target_top"), adroitSite(t, e, "target_bottom"))
	if want := []float64{0, -0.13 * math.Sin(0.5), 0.13 * math.Cos(0.5)}; math.Abs(ax[0]-want[0]) > 1e-12 ||
		math.Abs(ax[1]-want[1]) > 1e-12 || math.Abs(ax[2]-want[2]) > 1e-12 {
		t.Fatalf("target axis %v, want %v", ax, want)
	}
}

func TestEpisodeSuccessSteps(t *testing.T) {
	for id, want := range map[string]int{"pen": 20, "door": 25, "hammer": 25, "relocate": 25, "door-friction-2": 25} {
		if n, ok := EpisodeSuccessSteps(id); !ok || n != want {
			t.Errorf("%s: %d %v, want %d", id, n, ok, want)
		}
	}
	for _, id := range []string{"hopper", "antmaze-umaze", "doors"} {
		if _, ok := EpisodeSuccessSteps(id); ok {
			t.Errorf("%s counted as Adroit", id)
		}
	}
}

// TestAdroitShifts: every shift kind applies to the hand (defaults: the
// forefinger) and the shifted task still steps.
func TestAdroitShifts(t *testing.T) {
	base := mustMaker(t, "door").Model().Params()
	for _, id := range []string{"pen-friction-0.5", "door-gravity-2", "hammer-kinematic-0.5", "relocate-morphology-1.5", "door-kinematic-ARRz-0.5"} {
		mk := mustMaker(t, id)
		e := mustEnv(t, mk)
		if _, _, err := rolloutErr(e, randomActions(3, 10, mk.Spec().Act.Dim, 1)); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	sh := mustMaker(t, "door-kinematic-ARRz-0.5").Model().Params()
	j := id(t, mustMaker(t, "door").Model(), ObjJoint, "ARRz")
	if sh.JntRange[2*j] != 0.5*base.JntRange[2*j] || sh.JntRange[2*j+1] != 1 {
		t.Fatalf("ARRz range %v", sh.JntRange[2*j:2*j+2])
	}
}

func rolloutErr(e *Env, acts [][]float32) ([]float32, float64, error) {
	obs := make([]float32, e.Spec().Obs.Dim)
	if err := e.Reset(1, obs); err != nil {
		return nil, 0, err
	}
	ret := 0.0
	for _, a := range acts {
		r, err := e.Step(a, obs)
		if err != nil {
			return nil, 0, err
		}
		ret += r.Reward
	}
	return obs, ret, nil
}

// adroitRandom runs episodes of the uniform random policy on id (as
// randomReturns does) and also counts successes: episodes with any success
// step, and episodes that pass D4RL's rule (EpisodeSuccessSteps).
func adroitRandom(t testing.TB, id string, episodes int) (returns []float64, meanLen, anySucc, d4rlSucc float64) {
	mk, err := NewMaker(id)
	if err != nil {
		t.Fatal(err)
	}
	defer mk.Close()
	e, err := mk.New()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s := e.Spec()
	need, _ := EpisodeSuccessSteps(id)
	obs := make([]float32, s.Obs.Dim)
	act := make([]float32, s.Act.Dim)
	total := 0
	for ep := range episodes {
		if err := e.Reset(uint64(ep), obs); err != nil {
			t.Fatal(err)
		}
		r := rng.Derive(uint64(ep), "random-policy")
		ret, succ := 0.0, 0
		for step := 1; step <= s.MaxSteps; step++ {
			r.FillUniform(act, -1, 1)
			res, err := e.Step(act, obs)
			if err != nil {
				t.Fatal(err)
			}
			ret += res.Reward
			total++
			if res.Success {
				succ++
			}
			if res.Terminated {
				break
			}
		}
		returns = append(returns, ret)
		if succ > 0 {
			anySucc++
		}
		if succ > need {
			d4rlSucc++
		}
	}
	n := float64(episodes)
	return returns, float64(total) / n, anySucc / n, d4rlSucc / n
}

// TestMeasureAdroitRandomReturns regenerates the Adroit rows of the
// RandomReturns table (reference.go) and logs the random policy's success
// rates. It runs only when DWM_MEASURE_RANDOM=1 (about a minute).
func TestMeasureAdroitRandomReturns(t *testing.T) {
	if os.Getenv("DWM_MEASURE_RANDOM") != "1" {
		t.Skip("set DWM_MEASURE_RANDOM=1 to measure random-policy returns")
	}
	var b strings.Builder
	for _, id := range adroitIDList {
		const episodes = 100
		rets, meanLen, anyS, d4rlS := adroitRandom(t, id, episodes)
		m, s := meanStd(rets)
		fmt.Fprintf(&b, "\t{ID: %q, Episodes: %d, Mean: %.4g, Std: %.4g, MeanLength: %.4g}, // success: any step %.2f, D4RL rule %.2f\n",
			id, episodes, m, s, meanLen, anyS, d4rlS)
	}
	t.Logf("RandomReturns rows:\n%s", b.String())
}

// TestAdroitRandomReturnsTable re-measures the first episodes of the random
// policy on door and relocate and checks them against the stored table.
func TestAdroitRandomReturnsTable(t *testing.T) {
	for _, id := range []string{"door", "relocate"} {
		ref, ok := RandomReturn(id)
		if !ok {
			t.Fatalf("no reference random return for %s", id)
		}
		const n = 4
		rets, _, _, _ := adroitRandom(t, id, n)
		m, _ := meanStd(rets)
		if tol := 4 * ref.Std / math.Sqrt(n); math.Abs(m-ref.Mean) > tol {
			t.Fatalf("%s: random return over %d episodes %.3f, table %.3f ± %.3f", id, n, m, ref.Mean, tol)
		}
	}
}

// TestAdroitMatchesPublishedModel compares dwm's Adroit tasks with the
// published models (Gymnasium-Robotics' assets/adroit_hand files, with their
// meshes and sensors) compiled by the same MuJoCo. For three seeds it resets
// dwm's env, places the published model's objects where that reset drew
// them (by editing body_pos, body_quat and site_pos, as Gymnasium-Robotics
// does), then runs 100 env steps of the same random actions in both and
// compares joint positions, the sites and bodies the rules read, and the
// nail's touch sensor. It runs only when DWM_ADROIT_REFERENCE_DIR names a
// directory holding adroit_<task>.xml.
func TestAdroitMatchesPublishedModel(t *testing.T) {
	dir := os.Getenv("DWM_ADROIT_REFERENCE_DIR")
	if dir == "" {
		t.Skip("set DWM_ADROIT_REFERENCE_DIR to Gymnasium-Robotics' assets/adroit_hand directory")
	}
	sites := map[string][]string{
		"pen":      {"S_grasp", "eps_ball", "object_top", "object_bottom", "target_top", "target_bottom"},
		"door":     {"S_grasp", "S_handle"},
		"hammer":   {"S_grasp", "tool", "S_target", "nail_goal"},
		"relocate": {"S_grasp", "target"},
	}
	for _, id := range adroitIDList {
		t.Run(id, func(t *testing.T) {
			mk := mustMaker(t, id)
			e := mustEnv(t, mk)
			m := mk.Model()
			for seed := range uint64(3) {
				ref, err := LoadFile(dir + "/adroit_" + id + ".xml")
				if err != nil {
					t.Fatal(err)
				}
				defer ref.Close()
				if ref.NQ() != m.NQ() || ref.NV() != m.NV() || ref.NU() != m.NU() {
					t.Fatalf("published nq %d nv %d nu %d, dwm %d %d %d", ref.NQ(), ref.NV(), ref.NU(), m.NQ(), m.NV(), m.NU())
				}
				if seed == 0 {
					pr, pd := ref.Params(), m.Params()
					for i := range pd.CtrlRange {
						if pr.CtrlRange[i] != pd.CtrlRange[i] {
							t.Errorf("ctrlrange[%d]: published %g, dwm %g", i, pr.CtrlRange[i], pd.CtrlRange[i])
						}
					}
				}
				obs := make([]float32, e.Spec().Obs.Dim)
				if err := e.Reset(seed, obs); err != nil {
					t.Fatal(err)
				}
				d := e.Data()
				mp, mq := d.MocapPos(), d.MocapQuat()
				// qoff is what dwm's qpos holds beyond the published one.
				qoff := make([]float64, m.NQ())
				switch id {
				case "pen":
					ref.setBodyPose(id2(t, ref, "target"), nil, mq[:4])
				case "door":
					ref.setBodyPose(id2(t, ref, "frame"), mp[:3], nil)
				case "hammer":
					ref.setBodyPose(id2(t, ref, "nail_board"), mp[:3], nil)
				case "relocate":
					x := qadr(t, e, "OBJTx")
					qoff[x], qoff[x+1] = d.QPos()[x], d.QPos()[x+1]
					ref.setBodyPose(id2(t, ref, "Object"), []float64{qoff[x], qoff[x+1], 0.035}, nil)
					s, err := ref.SiteID("target")
					if err != nil {
						t.Fatal(err)
					}
					ref.setSitePos(s, mp[:3])
				}
				a, err := NewData(ref)
				if err != nil {
					t.Fatal(err)
				}
				defer a.Close()
				if err := a.Reset(); err != nil {
					t.Fatal(err)
				}
				if err := a.Forward(); err != nil {
					t.Fatal(err)
				}
				var worst float64
				where := ""
				cmp := func(what string, x, y float64) {
					if dv := math.Abs(x - y); dv > worst || math.IsNaN(dv) {
						worst, where = dv, what
					}
				}
				for k, act := range randomActions(6+seed, 100, m.NU(), 1) {
					if _, err := e.Step(act, obs); err != nil {
						t.Fatal(err)
					}
					copy(a.Ctrl(), d.Ctrl())
					if err := a.Step(5); err != nil {
						t.Fatal(err)
					}
					for i := range d.QPos() {
						cmp(fmt.Sprintf("step %d qpos[%d]", k, i), d.QPos()[i]-qoff[i], a.QPos()[i])
					}
					for _, name := range sites[id] {
						i, err := m.SiteID(name)
						if err != nil {
							t.Fatal(err)
						}
						j, err := ref.SiteID(name)
						if err != nil {
							t.Fatal(err)
						}
						p, q := d.SiteXPos(i), a.SiteXPos(j)
						for c := range 3 {
							cmp(fmt.Sprintf("step %d site %s", k, name), p[c], q[c])
						}
					}
					if id != "door" {
						p, q := d.XPos(id2(t, m, "Object")), a.XPos(id2(t, ref, "Object"))
						for c := range 3 {
							cmp(fmt.Sprintf("step %d Object position", k), p[c], q[c])
						}
					}
					if id == "hammer" {
						adr, err := ref.sensorAdr("S_nail")
						if err != nil {
							t.Fatal(err)
						}
						cmp(fmt.Sprintf("step %d nail touch", k), d.SensorData()[0], a.SensorData()[adr])
					}
				}
				t.Logf("%s seed %d: largest difference over 100 env steps %.3g (%s)", id, seed, worst, where)
				if worst > 1e-6 {
					t.Errorf("%s seed %d: dwm and the published model differ by %.3g at %s", id, seed, worst, where)
				}
			}
		})
	}
}

func id2(t *testing.T, m *Model, body string) int { return id(t, m, ObjBody, body) }
