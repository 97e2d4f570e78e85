package nn

import (
	"errors"
	"fmt"
	"slices"
	"sort"
)

// Tensor is a named array as stored in a checkpoint: row-major float32 values
// and their shape.
type Tensor struct {
	Shape []int
	Data  []float32
}

// StateDict returns the parameters' values by name. The Data slices share
// memory with the parameters (no copy), so write them out before the next
// update; Shape slices are copies.
func StateDict(params []*Param) map[string]Tensor {
	sd := make(map[string]Tensor, len(params))
	for _, p := range params {
		sd[p.Name] = Tensor{Shape: slices.Clone(p.Shape), Data: p.W}
	}
	return sd
}

// LoadStateDict copies values from sd into the parameters of the same name.
// It returns an error naming the parameter if one is missing from sd, has a
// different shape, or has the wrong number of values; with strict set,
// entries of sd that match no parameter are errors too. Parameters are only
// modified if every check passes.
func LoadStateDict(params []*Param, sd map[string]Tensor, strict bool) error {
	var errs []error
	want := make(map[string]bool, len(params))
	for _, p := range params {
		want[p.Name] = true
		t, ok := sd[p.Name]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("parameter %s: missing", p.Name))
		case !slices.Equal(t.Shape, p.Shape):
			errs = append(errs, fmt.Errorf("parameter %s: shape %v, want %v", p.Name, t.Shape, p.Shape))
		case len(t.Data) != len(p.W):
			errs = append(errs, fmt.Errorf("parameter %s: %d values for shape %v", p.Name, len(t.Data), p.Shape))
		}
	}
	if strict {
		var extra []string
		for name := range sd {
			if !want[name] {
				extra = append(extra, name)
			}
		}
		sort.Strings(extra)
		for _, name := range extra {
			errs = append(errs, fmt.Errorf("parameter %s: not in the model", name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("nn: load state: %w", err)
	}
	for _, p := range params {
		copy(p.W, sd[p.Name].Data)
	}
	return nil
}

// Prefixed returns copies of the parameter headers renamed prefix+"/"+name,
// sharing their values and gradients (to nest a model's parameters under a
// component name in a checkpoint).
func Prefixed(prefix string, params []*Param) []*Param {
	out := make([]*Param, len(params))
	for i, p := range params {
		q := *p
		q.Name = prefix + "/" + p.Name
		out[i] = &q
	}
	return out
}
