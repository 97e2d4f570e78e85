package datagen

import (
	"fmt"
	"strconv"

	"github.com/dwm-rl/dwm/env/classic"
	"github.com/dwm-rl/dwm/envs"
	"github.com/dwm-rl/dwm/experiment"
	"github.com/dwm-rl/dwm/rng"
)

// WanderRadius is the distance at which the wandering controller counts its
// current target as reached and draws the next (D4RL's maze2d goal radius,
// classic.PointMazeGoalRadius).
const WanderRadius = classic.PointMazeGoalRadius

// mazeEnv is what the wander kind needs of an env: its maze layout.
type mazeEnv interface{ Maze() *classic.Maze }

// mazeOf returns the maze of env id, or an error naming the kind's
// requirement.
func mazeOf(id string) (*classic.Maze, error) {
	e, err := experiment.MakeEnv(id)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	m, ok := envs.Unwrap(e).(mazeEnv)
	if !ok {
		return nil, fmt.Errorf("dataset kind wander: env %s is not a PointMaze (wander is D4RL's maze2d recipe)", id)
	}
	return m.Maze(), nil
}

// wanderPolicy is D4RL's maze2d data collection
// (scripts/generation/generate_maze2d_datasets.py): the waypoint
// controller steers to a target cell drawn uniformly among the open cells,
// a new one each time it comes within WanderRadius, with N(0, Noise²) action
// noise, never looking at the task's goal. The env keeps its fixed goal, so
// the observations carry it and the rewards are the task's (D4RL relabels
// its maze2d rewards to the evaluation goal the same way). The data then
// cover the maze without being directed at the goal: an offline learner
// must stitch paths, the long-horizon case.
func wanderPolicy(c Config, m *classic.Maze) func(copy int) batchPolicy {
	return func(i int) batchPolicy {
		s := rng.Derive(c.Seed, "datagen", "wander", strconv.Itoa(i))
		free := m.Free()
		ctl := classic.NewWaypoint(m)
		var tx, ty float64
		started := false
		view := make([]float32, 6)
		return func(obs, act []float32) error {
			if len(obs) != 6 {
				return fmt.Errorf("wander: observation of %d values, want PointMaze's 6", len(obs))
			}
			x, y := float64(obs[0]), float64(obs[1])
			if !started || (x-tx)*(x-tx)+(y-ty)*(y-ty) <= WanderRadius*WanderRadius {
				cell := free[s.IntN(len(free))]
				tx, ty, started = float64(cell.Row), float64(cell.Col), true
			}
			copy(view, obs)
			view[4], view[5] = float32(tx), float32(ty)
			if err := ctl.Act(view, act); err != nil {
				return err
			}
			for j := range act {
				act[j] = float32(min(max(float64(act[j])+c.Noise*s.NormFloat64(), -1), 1))
			}
			return nil
		}
	}
}
