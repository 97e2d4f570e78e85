package sac

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/nn"
)

// Names of the non-parameter tensors and random streams in a saved state.
const (
	updatesName  = "sac/updates"
	bcWeightName = "sac/bc_weight"
	bcRefPrefix  = "bc_reference/"
	rngAct       = "sac/act"
	rngUpdate    = "sac/update"
)

// parts tells agent.StateParts where the agent keeps what a checkpoint
// holds, with the BC reference ref (nil: none) in the model part.
func (a *Agent) parts(ref *nn.MLP) *agent.StateParts {
	model := slices.Concat(a.actorParams, a.criticParams, a.criticTarget.Params(), []*nn.Param{a.logAlpha})
	if ref != nil {
		model = append(model, ref.Params()...)
	}
	return &agent.StateParts{
		Algorithm: "SAC",
		Model:     model,
		Optimizers: []agent.NamedOptimizer{
			{Prefix: "opt/actor/", Adam: a.actorOpt},
			{Prefix: "opt/critic/", Adam: a.criticOpt},
			{Prefix: "opt/alpha/", Adam: a.alphaOpt},
		},
		Counters: []agent.NamedCounter{{Name: updatesName, V: &a.updates}},
		Weights:  []agent.NamedWeight{{Name: bcWeightName, V: &a.bcWeight}},
		Streams: []agent.NamedStream{
			{Name: rngAct, Stream: a.actStream},
			{Name: rngUpdate, Stream: a.updStream},
		},
	}
}

// State returns a copy of everything the agent needs to continue exactly as
// if it had never stopped:
//
//   - model: the parameters of the actor ("actor/…"), the critic ensemble
//     ("critic/…"), the target critic ("critic_target/…"), "log_alpha", and
//     the frozen BC reference ("bc_reference/…") if there is one;
//   - optimizer: the Adam moments of the three optimisers
//     ("opt/actor/m/actor/l0/w", …), their step counts ("opt/actor/step", …),
//     the update counter "sac/updates" and the BC weight "sac/bc_weight"
//     (counters encoded exactly by agent.CounterTensor);
//   - rngStates: the acting and update random streams ("sac/act",
//     "sac/update").
//
// The tensors are copies: later updates do not change them.
func (a *Agent) State() (model, optimizer []checkpoint.Tensor, rngStates map[string][]byte, err error) {
	model, optimizer, rngStates, err = a.parts(a.bcRef).State()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("sac: %w", err)
	}
	return model, optimizer, rngStates, nil
}

// SetState restores a state returned by State (possibly after a trip through
// a checkpoint file). It returns an error naming the tensor or stream if one
// is missing, unexpected, of the wrong shape or malformed; the agent is
// unchanged on error. A saved BC reference is restored (and created if the
// agent has none); without one in the state the agent's reference is
// dropped.
func (a *Agent) SetState(model, optimizer []checkpoint.Tensor, rngStates map[string][]byte) error {
	ref := a.bcRef
	if !slices.ContainsFunc(model, func(t checkpoint.Tensor) bool { return strings.HasPrefix(t.Name, bcRefPrefix) }) {
		ref = nil
	} else if ref == nil {
		ref = a.newBCReference()
	}
	if err := a.parts(ref).SetState(model, optimizer, rngStates); err != nil {
		return fmt.Errorf("sac: set state: %w", err)
	}
	a.bcRef = ref
	return nil
}
