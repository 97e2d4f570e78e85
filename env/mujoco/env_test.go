//go:build cgo && !nomujoco

package mujoco

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/dwm-rl/dwm/env"
)

var _ env.Env = (*Env)(nil)

func mustMaker(t testing.TB, id string) *Maker {
	t.Helper()
	mk, err := NewMaker(id)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mk.Close() })
	return mk
}

func mustEnv(t testing.TB, mk *Maker) *Env {
	t.Helper()
	e, err := mk.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func randomActions(seed uint64, n, dim int, scale float64) [][]float32 {
	r := rand.New(rand.NewPCG(seed, 99))
	out := make([][]float32, n)
	for i := range out {
		out[i] = make([]float32, dim)
		for j := range out[i] {
			out[i][j] = float32((r.Float64()*2 - 1) * scale)
		}
	}
	return out
}

func TestSpecs(t *testing.T) {
	cases := []struct {
		id              string
		obs, act, steps int
		dt              float64
		mass            float64 // total model mass, kg (0: not checked)
	}{
		{"hopper", 11, 3, 1000, 0.008, 15.82},
		{"halfcheetah", 17, 6, 1000, 0.05, 14.0},
		{"walker2d", 17, 6, 1000, 0.008, 23.68},
		{"ant", 27, 8, 1000, 0.05, 0},
		{"antmaze-umaze", 31, 8, 700, 0.1, 0},
		{"antmaze-medium", 31, 8, 1000, 0.1, 0},
		{"antmaze-large", 31, 8, 1000, 0.1, 0},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			mk := mustMaker(t, c.id)
			s := mk.Spec()
			if s.ID != c.id || s.Obs.Dim != c.obs || s.Act.Dim != c.act || s.MaxSteps != c.steps || math.Abs(s.DT-c.dt) > 1e-12 {
				t.Fatalf("spec %+v, want obs %d act %d steps %d dt %g", s, c.obs, c.act, c.steps, c.dt)
			}
			for i := range s.Act.Dim {
				if s.Act.Low[i] != -1 || s.Act.High[i] != 1 {
					t.Fatalf("action bound %d: [%g, %g]", i, s.Act.Low[i], s.Act.High[i])
				}
			}
			for i := range s.Obs.Dim {
				if !math.IsInf(float64(s.Obs.Low[i]), -1) || !math.IsInf(float64(s.Obs.High[i]), 1) {
					t.Fatalf("obs bound %d: [%g, %g]", i, s.Obs.Low[i], s.Obs.High[i])
				}
			}
			if c.mass > 0 {
				if m := mk.Model().Params().Mass; math.Abs(m-c.mass) > 0.005 {
					t.Fatalf("model mass %.4f, want %.2f", m, c.mass)
				}
			}
			e := mustEnv(t, mk)
			obs := make([]float32, s.Obs.Dim)
			if err := e.Reset(3, obs); err != nil {
				t.Fatal(err)
			}
			for i, v := range obs {
				if math.IsNaN(float64(v)) {
					t.Fatalf("obs[%d] is NaN", i)
				}
			}
		})
	}
}

// TestObservationLayout checks each observation entry against the state.
func TestObservationLayout(t *testing.T) {
	for _, id := range baseIDs() {
		t.Run(id, func(t *testing.T) {
			if _, adroit := EpisodeSuccessSteps(id); adroit {
				t.Skip("Adroit layouts: TestAdroitObservationLayout")
			}
			e := mustEnv(t, mustMaker(t, id))
			obs := make([]float32, e.Spec().Obs.Dim)
			if err := e.Reset(5, obs); err != nil {
				t.Fatal(err)
			}
			act := randomActions(1, 30, e.Spec().Act.Dim, 1)
			for _, a := range act {
				if _, err := e.Step(a, obs); err != nil {
					t.Fatal(err)
				}
			}
			qpos, qvel := e.Data().QPos(), e.Data().QVel()
			var want []float64
			switch id {
			case "hopper", "walker2d":
				want = append(want, qpos[1:]...)
				for _, v := range qvel {
					want = append(want, min(max(v, -10), 10))
				}
			case "halfcheetah":
				want = append(append(want, qpos[1:]...), qvel...)
			case "ant":
				want = append(append(want, qpos[2:]...), qvel...)
			default: // antmaze
				g := e.Goal()
				want = append(append(append(want, qpos...), qvel...), g[0], g[1])
			}
			if len(want) != len(obs) {
				t.Fatalf("obs length %d, want %d", len(obs), len(want))
			}
			for i := range obs {
				if obs[i] != float32(want[i]) {
					t.Fatalf("obs[%d] = %g, want %g", i, obs[i], want[i])
				}
			}
		})
	}
}

func rollout(t *testing.T, e *Env, seed uint64, acts [][]float32) ([]float32, []float64) {
	t.Helper()
	obs := make([]float32, e.Spec().Obs.Dim)
	if err := e.Reset(seed, obs); err != nil {
		t.Fatal(err)
	}
	traj := append([]float32(nil), obs...)
	var rewards []float64
	for _, a := range acts {
		r, err := e.Step(a, obs)
		if err != nil {
			t.Fatal(err)
		}
		traj = append(traj, obs...)
		rewards = append(rewards, r.Reward)
	}
	return traj, rewards
}

func TestSameSeedSameTrajectory(t *testing.T) {
	for _, id := range baseIDs() {
		t.Run(id, func(t *testing.T) {
			mk := mustMaker(t, id)
			a, b := mustEnv(t, mk), mustEnv(t, mk)
			other, err := Make(id) // a separately compiled model
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			acts := randomActions(2, 60, mk.Spec().Act.Dim, 1)
			ta, ra := rollout(t, a, 11, acts)
			tb, rb := rollout(t, b, 11, acts)
			tc, rc := rollout(t, other.(*Env), 11, acts)
			for i := range ta {
				if ta[i] != tb[i] || ta[i] != tc[i] {
					t.Fatalf("obs entry %d differs: %g %g %g", i, ta[i], tb[i], tc[i])
				}
			}
			for i := range ra {
				if ra[i] != rb[i] || ra[i] != rc[i] {
					t.Fatalf("reward %d differs: %g %g %g", i, ra[i], rb[i], rc[i])
				}
			}
			td, _ := rollout(t, a, 12, acts)
			same := true
			for i := range ta {
				same = same && ta[i] == td[i]
			}
			if same {
				t.Fatal("seeds 11 and 12 gave the same trajectory")
			}
		})
	}
}

// TestStepMatchesSingleSteps checks that one C call running the frame-skip
// loop gives bitwise the state of calling mj_step frame_skip times from Go.
func TestStepMatchesSingleSteps(t *testing.T) {
	for _, id := range baseIDs() {
		t.Run(id, func(t *testing.T) {
			mk := mustMaker(t, id)
			e := mustEnv(t, mk)
			d, err := NewData(mk.Model())
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			// The same start state written into both (mj_forward normalises
			// quaternions in qpos, so copy the values before any forward).
			r := rand.New(rand.NewPCG(4, 4))
			qpos := append([]float64(nil), mk.Model().QPos0()...)
			qvel := make([]float64, len(e.Data().QVel()))
			for i := range qpos {
				qpos[i] += 0.01 * (r.Float64()*2 - 1)
			}
			for i := range qvel {
				qvel[i] = 0.01 * (r.Float64()*2 - 1)
			}
			obs := make([]float32, e.Spec().Obs.Dim)
			if err := e.SetState(qpos, qvel, obs); err != nil {
				t.Fatal(err)
			}
			if err := d.Reset(); err != nil {
				t.Fatal(err)
			}
			copy(d.QPos(), qpos)
			copy(d.QVel(), qvel)
			if err := d.Forward(); err != nil {
				t.Fatal(err)
			}
			for k, a := range randomActions(3, 100, e.Spec().Act.Dim, 1) {
				if _, err := e.Step(a, obs); err != nil {
					t.Fatal(err)
				}
				copy(d.Ctrl(), e.Data().Ctrl())
				for range e.task.frameSkip {
					if err := d.StepOnce(); err != nil {
						t.Fatal(err)
					}
				}
				s1, s2 := e.Data().State(), d.State()
				for i := range s1 {
					if math.Float64bits(s1[i]) != math.Float64bits(s2[i]) {
						t.Fatalf("step %d: state[%d] %v != %v", k, i, s1[i], s2[i])
					}
				}
			}
		})
	}
}

func TestHopperRewardDecomposition(t *testing.T) {
	e := mustEnv(t, mustMaker(t, "hopper"))
	obs := make([]float32, 11)
	qpos0 := append([]float64(nil), e.Data().Model().QPos0()...)
	zero := make([]float64, 6)
	if qpos0[1] != 1.25 {
		t.Fatalf("hopper default height %g, want 1.25", qpos0[1])
	}

	// Standing still at rest, no action: healthy reward 1, ~0 forward reward.
	if err := e.SetState(qpos0, zero, obs); err != nil {
		t.Fatal(err)
	}
	r, err := e.Step([]float32{0, 0, 0}, obs)
	if err != nil {
		t.Fatal(err)
	}
	info := e.Info()
	if r.Terminated || math.Abs(r.Reward-1) > 1e-6 || info.HealthyReward != 1 || math.Abs(info.ForwardReward) > 1e-6 || info.CtrlCost != 0 {
		t.Fatalf("at rest: result %+v info %+v", r, info)
	}

	// The control cost is 1e-3·Σa² and the reward adds its parts.
	if err := e.SetState(qpos0, zero, obs); err != nil {
		t.Fatal(err)
	}
	r, err = e.Step([]float32{0.5, -1, 0.25}, obs)
	if err != nil {
		t.Fatal(err)
	}
	info = e.Info()
	if want := 1e-3 * (0.25 + 1 + 0.0625); math.Abs(info.CtrlCost-want) > 1e-12 {
		t.Fatalf("ctrl cost %g, want %g", info.CtrlCost, want)
	}
	if got := info.ForwardReward + info.HealthyReward - info.CtrlCost; math.Abs(r.Reward-got) > 1e-12 {
		t.Fatalf("reward %g != forward + healthy − ctrl = %g", r.Reward, got)
	}
	if math.Abs(info.XVelocity-info.XPosition/0.008) > 1e-9 {
		t.Fatalf("x velocity %g, want x/dt = %g", info.XVelocity, info.XPosition/0.008)
	}

	// Below 0.7 m the hopper is unhealthy: terminated, and (Gymnasium v4)
	// the healthy reward is still paid on that step.
	low := append([]float64(nil), qpos0...)
	low[1] = 0.6
	if err := e.SetState(low, zero, obs); err != nil {
		t.Fatal(err)
	}
	r, err = e.Step([]float32{0, 0, 0}, obs)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Terminated || e.Info().HealthyReward != 1 {
		t.Fatalf("height 0.6: result %+v info %+v (want terminated, healthy reward 1)", r, e.Info())
	}

	// A torso tilted beyond 0.2 rad terminates too.
	tilt := append([]float64(nil), qpos0...)
	tilt[2] = 0.3
	if err := e.SetState(tilt, zero, obs); err != nil {
		t.Fatal(err)
	}
	if r, err = e.Step([]float32{0, 0, 0}, obs); err != nil || !r.Terminated {
		t.Fatalf("tilt 0.3: result %+v err %v, want terminated", r, err)
	}
}

func TestHealthRules(t *testing.T) {
	hop := func(z, angle, joint, vel float64) bool {
		return hopperHealthy([]float64{0, z, angle, joint, 0, 0}, []float64{vel, 0, 0, 0, 0, 0})
	}
	walk := func(z, angle float64) bool {
		return walkerHealthy([]float64{0, z, angle, 0, 0, 0, 0, 0, 0}, nil)
	}
	ant := func(z, v float64) bool {
		q := make([]float64, 15)
		q[2], q[3] = z, 1
		return antHealthy(q, []float64{v})
	}
	cases := []struct {
		name string
		got  bool
		want bool
	}{
		{"hopper ok", hop(1.25, 0, 0, 0), true},
		{"hopper z=0.7", hop(0.7, 0, 0, 0), false},
		{"hopper z=0.7001", hop(0.7001, 0, 0, 0), true},
		{"hopper angle=0.2", hop(1.25, 0.2, 0, 0), false},
		{"hopper angle=-0.1999", hop(1.25, -0.1999, 0, 0), true},
		{"hopper joint=100", hop(1.25, 0, 100, 0), false},
		{"hopper vel=-100", hop(1.25, 0, 0, -100), false},
		{"hopper vel=99.9", hop(1.25, 0, 0, 99.9), true},
		{"hopper NaN", hop(math.NaN(), 0, 0, 0), false},
		{"walker ok", walk(1.25, 0), true},
		{"walker z=0.8", walk(0.8, 0), false},
		{"walker z=2", walk(2, 0), false},
		{"walker angle=1", walk(1.25, 1), false},
		{"walker angle=-0.99", walk(1.25, -0.99), true},
		{"ant z=0.2", ant(0.2, 0), true},
		{"ant z=1", ant(1, 0), true},
		{"ant z=0.19", ant(0.19, 0), false},
		{"ant z=1.01", ant(1.01, 0), false},
		{"ant Inf velocity", ant(0.5, math.Inf(1)), false},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: healthy %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestBadActions(t *testing.T) {
	e := mustEnv(t, mustMaker(t, "walker2d"))
	obs := make([]float32, 17)
	if err := e.Reset(1, obs); err != nil {
		t.Fatal(err)
	}
	nan := float32(math.NaN())
	inf := float32(math.Inf(-1))
	cases := []struct {
		act  []float32
		want []string
	}{
		{[]float32{0, 0, 0}, []string{"walker2d", "length 3, want 6"}},
		{[]float32{0, 0, nan, 0, 0, 0}, []string{"walker2d", "index 2", "NaN"}},
		{[]float32{0, 0, 0, 0, 0, inf}, []string{"walker2d", "index 5", "Inf"}},
	}
	for _, c := range cases {
		_, err := e.Step(c.act, obs)
		if err == nil {
			t.Fatalf("action %v: no error", c.act)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Fatalf("action %v: error %q does not mention %q", c.act, err, w)
			}
		}
	}
	// A rejected action leaves the environment usable.
	if _, err := e.Step(make([]float32, 6), obs); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Step(make([]float32, 6), make([]float32, 3)); err == nil {
		t.Fatal("short observation buffer: no error")
	}
}

// TestOutOfBoundActionsAreClipped: an action beyond [-1, 1] acts exactly as
// the clipped action, dynamics and control cost alike.
func TestOutOfBoundActionsAreClipped(t *testing.T) {
	for _, id := range []string{"hopper", "antmaze-umaze"} {
		mk := mustMaker(t, id)
		a, b := mustEnv(t, mk), mustEnv(t, mk)
		n := mk.Spec().Act.Dim
		big, clipped := make([]float32, n), make([]float32, n)
		for i := range big {
			big[i] = float32(3 * (2*float64(i%2) - 1))
			clipped[i] = float32(2*float64(i%2) - 1)
		}
		ta, ra := rollout(t, a, 1, [][]float32{big, big, big})
		tb, rb := rollout(t, b, 1, [][]float32{clipped, clipped, clipped})
		for i := range ta {
			if ta[i] != tb[i] {
				t.Fatalf("%s: obs %d differs: %g vs %g", id, i, ta[i], tb[i])
			}
		}
		for i := range ra {
			if ra[i] != rb[i] {
				t.Fatalf("%s: reward %d differs: %g vs %g", id, i, ra[i], rb[i])
			}
		}
	}
}

func TestMalformedMJCF(t *testing.T) {
	cases := []struct{ xml, want string }{
		{`<mujoco><worldbody><geom type="sphere" sise="1"/></worldbody></mujoco>`, "unrecognized attribute: 'sise'"},
		{`<mujoco><worldbody><geom type="sphere" size="1"/></worldbody>`, "XML parse error"},
		{`<mujoco><worldbody><joint type="hinge"/></worldbody></mujoco>`, "World body cannot have joints"},
		{`<mujoco><worldbody><body><joint type="hinge"/></body></worldbody></mujoco>`, "mass and inertia of moving bodies"},
		{`<mujoco><size memory="1M"/></mujoco>`, "unrecognized attribute: 'memory'"},
		{``, "empty document"},
	}
	for _, c := range cases {
		m, err := LoadXML(c.xml)
		if err == nil {
			m.Close()
			t.Fatalf("%q: no error", c.xml)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%q: error %q does not contain MuJoCo's %q", c.xml, err, c.want)
		}
	}
	if _, err := LoadFile("testdata/missing.xml"); err == nil {
		t.Fatal("missing file: no error")
	}
	m, err := LoadFile("testdata/pendulum.xml")
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	if _, err := LoadFile("testdata/broken.xml"); err == nil || !strings.Contains(err.Error(), "invalid keyword: 'blob'") {
		t.Fatalf("broken.xml: error %v, want MuJoCo's invalid keyword message", err)
	}
}

// TestMuJoCoErrorDoesNotExit: mju_error comes back as a Go error and the
// process (and MuJoCo) keeps working.
func TestMuJoCoErrorDoesNotExit(t *testing.T) {
	err := raiseError("dwm test error 42")
	var se *SimError
	if !errors.As(err, &se) || !strings.Contains(se.Msg, "dwm test error 42") {
		t.Fatalf("error %v, want a SimError carrying the message", err)
	}
	e := mustEnv(t, mustMaker(t, "hopper"))
	obs := make([]float32, 11)
	if err := e.Reset(1, obs); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Step([]float32{0, 0, 0}, obs); err != nil {
		t.Fatal(err)
	}
}

// TestWarningsAreErrors: NaN in the state (MuJoCo would silently reset the
// data) and a full contact buffer are reported as errors.
func TestWarningsAreErrors(t *testing.T) {
	e := mustEnv(t, mustMaker(t, "hopper"))
	obs := make([]float32, 11)
	qpos := append([]float64(nil), e.Data().Model().QPos0()...)
	qvel := make([]float64, 6)
	qvel[3] = math.NaN()
	if err := e.SetState(qpos, qvel, obs); err != nil {
		t.Fatal(err)
	}
	_, err := e.Step([]float32{0, 0, 0}, obs)
	var se *SimError
	if !errors.As(err, &se) || se.Warning != "mjWARN_BADQVEL" || !strings.Contains(err.Error(), "hopper") {
		t.Fatalf("NaN velocity: error %v, want hopper's mjWARN_BADQVEL", err)
	}
	if _, err := e.Step([]float32{0, 0, 0}, obs); err == nil {
		t.Fatal("step after a simulation error without reset: no error")
	}
	if err := e.Reset(1, obs); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Step([]float32{0, 0, 0}, obs); err != nil {
		t.Fatalf("after reset: %v", err)
	}

	m, err := LoadXML(strings.Replace(hopperXML, `nconmax="50"`, `nconmax="1"`, 1))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	d, err := NewData(m)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for i := 0; ; i++ {
		err := d.Step(4)
		if err == nil && i < 500 {
			continue
		}
		if !errors.As(err, &se) || se.Warning != "mjWARN_CONTACTFULL" {
			t.Fatalf("nconmax 1: error %v after %d steps, want mjWARN_CONTACTFULL", err, i)
		}
		break
	}
}

func TestAntMaze(t *testing.T) {
	cases := []struct {
		id         string
		walls      int
		goalX, goY float64 // goal cell centre
	}{
		{"antmaze-umaze", 18, 0, 8},
		{"antmaze-medium", 38, 20, 20},
		{"antmaze-large", 62, 32, 24},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			mk := mustMaker(t, c.id)
			p := mk.Model().Params()
			walls := 0
			for g := range len(p.GeomSize) / 3 {
				if p.GeomSize[3*g] == 2 && p.GeomSize[3*g+1] == 2 && p.GeomSize[3*g+2] == 1 {
					walls++
				}
			}
			if walls != c.walls {
				t.Fatalf("%d wall blocks, want %d", walls, c.walls)
			}
			e := mustEnv(t, mk)
			obs := make([]float32, 31)
			for seed := range uint64(20) {
				if err := e.Reset(seed, obs); err != nil {
					t.Fatal(err)
				}
				g := e.Goal()
				if g[0] < c.goalX || g[0] > c.goalX+1.5 || g[1] < c.goY || g[1] > c.goY+1.5 {
					t.Fatalf("seed %d: goal %v outside the goal cell's sampling square", seed, g)
				}
				if obs[29] != float32(g[0]) || obs[30] != float32(g[1]) {
					t.Fatalf("goal %v not at the end of obs %v", g, obs[29:])
				}
			}
			// Far from the goal: reward 0; placed on the goal: reward 1,
			// success and termination.
			r, err := e.Step(make([]float32, 8), obs)
			if err != nil || r.Reward != 0 || r.Success || r.Terminated {
				t.Fatalf("at the start: %+v %v", r, err)
			}
			qpos := append([]float64(nil), e.Data().Model().QPos0()...)
			g := e.Goal()
			qpos[0], qpos[1] = g[0], g[1]
			if err := e.SetState(qpos, make([]float64, 14), obs); err != nil {
				t.Fatal(err)
			}
			r, err = e.Step(make([]float32, 8), obs)
			if err != nil || r.Reward != 1 || !r.Success || !r.Terminated || e.Info().GoalDistance > 0.5 {
				t.Fatalf("on the goal: %+v %v info %+v", r, err, e.Info())
			}
		})
	}
}

// TestParallelEnvs steps many environments in parallel goroutines, half
// sharing one model and half compiling their own (run with -race).
func TestParallelEnvs(t *testing.T) {
	ids := []string{"hopper", "walker2d", "halfcheetah", "ant"}
	makers := make([]*Maker, len(ids))
	for i, id := range ids {
		makers[i] = mustMaker(t, id)
	}
	const n = 16
	steps := 60
	if testing.Short() {
		steps = 20
	}
	var wg sync.WaitGroup
	errs := make(chan error, n+1)
	results := make([][]float32, n)
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var e env.Env
			var err error
			if g%2 == 0 {
				e, err = makers[g/2%len(ids)].New()
			} else {
				e, err = Make(ids[g/2%len(ids)])
			}
			if err != nil {
				errs <- err
				return
			}
			defer e.Close()
			obs := make([]float32, e.Spec().Obs.Dim)
			if err := e.Reset(uint64(g/2), obs); err != nil {
				errs <- err
				return
			}
			for _, a := range randomActions(uint64(g/2), steps, e.Spec().Act.Dim, 1) {
				if _, err := e.Step(a, obs); err != nil {
					errs <- err
					return
				}
			}
			results[g] = append([]float32(nil), obs...)
		}()
	}
	// Meanwhile MuJoCo errors are raised and caught on other threads.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 200 {
			if err := raiseError("parallel"); err == nil || !strings.Contains(err.Error(), "parallel") {
				errs <- fmt.Errorf("raiseError: %v", err)
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Goroutines 2k and 2k+1 ran the same id, seed and actions.
	for g := 0; g < n; g += 2 {
		for i := range results[g] {
			if results[g][i] != results[g+1][i] {
				t.Fatalf("goroutines %d and %d: obs %d differs", g, g+1, i)
			}
		}
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	mk, err := NewMaker("hopper")
	if err != nil {
		t.Fatal(err)
	}
	e, err := mk.New()
	if err != nil {
		t.Fatal(err)
	}
	// Closing the maker first leaves the environment working.
	if err := mk.Close(); err != nil {
		t.Fatal(err)
	}
	if err := mk.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := mk.New(); err == nil {
		t.Fatal("New after Close: no error")
	}
	obs := make([]float32, 11)
	if err := e.Reset(1, obs); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Step([]float32{0.1, 0.2, 0.3}, obs); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Step([]float32{0, 0, 0}, obs); err == nil {
		t.Fatal("step after close: no error")
	}
	if err := e.Reset(1, obs); err == nil {
		t.Fatal("reset after close: no error")
	}
	if _, err := e.Step(nil, nil); err == nil {
		t.Fatal("step after close: no error")
	}
	e2, err := Make("hopper")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e2.Step([]float32{0, 0, 0}, obs); err == nil {
		t.Fatal("step before reset: no error")
	}
	e2.Close()
}
