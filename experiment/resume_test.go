package experiment

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/internal/runlock"
	"github.com/dwm-rl/dwm/track"
)

// tiny is a SAC run on Pendulum that trains for well under a second.
func tiny(t *testing.T, name string) Config {
	c := Config{Algo: "sac", Env: "pendulum", Seed: 1, Name: name, RunsDir: t.TempDir()}
	c.Train.OnlineSteps = 300
	c.Train.LearningStarts = 100
	c.Train.EvalEpisodes = 1
	c.Train.BatchSize = 16
	c.SAC.Hidden = []int{8}
	return c
}

// storedRun opens c's store and finds run name in it; the caller closes
// the store.
func storedRun(t *testing.T, c Config, name string) (*track.Store, track.Run) {
	t.Helper()
	s, err := track.Open(c.storePath())
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.RunByName(name)
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	return s, r
}

func status(t *testing.T, c Config, name string) track.Status {
	t.Helper()
	s, r := storedRun(t, c, name)
	s.Close()
	return r.Status
}

// A run killed between its final checkpoint and recording "done" is
// recorded as done by --resume, which says it already finished.
func TestResumeFinishedRunRecordsDone(t *testing.T) {
	c := tiny(t, "fin")
	if _, err := Run(context.Background(), c, Options{}); err != nil {
		t.Fatal(err)
	}
	s, err := track.Open(c.storePath())
	if err != nil {
		t.Fatal(err)
	}
	r, _ := s.RunByName("fin")
	s.SetStatus(r.ID, track.StatusRunning) // as after a SIGKILL at that point
	s.Close()
	_, err = Resume(context.Background(), "fin", c.RunsDir, Options{})
	if err == nil || !strings.Contains(err.Error(), "already finished") {
		t.Fatalf("resume of a finished run: %v", err)
	}
	if st := status(t, c, "fin"); st != track.StatusDone {
		t.Fatalf("status %s, want done", st)
	}
}

// A run killed after writing its directory but before recording itself in
// the store can be resumed (it starts from scratch).
func TestResumeUnrecordedRun(t *testing.T) {
	c, err := Resolve(tiny(t, "unrec"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(c.RunsDir, "unrec")
	y, _ := c.YAML()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), y, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Resume(context.Background(), "unrec", c.RunsDir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := res.Final(); !ok || f.Step != 300 {
		t.Fatalf("resumed run did not finish: %+v", res)
	}
	if st := status(t, c, "unrec"); st != track.StatusDone {
		t.Fatalf("status %s, want done", st)
	}
}

// A run that fails before it starts leaves no directory behind, so the
// same name can be used again once the input is fixed.
func TestFailedStartLeavesNoDirectory(t *testing.T) {
	c := tiny(t, "bad")
	c.Dataset = filepath.Join(t.TempDir(), "missing.npz")
	if _, err := Run(context.Background(), c, Options{}); err == nil || !strings.Contains(err.Error(), "missing.npz") {
		t.Fatalf("run with a missing dataset: %v", err)
	}
	if _, err := os.Stat(filepath.Join(c.RunsDir, "bad")); !os.IsNotExist(err) {
		t.Fatalf("run directory left behind: %v", err)
	}
	c.Dataset = ""
	if _, err := Run(context.Background(), c, Options{}); err != nil {
		t.Fatalf("second attempt under the same name: %v", err)
	}
}

// A run that another process is training cannot be resumed (or trained) at
// the same time: the second attempt is refused, naming the holder, and
// changes nothing; once the holder is gone it resumes.
func TestResumeRefusedWhileTraining(t *testing.T) {
	c := tiny(t, "busy")
	c.Train.OnlineSteps = 600
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // stops at the first boundary: an interrupted run to resume
	if _, err := Run(ctx, c, Options{}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(c.RunsDir, "busy")
	held, err := runlock.Acquire(dir) // as a live `dwm train --resume busy`
	if err != nil {
		t.Fatal(err)
	}
	before := status(t, c, "busy")
	_, err = Resume(context.Background(), "busy", c.RunsDir, Options{})
	if !errors.Is(err, runlock.ErrHeld) || !strings.Contains(err.Error(), "pid") {
		t.Fatalf("resume of a run being trained: %v, want runlock.ErrHeld", err)
	}
	if after := status(t, c, "busy"); after != before {
		t.Errorf("the refused resume changed the status %s → %s", before, after)
	}
	held.Close()
	res, err := Resume(context.Background(), "busy", c.RunsDir, Options{})
	if err != nil || !res.Done {
		t.Fatalf("resume after the holder ended: %+v, %v", res, err)
	}
}
