package mujoco

import (
	_ "embed"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/template"
)

//go:embed assets/hopper.xml
var hopperXML string

//go:embed assets/half_cheetah.xml
var halfCheetahXML string

//go:embed assets/walker2d.xml
var walker2dXML string

//go:embed assets/ant.xml
var antXML string

//go:embed assets/antmaze.xml.tmpl
var antmazeTmpl string

// task is the static description of one base environment: its model, how an
// observation is read from the state, and its reward and termination rules.
type task struct {
	name string // base id, e.g. "hopper"
	// source names the task reproduced, e.g. "Gymnasium Hopper-v4".
	source string
	// xml returns the MJCF document.
	xml       func() (string, error)
	frameSkip int
	maxSteps  int
	actDim    int
	// obsSkip leading qpos entries are left out of the observation (the
	// x, or x and y, position); the rest of qpos and all of qvel follow.
	obsSkip int
	// velClip clips qvel in the observation to ±velClip (0: no clipping).
	velClip float64
	// Reset noise: qpos gets U(±noiseQpos); qvel gets U(±noiseQvel), or
	// noiseQvel·N(0,1) when qvelNormal.
	noiseQpos, noiseQvel float64
	qvelNormal           bool
	// Reward: forward velocity + healthy − ctrlCost·Σa² (locomotion), or the
	// sparse goal reward when maze is set.
	ctrlCost float64
	healthy  float64
	// isHealthy reports whether the state is healthy; nil means the task
	// never terminates. Unhealthy ends the episode (terminated).
	isHealthy func(qpos, qvel []float64) bool
	// xBody, when set, names the body whose frame x position (MuJoCo's xpos,
	// which lags qpos by one substep after mj_step) gives the forward
	// velocity, as Gymnasium's get_body_com does; otherwise qpos[0] is used.
	xBody string
	// scaleAct maps actions in [-1,1] onto each actuator's ctrlrange
	// (D4RL's NormalizedBoxEnv); otherwise the action is the control.
	scaleAct bool
	maze     *maze
	// adroit, when set, makes this an Adroit task (adroit.go): its own
	// reset, observation, reward and success rules.
	adroit *adroit
	// Parts that shifts without an explicit part name act on.
	kinematicJoint string
	morphologyBody string
}

// ObsDim is the observation length for a model with nq positions and nv
// velocities.
func (t *task) obsDim(nq, nv int) int {
	if t.adroit != nil {
		return t.adroit.obsDim
	}
	n := nq - t.obsSkip + nv
	if t.maze != nil {
		n += 2
	}
	return n
}

// dt is the simulated time of one env step.
func (t *task) dt(timestep float64) float64 { return timestep * float64(t.frameSkip) }

// observe writes the observation for state (qpos, qvel) and goal into dst.
func (t *task) observe(dst []float32, qpos, qvel []float64, goal [2]float64) {
	n := 0
	for _, v := range qpos[t.obsSkip:] {
		dst[n] = float32(v)
		n++
	}
	for _, v := range qvel {
		if t.velClip > 0 {
			v = min(max(v, -t.velClip), t.velClip)
		}
		dst[n] = float32(v)
		n++
	}
	if t.maze != nil {
		dst[n], dst[n+1] = float32(goal[0]), float32(goal[1])
	}
}

// hopperHealthy is Gymnasium Hopper-v4's is_healthy: every entry of
// (qpos[2:], qvel) strictly inside (−100, 100), height qpos[1] > 0.7 and
// torso angle qpos[2] strictly inside (−0.2, 0.2). NaN is unhealthy.
func hopperHealthy(qpos, qvel []float64) bool {
	for _, v := range qpos[2:] {
		if !(v > -100 && v < 100) {
			return false
		}
	}
	for _, v := range qvel {
		if !(v > -100 && v < 100) {
			return false
		}
	}
	z, angle := qpos[1], qpos[2]
	return z > 0.7 && z < math.Inf(1) && angle > -0.2 && angle < 0.2
}

// walkerHealthy is Gymnasium Walker2d-v4's is_healthy: 0.8 < qpos[1] < 2
// and −1 < qpos[2] < 1.
func walkerHealthy(qpos, _ []float64) bool {
	z, angle := qpos[1], qpos[2]
	return z > 0.8 && z < 2 && angle > -1 && angle < 1
}

// antHealthy is Gymnasium Ant-v4's is_healthy: every qpos and qvel entry
// finite and the torso height qpos[2] in the closed interval [0.2, 1].
func antHealthy(qpos, qvel []float64) bool {
	for _, v := range qpos {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	for _, v := range qvel {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return qpos[2] >= 0.2 && qpos[2] <= 1
}

func constXML(s string) func() (string, error) { return func() (string, error) { return s, nil } }

// tasks lists the base environments. Figures cite Gymnasium's v4 task files
// (hopper_v4.py, half_cheetah_v4.py, walker2d_v4.py, ant_v4.py) and D4RL's
// locomotion package (ant.py, maze_env.py, goal_reaching_env.py, __init__.py).
var tasks = []*task{
	{
		name: "hopper", source: "Gymnasium Hopper-v4", xml: constXML(hopperXML),
		frameSkip: 4, maxSteps: 1000, actDim: 3, obsSkip: 1, velClip: 10,
		noiseQpos: 5e-3, noiseQvel: 5e-3, ctrlCost: 1e-3, healthy: 1, isHealthy: hopperHealthy,
		kinematicJoint: "leg_joint", morphologyBody: "foot",
	},
	{
		name: "halfcheetah", source: "Gymnasium HalfCheetah-v4", xml: constXML(halfCheetahXML),
		frameSkip: 5, maxSteps: 1000, actDim: 6, obsSkip: 1,
		noiseQpos: 0.1, noiseQvel: 0.1, qvelNormal: true, ctrlCost: 0.1,
		kinematicJoint: "bthigh", morphologyBody: "bfoot",
	},
	{
		name: "walker2d", source: "Gymnasium Walker2d-v4", xml: constXML(walker2dXML),
		frameSkip: 4, maxSteps: 1000, actDim: 6, obsSkip: 1, velClip: 10,
		noiseQpos: 5e-3, noiseQvel: 5e-3, ctrlCost: 1e-3, healthy: 1, isHealthy: walkerHealthy,
		kinematicJoint: "foot_joint", morphologyBody: "foot",
	},
	{
		name: "ant", source: "Gymnasium Ant-v4 (use_contact_forces=False)", xml: constXML(antXML),
		frameSkip: 5, maxSteps: 1000, actDim: 8, obsSkip: 2,
		noiseQpos: 0.1, noiseQvel: 0.1, qvelNormal: true, ctrlCost: 0.5, healthy: 1, isHealthy: antHealthy,
		xBody: "torso", kinematicJoint: "hip_1", morphologyBody: "front_left_foot",
	},
	antmazeTask(uMaze),
	antmazeTask(mediumMaze),
	antmazeTask(largeMaze),
	adroitTask("pen", "Gymnasium-Robotics AdroitHandPen-v1 (D4RL pen, 100 steps)", penAdroit, 24, 100),
	adroitTask("door", "Gymnasium-Robotics AdroitHandDoor-v1 (D4RL door)", doorAdroit, 28, 200),
	adroitTask("hammer", "Gymnasium-Robotics AdroitHandHammer-v1 (D4RL hammer)", hammerAdroit, 26, 200),
	adroitTask("relocate", "Gymnasium-Robotics AdroitHandRelocate-v1 (D4RL relocate)", relocateAdroit, 30, 200),
}

func antmazeTask(mz *maze) *task {
	return &task{
		name: "antmaze-" + mz.name, source: "D4RL antmaze-" + mz.name + "-v2 (sparse reward, goal in the observation)",
		xml: mz.xml, frameSkip: 5, maxSteps: mz.maxSteps, actDim: 8,
		noiseQpos: 0.1, noiseQvel: 0.1, qvelNormal: true, scaleAct: true, maze: mz,
		kinematicJoint: "hip_1", morphologyBody: "front_left_foot",
	}
}

// maze is a D4RL AntMaze layout: '#' wall, 'r' start cell, 'g' goal cell,
// '.' free. Rows run along +y, columns along +x.
type maze struct {
	name     string
	grid     []string
	maxSteps int
}

// The *_TEST maps of d4rl/locomotion/maze_env.py (one goal each), used by the
// antmaze-*-v2 tasks; episode limits from d4rl/locomotion/__init__.py.
var (
	uMaze = &maze{name: "umaze", maxSteps: 700, grid: []string{
		"#####",
		"#r..#",
		"###.#",
		"#g..#",
		"#####",
	}}
	mediumMaze = &maze{name: "medium", maxSteps: 1000, grid: []string{
		"########",
		"#r.##..#",
		"#..#...#",
		"##...###",
		"#..#...#",
		"#.#..#.#",
		"#...#.g#",
		"########",
	}}
	largeMaze = &maze{name: "large", maxSteps: 1000, grid: []string{
		"############",
		"#r...#.....#",
		"#.##.#.#.#.#",
		"#......#...#",
		"#.####.###.#",
		"#..#.#.....#",
		"##.#.#.#.###",
		"#..#...#.g.#",
		"############",
	}}
)

// Maze geometry constants of D4RL (maze_size_scaling 4, maze_height 0.5).
const (
	mazeCell   = 4.0
	mazeHeight = 0.5
	// goalRadius is the distance within which the sparse reward is paid.
	goalRadius = 0.5
)

// find returns the cell (row, col) holding c.
func (mz *maze) find(c byte) (int, int) {
	for i, row := range mz.grid {
		if j := strings.IndexByte(row, c); j >= 0 {
			return i, j
		}
	}
	panic(fmt.Sprintf("mujoco: maze %s has no %q cell", mz.name, c)) // the tables above always do
}

// cellXY is the world position of a cell's centre: the maze is shifted so
// the start cell is at the origin.
func (mz *maze) cellXY(i, j int) (float64, float64) {
	ri, rj := mz.find('r')
	return float64(j)*mazeCell - float64(rj)*mazeCell, float64(i)*mazeCell - float64(ri)*mazeCell
}

// goalXY samples a goal as D4RL's goal_sampler does: the goal cell's centre
// plus U(0, cell/4) plus U(0, 0.5)·cell/4 in each coordinate, floored at 0.
func (mz *maze) goalXY(u func() float64) [2]float64 {
	gi, gj := mz.find('g')
	x, y := mz.cellXY(gi, gj)
	x += u() * mazeCell * 0.25
	y += u() * mazeCell * 0.25
	x += u() * 0.5 * 0.25 * mazeCell
	y += u() * 0.5 * 0.25 * mazeCell
	return [2]float64{max(x, 0), max(y, 0)}
}

type mazeWall struct{ Name, Pos, Size string }

func fmtVec(v ...float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strings.Join(s, " ")
}

// xml builds the AntMaze MJCF: one fixed box per wall cell.
func (mz *maze) xml() (string, error) {
	var walls []mazeWall
	h := mazeHeight / 2 * mazeCell
	for i, row := range mz.grid {
		for j := range len(row) {
			if row[j] != '#' {
				continue
			}
			x, y := mz.cellXY(i, j)
			walls = append(walls, mazeWall{
				Name: fmt.Sprintf("block_%d_%d", i, j),
				Pos:  fmtVec(x, y, h),
				Size: fmtVec(0.5*mazeCell, 0.5*mazeCell, h),
			})
		}
	}
	t, err := template.New("antmaze").Parse(antmazeTmpl)
	if err != nil {
		return "", fmt.Errorf("antmaze template: %w", err)
	}
	var b strings.Builder
	if err := t.Execute(&b, struct {
		Name  string
		Walls []mazeWall
	}{mz.name, walls}); err != nil {
		return "", fmt.Errorf("antmaze template: %w", err)
	}
	return b.String(), nil
}

// Shift kinds accepted in env ids.
const (
	shiftFriction   = "friction"
	shiftGravity    = "gravity"
	shiftKinematic  = "kinematic"
	shiftMorphology = "morphology"
)

// shift is one dynamics shift parsed from an env id.
type shift struct {
	kind string
	part string // joint (kinematic) or body (morphology); "" for the task default
	k    float64
}

// parseID splits an env id into its base task and shifts:
// <base>(-<kind>[-<part>]-<k>)*.
func parseID(id string) (*task, []shift, error) {
	var t *task
	for _, c := range tasks {
		if (id == c.name || strings.HasPrefix(id, c.name+"-")) && (t == nil || len(c.name) > len(t.name)) {
			t = c
		}
	}
	if t == nil {
		return nil, nil, fmt.Errorf("mujoco: unknown env id %q (known: %s)", id, strings.Join(IDs(), ", "))
	}
	if id == t.name {
		return t, nil, nil
	}
	tok := strings.Split(id[len(t.name)+1:], "-")
	var shifts []shift
	for i := 0; i < len(tok); {
		s := shift{kind: tok[i]}
		switch s.kind {
		case shiftFriction, shiftGravity, shiftKinematic, shiftMorphology:
		default:
			return nil, nil, fmt.Errorf("mujoco: env id %q: unknown shift %q (want friction, gravity, kinematic or morphology)", id, s.kind)
		}
		i++
		if i < len(tok) && (s.kind == shiftKinematic || s.kind == shiftMorphology) {
			if _, err := strconv.ParseFloat(tok[i], 64); err != nil {
				s.part = tok[i]
				i++
			}
		}
		if i >= len(tok) {
			return nil, nil, fmt.Errorf("mujoco: env id %q: shift %q has no factor (e.g. %s-%s-2.0)", id, s.kind, t.name, s.kind)
		}
		k, err := strconv.ParseFloat(tok[i], 64)
		if err != nil || !(k > 0) || math.IsInf(k, 0) {
			return nil, nil, fmt.Errorf("mujoco: env id %q: shift %s factor %q is not a positive number", id, s.kind, tok[i])
		}
		s.k = k
		i++
		for _, o := range shifts {
			if o.kind == s.kind && o.part == s.part {
				return nil, nil, fmt.Errorf("mujoco: env id %q: shift %s given twice", id, s.kind)
			}
		}
		shifts = append(shifts, s)
	}
	return t, shifts, nil
}

// IDs returns the base env ids followed by the shift syntax. A shift
// multiplies one model parameter by a positive factor k and may be chained:
//
//	<base>-friction-<k>            every geom's friction coefficients ×k
//	<base>-gravity-<k>             gravity ×k
//	<base>-kinematic[-<joint>]-<k> a joint's range ×k (default joint per task)
//	<base>-morphology[-<body>]-<k> a limb end's size and mass ×k (default limb per task)
//
// Default parts: hopper leg_joint / foot, halfcheetah bthigh / bfoot,
// walker2d foot_joint / foot (right leg), ant and antmaze hip_1 /
// front_left_foot, Adroit (pen, door, hammer, relocate) FFJ2 / ffdistal
// (the forefinger).
func IDs() []string {
	ids := make([]string, 0, len(tasks)+4)
	for _, t := range tasks {
		ids = append(ids, t.name)
	}
	return append(ids,
		"<base>-friction-<k>",
		"<base>-gravity-<k>",
		"<base>-kinematic[-<joint>]-<k>",
		"<base>-morphology[-<body>]-<k>",
	)
}

// baseIDs returns the ids of the unshifted tasks.
func baseIDs() []string {
	ids := make([]string, len(tasks))
	for i, t := range tasks {
		ids[i] = t.name
	}
	return slices.Clip(ids)
}
