package iql

import (
	"fmt"
	"slices"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/checkpoint"
)

// Names of the non-network tensors and random streams in a saved state.
const (
	updatesName = "iql/updates"
	rngAct      = "iql/act"
)

// parts tells agent.StateParts where the agent keeps what a checkpoint
// holds.
func (a *Agent) parts() *agent.StateParts {
	return &agent.StateParts{
		Algorithm: "IQL",
		Model:     slices.Concat(a.actorParams, a.criticParams, a.targetParams, a.valueParams),
		Norm:      a.norm,
		Optimizers: []agent.NamedOptimizer{
			{Prefix: "opt/actor/", Adam: a.actorOpt},
			{Prefix: "opt/critic/", Adam: a.criticOpt},
			{Prefix: "opt/value/", Adam: a.valueOpt},
		},
		Counters: []agent.NamedCounter{{Name: updatesName, V: &a.updates}},
		Streams: []agent.NamedStream{
			{Name: rngAct, Stream: a.actStream},
		},
	}
}

// State returns a copy of everything the agent needs to continue exactly as
// if it had never stopped:
//
//   - model: the actor ("actor/…", with "actor/log_std" for the Gaussian
//     policy), critic ensemble ("critic/…"), target critic
//     ("critic_target/…"), value network ("value/…") and the state
//     normaliser ("obs_norm/mean", "obs_norm/std");
//   - optimizer: the Adam moments and step counts of the three optimisers
//     ("opt/actor/m/actor/l0/w", …, "opt/value/step") and the update counter
//     "iql/updates" (which also places the actor's learning-rate schedule);
//   - rngStates: the acting stream "iql/act" (updates draw no random
//     numbers).
//
// The tensors are copies: later updates do not change them.
func (a *Agent) State() (model, optimizer []checkpoint.Tensor, rngStates map[string][]byte, err error) {
	model, optimizer, rngStates, err = a.parts().State()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("iql: %w", err)
	}
	return model, optimizer, rngStates, nil
}

// SetState restores a state returned by State (possibly after a trip through
// a checkpoint file). It returns an error naming the tensor or stream if one
// is missing, unexpected, of the wrong shape or malformed; the agent is
// unchanged on error.
func (a *Agent) SetState(model, optimizer []checkpoint.Tensor, rngStates map[string][]byte) error {
	if err := a.parts().SetState(model, optimizer, rngStates); err != nil {
		return fmt.Errorf("iql: set state: %w", err)
	}
	return nil
}
