package classic

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/spec"
)

// PointMaze physical constants, taken from D4RL's maze2d MuJoCo model
// (d4rl/pointmaze/maze_model.py, point_maze): timestep 0.01 s with
// frame_skip 1, a sphere of radius 0.1 and density 1000 (so mass
// 1000·4/3·π·0.1³ kg), motors of gear 100 on two slide joints of damping 1,
// ctrlrange [−1, 1], and velocities clipped to ±5.
const (
	PointMazeDT       = 0.01
	PointMazeRadius   = 0.1
	PointMazeMass     = 1000 * 4.0 / 3.0 * math.Pi * PointMazeRadius * PointMazeRadius * PointMazeRadius
	PointMazeGear     = 100.0
	PointMazeDamping  = 1.0
	PointMazeMaxSpeed = 5.0
	// PointMazeGoalRadius is the distance to the goal within which the
	// sparse reward is 1 (D4RL: norm(pos − target) <= 0.5).
	PointMazeGoalRadius = 0.5
)

// contactGap is how far from a wall face the body stops, so that rounding
// never puts it on or across the face.
const contactGap = 1e-9

// D4RL maze2d v1 episode limits (d4rl/pointmaze/__init__.py, max_episode_steps).
var pointMazeLimits = map[string]int{"umaze": 300, "medium": 600, "large": 800}

// PointMazeConfig configures a PointMaze.
type PointMazeConfig struct {
	// ID is the env id; "" means "pointmaze-" + Maze.Name.
	ID string
	// Maze is the layout; nil means UMaze().
	Maze *Maze
	// MaxSteps is the episode limit; 0 means D4RL's maze2d-*-v1 limit for the
	// built-in mazes (umaze 300, medium 600, large 800) and is required for
	// other mazes.
	MaxSteps int
}

// Validate reports the first invalid field.
func (c PointMazeConfig) Validate() error {
	if c.MaxSteps < 0 {
		return fmt.Errorf("pointmaze config: MaxSteps %d is negative", c.MaxSteps)
	}
	if c.Maze != nil && c.MaxSteps == 0 {
		if _, ok := pointMazeLimits[c.Maze.Name]; !ok {
			return fmt.Errorf("pointmaze config: MaxSteps 0 has no default for maze %q; set it", c.Maze.Name)
		}
	}
	return nil
}

func (c PointMazeConfig) withDefaults() PointMazeConfig {
	if c.Maze == nil {
		c.Maze = UMaze()
	}
	if c.ID == "" {
		c.ID = "pointmaze-" + c.Maze.Name
	}
	if c.MaxSteps == 0 {
		c.MaxSteps = pointMazeLimits[c.Maze.Name]
	}
	return c
}

// PointMaze is a pure-Go version of D4RL's maze2d: a point mass pushed by a
// 2-D force through a maze towards a fixed goal.
//
// Coordinates: cell (r, c) of the layout is the unit square centred on
// (x, y) = (r, c). The observation is [x, y, vx, vy, goal_x, goal_y]; the
// action is the force command in [−1, 1]² (clipped). The goal is the centre
// of the layout's G cell (SetGoal moves it; Reset does not restore it).
//
// One step of dt = 0.01 s, with D4RL's constants (see PointMazeMass etc.):
//
//	v' = clip((m·v + dt·100·a) / (m + dt·1), ±5)   (MuJoCo's Euler step with implicit joint damping)
//	move x by dt·v'x, then y by dt·v'y, each stopped at the first wall face
//	reward = 1 if |pos − goal| <= 0.5 else 0; never terminated (D4RL maze2d
//	returns done=False); Result.Success marks the rewarded steps
//
// Collision: the body is the axis-aligned square of half-width 0.1 around
// the point (D4RL's sphere radius). Each axis move stops the body at
// 1e-9 before the face of a wall cell it would enter and zeroes that
// velocity component (an inelastic, frictionless contact), so no step ever
// puts any part of the body inside a wall cell.
//
// Reset (as D4RL's reset_model): a uniformly chosen open cell (the goal
// cell included), position its centre + U(−0.1, 0.1) per axis, velocity
// N(0, 0.1²) per axis.
//
// Deviations from D4RL, all in the direction of a simpler exact model:
// MuJoCo's soft contacts (which let the sphere sink slightly into walls) are
// replaced by the hard stop above; the velocity is clipped after the update
// rather than before it, so observed speeds never exceed 5; D4RL's cell
// geometry is offset 0.2 from its qpos frame (the particle body sits at
// (1.2, 1.2) while wall (w, h) sits at (w+1, h+1)), here cells are centred on
// integer coordinates; the goal is part of the observation.
type PointMaze struct {
	cfg     PointMazeConfig
	spec    env.Spec
	maze    *Maze
	free    []Cell
	pos     [2]float64
	vel     [2]float64
	goal    [2]float64
	act     [2]float32
	started bool
}

// NewPointMaze returns a PointMaze configured by cfg.
func NewPointMaze(cfg PointMazeConfig) (*PointMaze, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	m := cfg.Maze
	// Any point of an open cell lies in [0.5, Rows−1.5] × [0.5, Cols−1.5].
	hx, hy := float32(m.Rows)-1.5, float32(m.Cols)-1.5
	p := &PointMaze{
		cfg:  cfg,
		maze: m,
		free: m.Free(),
		goal: [2]float64{float64(m.Goal.Row), float64(m.Goal.Col)},
		spec: env.Spec{
			ID: cfg.ID,
			Obs: spec.NewBox(
				[]float32{0.5, 0.5, -PointMazeMaxSpeed, -PointMazeMaxSpeed, 0.5, 0.5},
				[]float32{hx, hy, PointMazeMaxSpeed, PointMazeMaxSpeed, hx, hy}),
			Act:      spec.UniformBox(2, -1, 1),
			MaxSteps: cfg.MaxSteps,
			DT:       PointMazeDT,
		},
	}
	return p, nil
}

// Spec describes the env.
func (p *PointMaze) Spec() env.Spec { return p.spec }

// Maze returns the env's maze.
func (p *PointMaze) Maze() *Maze { return p.maze }

// Reset draws a start state from seed and writes the first observation.
func (p *PointMaze) Reset(seed uint64, obs []float32) error {
	if err := checkObs(&p.spec, obs); err != nil {
		return err
	}
	s := rng.Derive(seed, p.spec.ID, "reset")
	c := p.free[s.IntN(len(p.free))]
	p.pos[0] = float64(c.Row) + 0.2*s.Float64() - 0.1
	p.pos[1] = float64(c.Col) + 0.2*s.Float64() - 0.1
	p.vel[0] = 0.1 * s.NormFloat64()
	p.vel[1] = 0.1 * s.NormFloat64()
	for k := range p.vel {
		p.vel[k] = min(max(p.vel[k], -PointMazeMaxSpeed), PointMazeMaxSpeed)
	}
	p.started = true
	p.observe(obs)
	return nil
}

// SetState sets position and velocity directly (for tests and dataset
// tools). It returns an error if the body would overlap a wall or the speed
// exceeds the limit.
func (p *PointMaze) SetState(x, y, vx, vy float64) error {
	if !p.Clear(x, y) {
		return fmt.Errorf("%s: state (%g, %g) overlaps a wall", p.spec.ID, x, y)
	}
	if !(math.Abs(vx) <= PointMazeMaxSpeed && math.Abs(vy) <= PointMazeMaxSpeed) {
		return fmt.Errorf("%s: velocity (%g, %g) exceeds %g", p.spec.ID, vx, vy, PointMazeMaxSpeed)
	}
	p.pos, p.vel, p.started = [2]float64{x, y}, [2]float64{vx, vy}, true
	return nil
}

// SetGoal moves the goal to (x, y), which must lie in an open cell (for
// dataset tools that, as D4RL's maze2d data collection, pick new goals
// during an episode). The next observation carries the new goal.
func (p *PointMaze) SetGoal(x, y float64) error {
	if p.maze.Wall(p.maze.CellAt(x, y)) {
		return fmt.Errorf("%s: goal (%g, %g) is in a wall cell", p.spec.ID, x, y)
	}
	p.goal = [2]float64{x, y}
	return nil
}

// Goal returns the goal point.
func (p *PointMaze) Goal() (x, y float64) { return p.goal[0], p.goal[1] }

// State returns position and velocity.
func (p *PointMaze) State() (x, y, vx, vy float64) { return p.pos[0], p.pos[1], p.vel[0], p.vel[1] }

// Clear reports whether the body centred at (x, y) overlaps no wall cell
// (touching a face counts as overlapping).
func (p *PointMaze) Clear(x, y float64) bool {
	const r = PointMazeRadius
	for row := cellIndex(x - r); row <= cellIndex(x+r); row++ {
		for col := cellIndex(y - r); col <= cellIndex(y+r); col++ {
			if p.maze.Wall(Cell{row, col}) {
				return false
			}
		}
	}
	return true
}

// cellIndex returns the index of the cell containing coordinate v.
func cellIndex(v float64) int { return int(math.Floor(v + 0.5)) }

// Step applies the force command and moves the point.
func (p *PointMaze) Step(action, obs []float32) (env.Result, error) {
	if err := env.CheckAction(&p.spec, action, p.act[:]); err != nil {
		return env.Result{}, err
	}
	if err := checkObs(&p.spec, obs); err != nil {
		return env.Result{}, err
	}
	if !p.started {
		return env.Result{}, fmt.Errorf("%s: step before reset", p.spec.ID)
	}
	const m, dt = PointMazeMass, PointMazeDT
	for k := range 2 {
		v := (m*p.vel[k] + dt*PointMazeGear*float64(p.act[k])) / (m + dt*PointMazeDamping)
		p.vel[k] = min(max(v, -PointMazeMaxSpeed), PointMazeMaxSpeed)
	}
	for k := range 2 {
		if p.moveAxis(k, dt*p.vel[k]) {
			p.vel[k] = 0
		}
	}
	p.observe(obs)
	var r env.Result
	if math.Hypot(p.pos[0]-p.goal[0], p.pos[1]-p.goal[1]) <= PointMazeGoalRadius {
		r.Reward, r.Success = 1, true
	}
	return r, nil
}

// moveAxis moves the body by d along axis k (0: x/row, 1: y/column), stopping
// it contactGap before the face of the first wall cell it would enter. It
// reports whether the body was stopped.
func (p *PointMaze) moveAxis(k int, d float64) bool {
	const r = PointMazeRadius
	o := 1 - k
	lo, hi := cellIndex(p.pos[o]-r), cellIndex(p.pos[o]+r) // cells spanned across the motion
	blocked := func(c int) bool {
		for j := lo; j <= hi; j++ {
			cell := Cell{c, j}
			if k == 1 {
				cell = Cell{j, c}
			}
			if p.maze.Wall(cell) {
				return true
			}
		}
		return false
	}
	switch {
	case d > 0:
		for c := cellIndex(p.pos[k]+r) + 1; c <= cellIndex(p.pos[k]+d+r); c++ {
			if blocked(c) {
				p.pos[k] = float64(c) - 0.5 - r - contactGap
				return true
			}
		}
	case d < 0:
		for c := cellIndex(p.pos[k]-r) - 1; c >= cellIndex(p.pos[k]+d-r); c-- {
			if blocked(c) {
				p.pos[k] = float64(c) + 0.5 + r + contactGap
				return true
			}
		}
	}
	p.pos[k] += d
	return false
}

// Close does nothing.
func (p *PointMaze) Close() error { return nil }

func (p *PointMaze) observe(obs []float32) {
	obs[0], obs[1] = float32(p.pos[0]), float32(p.pos[1])
	obs[2], obs[3] = float32(p.vel[0]), float32(p.vel[1])
	obs[4], obs[5] = float32(p.goal[0]), float32(p.goal[1])
}
