package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/dwm-rl/dwm/experiment"
	"github.com/dwm-rl/dwm/sweep"
	"github.com/dwm-rl/dwm/sweep/check"
)

func cmdSweep(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sweep", stderr)
	runsDir := fs.String("runs", "runs", "runs directory")
	storePath := fs.String("store", "", "run store (default <runs>/dwm.db)")
	file := fs.String("file", "", "sweep file (task)")
	index := fs.Int("index", -1, "run index (task; Slurm passes $SLURM_ARRAY_TASK_ID)")
	workers := fs.Int("workers", 0, "runs at once (run; default cores/threads-per-run)")
	watch := fs.Bool("watch", false, "status: follow until every run has ended")
	repeat := fs.Bool("repeat", false, "check: run each smoke run twice and require bitwise-equal metrics (determinism)")
	seeds := fs.String("seeds", "", "run, slurm, status: only the runs of these comma-separated seeds (e.g. 0 for one seed of every row first)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return fmt.Errorf("want run FILE, slurm FILE, status FILE, check FILE... or task --file F --index I")
	}
	verb := pos[0]
	if verb == "check" {
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		dir := ""
		if given["runs"] {
			dir = *runsDir
		}
		return sweepCheck(ctx, append(pos[1:], nonEmpty(*file)...), dir, *repeat, stdout)
	}
	path := *file
	if len(pos) == 2 {
		path = pos[1]
	}
	if path == "" {
		return fmt.Errorf("sweep %s: no sweep file given", verb)
	}
	sw, err := sweep.Load(path, experiment.Algos())
	if err != nil {
		return err
	}
	if *seeds != "" && verb != "task" {
		list, err := parseSeeds(*seeds)
		if err != nil {
			return err
		}
		s := make([]int64, len(list))
		for i, v := range list {
			s[i] = int64(v)
		}
		if sw, err = sw.OnlySeeds(s); err != nil {
			return err
		}
	}
	opts := sweep.Options{Store: storePathOf(*storePath, *runsDir), RunsDir: *runsDir, Workers: *workers, Progress: stderr, Stdout: stdout, Stderr: stderr}
	switch verb {
	case "run":
		sum, err := sweep.RunLocal(ctx, sw, opts)
		if sum != nil {
			fmt.Fprintf(stdout, "sweep %s: %d runs, %d done now, %d skipped (done before), %d failed, %d interrupted, %d not started, %d left to another process, in %s\n",
				path, sum.Total, sum.Done, sum.Skipped, sum.Failed, sum.Interrupted, sum.NotStarted, sum.Elsewhere, sum.Elapsed.Round(1e9))
		}
		return err
	case "slurm":
		sub, err := sweep.SubmitSlurm(ctx, sw, opts)
		if err != nil {
			return err
		}
		if sub == nil {
			fmt.Fprintf(stdout, "sweep %s: nothing to submit (every run is done or already queued)\n", path)
			return nil
		}
		fmt.Fprintf(stdout, "submitted Slurm job array %s with %d tasks", sub.JobID, len(sub.Indices))
		if n := sub.Next; n != nil {
			fmt.Fprintf(stdout, ", and %s with %d tasks branching from them (it waits for %s)", n.JobID, len(n.Indices), strings.Join(n.After, ", "))
		}
		fmt.Fprintf(stdout, "; follow with: dwm sweep status %s --watch\n", path)
		return nil
	case "status":
		var st *sweep.StatusReport
		if *watch {
			st, err = sweep.Watch(ctx, stdout, sw, opts)
		} else {
			st, err = sweep.Status(ctx, sw, opts)
		}
		if err != nil {
			return err
		}
		return st.Write(stdout)
	case "task":
		if *index < 0 {
			return fmt.Errorf("sweep task: --index is required")
		}
		return sweep.RunTask(ctx, sw, *index, opts)
	}
	return fmt.Errorf("unknown sweep verb %q: want run, slurm, status, check or task", verb)
}

// sweepCheck is `dwm sweep check FILE...`: a smoke run of one run of each
// task and method of each file (package check), in runsDir or, if empty, a
// temporary directory removed afterwards.
func sweepCheck(ctx context.Context, paths []string, runsDir string, repeat bool, stdout io.Writer) error {
	if len(paths) == 0 {
		return fmt.Errorf("sweep check: no sweep file given")
	}
	var sws []*sweep.Sweep
	for _, p := range paths {
		sw, err := sweep.Load(p, experiment.Algos())
		if err != nil {
			return err
		}
		sws = append(sws, sw)
	}
	if runsDir == "" {
		d, err := os.MkdirTemp("", "dwm-sweep-check-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		runsDir = d
	}
	start := time.Now()
	res, err := check.Sweeps(ctx, sws, check.Options{RunsDir: runsDir, Out: stdout, Repeat: repeat})
	fmt.Fprintf(stdout, "sweep check: %d runs smoke-run (%d steps a phase) in %s\n", len(res), experiment.SmokeSteps, time.Since(start).Round(time.Second))
	return err
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
