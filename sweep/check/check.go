// Package check smoke-runs benchmark sweeps before they are run for real
// (`dwm sweep check`): one run of each task and method of a sweep, with the
// sweep's own overrides, datasets, networks and branching, shrunk by
// experiment.Smoke to a few dozen steps a phase. A configuration that would
// fail hours into a benchmark — a bad override, a NaN metric at the first
// log, an error at the offline→online switch, a branch whose overrides its
// parent cannot take — fails here in seconds.
//
// A run branched from another sweep's run (sweep.File.Fork) is checked as a
// branch: its parent is looked up among the sweep files next to it, smoke-run
// first, and the branch made from the parent's switch checkpoint with
// experiment.Fork, as `dwm sweep run` would. A task whose dataset file does
// not exist (the large benchmark datasets are made on demand and not kept in
// the repository) gets a small stand-in of random-policy transitions on its
// env; the result says so.
package check

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dwm-rl/dwm/datagen"
	"github.com/dwm-rl/dwm/datasets"
	"github.com/dwm-rl/dwm/experiment"
	"github.com/dwm-rl/dwm/sweep"
	"github.com/dwm-rl/dwm/track"
)

// StandInSize is the number of random-policy transitions of a stand-in
// dataset.
const StandInSize = 2000

// Options configures Sweeps.
type Options struct {
	// RunsDir receives the smoke runs and their store (required; a
	// directory of its own: the runs carry the sweeps' run names).
	RunsDir string
	// DataDir holds the stand-in datasets. Default <RunsDir>/data.
	DataDir string
	// Out receives one line per run checked (nil: discard).
	Out io.Writer
	// Repeat runs each smoke run a second time (a branch: branches it
	// again from the same parent) and requires every metric row but the
	// time/ ones to be bitwise the same: the configuration's determinism,
	// checked before its long runs.
	Repeat bool
}

// Result is the outcome of one run's smoke run.
type Result struct {
	// Sweep and Run name the sweep and the run checked; the run of the
	// first seed of its task and method stands for the others (they differ
	// only in the seed).
	Sweep, Run string
	// Parent is the run it was branched from ("" if trained from its
	// start).
	Parent string
	// StandIn is the stand-in dataset used because the task's dataset
	// file is missing ("" if the task's own).
	StandIn string
	// Took is the smoke run's wall time.
	Took time.Duration
	// Err is why it failed (nil: it reached its end).
	Err error
}

// Sweeps smoke-runs one run of each task and method of each sweep, parents
// before their branches, and returns a result per run checked. The error is
// non-nil when a run failed (every failure is listed) or ctx ended.
func Sweeps(ctx context.Context, sws []*sweep.Sweep, opts Options) ([]Result, error) {
	if opts.RunsDir == "" {
		return nil, fmt.Errorf("sweep check: no runs directory")
	}
	if opts.DataDir == "" {
		opts.DataDir = filepath.Join(opts.RunsDir, "data")
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	c := &checker{opts: opts, done: map[string]*Result{}, loaded: map[string]*sweep.Sweep{}, standIns: map[string]string{}}
	for _, sw := range sws {
		if sw.Path != "" {
			c.loaded[sw.Path] = sw
		}
	}
	var out []Result
	var failed []string
	for _, sw := range sws {
		seen := map[string]bool{}
		for _, r := range sw.Runs {
			key := r.Task.Label() + "\x00" + r.Method
			if seen[key] {
				continue
			}
			seen[key] = true
			res := c.check(ctx, sw, r)
			out = append(out, *res)
			if res.Err != nil {
				failed = append(failed, fmt.Sprintf("%s: %v", res.Run, res.Err))
			}
			if err := ctx.Err(); err != nil {
				return out, err
			}
		}
	}
	if len(failed) > 0 {
		return out, fmt.Errorf("sweep check: %d of %d runs failed:\n  %s", len(failed), len(out), strings.Join(failed, "\n  "))
	}
	return out, nil
}

type checker struct {
	opts     Options
	done     map[string]*Result      // by run name: each run is smoke-run once
	loaded   map[string]*sweep.Sweep // by path: the sweeps given and their siblings
	standIns map[string]string       // by env
}

// check smoke-runs r of sw (its parent first, if it is a branch) once.
func (c *checker) check(ctx context.Context, sw *sweep.Sweep, r sweep.Run) *Result {
	if res, ok := c.done[r.Name]; ok {
		return res
	}
	res := &Result{Sweep: sw.Name, Run: r.Name}
	c.done[r.Name] = res
	start := time.Now()
	defer func() {
		res.Took = time.Since(start)
		status := "ok  "
		if res.Err != nil {
			status = "FAIL"
		}
		note := ""
		if res.Parent != "" {
			note += " (branch of " + res.Parent + ")"
		}
		if res.StandIn != "" {
			note += " (stand-in dataset: " + filepath.Base(res.StandIn) + ")"
		}
		fmt.Fprintf(c.opts.Out, "%s %-64s %6.1fs%s\n", status, r.Name, res.Took.Seconds(), note)
		if res.Err != nil {
			fmt.Fprintf(c.opts.Out, "     %v\n", res.Err)
		}
	}()
	eopts := experiment.Options{Out: io.Discard, Quiet: true, Smoke: true}
	var er experiment.Result
	var err error
	var again func(name string) (experiment.Result, error) // the same run under another name
	if r.Parent != "" {
		name, _, _ := strings.Cut(r.Parent, "@") // a smoke parent has only its switch
		res.Parent = name
		psw, pr, ferr := c.find(sw, name)
		if ferr != nil {
			res.Err = ferr
			return res
		}
		if p := c.check(ctx, psw, pr); p.Err != nil {
			res.Err = fmt.Errorf("its parent %s failed", name)
			return res
		}
		res.StandIn = c.done[name].StandIn
		sets := append(slices.Clone(r.Overrides), "env="+r.Task.Env)
		again = func(as string) (experiment.Result, error) {
			return experiment.Fork(ctx, experiment.ForkSpec{Parent: name, Name: as, Sets: sets, RunsDir: c.opts.RunsDir}, eopts)
		}
	} else {
		data := r.Task.Dataset
		if data != "" && !datasets.Has(data) {
			if _, serr := os.Stat(data); serr != nil {
				if data, err = c.standIn(ctx, r.Task.Env); err != nil {
					res.Err = err
					return res
				}
				res.StandIn = data
			}
		}
		base := experiment.Config{Algo: r.Method, Env: r.Task.Env, Dataset: data, Seed: uint64(r.Seed), RunsDir: c.opts.RunsDir}
		cfg, lerr := experiment.Load("", r.Overrides, base)
		if lerr != nil {
			res.Err = lerr
			return res
		}
		again = func(as string) (experiment.Result, error) {
			cfg.Name = as
			return experiment.Run(ctx, cfg, eopts)
		}
	}
	er, err = again(r.Name)
	switch {
	case err != nil:
		res.Err = err
	case !er.Done:
		res.Err = fmt.Errorf("stopped before its end (interrupted)")
	case c.opts.Repeat:
		rep, rerr := again(r.Name + repeatSuffix)
		if rerr == nil && !rep.Done {
			rerr = fmt.Errorf("stopped before its end (interrupted)")
		}
		if rerr != nil {
			res.Err = fmt.Errorf("its repeat: %w", rerr)
		} else {
			res.Err = c.sameRows(r.Name, r.Name+repeatSuffix)
		}
	}
	return res
}

// repeatSuffix names a run's repeat (Options.Repeat).
const repeatSuffix = "__repeat"

func (c *checker) sameRows(a, b string) error { return CompareRuns(c.opts.RunsDir, a, b) }

// CompareRuns returns an error unless runs a and b of the store
// <runsDir>/dwm.db logged the same metric rows, bitwise, apart from the
// time/ ones; the error counts the rows that differ and shows the first.
func CompareRuns(runsDir, a, b string) error {
	s, err := track.Open(filepath.Join(runsDir, "dwm.db"))
	if err != nil {
		return err
	}
	defer s.Close()
	var rows [2][]track.Row
	for i, name := range []string{a, b} {
		r, err := s.RunByName(name)
		if err != nil {
			return err
		}
		all, err := s.Rows(r.ID, math.MaxInt64)
		if err != nil {
			return err
		}
		rows[i] = slices.DeleteFunc(all, func(x track.Row) bool { return strings.HasPrefix(x.Name, "time/") })
	}
	x, y := rows[0], rows[1]
	differ, first := 0, ""
	for i := range min(len(x), len(y)) {
		if x[i].Step != y[i].Step || x[i].Name != y[i].Name || x[i].Phase != y[i].Phase || math.Float64bits(x[i].Value) != math.Float64bits(y[i].Value) {
			if differ == 0 {
				first = fmt.Sprintf("%s at step %d: %v, then %v", x[i].Name, x[i].Step, x[i].Value, y[i].Value)
			}
			differ++
		}
	}
	if differ == 0 && len(x) == len(y) {
		return nil
	}
	if len(x) != len(y) {
		return fmt.Errorf("not reproducible: %d metric rows, then %d from a second run with the same seed and config", len(x), len(y))
	}
	return fmt.Errorf("not reproducible: %d of %d metric rows differ from a second run with the same seed and config (first: %s)", differ, len(x), first)
}

// find returns the sweep and run named name: in sw, or in a sweep file in
// sw's directory (where File.Fork's parent sweeps live).
func (c *checker) find(sw *sweep.Sweep, name string) (*sweep.Sweep, sweep.Run, error) {
	if r, ok := runNamed(sw, name); ok {
		return sw, r, nil
	}
	if sw.Path != "" {
		dir := filepath.Dir(sw.Path)
		var paths []string
		for _, pat := range []string{"*.yaml", "*.yml", "*.toml"} {
			m, _ := filepath.Glob(filepath.Join(dir, pat))
			paths = append(paths, m...)
		}
		slices.Sort(paths)
		for _, p := range paths {
			o, ok := c.loaded[p]
			if !ok {
				var err error
				if o, err = sweep.Load(p, experiment.Algos()); err != nil {
					continue // not a sweep file, or a broken one: not the parent
				}
				c.loaded[p] = o
			}
			if r, ok := runNamed(o, name); ok {
				return o, r, nil
			}
		}
	}
	return nil, sweep.Run{}, fmt.Errorf("parent run %s is in no sweep file next to %s", name, cmp.Or(sw.Path, sw.Name))
}

func runNamed(sw *sweep.Sweep, name string) (sweep.Run, bool) {
	for _, r := range sw.Runs {
		if r.Name == name {
			return r, true
		}
	}
	return sweep.Run{}, false
}

// standIn returns a small random-policy dataset of env, made once.
func (c *checker) standIn(ctx context.Context, env string) (string, error) {
	if p, ok := c.standIns[env]; ok {
		return p, nil
	}
	p, err := datagen.Make(ctx, datagen.Config{Env: env, Kind: "random", Size: StandInSize, Seed: 0, Workers: 1, Episodes: 2,
		CacheDir: c.opts.DataDir}, io.Discard)
	if err != nil {
		return "", fmt.Errorf("stand-in dataset for %s: %w", env, err)
	}
	c.standIns[env] = p
	return p, nil
}
