package sweep

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/dwm-rl/dwm/config"
)

// File is a sweep file's content (YAML or TOML, decoded strictly: an
// unknown key is an error).
//
//	name: bdwm-vs-baselines        # optional; default: the file's base name
//	methods: [iql, calql, cql]     # algorithm names, checked against the known ones
//	tasks:                         # env id, optional dataset file, optional name
//	  - {env: hopper, dataset: data/hopper-medium-v2.hdf5}
//	  - {env: pendulum, name: pendulum-online}
//	seeds: [0, 1, 2]
//	overrides:                     # key.path=value, passed to every run (--set)
//	  - train.online_steps=100000
//	method_overrides:              # key.path=value per method, after the common ones
//	  calql: [calql.alpha=5]
//	fork: {sweep: bdwm-table1, method: bdwm}   # optional: branch each run (see Fork)
type File struct {
	Name            string              `yaml:"name"`
	Methods         []string            `yaml:"methods"`
	Tasks           []Task              `yaml:"tasks"`
	Seeds           []int64             `yaml:"seeds"`
	Overrides       []string            `yaml:"overrides"`
	MethodOverrides map[string][]string `yaml:"method_overrides"`
	Fork            *Fork               `yaml:"fork"`
}

// Fork makes every run of a sweep a branch (`dwm train --fork`) of the run
// of another sweep with the same task and seed, from that run's checkpoint
// at step At (0: its offline→online switch), with this sweep's overrides
// applied: the paired design for ablations of the online phase, which also
// pays each offline phase once. A run whose parent has not reached the
// step yet fails with an error saying so; run the sweep again later.
type Fork struct {
	// Sweep is the parent sweep's name.
	Sweep string `yaml:"sweep"`
	// Method is the parent runs' method; empty means each run's own.
	Method string `yaml:"method"`
	// At is the parents' checkpoint step; 0 means their switch.
	At int64 `yaml:"at"`
}

// Task is what a run trains on: an environment and, for offline or
// offline-to-online training, a dataset: a file, or a name dwm resolves (an
// embedded or made dataset). Load resolves a relative file path against the
// sweep file's directory when the file exists there, and passes anything
// else to dwm as written.
type Task struct {
	// Name labels the task in run names; empty means the dataset file's
	// base name without extension, or the env id without a dataset.
	Name    string `yaml:"name"`
	Env     string `yaml:"env"`
	Dataset string `yaml:"dataset"`
	// Fork, if set, is the name (label) of another task of this sweep: each
	// run of this task branches from that task's run with the same method
	// and seed at its offline→online switch, with this task's env — the
	// online phase under changed dynamics after the same offline phase
	// (DUAL's hopper → hopper-friction-2.0). Its dataset is the parent's.
	// RunLocal starts such a run once its parent has ended; SubmitSlurm
	// puts such runs in a second job array that waits for the first.
	Fork string `yaml:"fork"`
}

// Label returns the task's name in run names (see Name).
func (t Task) Label() string {
	switch {
	case t.Name != "":
		return t.Name
	case t.Dataset != "":
		base := filepath.Base(t.Dataset)
		return strings.TrimSuffix(base, filepath.Ext(base))
	}
	return t.Env
}

// Run is one run of a sweep: a method on a task with a seed.
type Run struct {
	// Index is the run's position in the expansion (tasks, then methods,
	// then seeds, in file order) and its Slurm array index.
	Index int
	// Name is "<sweep>__<task>__<method>__<seed>", the run's name in the
	// store; the same file always gives the same names, so a resumed sweep
	// finds its finished runs.
	Name   string
	Method string
	Task   Task
	Seed   int64
	// Overrides are the common overrides followed by the method's.
	Overrides []string
	// Parent is the run this one branches from, "<run name>" or "<run
	// name>@<step>" (File.Fork); empty for a run trained from its start.
	Parent string
}

// Sweep is an expanded sweep.
type Sweep struct {
	Name string
	// Path is the absolute path of the file it was loaded from ("" if it
	// was expanded from a File value).
	Path string
	File File
	Runs []Run
}

// Load reads the sweep file at path (.yaml, .yml or .toml) and expands it.
// methods are the algorithm names the caller knows; a method outside them is
// an error. Every error names the file and the offending key or value.
func Load(path string, methods []string) (*Sweep, error) {
	var f File
	if err := config.LoadFile(path, &f); err != nil {
		return nil, fmt.Errorf("sweep: %w%s", err, hint(err))
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sweep %s: %w", path, err)
	}
	if f.Name == "" {
		f.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	for i, t := range f.Tasks {
		if t.Dataset == "" || filepath.IsAbs(t.Dataset) {
			continue
		}
		if p := filepath.Join(filepath.Dir(abs), t.Dataset); fileExists(p) {
			f.Tasks[i].Dataset = p
		}
	}
	sw, err := Expand(f, methods)
	if err != nil {
		return nil, fmt.Errorf("sweep file %s: %w", path, err)
	}
	sw.Path = abs
	return sw, nil
}

// Expand validates f against the known methods and expands its grid into
// runs: for each task, each method, each seed.
func Expand(f File, methods []string) (*Sweep, error) {
	if err := f.Validate(methods); err != nil {
		return nil, err
	}
	sw := &Sweep{Name: f.Name, File: f}
	seen := map[string]Task{}
	for _, task := range f.Tasks {
		for _, m := range f.Methods {
			for _, seed := range f.Seeds {
				name := RunName(f.Name, task.Label(), m, seed)
				if prev, dup := seen[name]; dup {
					return nil, fmt.Errorf("tasks %q and %q give the same run name %s (names keep only letters, digits, '.' and '-'; give the tasks distinct names)", prev.Label(), task.Label(), name)
				}
				seen[name] = task
				ov := append(slices.Clone(f.Overrides), f.MethodOverrides[m]...)
				r := Run{Index: len(sw.Runs), Name: name, Method: m, Task: task, Seed: seed, Overrides: ov}
				if task.Fork != "" {
					r.Parent = RunName(f.Name, task.Fork, m, seed)
				} else if fk := f.Fork; fk != nil {
					pm := cmp.Or(fk.Method, m)
					r.Parent = RunName(fk.Sweep, task.Label(), pm, seed)
					if fk.At > 0 {
						r.Parent += "@" + strconv.FormatInt(fk.At, 10)
					}
				}
				sw.Runs = append(sw.Runs, r)
			}
		}
	}
	return sw, nil
}

// Validate checks f: a valid name; at least one method, task and seed, none
// repeated; every method among the known methods; every task with an env;
// seeds ≥ 0; every override key.path=value; method_overrides only for
// methods of the sweep.
func (f File) Validate(methods []string) error {
	if len(methods) == 0 {
		return errors.New("no known methods given to check the sweep's methods against")
	}
	if err := validName(f.Name); err != nil {
		return err
	}
	if len(f.Methods) == 0 {
		return errors.New("methods: empty; list at least one method")
	}
	if len(f.Tasks) == 0 {
		return errors.New("tasks: empty; list at least one {env: ...} or {dataset: ...}")
	}
	if len(f.Seeds) == 0 {
		return errors.New("seeds: empty; list at least one seed, e.g. [0, 1, 2]")
	}
	for i, m := range f.Methods {
		if !slices.Contains(methods, m) {
			return fmt.Errorf("methods[%d]: unknown method %q (known: %s)", i, m, strings.Join(methods, ", "))
		}
		if slices.Index(f.Methods, m) != i {
			return fmt.Errorf("methods[%d]: %q is listed twice", i, m)
		}
	}
	for i, t := range f.Tasks {
		if t.Env == "" {
			return fmt.Errorf("tasks[%d]: env is empty; write {env: <id>} or {env: <id>, dataset: <file>}", i)
		}
		if slices.Index(f.Tasks, t) != i {
			return fmt.Errorf("tasks[%d]: %q is listed twice", i, t.Label())
		}
	}
	for i, t := range f.Tasks {
		if t.Fork == "" {
			continue
		}
		if f.Fork != nil {
			return fmt.Errorf("tasks[%d].fork: a sweep with a fork block branches every run from the other sweep; a task cannot fork too", i)
		}
		j := slices.IndexFunc(f.Tasks, func(u Task) bool { return u.Label() == t.Fork })
		switch {
		case j < 0:
			return fmt.Errorf("tasks[%d].fork: no task named %q in this sweep", i, t.Fork)
		case j == i:
			return fmt.Errorf("tasks[%d].fork: %q is the task itself", i, t.Fork)
		case f.Tasks[j].Fork != "":
			return fmt.Errorf("tasks[%d].fork: task %q forks itself; branch from a task that trains from its start", i, t.Fork)
		}
	}
	for i, s := range f.Seeds {
		if s < 0 {
			return fmt.Errorf("seeds[%d]: %d is negative", i, s)
		}
		if slices.Index(f.Seeds, s) != i {
			return fmt.Errorf("seeds[%d]: %d is listed twice", i, s)
		}
	}
	for i, o := range f.Overrides {
		if err := validOverride(o); err != nil {
			return fmt.Errorf("overrides[%d]: %w", i, err)
		}
	}
	if fk := f.Fork; fk != nil {
		if err := validName(fk.Sweep); err != nil {
			return fmt.Errorf("fork.sweep: %w", err)
		}
		if fk.Method != "" && !slices.Contains(methods, fk.Method) {
			return fmt.Errorf("fork.method: unknown method %q (known: %s)", fk.Method, strings.Join(methods, ", "))
		}
		if fk.At < 0 {
			return fmt.Errorf("fork.at: %d is negative (0 means the parents' offline→online switch)", fk.At)
		}
		if fk.Sweep == f.Name {
			return fmt.Errorf("fork.sweep: %q is this sweep: its runs would be their own parents", fk.Sweep)
		}
	}
	for _, m := range sortedKeys(f.MethodOverrides) {
		if !slices.Contains(f.Methods, m) {
			if slices.Contains(methods, m) {
				return fmt.Errorf("method_overrides: method %q is not in this sweep's methods (%s)", m, strings.Join(f.Methods, ", "))
			}
			return fmt.Errorf("method_overrides: unknown method %q (known: %s)", m, strings.Join(methods, ", "))
		}
		for i, o := range f.MethodOverrides[m] {
			if err := validOverride(o); err != nil {
				return fmt.Errorf("method_overrides.%s[%d]: %w", m, i, err)
			}
		}
	}
	return nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// hint adds the valid keys to a decoding error about the sweep's types.
func hint(err error) string {
	msg := err.Error()
	var h []string
	if strings.Contains(msg, "not found in type sweep.File") {
		h = append(h, "sweep file keys are name, methods, tasks, seeds, overrides, method_overrides, fork")
	}
	if strings.Contains(msg, "not found in type sweep.Task") || strings.Contains(msg, "into sweep.Task") {
		h = append(h, "each task is {env: <id>} or {dataset: <id>}")
	}
	if len(h) == 0 {
		return ""
	}
	return "\n(" + strings.Join(h, "; ") + ")"
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// validName accepts letters, digits, '.', '-' and single '_'.
func validName(name string) error {
	if name == "" {
		return errors.New("name: empty")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return fmt.Errorf("name %q: only letters, digits, '.', '-' and '_' are allowed", name)
		}
	}
	if strings.Contains(name, "__") {
		return fmt.Errorf("name %q: \"__\" separates the parts of run names and may not appear in it", name)
	}
	return nil
}

// validOverride checks the key.path=value form (the value itself is checked
// by the run's config when it starts).
func validOverride(o string) error {
	key, _, ok := strings.Cut(o, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return fmt.Errorf("override %q: want key.path=value", o)
	}
	for _, part := range strings.Split(key, ".") {
		if part == "" {
			return fmt.Errorf("override %q: empty segment in key %q", o, key)
		}
		if strings.ContainsAny(part, " \t") {
			return fmt.Errorf("override %q: space in key %q", o, key)
		}
	}
	return nil
}

// RunName returns "<sweep>__<task>__<method>__<seed>" with task and method
// reduced to letters, digits, '.' and '-' (others become '-').
func RunName(sweep, task, method string, seed int64) string {
	return sweep + "__" + sanitize(task) + "__" + sanitize(method) + "__" + strconv.FormatInt(seed, 10)
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			return r
		}
		return '-'
	}, s)
}

// TrainArgs returns the arguments, after the dwm binary, of the command that
// performs run r, writing its directory under runsDir and its rows to the
// store at store:
//
//	train <method> --env <env> [--dataset <file>] --seed <seed> [--set k=v]... --store <store> --runs <runsDir> --name <run name>
//
// for a branch (Run.Parent; its algorithm, dataset and seed are its
// parent's)
//
//	train --fork <parent> --env <env> [--set k=v]... --store <store> --runs <runsDir> --name <run name>
//
// or, when resume is set (the run's directory exists from an earlier,
// unfinished attempt),
//
//	train --resume <run name> --runs <runsDir>
//
// This is the one place that knows the train command line.
func TrainArgs(r Run, store, runsDir string, resume bool) []string {
	if resume {
		return []string{"train", "--resume", r.Name, "--runs", runsDir}
	}
	var args []string
	if r.Parent != "" {
		args = []string{"train", "--fork", r.Parent, "--env", r.Task.Env}
	} else {
		args = []string{"train", r.Method, "--env", r.Task.Env}
		if r.Task.Dataset != "" {
			args = append(args, "--dataset", r.Task.Dataset)
		}
		args = append(args, "--seed", strconv.FormatInt(r.Seed, 10))
	}
	for _, o := range r.Overrides {
		args = append(args, "--set", o)
	}
	return append(args, "--store", store, "--runs", runsDir, "--name", r.Name)
}

// TaskArgs returns the arguments, after the dwm binary, of the command a
// Slurm array task runs: `sweep task --file <file> --index <index> --store
// <store> --runs <runsDir>`; index is usually "$SLURM_ARRAY_TASK_ID".
func TaskArgs(file, index, store, runsDir string) []string {
	return []string{"sweep", "task", "--file", file, "--index", index, "--store", store, "--runs", runsDir}
}

// OnlySeeds returns a copy of sw restricted to the runs of the given seeds,
// each of which must be one of the file's (a branch's parent has its
// child's seed, so it stays in). Run indices are kept: a run keeps its
// Slurm array index and log name. It returns an error naming a seed the
// file does not list.
func (sw *Sweep) OnlySeeds(seeds []int64) (*Sweep, error) {
	for _, s := range seeds {
		if !slices.Contains(sw.File.Seeds, s) {
			return nil, fmt.Errorf("sweep %s: seed %d is not one of its seeds %v", sw.Name, s, sw.File.Seeds)
		}
	}
	out := *sw
	out.Runs = nil
	for _, r := range sw.Runs {
		if slices.Contains(seeds, r.Seed) {
			out.Runs = append(out.Runs, r)
		}
	}
	return &out, nil
}
