package sweep_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dwm-rl/dwm/sweep"
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
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	ts := time.Now()
	sub, err := sweep.SubmitSlurm(ctx, sw, opts)
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
	if err != nil {
		logs, _ := filepath.Glob(filepath.Join(dir, "sweeps", "slurm", "logs", "*"))
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			t.Logf("--- %s\n%s", l, b)
		}
		t.Fatal(err)
	}
	var table bytes.Buffer
	rep.Write(&table)
	for _, r := range rep.Runs {
		if r.State() != "done" || r.Slurm != "COMPLETED" || !strings.HasPrefix(r.Task, sub.JobID+"_") {
			t.Errorf("run %s: state %s, slurm %s task %s\n%s", r.Run.Name, r.State(), r.Slurm, r.Task, table.String())
		}
	}
	checkLanded(t, store, sw)
	// Each task's output went to its Slurm log.
	out, err := os.ReadFile(filepath.Join(dir, "sweeps", "slurm", "logs", "slurm-"+sub.JobID+"_3.out"))
	if err != nil || !strings.Contains(string(out), "task 3: ") || !strings.Contains(string(out), "online 4/4") {
		t.Errorf("task 3 log: %v\n%s", err, out)
	}
	// Everything is done: resubmitting submits nothing.
	if again, err := sweep.SubmitSlurm(ctx, sw, opts); err != nil || again != nil {
		t.Errorf("resubmission: %+v, %v", again, err)
	}
	stop()
	t.Logf("whole test: %v", time.Since(t0).Round(time.Millisecond))
}
