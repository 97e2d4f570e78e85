package check_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/experiment"
	"github.com/dwm-rl/dwm/sweep"
	"github.com/dwm-rl/dwm/sweep/check"
	"github.com/dwm-rl/dwm/track"
)

// copySweeps copies the sweep files of dir into a temporary directory, so
// that their datasets (relative paths, made on demand and not in the
// repository) are missing there whatever this machine holds: every task gets
// its stand-in, and the test's cost and outcome do not depend on the caches.
func copySweeps(t *testing.T, dst, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("sweep files in %s: %v (%v)", dir, files, err)
	}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dst, filepath.Base(f))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func load(t *testing.T, paths []string) []*sweep.Sweep {
	t.Helper()
	var sws []*sweep.Sweep
	for _, p := range paths {
		sw, err := sweep.Load(p, experiment.Algos())
		if err != nil {
			t.Fatal(err)
		}
		sws = append(sws, sw)
	}
	return sws
}

// TestRepositorySweeps smoke-runs every benchmark sweep of the repository
// (bdwm/sweeps and docs/results/sweeps) twice (Repeat): one run of each task
// and method gets through its offline phase, the switch and its online phase
// with its own overrides, every branch is made from its parent's switch, and
// a second run of each logs bitwise the same metrics. The
// DIAMOND baseline and the K = 1 ablation once logged a NaN metric at their
// first step and stopped; this is the test that would have said so before
// the hours-long runs did.
func TestRepositorySweeps(t *testing.T) {
	if testing.Short() {
		t.Skip("smoke-runs about 40 configurations")
	}
	// The two directories share no parents: each is checked on its own
	// runs directory, both at once (the suite's longest test).
	for _, dir := range []string{"../../bdwm/sweeps", "../../docs/results/sweeps"} {
		t.Run(filepath.Base(filepath.Dir(dir))+"-"+filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			sws := load(t, copySweeps(t, root, dir))
			var out bytes.Buffer
			res, err := check.Sweeps(context.Background(), sws, check.Options{RunsDir: filepath.Join(root, "runs"), Out: &out, Repeat: true})
			t.Logf("\n%s", out.String())
			if err != nil {
				t.Fatal(err)
			}
			// One result per task and method of each sweep, and every
			// branch of another run was made from it (Parent set).
			want, branches := 0, 0
			for _, sw := range sws {
				seen := map[string]bool{}
				for _, r := range sw.Runs {
					k := r.Task.Label() + "/" + r.Method
					if !seen[k] {
						seen[k] = true
						want++
						if r.Parent != "" {
							branches++
						}
					}
				}
			}
			got := 0
			for _, r := range res {
				if r.Parent != "" {
					got++
				}
				if r.StandIn == "" {
					t.Errorf("%s ran on its own dataset, which the copy cannot reach", r.Run)
				}
			}
			if len(res) != want || got != branches {
				t.Errorf("%d results (%d branches), want %d (%d)", len(res), got, want, branches)
			}
		})
	}
}

// TestFailuresReported: a run whose configuration fails only when it is
// built (an η percentile outside (0, 100)) is reported with its error, its
// branch is not attempted, the other runs still run, and Sweeps returns an
// error that lists the failures.
func TestFailuresReported(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	parent := write("parent.yaml", `
name: parent
methods: [bdwm, iql]
tasks: [{env: pendulum, dataset: pendulum-medium, name: pm}]
seeds: [0, 1]
overrides: [train.offline_steps=1000, train.online_steps=1000]
method_overrides:
  bdwm: [bdwm.eta_percentile=150]
`)
	child := write("child.yaml", `
name: child
methods: [bdwm]
tasks: [{env: pendulum, dataset: pendulum-medium, name: pm}]
seeds: [0]
overrides: [train.offline_steps=1000, train.online_steps=1000, bdwm.no_bc=true]
fork: {sweep: parent}
`)
	// The child is checked first: its parent, in the sibling file, runs
	// before it.
	sws := load(t, []string{child, parent})
	var out bytes.Buffer
	res, err := check.Sweeps(context.Background(), sws, check.Options{RunsDir: filepath.Join(dir, "runs"), Out: &out})
	t.Logf("\n%s", out.String())
	if err == nil || !strings.Contains(err.Error(), "2 of 3 runs failed") {
		t.Fatalf("error %v, want one listing 2 of 3 runs failed", err)
	}
	byName := map[string]check.Result{}
	for _, r := range res {
		byName[r.Run] = r
	}
	bad := byName["parent__pm__bdwm__0"]
	if bad.Err == nil || !strings.Contains(bad.Err.Error(), "eta_percentile") {
		t.Errorf("parent bdwm run: %v, want the η percentile named", bad.Err)
	}
	br := byName["child__pm__bdwm__0"]
	if br.Parent != "parent__pm__bdwm__0" || br.Err == nil || !strings.Contains(br.Err.Error(), "parent") {
		t.Errorf("branch: parent %q, error %v; want its parent's failure", br.Parent, br.Err)
	}
	if r, ok := byName["parent__pm__iql__0"]; !ok || r.Err != nil {
		t.Errorf("iql run: %+v, want it run and passed", r)
	}
	if _, ok := byName["parent__pm__iql__1"]; ok {
		t.Error("seed 1 checked too: one seed stands for the others")
	}
	if !strings.Contains(out.String(), "FAIL parent__pm__bdwm__0") {
		t.Errorf("output does not report the failure:\n%s", out.String())
	}
}

// TestRepeat: with Options.Repeat every run (a branch too) runs twice and
// passes only with the same metric rows; rows that differ are reported with
// the first difference.
func TestRepeat(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(p, []byte(`
name: s
methods: [iql, bdwm]
tasks:
  - {env: pendulum, dataset: pendulum-medium, name: pm}
  - {env: pendulum, dataset: pendulum-medium, name: pm-again, fork: pm}
seeds: [3]
overrides: [train.offline_steps=1000, train.online_steps=1000]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	runs := filepath.Join(dir, "runs")
	var out bytes.Buffer
	res, err := check.Sweeps(context.Background(), load(t, []string{p}), check.Options{RunsDir: runs, Out: &out, Repeat: true})
	t.Logf("\n%s", out.String())
	if err != nil || len(res) != 4 {
		t.Fatalf("%d results, %v", len(res), err)
	}
	s, err := track.Open(filepath.Join(runs, "dwm.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	all, _ := s.ListRuns(track.Filter{Name: "*__repeat"})
	if len(all) != 4 {
		t.Errorf("%d repeats in the store, want 4", len(all))
	}
	// A repeat that logged another value is caught: change one row of a
	// finished pair and compare again through a second check of the same
	// store (the runs are done, so only the comparison runs).
	r, _ := s.RunByName("s__pm__iql__3__repeat")
	rows, _ := s.Rows(r.ID, 1<<62)
	var target track.Row
	for _, x := range rows {
		if x.Name == "loss/critic" || x.Name == "train/q_mean" {
			target = x
			break
		}
	}
	if target.Name == "" {
		t.Fatalf("no loss row to change in %d rows", len(rows))
	}
	if err := check.CompareRuns(runs, "s__pm__iql__3", "s__pm__iql__3__repeat"); err != nil {
		t.Fatalf("identical pair: %v", err)
	}
	if err := s.LogRows(r.ID, []track.Row{{Step: target.Step, Phase: target.Phase, Name: target.Name, Value: target.Value + 1e-9}}); err != nil {
		t.Fatal(err)
	}
	if err := check.CompareRuns(runs, "s__pm__iql__3", "s__pm__iql__3__repeat"); err == nil || !strings.Contains(err.Error(), "not reproducible: 1 of") ||
		!strings.Contains(err.Error(), target.Name) {
		t.Errorf("changed row: %v", err)
	}
}
