package envs

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/spec"
)

// source is one package of environments.
type source struct {
	// name names the source in Info ("classic", "mujoco").
	name string
	// ids returns the base ids; each is itself a valid id.
	ids func() []string
	// make builds the env for an id that is a base id or a base id followed
	// by "-" and parameters; it returns the env with or without a TimeLimit.
	make func(id string) (env.Env, error)
	// params optionally describes, per base id, the parameter suffix the
	// source accepts.
	params map[string]string
}

// sources is the registry, built on each call.
func sources() []source {
	return []source{
		{name: "classic", ids: classicIDs, make: makeClassic, params: classicParams},
		// TODO(mujoco): once env/mujoco lands, import "github.com/dwm-rl/dwm/env/mujoco"
		// and register all its envs with this one line:
		//	{name: "mujoco", ids: mujoco.IDs, make: mujoco.Make},
		// mujoco.Make may return its envs with or without a TimeLimit (Make adds one
		// from Spec().MaxSteps if missing); ids like "hopper-friction-2.0" reach it
		// whole, as long as "hopper" is among mujoco.IDs().
	}
}

// Info describes one registered base id.
type Info struct {
	// ID is the base id, valid as given to Make.
	ID string
	// Source is the package it comes from ("classic", "mujoco").
	Source string
	// Obs and Act are the observation and action spaces.
	Obs, Act spec.Space
	// MaxSteps is the episode limit and DT the simulated seconds per step
	// (0 if not meaningful).
	MaxSteps int
	DT       float64
	// Params describes the parameter suffix the id accepts ("" for none),
	// e.g. "-slip-P: slip probability P in [0, 1] (default 2/3)".
	Params string
	// Err is set if the env could not be built (its other fields are then
	// zero apart from ID, Source and Params).
	Err error
}

// List describes every base id of every source, sorted by id. It builds
// each env once to read its Spec.
func List() []Info {
	var out []Info
	for _, src := range sources() {
		for _, id := range src.ids() {
			info := Info{ID: id, Source: src.name, Params: src.params[id]}
			e, err := src.make(id)
			if err != nil {
				info.Err = err
			} else {
				s := e.Spec()
				info.Obs, info.Act, info.MaxSteps, info.DT = s.Obs, s.Act, s.MaxSteps, s.DT
				if err := e.Close(); err != nil {
					info.Err = err
				}
			}
			out = append(out, info)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// IDs returns every base id, sorted.
func IDs() []string {
	var out []string
	for _, src := range sources() {
		out = append(out, src.ids()...)
	}
	sort.Strings(out)
	return out
}

// owner returns the source and base id owning id: the longest base id equal
// to id or followed in it by "-".
func owner(id string) (source, string, bool) {
	var best source
	base, found := "", false
	for _, src := range sources() {
		for _, b := range src.ids() {
			if (id == b || strings.HasPrefix(id, b+"-")) && len(b) > len(base) {
				best, base, found = src, b, true
			}
		}
	}
	return best, base, found
}

// unknownID is the error for an id no source owns; it lists the known ids.
func unknownID(id string) error {
	var known []string
	params := map[string]string{}
	for _, src := range sources() {
		for k, v := range src.params {
			params[k] = v
		}
	}
	for _, b := range IDs() {
		if p := params[b]; p != "" {
			b += "[" + strings.SplitN(p, ":", 2)[0] + "]"
		}
		known = append(known, b)
	}
	return fmt.Errorf("unknown env id %q; known ids: %s", id, strings.Join(known, ", "))
}

// Make returns the env for id, wrapped in an env.TimeLimit of its
// Spec().MaxSteps (unless its source already wrapped it). An unknown id is an
// error listing the known ids; a bad parameter is an error naming it.
func Make(id string) (env.Env, error) {
	src, _, ok := owner(id)
	if !ok {
		return nil, unknownID(id)
	}
	e, err := src.make(id)
	if err != nil {
		return nil, fmt.Errorf("make env %q: %w", id, err)
	}
	if _, wrapped := e.(*env.TimeLimit); wrapped {
		return e, nil
	}
	return env.NewTimeLimit(e, 0), nil
}

// Unwrap strips TimeLimit wrappers and returns the underlying env (for
// example a *classic.PointMaze, to read its maze).
func Unwrap(e env.Env) env.Env {
	for {
		t, ok := e.(*env.TimeLimit)
		if !ok {
			return e
		}
		e = t.Unwrap()
	}
}
