package awac

import (
	"fmt"
	"slices"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/checkpoint"
)

// Names of the non-network tensors and random streams in a saved state.
const (
	updatesName = "awac/updates"
	rngAct      = "awac/act"
	rngUpdate   = "awac/update"
)

// parts tells agent.StateParts where the agent keeps what a checkpoint
// holds.
func (a *Agent) parts() *agent.StateParts {
	return &agent.StateParts{
		Algorithm: "AWAC",
		Model:     slices.Concat(a.actorParams, a.criticParams, a.targetParams),
		Norm:      a.norm,
		Optimizers: []agent.NamedOptimizer{
			{Prefix: "opt/actor/", Adam: a.actorOpt},
			{Prefix: "opt/critic/", Adam: a.criticOpt},
		},
		Counters: []agent.NamedCounter{{Name: updatesName, V: &a.updates}},
		Streams: []agent.NamedStream{
			{Name: rngAct, Stream: a.actStream},
			{Name: rngUpdate, Stream: a.updStream},
		},
	}
}

// State returns a copy of everything the agent needs to continue exactly as
// if it had never stopped:
//
//   - model: the actor ("actor/…" with "actor/log_std"), critic ensemble
//     ("critic/…"), target critic ("critic_target/…") and the state
//     normaliser ("obs_norm/mean", "obs_norm/std");
//   - optimizer: the Adam moments and step counts of both optimisers
//     ("opt/actor/m/actor/l0/w", …, "opt/critic/step") and the update
//     counter "awac/updates";
//   - rngStates: the acting and update streams ("awac/act", "awac/update").
//
// The tensors are copies: later updates do not change them.
func (a *Agent) State() (model, optimizer []checkpoint.Tensor, rngStates map[string][]byte, err error) {
	model, optimizer, rngStates, err = a.parts().State()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("awac: %w", err)
	}
	return model, optimizer, rngStates, nil
}

// SetState restores a state returned by State (possibly after a trip through
// a checkpoint file). It returns an error naming the tensor or stream if one
// is missing, unexpected, of the wrong shape or malformed; the agent is
// unchanged on error.
func (a *Agent) SetState(model, optimizer []checkpoint.Tensor, rngStates map[string][]byte) error {
	if err := a.parts().SetState(model, optimizer, rngStates); err != nil {
		return fmt.Errorf("awac: set state: %w", err)
	}
	return nil
}
