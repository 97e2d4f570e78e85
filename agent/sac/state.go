package sac

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/rng"
)

// Names of the non-parameter tensors and random streams in a saved state.
const (
	updatesName  = "sac/updates"
	bcWeightName = "sac/bc_weight"
	bcRefPrefix  = "bc_reference/"
	rngAct       = "sac/act"
	rngUpdate    = "sac/update"
)

// optimizers returns the agent's optimisers with the name prefixes of their
// tensors.
func (a *Agent) optimizers() []struct {
	prefix string
	opt    *optim.Adam
} {
	return []struct {
		prefix string
		opt    *optim.Adam
	}{{"opt/actor/", a.actorOpt}, {"opt/critic/", a.criticOpt}, {"opt/alpha/", a.alphaOpt}}
}

// modelParams returns every network parameter that belongs in a checkpoint:
// actor, critic, target critic, log α and the BC reference (if ref is set).
func (a *Agent) modelParams(ref *nn.MLP) []*nn.Param {
	ps := slices.Concat(a.actorParams, a.criticParams, a.criticTarget.Params(), []*nn.Param{a.logAlpha})
	if ref != nil {
		ps = append(ps, ref.Params()...)
	}
	return ps
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
	for _, p := range a.modelParams(a.bcRef) {
		model = append(model, checkpoint.Tensor{Name: p.Name, Shape: slices.Clone(p.Shape), Data: slices.Clone(p.W)})
	}
	for _, o := range a.optimizers() {
		step, ts := o.opt.State()
		for _, p := range o.opt.Params() {
			for _, key := range []string{"m/" + p.Name, "v/" + p.Name} {
				optimizer = append(optimizer, checkpoint.Tensor{Name: o.prefix + key, Shape: ts[key].Shape, Data: slices.Clone(ts[key].Data)})
			}
		}
		optimizer = append(optimizer, agent.CounterTensor(o.prefix+"step", step))
	}
	optimizer = append(optimizer,
		agent.CounterTensor(updatesName, a.updates),
		checkpoint.Tensor{Name: bcWeightName, Shape: []int{1}, Data: []float32{a.bcWeight}})
	rngStates = make(map[string][]byte, 2)
	for name, s := range map[string]*rng.Stream{rngAct: a.actStream, rngUpdate: a.updStream} {
		b, err := s.State()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("sac: state of random stream %s: %w", name, err)
		}
		rngStates[name] = b
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
	if err := a.setState(model, optimizer, rngStates); err != nil {
		return fmt.Errorf("sac: set state: %w", err)
	}
	return nil
}

func (a *Agent) setState(model, optimizer []checkpoint.Tensor, rngStates map[string][]byte) error {
	// 1. Counters and scalars, checked before anything changes.
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
	wt, ok := agent.FindTensor(optimizer, bcWeightName)
	if !ok || len(wt.Shape) != 1 || wt.Shape[0] != 1 || len(wt.Data) != 1 {
		return fmt.Errorf("tensor %s: missing or not of shape [1]", bcWeightName)
	}
	if w := wt.Data[0]; !finite32(w) || w < 0 {
		return fmt.Errorf("tensor %s: weight %v must be finite and ≥ 0", bcWeightName, w)
	}
	// 2. Random streams, checked on scratch streams.
	for _, name := range []string{rngAct, rngUpdate} {
		b, ok := rngStates[name]
		if !ok {
			return fmt.Errorf("random stream %s: missing", name)
		}
		if err := rng.New(0).SetState(b); err != nil {
			return fmt.Errorf("random stream %s: %w", name, err)
		}
	}
	if len(rngStates) != 2 {
		for name := range rngStates {
			if name != rngAct && name != rngUpdate {
				return fmt.Errorf("random stream %s: not used by SAC", name)
			}
		}
	}
	// 3. All tensors in one checked copy (checkpoint.Assign changes nothing
	// unless every tensor fits).
	ref := a.bcRef
	hasRef := slices.ContainsFunc(model, func(t checkpoint.Tensor) bool { return strings.HasPrefix(t.Name, bcRefPrefix) })
	if !hasRef {
		ref = nil
	} else if ref == nil {
		ref = a.newBCReference()
	}
	var dst []checkpoint.Tensor
	for _, p := range a.modelParams(ref) {
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
	dst = append(dst,
		checkpoint.Tensor{Name: updatesName, Shape: []int{2}, Data: make([]float32, 2)},
		checkpoint.Tensor{Name: bcWeightName, Shape: []int{1}, Data: make([]float32, 1)})
	if err := checkpoint.Assign(dst, slices.Concat(model, optimizer)); err != nil {
		return err
	}
	// 4. Nothing below can fail.
	a.bcRef = ref
	for i, o := range opts {
		_, ts := o.opt.State()
		if err := o.opt.SetState(steps[i], ts); err != nil {
			panic("sac: restoring optimizer step: " + err.Error()) // shapes were checked above
		}
	}
	a.updates = updates
	a.bcWeight = wt.Data[0]
	_ = a.actStream.SetState(rngStates[rngAct])
	_ = a.updStream.SetState(rngStates[rngUpdate])
	return nil
}
