package classic

import (
	"fmt"
	"math"
)

// Waypoint is a PointMaze controller that follows the shortest cell path to
// the goal, as D4RL's maze2d data-collection controller does
// (d4rl/pointmaze/waypoint_controller.py): the target is the centre of the
// next cell on a breadth-first-search path from the point's cell to the goal
// cell, or the goal itself once in the goal cell, and the action is the PD
// law a = clip(Kp·(target − pos) − Kd·vel, ±1).
//
// It reads only the observation [x, y, vx, vy, goal_x, goal_y] and is
// deterministic; it caches the distance field of the last goal, so one
// Waypoint must not be used by several goroutines at once.
type Waypoint struct {
	// Kp and Kd are the PD gains; zero means D4RL's (p_gain 10, d_gain −1,
	// i.e. Kd = 1).
	Kp, Kd float64
	maze   *Maze
	goal   Cell
	dist   []int
}

// NewWaypoint returns a waypoint controller for maze m.
func NewWaypoint(m *Maze) *Waypoint { return &Waypoint{maze: m, goal: Cell{-1, -1}} }

// Target returns the point the controller steers to from (x, y) for the
// goal (gx, gy).
func (w *Waypoint) Target(x, y, gx, gy float64) (tx, ty float64) {
	g := w.maze.CellAt(gx, gy)
	cur := w.maze.CellAt(x, y)
	if cur == g || w.maze.Wall(g) || w.maze.Wall(cur) {
		return gx, gy
	}
	if g != w.goal {
		w.goal, w.dist = g, w.maze.Distances(g)
	}
	if w.dist[w.maze.index(cur)] < 0 {
		return gx, gy
	}
	n := w.maze.nextCell(w.dist, cur)
	return float64(n.Row), float64(n.Col)
}

// Act writes the force command for obs.
func (w *Waypoint) Act(obs, act []float32) error {
	if len(obs) != 6 || len(act) != 2 {
		return fmt.Errorf("waypoint controller: obs/action lengths %d/%d, want 6/2", len(obs), len(act))
	}
	kp, kd := w.Kp, w.Kd
	if kp == 0 {
		kp = 10
	}
	if kd == 0 {
		kd = 1
	}
	x, y := float64(obs[0]), float64(obs[1])
	tx, ty := w.Target(x, y, float64(obs[4]), float64(obs[5]))
	ax := kp*(tx-x) - kd*float64(obs[2])
	ay := kp*(ty-y) - kd*float64(obs[3])
	act[0] = float32(math.Max(-1, math.Min(1, ax)))
	act[1] = float32(math.Max(-1, math.Min(1, ay)))
	return nil
}
