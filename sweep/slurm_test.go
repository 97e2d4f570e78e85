package sweep_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dwm-rl/dwm/sweep"
	"github.com/dwm-rl/dwm/sweep/internal/fakedwm"
	"github.com/dwm-rl/dwm/sweep/internal/slurmtest"
)

// TestSlurmJobArray runs a sweep on a real one-node Slurm cluster started
// for the test: submit a job array (one task per run, each running this
// test binary as dwm's `sweep task`, which starts `train` and writes to the
// store), follow it to the end, check every run landed, resubmit (nothing
// to do), and shut the cluster down leaving no process behind.
func TestSlurmJobArray(t *testing.T) {
	if !slurmtest.Installed() {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing with CI=true: scripts/deps.sh test installs slurm-wlm and munge", slurmtest.Slurmctld)
		}
		t.Skipf("%s not installed (scripts/deps.sh test installs slurm-wlm and munge); skipping the Slurm test", slurmtest.Slurmctld)
	}
	t0 := time.Now()
	cluster, err := slurmtest.Start()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("slurmctld is installed but the test cluster did not come up (CI=true): %v", err)
		}
		t.Skipf("the one-node Slurm cluster could not start here: %v", err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		ts := time.Now()
		if err := cluster.Stop(); err != nil {
			t.Error(err)
		}
		t.Logf("cluster shutdown: %v", time.Since(ts).Round(time.Millisecond))
	}
	t.Cleanup(stop)
	t.Logf("cluster up (node idle) in %v", cluster.Started.Round(time.Millisecond))

	dir := t.TempDir()
	sw := newSweep(t, dir, "slurm", []string{"iql", "calql"}, 2)
	store := filepath.Join(dir, "runs.db")
	opts := sweep.Options{Store: store, Binary: self(t), Env: append(fakeEnv(), cluster.Env()...), PollInterval: 200 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()

	// First submission: run 2 fails (as a crashed task would).
	bad := sw.Runs[2].Name
	failing := opts
	failing.Env = append(append([]string(nil), opts.Env...), "DWM_FAKE_FAIL="+bad)
	ts := time.Now()
	sub, err := sweep.SubmitSlurm(ctx, sw, failing)
	if err != nil {
		t.Fatal(err)
	}
	if sub == nil || sub.JobID == "" || len(sub.Indices) != 4 {
		t.Fatalf("submission %+v", sub)
	}
	t.Logf("submitted job %s (array %v)", sub.JobID, sub.Indices)
	var watch bytes.Buffer
	rep, err := sweep.Watch(ctx, &watch, sw, opts)
	t.Logf("job array ran in %v; watch output:\n%s", time.Since(ts).Round(time.Millisecond), watch.String())
	if err == nil || !strings.Contains(err.Error(), "1 of 4 runs not done: "+bad+" (failed, slurm FAILED)") {
		dumpLogs(t, dir)
		t.Fatalf("watch of a job with a failing task: %v", err)
	}
	var table bytes.Buffer
	rep.Write(&table)
	t.Logf("status:\n%s", table.String())
	for _, r := range rep.Runs {
		want, slurm := "done", "COMPLETED"
		if r.Run.Name == bad {
			want, slurm = "failed", "FAILED"
		}
		if r.State() != want || r.Slurm != slurm || r.Task != fmt.Sprintf("%s_%d", sub.JobID, r.Run.Index) {
			t.Errorf("run %s: state %s, slurm %s, task %s; want %s, %s", r.Run.Name, r.State(), r.Slurm, r.Task, want, slurm)
		}
	}
	// Each task's output went to its Slurm log.
	out, err := os.ReadFile(filepath.Join(dir, "sweeps", "slurm", "logs", "slurm-"+sub.JobID+"_3.out"))
	if err != nil || !strings.Contains(string(out), "task 3: ") || !strings.Contains(string(out), "online 4/4") {
		t.Errorf("task 3 log: %v\n%s", err, out)
	}

	// Resubmitting sends only the failed run, which continues from its
	// directory (train --resume).
	ts = time.Now()
	sub2, err := sweep.SubmitSlurm(ctx, sw, opts)
	if err != nil {
		t.Fatal(err)
	}
	if sub2 == nil || len(sub2.Indices) != 1 || sub2.Indices[0] != 2 || sub2.Names[0] != bad {
		t.Fatalf("resubmission %+v, want only index 2", sub2)
	}
	watch.Reset()
	if rep, err = sweep.Watch(ctx, &watch, sw, opts); err != nil || !rep.Done() {
		dumpLogs(t, dir)
		t.Fatalf("second job: %v\n%s", err, watch.String())
	}
	t.Logf("second job (1 task) ran in %v", time.Since(ts).Round(time.Millisecond))
	out, _ = os.ReadFile(filepath.Join(dir, "sweeps", "slurm", "logs", "slurm-"+sub2.JobID+"_2.out"))
	if !strings.Contains(string(out), "train --resume "+bad) {
		t.Errorf("the failed run was not resumed:\n%s", out)
	}
	checkLanded(t, store, sw)
	// Everything is done: resubmitting submits nothing.
	if again, err := sweep.SubmitSlurm(ctx, sw, opts); err != nil || again != nil {
		t.Errorf("resubmission: %+v, %v", again, err)
	}

	// A task forking another (tasks[].fork) goes in a second array that
	// waits for the first: fakedwm refuses a fork whose parent is not done,
	// so every run landing shows the order held (one parent and one branch:
	// the node has a free CPU for the branch while the parent runs).
	fdir := t.TempDir()
	fpath := filepath.Join(fdir, "shift.yaml")
	if err := os.WriteFile(fpath, []byte("name: shift\nmethods: [iql]\ntasks:\n  - {env: hopper, name: base}\n  - {env: hopper-friction-2.0, name: far, fork: base}\nseeds: [0]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fsw, err := sweep.Load(fpath, fakedwm.Methods)
	if err != nil {
		t.Fatal(err)
	}
	fopts := opts
	fopts.Store = filepath.Join(fdir, "runs.db")
	fopts.Env = append(append([]string(nil), opts.Env...), "DWM_FAKE_STEP_SLEEP=50ms")
	fsub, err := sweep.SubmitSlurm(ctx, fsw, fopts)
	if err != nil {
		t.Fatal(err)
	}
	if fsub == nil || len(fsub.Indices) != 1 || fsub.Next == nil || len(fsub.Next.Indices) != 1 || len(fsub.Next.After) != 1 || fsub.Next.After[0] != fsub.JobID {
		t.Fatalf("fork submission %+v (next %+v): want the parent, then its branch after job %s", fsub, fsub.Next, fsub.JobID)
	}
	watch.Reset()
	if rep, err := sweep.Watch(ctx, &watch, fsw, fopts); err != nil || !rep.Done() {
		dumpLogs(t, fdir)
		t.Fatalf("fork sweep: %v\n%s", err, watch.String())
	}
	stop()
	t.Logf("whole test: %v", time.Since(t0).Round(time.Millisecond))
}

func dumpLogs(t *testing.T, dir string) {
	logs, _ := filepath.Glob(filepath.Join(dir, "sweeps", "slurm", "logs", "*"))
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		t.Logf("--- %s\n%s", l, b)
	}
}
