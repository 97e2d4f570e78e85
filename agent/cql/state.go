package cql

import (
	"fmt"
	"slices"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/rng"
)

// optimizers returns the agent's optimisers with the name prefixes of their
// tensors.
func (a *Agent) optimizers() []namedOpt {
	opts := []namedOpt{{"opt/actor/", a.actorOpt}, {"opt/critic/", a.criticOpt}, {"opt/alpha/", a.alphaOpt}}
	if a.alphaPrimeOpt != nil {
		opts = append(opts, namedOpt{"opt/alpha_prime/", a.alphaPrimeOpt})
	}
	return opts
}

type namedOpt struct {
	prefix string
	opt    *optim.Adam
}

// modelParams returns every network parameter that belongs in a checkpoint.
func (a *Agent) modelParams() []*nn.Param {
	ps := slices.Concat(a.actorParams, a.criticParams, a.targetParams, []*nn.Param{a.logAlpha})
	if a.logAlphaPrime != nil {
		ps = append(ps, a.logAlphaPrime)
	}
	return ps
}

// Names of the counters and random streams in a saved state, under the
// agent's name ("cql" or "calql").
func (a *Agent) updatesName() string  { return a.name + "/updates" }
func (a *Agent) cqlAlphaName() string { return a.name + "/cql_alpha" }
func (a *Agent) rngNames() [2]string  { return [2]string{a.name + "/act", a.name + "/update"} }

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
	for _, p := range a.modelParams() {
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
		agent.CounterTensor(a.updatesName(), a.updates),
		checkpoint.Tensor{Name: a.cqlAlphaName(), Shape: []int{1}, Data: []float32{a.cqlAlpha}})
	rngStates = make(map[string][]byte, 2)
	names := a.rngNames()
	for i, s := range []*rng.Stream{a.actStream, a.updStream} {
		b, err := s.State()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: state of random stream %s: %w", a.name, names[i], err)
		}
		rngStates[names[i]] = b
	}
	return model, optimizer, rngStates, nil
}

// SetState restores a state returned by State (possibly after a trip through
// a checkpoint file). It returns an error naming the tensor or stream if one
// is missing, unexpected, of the wrong shape or malformed; the agent is
// unchanged on error.
func (a *Agent) SetState(model, optimizer []checkpoint.Tensor, rngStates map[string][]byte) error {
	if err := a.setState(model, optimizer, rngStates); err != nil {
		return fmt.Errorf("%s: set state: %w", a.name, err)
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
	updates, err := counter(a.updatesName())
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
	at, ok := agent.FindTensor(optimizer, a.cqlAlphaName())
	if !ok || len(at.Shape) != 1 || at.Shape[0] != 1 || len(at.Data) != 1 {
		return fmt.Errorf("tensor %s: missing or not of shape [1]", a.cqlAlphaName())
	}
	if w := at.Data[0]; !finite32(w) || w < 0 {
		return fmt.Errorf("tensor %s: weight %v must be finite and ≥ 0", a.cqlAlphaName(), w)
	}
	// 2. Random streams, checked on scratch streams.
	names := a.rngNames()
	for _, name := range names {
		b, ok := rngStates[name]
		if !ok {
			return fmt.Errorf("random stream %s: missing", name)
		}
		if err := rng.New(0).SetState(b); err != nil {
			return fmt.Errorf("random stream %s: %w", name, err)
		}
	}
	for name := range rngStates {
		if name != names[0] && name != names[1] {
			return fmt.Errorf("random stream %s: not used by %s", name, a.name)
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
	dst = append(dst,
		checkpoint.Tensor{Name: a.updatesName(), Shape: []int{2}, Data: make([]float32, 2)},
		checkpoint.Tensor{Name: a.cqlAlphaName(), Shape: []int{1}, Data: make([]float32, 1)})
	if err := checkpoint.Assign(dst, slices.Concat(model, optimizer)); err != nil {
		return err
	}
	// 4. Nothing below can fail.
	for i, o := range opts {
		_, ts := o.opt.State()
		if err := o.opt.SetState(steps[i], ts); err != nil {
			panic(a.name + ": restoring optimizer step: " + err.Error()) // shapes were checked above
		}
	}
	a.updates = updates
	a.cqlAlpha = at.Data[0]
	_ = a.actStream.SetState(rngStates[names[0]])
	_ = a.updStream.SetState(rngStates[names[1]])
	return nil
}
