package cql

import (
	"fmt"
	"slices"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/nn"
)

// parts tells agent.StateParts where the agent keeps what a checkpoint
// holds. Counters and random streams are named under the agent's name
// ("cql" or "calql").
func (a *Agent) parts() *agent.StateParts {
	model := slices.Concat(a.actorParams, a.criticParams, a.targetParams, []*nn.Param{a.logAlpha})
	opts := []agent.NamedOptimizer{
		{Prefix: "opt/actor/", Adam: a.actorOpt},
		{Prefix: "opt/critic/", Adam: a.criticOpt},
		{Prefix: "opt/alpha/", Adam: a.alphaOpt},
	}
	if a.logAlphaPrime != nil {
		model = append(model, a.logAlphaPrime)
		opts = append(opts, agent.NamedOptimizer{Prefix: "opt/alpha_prime/", Adam: a.alphaPrimeOpt})
	}
	return &agent.StateParts{
		Algorithm:  a.name,
		Model:      model,
		Optimizers: opts,
		Counters:   []agent.NamedCounter{{Name: a.name + "/updates", V: &a.updates}},
		Weights:    []agent.NamedWeight{{Name: a.name + "/cql_alpha", V: &a.cqlAlpha}},
		Streams: []agent.NamedStream{
			{Name: a.name + "/act", Stream: a.actStream},
			{Name: a.name + "/update", Stream: a.updStream},
		},
	}
}

// State returns a copy of everything the agent needs to continue exactly as
// if it had never stopped:
//
//   - model: the actor ("actor/…", with the log-σ scalars
//     "actor/log_std_multiplier" and "actor/log_std_offset"), the critic
//     ensemble ("critic/…"), the target critics ("critic_target/…"),
//     "log_alpha" and, with Lagrange, "log_alpha_prime";
//   - optimizer: the Adam moments and step counts of each optimiser
//     ("opt/actor/m/actor/l0/w", "opt/actor/step", …), the update counter
//     "<name>/updates" and the α_cql in use "<name>/cql_alpha", where name
//     is "cql" or "calql";
//   - rngStates: the acting and update streams ("<name>/act",
//     "<name>/update").
//
// The tensors are copies: later updates do not change them.
func (a *Agent) State() (model, optimizer []checkpoint.Tensor, rngStates map[string][]byte, err error) {
	model, optimizer, rngStates, err = a.parts().State()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", a.name, err)
	}
	return model, optimizer, rngStates, nil
}

// SetState restores a state returned by State (possibly after a trip through
// a checkpoint file). It returns an error naming the tensor or stream if one
// is missing, unexpected, of the wrong shape or malformed; the agent is
// unchanged on error.
func (a *Agent) SetState(model, optimizer []checkpoint.Tensor, rngStates map[string][]byte) error {
	if err := a.parts().SetState(model, optimizer, rngStates); err != nil {
		return fmt.Errorf("%s: set state: %w", a.name, err)
	}
	return nil
}
