package td3bc

import (
	"fmt"
	"slices"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/nn"
)

// Names of the non-network tensors and random streams in a saved state.
const (
	heldName    = "td3bc/held_actor_metrics"
	updatesName = "td3bc/updates"
	rngAct      = "td3bc/act"
	rngUpdate   = "td3bc/update"
)

// parts tells agent.StateParts where the agent keeps what a checkpoint
// holds.
func (a *Agent) parts() *agent.StateParts {
	return &agent.StateParts{
		Algorithm: "TD3+BC",
		Model:     slices.Concat(a.actorParams, a.actorTargetParams, a.criticParams, a.criticTargetParams),
		Norm:      a.norm,
		Optimizers: []agent.NamedOptimizer{
			{Prefix: "opt/actor/", Adam: a.actorOpt},
			{Prefix: "opt/critic/", Adam: a.criticOpt},
		},
		Counters: []agent.NamedCounter{{Name: updatesName, V: &a.updates}},
		Extra:    []*nn.Param{a.held},
		Streams: []agent.NamedStream{
			{Name: rngAct, Stream: a.actStream},
			{Name: rngUpdate, Stream: a.updStream},
		},
	}
}

// State returns a copy of everything the agent needs to continue exactly as
// if it had never stopped:
//
//   - model: the actor ("actor/…"), target actor ("actor_target/…"), critic
//     ensemble ("critic/…"), target critic ("critic_target/…") and the state
//     normaliser ("obs_norm/mean", "obs_norm/std");
//   - optimizer: the Adam moments and step counts of both optimisers
//     ("opt/actor/m/actor/l0/w", …, "opt/actor/step"), the update counter
//     "td3bc/updates" and the last actor step's metrics
//     "td3bc/held_actor_metrics";
//   - rngStates: the acting and update streams ("td3bc/act", "td3bc/update").
//
// The tensors are copies: later updates do not change them.
func (a *Agent) State() (model, optimizer []checkpoint.Tensor, rngStates map[string][]byte, err error) {
	model, optimizer, rngStates, err = a.parts().State()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("td3bc: %w", err)
	}
	return model, optimizer, rngStates, nil
}

// SetState restores a state returned by State (possibly after a trip through
// a checkpoint file). It returns an error naming the tensor or stream if one
// is missing, unexpected, of the wrong shape or malformed, or if a
// normaliser standard deviation is not positive and finite; the agent is
// unchanged on error.
func (a *Agent) SetState(model, optimizer []checkpoint.Tensor, rngStates map[string][]byte) error {
	if err := a.parts().SetState(model, optimizer, rngStates); err != nil {
		return fmt.Errorf("td3bc: set state: %w", err)
	}
	return nil
}
