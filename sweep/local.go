package sweep

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dwm-rl/dwm/internal/runlock"
	"github.com/dwm-rl/dwm/track"
)

// Summary counts what RunLocal did.
type Summary struct {
	// Total is the number of runs in the sweep; Skipped were already done
	// in the store; Done finished now; Failed ended in an error;
	// Interrupted were stopped by cancellation; NotStarted never began
	// because the sweep was cancelled first; Elsewhere were being trained
	// by another process when their turn came (their run lock was held:
	// another sweep, a Slurm task, a `dwm train --resume`) and were left
	// to it.
	Total, Skipped, Done, Failed, Interrupted, NotStarted, Elsewhere int
	// Failures describes each failed run.
	Failures []*RunError
	Elapsed  time.Duration
}

// RunError is a run that did not finish.
type RunError struct {
	Run Run
	// Log is the run's log file ("" if its output went elsewhere).
	Log string
	Err error
}

func (e *RunError) Error() string {
	s := fmt.Sprintf("run %s: %v", e.Run.Name, e.Err)
	if e.Log != "" {
		s += " (log: " + e.Log + ")"
	}
	return s
}

func (e *RunError) Unwrap() error { return e.Err }

// isDone reports whether the store holds run name with status done.
func isDone(s *track.Store, name string) (bool, error) {
	r, err := s.RunByName(name)
	if errors.Is(err, track.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return r.Status == track.StatusDone, nil
}

// openStore opens the store at path for a sweep, creating it (and its
// directory) if needed, so that concurrent runs do not race to create it.
func openStore(sw *Sweep, path string) (*track.Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("sweep %s: %w", sw.Name, err)
	}
	s, err := track.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sweep %s: %w", sw.Name, err)
	}
	return s, nil
}

// RunLocal executes the sweep's runs on this machine, opts.Workers at a
// time, skipping runs whose store row says done, and returns what it did.
// Each run's output goes to <Dir>/logs/<run name>.log (appended, so a
// resumed run keeps its history). When ctx is cancelled it sends SIGINT to
// the running runs' process groups, kills them after opts.GracePeriod, starts
// no new run, and returns an error wrapping ctx.Err(); running it again
// resumes the sweep. A run fails if its command fails or exits without
// marking its store row done; the error lists every failed run.
func RunLocal(ctx context.Context, sw *Sweep, opts Options) (*Summary, error) {
	o, err := opts.resolve(sw)
	if err != nil {
		return nil, err
	}
	store, err := openStore(sw, o.Store)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	start := time.Now()
	sum := &Summary{Total: len(sw.Runs)}
	var todo []Run
	for _, r := range sw.Runs {
		done, err := isDone(store, r.Name)
		if err != nil {
			return nil, fmt.Errorf("sweep %s: %w", sw.Name, err)
		}
		if done {
			sum.Skipped++
		} else {
			todo = append(todo, r)
		}
	}
	if err := os.MkdirAll(o.logDir(), 0o755); err != nil {
		return nil, fmt.Errorf("sweep %s: %w", sw.Name, err)
	}
	// A run branching from another run of this sweep (Task.Fork) goes after
	// the others and starts once its parent has ended.
	ended := map[string]chan struct{}{}
	for _, r := range todo {
		ended[r.Name] = make(chan struct{})
	}
	parentOf := func(r Run) chan struct{} {
		name, _, _ := strings.Cut(r.Parent, "@")
		return ended[name]
	}
	slices.SortStableFunc(todo, func(a, b Run) int {
		return cmp.Compare(btoi(parentOf(a) != nil), btoi(parentOf(b) != nil))
	})
	workers := min(o.Workers, max(1, len(todo)))
	disp := newDisplay(o.Progress, sw.Name, sum.Total, sum.Skipped, workers)
	disp.logf("sweep %s: %d runs, %d already done, %d to run on %d workers; logs in %s\n",
		sw.Name, sum.Total, sum.Skipped, len(todo), workers, o.logDir())

	jobs := make(chan Run)
	var mu sync.Mutex   // guards sum and lateSkipped
	var lateSkipped int // runs found done when their turn came
	var wg sync.WaitGroup
	for slot := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range jobs {
				if ctx.Err() != nil {
					close(ended[r.Name])
					continue // counted as not started
				}
				// Another process (a second sweep, a Slurm task) may have
				// finished it since the sweep started.
				if done, err := isDone(store, r.Name); err == nil && done {
					mu.Lock()
					lateSkipped++
					mu.Unlock()
					disp.skipped(r)
					close(ended[r.Name])
					continue
				}
				if held, err := runlock.Held(filepath.Join(o.RunsDir, r.Name)); err == nil && held {
					mu.Lock()
					sum.Elsewhere++
					mu.Unlock()
					disp.logf("%s is being trained by another process: left to it\n", r.Name)
					close(ended[r.Name])
					continue
				}
				disp.start(slot, r)
				t0 := time.Now()
				logPath := filepath.Join(o.logDir(), r.Name+".log")
				err := runLocalOne(ctx, store, o, r, logPath, func(phase string, step, total int64) { disp.phase(slot, phase, step, total) })
				mu.Lock()
				switch {
				case err == nil:
					sum.Done++
				case ctx.Err() != nil:
					sum.Interrupted++
				default:
					sum.Failed++
					sum.Failures = append(sum.Failures, &RunError{Run: r, Log: logPath, Err: err})
				}
				mu.Unlock()
				disp.finish(slot, r, err, ctx.Err() != nil, time.Since(t0))
				close(ended[r.Name])
			}
		}()
	}
feed:
	for _, r := range todo {
		if p := parentOf(r); p != nil {
			select {
			case <-p:
			case <-ctx.Done():
				break feed
			}
		}
		select {
		case jobs <- r:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	sum.NotStarted = len(todo) - sum.Done - sum.Failed - sum.Interrupted - sum.Elsewhere - lateSkipped
	sum.Skipped += lateSkipped
	sum.Elapsed = time.Since(start)
	disp.close()
	finished := sum.Skipped + sum.Done
	if ctx.Err() != nil {
		return sum, fmt.Errorf("sweep %s interrupted: %d of %d runs done (%d interrupted, %d not started); run it again to resume: %w",
			sw.Name, finished, sum.Total, sum.Interrupted, sum.NotStarted, ctx.Err())
	}
	if sum.Failed > 0 {
		errs := []error{fmt.Errorf("sweep %s: %d of %d runs failed (running it again retries them)", sw.Name, sum.Failed, sum.Total)}
		for _, f := range sum.Failures {
			errs = append(errs, f)
		}
		return sum, errors.Join(errs...)
	}
	disp.logf("sweep %s: all %d runs done in %s\n", sw.Name, sum.Total, sum.Elapsed.Round(time.Second))
	return sum, nil
}

// runLocalOne runs r with its output appended to logPath, reporting phase
// lines, and checks its store row afterwards.
func runLocalOne(ctx context.Context, store *track.Store, o Options, r Run, logPath string, onPhase func(string, int64, int64)) error {
	cmd := o.command(r)
	if cmd.Stdout == nil && cmd.Stderr == nil {
		f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		fmt.Fprintf(f, "=== %s start: %s\n", time.Now().Format(time.RFC3339), quoteArgs(cmd.Args))
		w := io.MultiWriter(f, &phaseWriter{onPhase: onPhase})
		cmd.Stdout, cmd.Stderr = w, w
		defer func() { fmt.Fprintf(f, "=== %s end\n", time.Now().Format(time.RFC3339)) }()
	}
	if err := runProcess(ctx, cmd, o.GracePeriod); err != nil {
		// Interrupted just after marking itself done: it is done.
		if ctx.Err() != nil && checkDone(store, r) == nil {
			return nil
		}
		return err
	}
	return checkDone(store, r)
}

// checkDone reports a run that exited successfully without marking its
// store row done.
func checkDone(store *track.Store, r Run) error {
	got, err := store.RunByName(r.Name)
	if errors.Is(err, track.ErrNotFound) {
		return fmt.Errorf("command succeeded but wrote no run named %s to %s", r.Name, store.Path())
	}
	if err != nil {
		return err
	}
	if got.Status != track.StatusDone {
		return fmt.Errorf("command succeeded but the run's status in %s is %q, not done", store.Path(), got.Status)
	}
	return nil
}

// runProcess starts cmd in its own process group and waits for it. When ctx
// is cancelled it sends SIGINT to the group, then SIGKILL after grace.
func runProcess(ctx context.Context, cmd *exec.Cmd, grace time.Duration) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = 5 * time.Second // a grandchild holding the output pipe open
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		pgid := cmd.Process.Pid
		syscall.Kill(-pgid, syscall.SIGINT)
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			syscall.Kill(-pgid, syscall.SIGKILL)
		}
	}()
	err := cmd.Wait()
	close(done)
	<-stopped
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ctx.Err() != nil {
			return fmt.Errorf("interrupted: %w", err)
		}
		return err
	}
	return nil
}

func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// RunTask performs run index of the sweep in the foreground: what one Slurm
// array task does (`dwm sweep task`). The child's output goes to
// opts.Stdout and opts.Stderr. A run already done is skipped; ctx
// cancellation interrupts the child as in RunLocal.
func RunTask(ctx context.Context, sw *Sweep, index int, opts Options) error {
	o, err := opts.resolve(sw)
	if err != nil {
		return err
	}
	if index < 0 || index >= len(sw.Runs) {
		return fmt.Errorf("sweep %s: task index %d outside 0..%d", sw.Name, index, len(sw.Runs)-1)
	}
	r := sw.Runs[index]
	store, err := openStore(sw, o.Store)
	if err != nil {
		return err
	}
	defer store.Close()
	if done, err := isDone(store, r.Name); err != nil {
		return fmt.Errorf("sweep %s: %w", sw.Name, err)
	} else if done {
		fmt.Fprintf(o.Stderr, "sweep %s: run %s is already done; nothing to do\n", sw.Name, r.Name)
		return nil
	}
	cmd := o.command(r)
	if cmd.Stdout == nil {
		cmd.Stdout = o.Stdout
	}
	if cmd.Stderr == nil {
		cmd.Stderr = o.Stderr
	}
	fmt.Fprintf(o.Stderr, "sweep %s: task %d: %s\n", sw.Name, index, quoteArgs(cmd.Args))
	if err := runProcess(ctx, cmd, o.GracePeriod); err != nil {
		return &RunError{Run: r, Err: err}
	}
	if err := checkDone(store, r); err != nil {
		return &RunError{Run: r, Err: err}
	}
	return nil
}

// btoi is 1 for true, 0 for false.
func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
