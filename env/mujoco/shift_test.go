//go:build cgo && !nomujoco

package mujoco

import (
	"math"
	"strings"
	"testing"
)

// diff returns the indices where a and b differ bitwise.
func diff(a, b []float64) []int {
	var out []int
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			out = append(out, i)
		}
	}
	return out
}

// fields lists the parameter arrays a shift may touch, by name.
func fields(p Params) map[string][]float64 {
	lim := make([]float64, len(p.JntLimited))
	for i, l := range p.JntLimited {
		if l {
			lim[i] = 1
		}
	}
	return map[string][]float64{
		"timestep": {p.Timestep}, "gravity": p.Gravity[:],
		"geom_friction": p.GeomFriction, "geom_size": p.GeomSize, "geom_pos": p.GeomPos,
		"geom_rbound": p.GeomRBound, "body_pos": p.BodyPos, "body_ipos": p.BodyIPos,
		"body_mass": p.BodyMass, "body_inertia": p.BodyInertia, "jnt_range": p.JntRange,
		"jnt_limited": lim, "actuator_gear": p.ActGear, "ctrlrange": p.CtrlRange,
	}
}

// changed maps each field that differs between a and b to its changed indices.
func changed(a, b Params) map[string][]int {
	fa, fb := fields(a), fields(b)
	out := map[string][]int{}
	for k := range fa {
		if d := diff(fa[k], fb[k]); len(d) > 0 {
			out[k] = d
		}
	}
	return out
}

func params(t *testing.T, id string) (Params, *Model) {
	mk := mustMaker(t, id)
	return mk.Model().Params(), mk.Model()
}

func id(t *testing.T, m *Model, kind int, name string) int {
	i, err := m.ID(kind, name)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func TestFrictionShift(t *testing.T) {
	base, _ := params(t, "hopper")
	sh, _ := params(t, "hopper-friction-2.0")
	ch := changed(base, sh)
	if len(ch) != 1 || len(ch["geom_friction"]) != len(base.GeomFriction) {
		t.Fatalf("changed %v, want every geom_friction entry only", ch)
	}
	for i, f := range base.GeomFriction {
		if sh.GeomFriction[i] != 2*f {
			t.Fatalf("friction[%d] = %g, want %g", i, sh.GeomFriction[i], 2*f)
		}
	}
}

func TestGravityShift(t *testing.T) {
	base, _ := params(t, "halfcheetah")
	sh, _ := params(t, "halfcheetah-gravity-2.0")
	ch := changed(base, sh)
	if len(ch) != 1 || len(ch["gravity"]) != 1 || sh.Gravity != [3]float64{0, 0, -19.62} {
		t.Fatalf("changed %v gravity %v, want only gravity z = -19.62", ch, sh.Gravity)
	}
}

func TestKinematicShift(t *testing.T) {
	for _, c := range []struct{ id, joint string }{
		{"hopper-kinematic-0.5", "leg_joint"},
		{"hopper-kinematic-foot_joint-0.5", "foot_joint"},
		{"walker2d-kinematic-0.5", "foot_joint"},
		{"halfcheetah-kinematic-0.5", "bthigh"},
		{"ant-kinematic-0.5", "hip_1"},
	} {
		base, _ := params(t, strings.SplitN(c.id, "-kinematic", 2)[0])
		sh, m := params(t, c.id)
		j := id(t, m, ObjJoint, c.joint)
		ch := changed(base, sh)
		r := ch["jnt_range"]
		if len(ch) != 1 || len(r) == 0 || r[0]/2 != j || r[len(r)-1]/2 != j {
			t.Fatalf("%s: changed %v, want jnt_range of joint %d only", c.id, ch, j)
		}
		if sh.JntRange[2*j] != 0.5*base.JntRange[2*j] || sh.JntRange[2*j+1] != 0.5*base.JntRange[2*j+1] {
			t.Fatalf("%s: range %v, want half of %v", c.id, sh.JntRange[2*j:2*j+2], base.JntRange[2*j:2*j+2])
		}
	}
}

func TestMorphologyShift(t *testing.T) {
	const k = 2.0
	base, _ := params(t, "walker2d")
	sh, m := params(t, "walker2d-morphology-2.0")
	b := id(t, m, ObjBody, "foot")
	g := id(t, m, ObjGeom, "foot_geom")
	ch := changed(base, sh)
	want := map[string][]int{
		"body_mass": {b}, "body_inertia": {3 * b, 3*b + 1, 3*b + 2}, "geom_rbound": {g},
	}
	for name, idx := range want {
		if got := ch[name]; len(got) != len(idx) || got[0] != idx[0] {
			t.Fatalf("%s changed at %v, want %v (all changes %v)", name, got, idx, ch)
		}
	}
	for _, name := range []string{"geom_size", "geom_pos", "body_ipos"} {
		for _, i := range ch[name] {
			owner := b
			if strings.HasPrefix(name, "geom") {
				owner = g
			}
			if i/3 != owner {
				t.Fatalf("%s changed at %d, outside the foot", name, i)
			}
		}
	}
	for name := range ch {
		switch name {
		case "body_mass", "body_inertia", "geom_rbound", "geom_size", "geom_pos", "body_ipos":
		default:
			t.Fatalf("unexpected change in %s: %v", name, ch[name])
		}
	}
	if sh.BodyMass[b] != k*base.BodyMass[b] || sh.BodyInertia[3*b] != k*k*k*base.BodyInertia[3*b] {
		t.Fatalf("mass %g inertia %g, want %g and %g", sh.BodyMass[b], sh.BodyInertia[3*b], k*base.BodyMass[b], k*k*k*base.BodyInertia[3*b])
	}
	// Capsule radius and half-length both ×k; its centre moves away from the
	// ankle (joint anchor (-0.2, 0, 0.1) in the foot frame) by ×k.
	if sh.GeomSize[3*g] != k*base.GeomSize[3*g] || sh.GeomSize[3*g+1] != k*base.GeomSize[3*g+1] {
		t.Fatalf("foot size %v, want ×2 of %v", sh.GeomSize[3*g:3*g+2], base.GeomSize[3*g:3*g+2])
	}
	anchor := [3]float64{-0.2, 0, 0.1}
	for i := range 3 {
		want := anchor[i] + k*(base.GeomPos[3*g+i]-anchor[i])
		if math.Abs(sh.GeomPos[3*g+i]-want) > 1e-12 {
			t.Fatalf("foot geom pos %v, want %g at %d", sh.GeomPos[3*g:3*g+3], want, i)
		}
	}
	if math.Abs(sh.Mass-(base.Mass+(k-1)*base.BodyMass[b])) > 1e-9 {
		t.Fatalf("total mass %g, want %g", sh.Mass, base.Mass+(k-1)*base.BodyMass[b])
	}
	// The heavier foot changes the dynamics.
	ta, _ := rollout(t, mustEnv(t, mustMaker(t, "walker2d")), 1, randomActions(1, 20, 6, 1))
	tb, _ := rollout(t, mustEnv(t, mustMaker(t, "walker2d-morphology-2.0")), 1, randomActions(1, 20, 6, 1))
	same := true
	for i := range ta {
		same = same && ta[i] == tb[i]
	}
	if same {
		t.Fatal("morphology shift left the trajectory unchanged")
	}
}

func TestShiftErrors(t *testing.T) {
	cases := []struct{ id, want string }{
		{"hopper-kinematic-rootx-0.5", `joint "rootx" has no range`},
		{"hopper-kinematic-knee-0.5", `no joint named "knee"`},
		{"hopper-morphology-thigh-2.0", `body "thigh" has child bodies`},
		{"hopper-morphology-hand-2.0", `no body named "hand"`},
	}
	for _, c := range cases {
		_, err := NewMaker(c.id)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.id) {
			t.Fatalf("%s: error %v, want one naming the id and %q", c.id, err, c.want)
		}
	}
}

// TestChainedShifts: shifts compose, each changing its own parameter.
func TestChainedShifts(t *testing.T) {
	base, _ := params(t, "ant")
	sh, _ := params(t, "ant-friction-0.5-gravity-2.0")
	ch := changed(base, sh)
	if len(ch) != 2 || ch["gravity"] == nil || ch["geom_friction"] == nil {
		t.Fatalf("changed %v, want gravity and friction", ch)
	}
}
