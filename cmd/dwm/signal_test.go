package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/dwm-rl/dwm/track"
	"github.com/dwm-rl/dwm/train"
)

// signalOnWrite is a stdout that delivers a signal (cancels dwm's context
// with its cause, as main's handler does) at its first write: `dwm train`
// writes to stdout only once a run has returned, so the signal arrives
// after the run finished, the race a late SIGTERM wins.
type signalOnWrite struct {
	bytes.Buffer
	cancel context.CancelCauseFunc
	sig    syscall.Signal
	writes int
}

func (w *signalOnWrite) Write(p []byte) (int, error) {
	if w.writes++; w.writes == 1 {
		w.cancel(signalCause{w.sig})
	}
	return w.Buffer.Write(p)
}

// statuses returns the store's runs of a runs directory by status.
func statuses(t *testing.T, runs string) map[track.Status][]string {
	t.Helper()
	s, err := track.Open(filepath.Join(runs, "dwm.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rs, err := s.ListRuns(track.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[track.Status][]string{}
	for _, r := range rs {
		out[r.Status] = append(out[r.Status], r.Name)
	}
	return out
}

var tinySAC = []string{"train", "sac", "--env", "pendulum", "--steps", "400", "--set", "train.learning_starts=200",
	"--set", "train.eval_episodes=2", "--set", "sac.hidden=[16,16]", "--quiet"}

// A SIGINT or SIGTERM that arrives after a run finished (its result
// printed, the store saying done) changes nothing: dwm exits 0 and no run
// is marked interrupted.
func TestSignalAfterFinish(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			runs := t.TempDir()
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			o := &signalOnWrite{cancel: cancel, sig: sig}
			var e bytes.Buffer
			code := run(ctx, append(tinySAC, "--runs", runs, "--name", "r"), o, &e)
			if o.writes == 0 || ctx.Err() == nil {
				t.Fatalf("no signal was sent; stdout %q, stderr %q", o.String(), e.String())
			}
			if code != 0 {
				t.Errorf("exit %d for a %v after the run finished, want 0; stdout %q, stderr %q", code, sig, o.String(), e.String())
			}
			if !strings.Contains(o.String(), "run r done: final eval return") {
				t.Errorf("output %q: want the finished run's result", o.String())
			}
			if st := statuses(t, runs); len(st[track.StatusDone]) != 1 || len(st) != 1 {
				t.Errorf("store after a late %v: %v, want the run done", sig, st)
			}
		})
	}
}

// With several seeds, a signal after the first run finished stops the
// second at its first boundary: the first stays done, the second is
// marked interrupted, and dwm exits 143.
func TestSignalBetweenSeeds(t *testing.T) {
	runs := t.TempDir()
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	o := &signalOnWrite{cancel: cancel, sig: syscall.SIGTERM}
	var e bytes.Buffer
	code := run(ctx, append(tinySAC, "--runs", runs, "--seeds", "0,1"), o, &e)
	if code != 143 {
		t.Errorf("exit %d, want 143; stdout %q, stderr %q", code, o.String(), e.String())
	}
	out := o.String()
	if strings.Count(out, " done: final eval return") != 1 || strings.Count(out, " interrupted; checkpoint saved") != 1 {
		t.Errorf("output %q: want one run done, then one interrupted", out)
	}
	if st := statuses(t, runs); len(st[track.StatusDone]) != 1 || len(st[track.StatusInterrupted]) != 1 || len(st) != 2 {
		t.Errorf("store: %v, want one run done and one interrupted", st)
	}
}

// stopped maps a command's error and the context's cause to dwm's exit
// status.
func TestStopped(t *testing.T) {
	interrupted := fmt.Errorf("run r: %w", train.ErrInterrupted)
	failed := fmt.Errorf("fit: %w", context.Canceled)
	for _, tc := range []struct {
		name  string
		cause error // nil: not cancelled
		err   error
		code  int
		ok    bool
		msg   bool // a "stopped by signal" line on stderr
	}{
		{"done", nil, nil, 0, false, false},
		{"done, then SIGTERM", signalCause{syscall.SIGTERM}, nil, 0, false, false},
		{"failed, then SIGTERM", signalCause{syscall.SIGTERM}, errors.New("disk full"), 0, false, false},
		{"interrupted by SIGINT", signalCause{syscall.SIGINT}, interrupted, 130, true, false},
		{"interrupted by SIGTERM", signalCause{syscall.SIGTERM}, interrupted, 143, true, false},
		{"failed by SIGTERM's cancellation", signalCause{syscall.SIGTERM}, failed, 143, true, true},
		{"interrupted by a caller", context.Canceled, interrupted, 0, true, false},
		{"failed by a caller's cancellation", context.Canceled, failed, 0, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			if tc.cause != nil {
				cancel(tc.cause)
			}
			var e bytes.Buffer
			code, ok := stopped(ctx, "train", tc.err, &e)
			if code != tc.code || ok != tc.ok {
				t.Errorf("stopped: (%d, %v), want (%d, %v)", code, ok, tc.code, tc.ok)
			}
			if got := strings.Contains(e.String(), "stopped by signal"); got != tc.msg {
				t.Errorf("stderr %q", e.String())
			}
		})
	}
}
