package envs

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/env/classic"
)

// The classic source's base ids.
const (
	idPendulum     = "pendulum"
	idFrozenLake4  = "frozenlake-4x4"
	idFrozenLake8  = "frozenlake-8x8"
	idPointMazeU   = "pointmaze-umaze"
	idPointMazeMed = "pointmaze-medium"
	idPointMazeLg  = "pointmaze-large"
)

func classicIDs() []string {
	return []string{idPendulum, idFrozenLake4, idFrozenLake8, idPointMazeU, idPointMazeMed, idPointMazeLg}
}

const frozenLakeParams = "-slip-<p> (p: slip probability in [0 1]; default 2/3 as Gymnasium's is_slippery)"

var classicParams = map[string]string{
	idFrozenLake4: frozenLakeParams,
	idFrozenLake8: frozenLakeParams,
}

// makeClassic builds a classic env from its id.
func makeClassic(id string) (env.Env, error) {
	switch id {
	case idPendulum:
		return classic.NewPendulum(), nil
	case idPointMazeU:
		return classic.NewPointMaze(classic.PointMazeConfig{ID: id, Maze: classic.UMaze()})
	case idPointMazeMed:
		return classic.NewPointMaze(classic.PointMazeConfig{ID: id, Maze: classic.MediumMaze()})
	case idPointMazeLg:
		return classic.NewPointMaze(classic.PointMazeConfig{ID: id, Maze: classic.LargeMaze()})
	}
	cfg, err := frozenLakeConfig(id)
	if err != nil {
		return nil, err
	}
	return classic.NewFrozenLake(cfg)
}

// frozenLakeConfig parses "frozenlake-4x4", "frozenlake-8x8" and their
// "-slip-P" forms. The Spec id is canonical: P formatted with the fewest
// digits that round-trip ("-slip-0.20" becomes "-slip-0.2").
func frozenLakeConfig(id string) (classic.FrozenLakeConfig, error) {
	var cfg classic.FrozenLakeConfig
	var rest string
	switch {
	case strings.HasPrefix(id, idFrozenLake4):
		cfg.ID, cfg.Map, rest = idFrozenLake4, classic.FrozenLake4x4, id[len(idFrozenLake4):]
	case strings.HasPrefix(id, idFrozenLake8):
		cfg.ID, cfg.Map, rest = idFrozenLake8, classic.FrozenLake8x8, id[len(idFrozenLake8):]
	default:
		return cfg, fmt.Errorf("env id %q: not a classic env", id)
	}
	cfg.Slip = classic.GymnasiumSlip
	if rest == "" {
		return cfg, nil
	}
	p, ok := strings.CutPrefix(rest, "-slip-")
	if !ok {
		return cfg, fmt.Errorf("env id %q: parameters %q, want -slip-P", id, rest)
	}
	slip, err := strconv.ParseFloat(p, 64)
	if err != nil || !(slip >= 0 && slip <= 1) {
		return cfg, fmt.Errorf("env id %q: slip %q is not a number in [0, 1]", id, p)
	}
	if slip == 0 {
		slip = 0 // −0 becomes 0
	}
	cfg.Slip = slip
	cfg.ID += "-slip-" + strconv.FormatFloat(slip, 'g', -1, 64)
	return cfg, nil
}

// Expert returns the scripted expert policy of a classic id: the swing-up
// controller for pendulum, the optimal policy by value iteration
// (discount 0.999) for FrozenLake at the id's slip, the waypoint controller
// for PointMaze. Ids of other sources have no expert here.
func Expert(id string) (env.Policy, error) {
	r := sources()
	src, ok := r.owner(id)
	if !ok {
		return nil, r.unknownID(id)
	}
	if src.name != "classic" {
		return nil, fmt.Errorf("expert for %q: no scripted expert for %s envs", id, src.name)
	}
	e, err := makeClassic(id)
	if err != nil {
		return nil, fmt.Errorf("expert for %q: %w", id, err)
	}
	switch e := e.(type) {
	case *classic.Pendulum:
		return classic.NewPendulumExpert(), nil
	case *classic.FrozenLake:
		return classic.NewFrozenLakeExpert(e), nil
	case *classic.PointMaze:
		return classic.NewWaypoint(e.Maze()), nil
	}
	return nil, fmt.Errorf("expert for %q: none", id)
}
