package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/dwm-rl/dwm/experiment"
	"github.com/dwm-rl/dwm/sweep"
)

func cmdSweep(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sweep", stderr)
	runsDir := fs.String("runs", "runs", "runs directory")
	storePath := fs.String("store", "", "run store (default <runs>/dwm.db)")
	file := fs.String("file", "", "sweep file (task)")
	index := fs.Int("index", -1, "run index (task; Slurm passes $SLURM_ARRAY_TASK_ID)")
	workers := fs.Int("workers", 0, "runs at once (run; default cores/threads-per-run)")
	watch := fs.Bool("watch", false, "status: follow until every run has ended")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return fmt.Errorf("want run FILE, slurm FILE, status FILE or task --file F --index I")
	}
	verb := pos[0]
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
	opts := sweep.Options{Store: storePathOf(*storePath, *runsDir), RunsDir: *runsDir, Workers: *workers, Progress: stderr, Stdout: stdout, Stderr: stderr}
	switch verb {
	case "run":
		sum, err := sweep.RunLocal(ctx, sw, opts)
		if sum != nil {
			fmt.Fprintf(stdout, "sweep %s: %d runs, %d done now, %d skipped (done before), %d failed, %d interrupted, %d not started, in %s\n",
				path, sum.Total, sum.Done, sum.Skipped, sum.Failed, sum.Interrupted, sum.NotStarted, sum.Elapsed.Round(1e9))
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
	return fmt.Errorf("unknown sweep verb %q: want run, slurm, status or task", verb)
}
