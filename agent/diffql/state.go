package diffql

import (
	"fmt"
	"slices"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/checkpoint"
)

// Names of the non-network tensors and random streams in a saved state.
const (
	updatesName = "diffql/updates"
	rngAct      = "diffql/act"
	rngUpdate   = "diffql/update"
)

// parts tells agent.StateParts where the agent keeps what a checkpoint
// holds.
func (a *Agent) parts() *agent.StateParts {
	return &agent.StateParts{
		Algorithm: "Diffusion-QL",
		Model:     slices.Concat(a.actorParams, a.emaParams, a.criticParams, a.targetParams),
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
//   - model: the ε-network ("actor/time/…", "actor/mid/…"), the EMA actor
//     ("ema_actor/…"), critic ensemble ("critic/…") and target critic
//     ("critic_target/…");
//   - optimizer: the Adam moments and step counts of the two optimisers
//     ("opt/actor/m/actor/mid/l0/w", …, "opt/critic/step") and the update
//     counter "diffql/updates" (which places the EMA schedule);
//   - rngStates: the acting stream "diffql/act" and the update stream
//     "diffql/update".
//
// The tensors are copies: later updates do not change them.
func (a *Agent) State() (model, optimizer []checkpoint.Tensor, rngStates map[string][]byte, err error) {
	model, optimizer, rngStates, err = a.parts().State()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("diffql: %w", err)
	}
	return model, optimizer, rngStates, nil
}

// SetState restores a state returned by State (possibly after a trip through
// a checkpoint file). It returns an error naming the tensor or stream if one
// is missing, unexpected, of the wrong shape or malformed; the agent is
// unchanged on error.
func (a *Agent) SetState(model, optimizer []checkpoint.Tensor, rngStates map[string][]byte) error {
	if err := a.parts().SetState(model, optimizer, rngStates); err != nil {
		return fmt.Errorf("diffql: set state: %w", err)
	}
	return nil
}
