package agent

import (
	"fmt"

	"github.com/dwm-rl/dwm/checkpoint"
)

// Metric is one named scalar reported by an update, such as "loss/critic"
// or "train/alpha". Names are namespaced as in the run layout: "loss/",
// "train/".
type Metric struct {
	Name  string
	Value float64
}

// MaxCounter bounds the counters CounterTensor encodes: 2⁴⁸, far above any
// step count a run reaches.
const MaxCounter = int64(1) << 48

// counterBase splits a counter into two float32-exact halves of 24 bits.
const counterBase = 1 << 24

// CounterTensor encodes the counter v as a float32 tensor of shape [2]
// holding v/2²⁴ and v mod 2²⁴, both exactly representable, so checkpoints
// (which store float32 tensors only) keep step counts exact. It panics if v
// is negative or at least MaxCounter.
func CounterTensor(name string, v int64) checkpoint.Tensor {
	if v < 0 || v >= MaxCounter {
		panic(fmt.Sprintf("agent.CounterTensor %s: %d outside [0, 2^48)", name, v))
	}
	return checkpoint.Tensor{Name: name, Shape: []int{2}, Data: []float32{float32(v / counterBase), float32(v % counterBase)}}
}

// ParseCounter decodes a tensor written by CounterTensor. It returns an
// error naming the tensor if the shape is not [2] or a half is not an
// integer in [0, 2²⁴).
func ParseCounter(t checkpoint.Tensor) (int64, error) {
	if len(t.Shape) != 1 || t.Shape[0] != 2 || len(t.Data) != 2 {
		return 0, fmt.Errorf("counter %s: shape %v, want [2]", t.Name, t.Shape)
	}
	var v int64
	for _, h := range t.Data {
		if !(h >= 0 && h < counterBase) || h != float32(int64(h)) {
			return 0, fmt.Errorf("counter %s: half %v is not an integer in [0, 2^24)", t.Name, h)
		}
		v = v*counterBase + int64(h)
	}
	return v, nil
}

// FindTensor returns the tensor named name in ts.
func FindTensor(ts []checkpoint.Tensor, name string) (checkpoint.Tensor, bool) {
	for _, t := range ts {
		if t.Name == name {
			return t, true
		}
	}
	return checkpoint.Tensor{}, false
}
