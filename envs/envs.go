package envs

import (
	"fmt"
	"github.com/dwm-rl/dwm/env/mujoco"
	"sort"
	"strings"

	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/spec"
)

// source is one package of environments.
type source struct {
	// name names the source in Info ("classic", "mujoco").
	name string
	// ids returns the base ids, each itself a valid id. Entries holding '<'
	// are not ids but descriptions of the parameter syntax (such as
	// "<base>-friction-<k>"), shown in Info.Params and error messages.
	ids func() []string
	// make builds the env for an id that is a base id or a base id followed
	// by "-" and parameters; it returns the env with or without a TimeLimit.
	make func(id string) (env.Env, error)
	// params optionally describes, per base id, the parameter suffix the
	// source accepts.
	params map[string]string
}

// sources is the registry, built on each call.
func sources() registry {
	return registry{
		{name: "classic", ids: classicIDs, make: makeClassic, params: classicParams},
		{name: "mujoco", ids: mujoco.IDs, make: mujoco.Make},
	}
}

// registry is a list of sources; the package functions use sources().
type registry []source

// bases splits a source's ids into base ids and syntax descriptions.
func (s source) bases() (ids, syntax []string) {
	for _, id := range s.ids() {
		if strings.Contains(id, "<") {
			syntax = append(syntax, id)
		} else {
			ids = append(ids, id)
		}
	}
	return ids, syntax
}

// paramsOf describes the parameters base id b of s accepts.
func (s source) paramsOf(b string, syntax []string) string {
	if p := s.params[b]; p != "" {
		return p
	}
	var forms []string
	for _, f := range syntax {
		forms = append(forms, strings.TrimPrefix(f, "<base>"))
	}
	return strings.Join(forms, ", ")
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
	// Params describes the parameter suffixes the id accepts ("" for none):
	// comma-separated forms, each possibly followed by a space and an
	// explanation, e.g. "-slip-<p> (p: slip probability in [0 1]; ...)".
	Params string
	// Err is set if the env could not be built (its other fields are then
	// zero apart from ID, Source and Params).
	Err error
}

// List describes every base id of every source, sorted by id. It builds
// each env once to read its Spec.
func List() []Info { return sources().list() }

func (r registry) list() []Info {
	var out []Info
	for _, src := range r {
		ids, syntax := src.bases()
		for _, id := range ids {
			info := Info{ID: id, Source: src.name, Params: src.paramsOf(id, syntax)}
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
func IDs() []string { return sources().ids() }

func (r registry) ids() []string {
	var out []string
	for _, src := range r {
		ids, _ := src.bases()
		out = append(out, ids...)
	}
	sort.Strings(out)
	return out
}

// owner returns the source owning id: the one with the longest base id
// equal to id or followed in it by "-".
func (r registry) owner(id string) (source, bool) {
	var best source
	base, found := "", false
	for _, src := range r {
		ids, _ := src.bases()
		for _, b := range ids {
			if (id == b || strings.HasPrefix(id, b+"-")) && len(b) > len(base) {
				best, base, found = src, b, true
			}
		}
	}
	return best, found
}

// unknownID is the error for an id no source owns; it lists the known ids
// with their parameter forms.
func (r registry) unknownID(id string) error {
	var known []string
	for _, src := range r {
		ids, syntax := src.bases()
		for _, b := range ids {
			if p := src.paramsOf(b, syntax); p != "" {
				var forms []string
				for _, f := range strings.Split(p, ", ") {
					forms = append(forms, strings.SplitN(f, " ", 2)[0])
				}
				b += "[" + strings.Join(forms, "|") + "]"
			}
			known = append(known, b)
		}
	}
	sort.Strings(known)
	return fmt.Errorf("unknown env id %q; known ids: %s", id, strings.Join(known, ", "))
}

// Make returns the env for id, wrapped in an env.TimeLimit of its
// Spec().MaxSteps (unless its source already wrapped it). An unknown id is an
// error listing the known ids; a bad parameter is an error naming the id.
func Make(id string) (env.Env, error) { return sources().make(id) }

func (r registry) make(id string) (env.Env, error) {
	src, ok := r.owner(id)
	if !ok {
		return nil, r.unknownID(id)
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
