package agent

import (
	"fmt"
	"math"
	"slices"

	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/rng"
)

// NamedOptimizer is an Adam optimiser with the prefix its tensors carry in a
// checkpoint ("opt/actor/"): moments "<prefix>m/<param>" and
// "<prefix>v/<param>", step count "<prefix>step".
type NamedOptimizer struct {
	Prefix string
	Adam   *optim.Adam
}

// NamedCounter is an integer counter saved as a CounterTensor named Name.
type NamedCounter struct {
	Name string
	V    *int64
}

// NamedWeight is a float32 scalar (a loss weight or coefficient) saved as a
// tensor of shape [1] named Name; a restored value must be finite and ≥ 0.
type NamedWeight struct {
	Name string
	V    *float32
}

// NamedStream is a random stream saved under Name.
type NamedStream struct {
	Name   string
	Stream *rng.Stream
}

// StateParts tells State and SetState where an agent keeps what a checkpoint
// holds. The model part is Model then, if Norm is set, Norm's mean and std;
// the optimizer part is each optimiser's moments and step count, then
// Counters, Weights and Extra in that order; the random-stream part is
// Streams. Every tensor is named by its parameter, optimiser prefix or field
// name, so the checkpoint's layout is fixed by the agent's description.
type StateParts struct {
	// Algorithm names the agent in errors ("TD3+BC").
	Algorithm  string
	Model      []*nn.Param
	Norm       *ObsNorm // nil: no state normaliser
	Optimizers []NamedOptimizer
	Counters   []NamedCounter
	Weights    []NamedWeight
	// Extra holds further float32 tensors of the optimizer part restored
	// as they are (such as metrics held between updates).
	Extra   []*nn.Param
	Streams []NamedStream
}

// model returns the parameters of the model part.
func (s *StateParts) model() []*nn.Param {
	if s.Norm == nil {
		return s.Model
	}
	return slices.Concat(s.Model, []*nn.Param{s.Norm.Mean, s.Norm.Std})
}

// State returns a copy of the parts: the model tensors, the optimizer
// tensors (counters encoded by CounterTensor) and the random streams'
// states. The tensors are copies: later updates do not change them. It
// returns an error naming the stream whose state cannot be taken.
func (s *StateParts) State() (model, optimizer []checkpoint.Tensor, rngStates map[string][]byte, err error) {
	for _, p := range s.model() {
		model = append(model, checkpoint.Tensor{Name: p.Name, Shape: slices.Clone(p.Shape), Data: slices.Clone(p.W)})
	}
	for _, o := range s.Optimizers {
		step, ts := o.Adam.State()
		for _, p := range o.Adam.Params() {
			for _, key := range []string{"m/" + p.Name, "v/" + p.Name} {
				optimizer = append(optimizer, checkpoint.Tensor{Name: o.Prefix + key, Shape: ts[key].Shape, Data: slices.Clone(ts[key].Data)})
			}
		}
		optimizer = append(optimizer, CounterTensor(o.Prefix+"step", step))
	}
	for _, c := range s.Counters {
		optimizer = append(optimizer, CounterTensor(c.Name, *c.V))
	}
	for _, w := range s.Weights {
		optimizer = append(optimizer, checkpoint.Tensor{Name: w.Name, Shape: []int{1}, Data: []float32{*w.V}})
	}
	for _, p := range s.Extra {
		optimizer = append(optimizer, checkpoint.Tensor{Name: p.Name, Shape: slices.Clone(p.Shape), Data: slices.Clone(p.W)})
	}
	rngStates = make(map[string][]byte, len(s.Streams))
	for _, st := range s.Streams {
		b, err := st.Stream.State()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("state of random stream %s: %w", st.Name, err)
		}
		rngStates[st.Name] = b
	}
	return model, optimizer, rngStates, nil
}

// SetState restores a state returned by State (possibly after a trip
// through a checkpoint file) into the parts. It returns an error naming the
// tensor or stream if one is missing, unexpected, of the wrong shape or
// malformed, a weight is negative or not finite, or a normaliser standard
// deviation is not positive and finite; nothing changes on error.
func (s *StateParts) SetState(model, optimizer []checkpoint.Tensor, rngStates map[string][]byte) error {
	// 1. Counters and weights, checked before anything changes.
	counter := func(name string) (int64, error) {
		t, ok := FindTensor(optimizer, name)
		if !ok {
			return 0, fmt.Errorf("tensor %s: missing", name)
		}
		return ParseCounter(t)
	}
	counters := make([]int64, len(s.Counters))
	for i, c := range s.Counters {
		v, err := counter(c.Name)
		if err != nil {
			return err
		}
		counters[i] = v
	}
	steps := make([]int64, len(s.Optimizers))
	for i, o := range s.Optimizers {
		v, err := counter(o.Prefix + "step")
		if err != nil {
			return err
		}
		steps[i] = v
	}
	weights := make([]float32, len(s.Weights))
	for i, w := range s.Weights {
		t, ok := FindTensor(optimizer, w.Name)
		if !ok || len(t.Shape) != 1 || t.Shape[0] != 1 || len(t.Data) != 1 {
			return fmt.Errorf("tensor %s: missing or not of shape [1]", w.Name)
		}
		v := t.Data[0]
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || v < 0 {
			return fmt.Errorf("tensor %s: weight %v must be finite and ≥ 0", w.Name, v)
		}
		weights[i] = v
	}
	// 2. The normaliser's standard deviations must be positive and finite.
	if s.Norm != nil {
		if t, ok := FindTensor(model, s.Norm.Std.Name); ok {
			for j, v := range t.Data {
				if !(v > 0) || math.IsInf(float64(v), 0) {
					return fmt.Errorf("tensor %s[%d] = %v: must be positive and finite", s.Norm.Std.Name, j, v)
				}
			}
		}
	}
	// 3. Random streams, checked on scratch streams.
	for _, st := range s.Streams {
		b, ok := rngStates[st.Name]
		if !ok {
			return fmt.Errorf("random stream %s: missing", st.Name)
		}
		if err := rng.New(0).SetState(b); err != nil {
			return fmt.Errorf("random stream %s: %w", st.Name, err)
		}
	}
	for name := range rngStates {
		if !slices.ContainsFunc(s.Streams, func(st NamedStream) bool { return st.Name == name }) {
			return fmt.Errorf("random stream %s: not used by %s", name, s.Algorithm)
		}
	}
	// 4. All tensors in one checked copy (checkpoint.Assign changes nothing
	// unless every tensor fits). Counters and weights land in scratch
	// tensors, already parsed above.
	var dst []checkpoint.Tensor
	for _, p := range s.model() {
		dst = append(dst, checkpoint.Tensor{Name: p.Name, Shape: p.Shape, Data: p.W})
	}
	moments := make([]map[string]nn.Tensor, len(s.Optimizers))
	for i, o := range s.Optimizers {
		_, ts := o.Adam.State()
		moments[i] = ts
		for _, p := range o.Adam.Params() {
			for _, key := range []string{"m/" + p.Name, "v/" + p.Name} {
				dst = append(dst, checkpoint.Tensor{Name: o.Prefix + key, Shape: ts[key].Shape, Data: ts[key].Data})
			}
		}
		dst = append(dst, checkpoint.Tensor{Name: o.Prefix + "step", Shape: []int{2}, Data: make([]float32, 2)})
	}
	for _, c := range s.Counters {
		dst = append(dst, checkpoint.Tensor{Name: c.Name, Shape: []int{2}, Data: make([]float32, 2)})
	}
	for _, w := range s.Weights {
		dst = append(dst, checkpoint.Tensor{Name: w.Name, Shape: []int{1}, Data: make([]float32, 1)})
	}
	for _, p := range s.Extra {
		dst = append(dst, checkpoint.Tensor{Name: p.Name, Shape: p.Shape, Data: p.W})
	}
	if err := checkpoint.Assign(dst, slices.Concat(model, optimizer)); err != nil {
		return err
	}
	// 5. Nothing below can fail.
	for i, o := range s.Optimizers {
		if err := o.Adam.SetState(steps[i], moments[i]); err != nil {
			panic("agent: restoring optimizer step: " + err.Error()) // shapes were checked above
		}
	}
	for i, c := range s.Counters {
		*c.V = counters[i]
	}
	for i, w := range s.Weights {
		*w.V = weights[i]
	}
	if s.Norm != nil {
		s.Norm.sync()
	}
	for _, st := range s.Streams {
		_ = st.Stream.SetState(rngStates[st.Name])
	}
	return nil
}
