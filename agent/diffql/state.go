package diffql

import (
	"fmt"
	"slices"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/rng"
)

// Names of the non-network tensors and random streams in a saved state.
const (
	updatesName = "diffql/updates"
	rngAct      = "diffql/act"
	rngUpdate   = "diffql/update"
)

type namedOpt struct {
	prefix string
	opt    *optim.Adam
}

func (a *Agent) optimizers() []namedOpt {
	return []namedOpt{{"opt/actor/", a.actorOpt}, {"opt/critic/", a.criticOpt}}
}

// modelParams returns every tensor of the model part of a checkpoint.
func (a *Agent) modelParams() []*nn.Param {
	return slices.Concat(a.actorParams, a.emaParams, a.criticParams, a.targetParams)
}

func (a *Agent) streams() map[string]*rng.Stream {
	return map[string]*rng.Stream{rngAct: a.actStream, rngUpdate: a.updStream}
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
	for _, p := range a.modelParams() {
		model = append(model, checkpoint.Tensor{Name: p.Name, Shape: slices.Clone(p.Shape), Data: slices.Clone(p.W)})
	}
	for _, o := range a.optimizers() {
		step, ts := o.opt.State()
		for _, p := range o.opt.Params() {
			for _, key := range []string{"m/" + p.Name, "v/" + p.Name} {
				optimizer = append(optimizer, checkpoint.Tensor{Name: o.prefix + key, Shape: slices.Clone(ts[key].Shape), Data: slices.Clone(ts[key].Data)})
			}
		}
		optimizer = append(optimizer, agent.CounterTensor(o.prefix+"step", step))
	}
	optimizer = append(optimizer, agent.CounterTensor(updatesName, a.updates))
	rngStates = make(map[string][]byte, 1)
	for name, s := range a.streams() {
		b, err := s.State()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("diffql: state of random stream %s: %w", name, err)
		}
		rngStates[name] = b
	}
	return model, optimizer, rngStates, nil
}

// SetState restores a state returned by State (possibly after a trip through
// a checkpoint file). It returns an error naming the tensor or stream if one
// is missing, unexpected, of the wrong shape or malformed; the agent is
// unchanged on error.
func (a *Agent) SetState(model, optimizer []checkpoint.Tensor, rngStates map[string][]byte) error {
	if err := a.setState(model, optimizer, rngStates); err != nil {
		return fmt.Errorf("diffql: set state: %w", err)
	}
	return nil
}

func (a *Agent) setState(model, optimizer []checkpoint.Tensor, rngStates map[string][]byte) error {
	// 1. Counters, checked before anything changes.
	counter := func(name string) (int64, error) {
		t, ok := agent.FindTensor(optimizer, name)
		if !ok {
			return 0, fmt.Errorf("tensor %s: missing", name)
		}
		return agent.ParseCounter(t)
	}
	updates, err := counter(updatesName)
	if err != nil {
		return err
	}
	opts := a.optimizers()
	steps := make([]int64, len(opts))
	for i, o := range opts {
		if steps[i], err = counter(o.prefix + "step"); err != nil {
			return err
		}
	}
	// 2. Random streams, checked on scratch streams.
	streams := a.streams()
	for name := range streams {
		b, ok := rngStates[name]
		if !ok {
			return fmt.Errorf("random stream %s: missing", name)
		}
		if err := rng.New(0).SetState(b); err != nil {
			return fmt.Errorf("random stream %s: %w", name, err)
		}
	}
	for name := range rngStates {
		if _, ok := streams[name]; !ok {
			return fmt.Errorf("random stream %s: not used by Diffusion-QL", name)
		}
	}
	// 3. All tensors in one checked copy (checkpoint.Assign changes nothing
	// unless every tensor fits).
	var dst []checkpoint.Tensor
	for _, p := range a.modelParams() {
		dst = append(dst, checkpoint.Tensor{Name: p.Name, Shape: p.Shape, Data: p.W})
	}
	for _, o := range opts {
		_, ts := o.opt.State()
		for _, p := range o.opt.Params() {
			for _, key := range []string{"m/" + p.Name, "v/" + p.Name} {
				dst = append(dst, checkpoint.Tensor{Name: o.prefix + key, Shape: ts[key].Shape, Data: ts[key].Data})
			}
		}
		dst = append(dst, checkpoint.Tensor{Name: o.prefix + "step", Shape: []int{2}, Data: make([]float32, 2)})
	}
	dst = append(dst, checkpoint.Tensor{Name: updatesName, Shape: []int{2}, Data: make([]float32, 2)})
	if err := checkpoint.Assign(dst, slices.Concat(model, optimizer)); err != nil {
		return err
	}
	// 4. Nothing below can fail.
	for i, o := range opts {
		_, ts := o.opt.State()
		if err := o.opt.SetState(steps[i], ts); err != nil {
			panic("diffql: restoring optimizer step: " + err.Error()) // shapes were checked above
		}
	}
	a.updates = updates
	for name, s := range streams {
		_ = s.SetState(rngStates[name])
	}
	return nil
}
