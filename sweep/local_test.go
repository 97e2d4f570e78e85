package sweep_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dwm-rl/dwm/internal/runlock"
	"github.com/dwm-rl/dwm/sweep"
	"github.com/dwm-rl/dwm/sweep/internal/fakedwm"
	"github.com/dwm-rl/dwm/track"
)

// TestMain lets the test binary stand in for dwm: started with
// DWM_SWEEP_FAKE=1 it runs fakedwm on its arguments.
func TestMain(m *testing.M) {
	if os.Getenv(fakedwm.EnvVar) == "1" {
		os.Exit(fakedwm.Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// self is the test binary, which is fakedwm with DWM_SWEEP_FAKE=1.
func self(t *testing.T) string {
	t.Helper()
	p, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newSweep writes a sweep file of methods × one task × seeds and loads it.
func newSweep(t *testing.T, dir, name string, methods []string, seeds int) *sweep.Sweep {
	t.Helper()
	var s strings.Builder
	fmt.Fprintf(&s, "name: %s\nmethods: [%s]\ntasks:\n  - {env: hopper, dataset: data/hopper-medium-v2.hdf5}\nseeds: [", name, strings.Join(methods, ", "))
	for i := range seeds {
		if i > 0 {
			s.WriteString(", ")
		}
		fmt.Fprint(&s, i)
	}
	s.WriteString("]\noverrides: [train.steps=8]\n")
	path := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(path, []byte(s.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// The dataset file next to the sweep file (fakedwm does not read it).
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "hopper-medium-v2.hdf5"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	sw, err := sweep.Load(path, fakedwm.Methods)
	if err != nil {
		t.Fatal(err)
	}
	return sw
}

// fakeEnv is the environment that makes runs use fakedwm.
func fakeEnv(extra ...string) []string {
	return append([]string{fakedwm.EnvVar + "=1"}, extra...)
}

// invocations counts, per run name, the train invocations logged to path.
func invocations(t *testing.T, path string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, l := range strings.Fields(string(b)) {
		n[l]++
	}
	return n
}

// checkLanded checks every run of sw is done in the store with all its rows.
func checkLanded(t *testing.T, storePath string, sw *sweep.Sweep) {
	t.Helper()
	s, err := track.Open(storePath)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, r := range sw.Runs {
		got, err := s.RunByName(r.Name)
		if err != nil {
			t.Errorf("run %s: %v", r.Name, err)
			continue
		}
		n, _ := s.CountMetrics(got.ID)
		if got.Status != track.StatusDone || got.Algo != r.Method || got.Env != r.Task.Env || got.Seed != r.Seed ||
			n != 2*(fakedwm.OfflineSteps+fakedwm.OnlineSteps) {
			t.Errorf("run %s: status %s algo %s env %s seed %d rows %d", r.Name, got.Status, got.Algo, got.Env, got.Seed, n)
		}
		if !strings.Contains(string(got.Config), "train.steps=8") {
			t.Errorf("run %s: config %s lacks the override", r.Name, got.Config)
		}
	}
}

func TestRunLocal(t *testing.T) {
	dir := t.TempDir()
	sw := newSweep(t, dir, "local", []string{"iql", "calql"}, 3)
	store := filepath.Join(dir, "runs", "dwm.db") // a directory that does not exist yet
	logf := filepath.Join(dir, "invocations")
	var out bytes.Buffer
	sum, err := sweep.RunLocal(context.Background(), sw, sweep.Options{
		Store: store, Binary: self(t), Env: fakeEnv("DWM_FAKE_LOG=" + logf), Workers: 3, Progress: &out,
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if sum.Total != 6 || sum.Done != 6 || sum.Skipped != 0 || sum.Failed != 0 || sum.NotStarted != 0 {
		t.Errorf("summary %+v", sum)
	}
	checkLanded(t, store, sw)
	// Progress: a start, the two phases and a done line per run.
	for _, want := range []string{"sweep local: 6 runs, 0 already done, 6 to run on 3 workers", "start  local__hopper-medium-v2__iql__0",
		"phase  local__hopper-medium-v2__calql__2: offline", "phase  local__hopper-medium-v2__calql__2: online", "(6/6 runs, ETA 0s)",
		"sweep local: all 6 runs done"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, out.String())
		}
	}
	// Each run has its log, holding the command line and the run's output.
	log, err := os.ReadFile(filepath.Join(dir, "runs", "sweeps", "local", "logs", "local__hopper-medium-v2__iql__1.log"))
	if err != nil || !strings.Contains(string(log), "train iql --env hopper --dataset "+filepath.Join(dir, "data", "hopper-medium-v2.hdf5")+" --seed 1 --set train.steps=8") ||
		!strings.Contains(string(log), "online 4/4") {
		t.Errorf("run log: %v\n%s", err, log)
	}
	// Running it again runs nothing.
	out.Reset()
	sum, err = sweep.RunLocal(context.Background(), sw, sweep.Options{Store: store, Binary: self(t), Env: fakeEnv("DWM_FAKE_LOG=" + logf), Progress: &out})
	if err != nil || sum.Skipped != 6 || sum.Done != 0 {
		t.Errorf("second run: %+v, %v", sum, err)
	}
	for name, n := range invocations(t, logf) {
		if n != 1 {
			t.Errorf("run %s invoked %d times", name, n)
		}
	}
	// Status sees the local sweep through the store.
	rep, err := sweep.Status(context.Background(), sw, sweep.Options{Store: store})
	if err != nil || !rep.Done() || !rep.Finished() {
		t.Errorf("status: %v, %v", rep, err)
	}
}

func TestRunLocalResumesAfterInterrupt(t *testing.T) {
	dir := t.TempDir()
	sw := newSweep(t, dir, "resume", []string{"iql", "sac"}, 3)
	store := filepath.Join(dir, "runs.db")
	logf := filepath.Join(dir, "invocations")
	opts := sweep.Options{Store: store, Binary: self(t), Workers: 2, GracePeriod: 10 * time.Second,
		Env: fakeEnv("DWM_FAKE_LOG="+logf, "DWM_FAKE_STEP_SLEEP=40ms")}

	// Interrupt once two runs are done and another is midway (watching the
	// store like a user watching the bars, then pressing Ctrl-C).
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		s, err := track.Open(store)
		if err != nil {
			return
		}
		defer s.Close()
		for ctx.Err() == nil {
			done, _ := s.ListRuns(track.Filter{Status: track.StatusDone})
			running, _ := s.ListRuns(track.Filter{Status: track.StatusRunning})
			midway := false
			for _, r := range running {
				if n, _ := s.CountMetrics(r.ID); n > 0 && n <= 8 { // in its first half
					midway = true
				}
			}
			if len(done) >= 2 && midway {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	sum, err := sweep.RunLocal(ctx, sw, opts)
	if err == nil || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "run it again to resume") {
		t.Fatalf("interrupted sweep: err %v", err)
	}
	if sum.Done < 2 || sum.Done+sum.Interrupted+sum.NotStarted != 6 || sum.Interrupted == 0 {
		t.Fatalf("interrupted summary %+v", sum)
	}
	s, err := track.Open(store)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	firstDone := map[string]bool{}
	done, _ := s.ListRuns(track.Filter{Status: track.StatusDone})
	for _, r := range done {
		firstDone[r.Name] = true
	}
	// The interrupted runs got SIGINT and recorded it (a run that gets it
	// while still starting up dies before it can).
	if stopped, _ := s.ListRuns(track.Filter{Status: track.StatusInterrupted}); len(stopped) == 0 || len(stopped) > sum.Interrupted {
		t.Errorf("%d runs marked interrupted in the store, summary says %d", len(stopped), sum.Interrupted)
	}

	sum2, err := sweep.RunLocal(context.Background(), sw, opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum2.Skipped != len(firstDone) || sum2.Done != 6-len(firstDone) {
		t.Errorf("resumed summary %+v after %d done", sum2, len(firstDone))
	}
	checkLanded(t, store, sw)
	for name, n := range invocations(t, logf) {
		switch {
		case firstDone[name] && n != 1:
			t.Errorf("run %s finished before the interrupt but was run %d times", name, n)
		case n > 2:
			t.Errorf("run %s run %d times", name, n)
		case n == 2: // interrupted, then continued from its directory
			log, _ := os.ReadFile(filepath.Join(dir, "sweeps", "resume", "logs", name+".log"))
			if !strings.Contains(string(log), "train --resume "+name+" --runs "+dir) {
				t.Errorf("run %s was not resumed with --resume:\n%s", name, log)
			}
		}
	}
}

func TestRunLocalFailure(t *testing.T) {
	dir := t.TempDir()
	sw := newSweep(t, dir, "fail", []string{"iql"}, 3)
	store := filepath.Join(dir, "runs.db")
	bad := "fail__hopper-medium-v2__iql__1"
	opts := sweep.Options{Store: store, Binary: self(t), Env: fakeEnv("DWM_FAKE_FAIL=" + bad)}
	sum, err := sweep.RunLocal(context.Background(), sw, opts)
	if err == nil || sum.Failed != 1 || sum.Done != 2 || len(sum.Failures) != 1 {
		t.Fatalf("summary %+v, err %v", sum, err)
	}
	logPath := filepath.Join(dir, "sweeps", "fail", "logs", bad+".log")
	for _, want := range []string{"1 of 3 runs failed", "run " + bad + ": exit status 3", "(log: " + logPath + ")"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if log, _ := os.ReadFile(logPath); !strings.Contains(string(log), "fails on purpose") {
		t.Errorf("log of the failed run:\n%s", log)
	}
	// Fixed, the sweep runs only the failed run.
	opts.Env = fakeEnv()
	sum, err = sweep.RunLocal(context.Background(), sw, opts)
	if err != nil || sum.Done != 1 || sum.Skipped != 2 {
		t.Errorf("retry: %+v, %v", sum, err)
	}

	// A command that exits 0 without marking its run done is a failure too.
	sw2 := newSweep(t, dir, "lazy", []string{"sac"}, 1)
	sum, err = sweep.RunLocal(context.Background(), sw2, sweep.Options{Store: store,
		Command: func(r sweep.Run) *exec.Cmd { return exec.Command("true") }})
	if err == nil || !strings.Contains(err.Error(), "command succeeded but wrote no run named lazy__hopper-medium-v2__sac__0") {
		t.Errorf("lazy command: %+v, %v", sum, err)
	}
}

func TestRunTask(t *testing.T) {
	dir := t.TempDir()
	sw := newSweep(t, dir, "task", []string{"dual"}, 2)
	store := filepath.Join(dir, "runs.db")
	// What a Slurm array task does: the binary's `sweep task` re-reads the
	// file and starts `train` for its index.
	var out, errOut bytes.Buffer
	cmd := exec.Command(self(t), sweep.TaskArgs(sw.Path, "1", store, dir)...)
	cmd.Env = append(os.Environ(), fakeEnv()...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("sweep task: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(errOut.String(), "task 1: ") || !strings.Contains(out.String(), "online 4/4") {
		t.Errorf("task output:\n%s\n%s", out.String(), errOut.String())
	}
	s, err := track.Open(store)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if r, err := s.RunByName(sw.Runs[1].Name); err != nil || r.Status != track.StatusDone {
		t.Errorf("task's run: %+v, %v", r, err)
	}
	if _, err := s.RunByName(sw.Runs[0].Name); !errors.Is(err, track.ErrNotFound) {
		t.Errorf("other run exists: %v", err)
	}
	// Again: already done, nothing run.
	errOut.Reset()
	if err := sweep.RunTask(context.Background(), sw, 1, sweep.Options{Store: store, Binary: "/nonexistent", Stderr: &errOut}); err != nil ||
		!strings.Contains(errOut.String(), "already done") {
		t.Errorf("second task: %v, %s", err, errOut.String())
	}
	if err := sweep.RunTask(context.Background(), sw, 2, sweep.Options{Store: store}); err == nil || !strings.Contains(err.Error(), "task index 2 outside 0..1") {
		t.Errorf("bad index: %v", err)
	}
}

func TestBadStore(t *testing.T) {
	dir := t.TempDir()
	sw := newSweep(t, dir, "bad", []string{"iql"}, 1)
	notDB := filepath.Join(dir, "notes.db")
	if err := os.WriteFile(notDB, []byte("not a database, just notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	newer := filepath.Join(dir, "newer.db")
	s, err := track.Open(newer)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", "file:"+newer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", track.SchemaVersion+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	calls := 0
	var mu sync.Mutex
	cmd := func(r sweep.Run) *exec.Cmd { mu.Lock(); calls++; mu.Unlock(); return exec.Command("true") }
	for _, tc := range []struct{ path, want string }{
		{notDB, "not an SQLite database"},
		{newer, "newer than this dwm supports"},
	} {
		_, err := sweep.RunLocal(context.Background(), sw, sweep.Options{Store: tc.path, Command: cmd})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path) || !strings.Contains(err.Error(), "sweep bad") {
			t.Errorf("RunLocal on %s: %v, want an error naming the sweep and the file and saying %q", filepath.Base(tc.path), err, tc.want)
		}
		if _, err := sweep.Status(context.Background(), sw, sweep.Options{Store: tc.path}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Status on %s: %v", filepath.Base(tc.path), err)
		}
		if err := sweep.RunTask(context.Background(), sw, 0, sweep.Options{Store: tc.path, Command: cmd}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("RunTask on %s: %v", filepath.Base(tc.path), err)
		}
	}
	if calls != 0 {
		t.Errorf("%d runs started against a bad store", calls)
	}
}

// A task that forks another task of the sweep runs after it: with more
// workers than parents, every branch still waits for its parent to end
// (fakedwm refuses a fork of a run that is not done) and lands with its
// own env and its parent's method and seed.
func TestRunLocalForkWaitsForParent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "shift.yaml")
	content := "name: shift\nmethods: [iql, calql]\ntasks:\n  - {env: hopper, name: base}\n  - {env: hopper-friction-2.0, name: far, fork: base}\nseeds: [0, 1]\n"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	sw, err := sweep.Load(path, fakedwm.Methods)
	if err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, "runs", "dwm.db")
	var out bytes.Buffer
	sum, err := sweep.RunLocal(context.Background(), sw, sweep.Options{
		Store: store, Binary: self(t), Env: fakeEnv("DWM_FAKE_STEP_SLEEP=20ms"), Workers: 8, Progress: &out,
	})
	if err != nil || sum.Done != 8 {
		t.Fatalf("summary %+v, %v\n%s", sum, err, out.String())
	}
	s, err := track.Open(store)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, r := range sw.Runs {
		got, err := s.RunByName(r.Name)
		if err != nil || got.Status != track.StatusDone || got.Env != r.Task.Env || got.Algo != r.Method || got.Seed != r.Seed {
			t.Errorf("run %s: %+v, %v", r.Name, got, err)
		}
	}
}

// A run whose lock another process holds (a second sweep, a Slurm task, a
// `dwm train --resume`) is left to it: not started, not failed, counted.
func TestRunLocalLeavesLockedRuns(t *testing.T) {
	dir := t.TempDir()
	sw := newSweep(t, dir, "busy", []string{"iql", "calql"}, 1)
	runs := filepath.Join(dir, "runs")
	held := filepath.Join(runs, "busy__hopper-medium-v2__calql__0")
	if err := os.MkdirAll(held, 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := runlock.Acquire(held)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	logf := filepath.Join(dir, "invocations")
	var out bytes.Buffer
	sum, err := sweep.RunLocal(context.Background(), sw, sweep.Options{Store: filepath.Join(runs, "dwm.db"), RunsDir: runs,
		Binary: self(t), Env: fakeEnv("DWM_FAKE_LOG=" + logf), Workers: 2, Progress: &out})
	if err != nil || sum.Done != 1 || sum.Elsewhere != 1 || sum.Failed != 0 || sum.NotStarted != 0 {
		t.Fatalf("summary %+v, %v\n%s", sum, err, out.String())
	}
	if n := invocations(t, logf); n["busy__hopper-medium-v2__calql__0"] != 0 || n["busy__hopper-medium-v2__iql__0"] != 1 {
		t.Errorf("invocations %v", n)
	}
	if !strings.Contains(out.String(), "busy__hopper-medium-v2__calql__0 is being trained by another process: left to it") {
		t.Errorf("progress does not say so:\n%s", out.String())
	}
}
