package report

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dwm-rl/dwm/track"
)

// setUserVersion stamps a store with another schema version, as a newer dwm
// would have.
func setUserVersion(t *testing.T, path string, v int) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", v)); err != nil {
		t.Fatal(err)
	}
}

func TestParseFilter(t *testing.T) {
	seed := int64(2)
	for _, tc := range []struct {
		in   string
		want track.Filter
		err  string
	}{
		{"", track.Filter{}, ""},
		{"sweep1__*", track.Filter{Name: "sweep1__*"}, ""},
		{"algo=iql, env=hopper-medium-v2", track.Filter{Algo: "iql", Env: "hopper-medium-v2"}, ""},
		{"method=iql,task=pen,seed=2,status=done", track.Filter{Algo: "iql", Env: "pen", Seed: &seed, Status: track.StatusDone}, ""},
		{"id=3|1", track.Filter{IDs: []int64{3, 1}}, ""},
		{"seed=two", track.Filter{}, `seed "two" is not an integer`},
		{"status=finished", track.Filter{}, `unknown status "finished"`},
		{"colour=red", track.Filter{}, `unknown key "colour"`},
		{"algo=iql,method=cql", track.Filter{}, "algo given twice"},
		{"algo=", track.Filter{}, "algo has an empty value"},
		{"id=1|x", track.Filter{}, `id "x" is not an integer`},
	} {
		got, err := ParseFilter(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseFilter(%q) err = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || FormatFilter(got) != FormatFilter(tc.want) {
			t.Errorf("ParseFilter(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if again, err := ParseFilter(FormatFilter(got)); err != nil || FormatFilter(again) != FormatFilter(got) {
			t.Errorf("round trip of %q: %q, %v", tc.in, FormatFilter(again), err)
		}
	}
}

func TestRunsVerbs(t *testing.T) {
	s := openStore(t)
	a, _ := s.CreateRun(track.Run{Name: "s__pen__iql__0", Algo: "iql", Env: "pen", Seed: 0, Status: track.StatusDone,
		Config: []byte(`{"lr":0.001}`), Provenance: track.Provenance{Version: "0.1.0", Host: "vm", GitCommit: "abc123"}})
	b, _ := s.CreateRun(track.Run{Name: "s__pen__sac__1", Algo: "sac", Env: "pen", Seed: 1, Config: []byte(`{"fork_of":"p__pen__sac__1@5000"}`)})
	if err := s.LogMetrics(a.ID, 10, track.PhaseOnline, map[string]float64{"eval/return": 12.5, "loss/q": 0.25}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddArtifact(a.ID, "checkpoint", "runs/x/ckpt-10"); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := ListRuns(&out, s, track.Filter{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], "s__pen__iql__0") ||
		!strings.Contains(lines[1], "done") || !strings.Contains(lines[2], "running") {
		t.Errorf("list:\n%s", out.String())
	}
	out.Reset()
	if err := ListRuns(&out, s, track.Filter{Algo: "cql"}); err != nil || !strings.Contains(out.String(), `no runs match "algo=cql"`) {
		t.Errorf("empty list: %v\n%s", err, out.String())
	}
	for _, ref := range []string{"s__pen__iql__0", fmt.Sprint(a.ID)} {
		out.Reset()
		if err := ShowRun(&out, s, ref); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"name:", "s__pen__iql__0", "abc123", `"lr": 0.001`, "eval/return", "12.50", "online", "checkpoint", "runs/x/ckpt-10"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("show %s lacks %q:\n%s", ref, want, out.String())
			}
		}
	}
	// A branched run says where it came from; the others do not.
	out.Reset()
	if err := ShowRun(&out, s, "s__pen__sac__1"); err != nil || !strings.Contains(out.String(), "fork of:") || !strings.Contains(out.String(), "p__pen__sac__1@5000") {
		t.Errorf("show of a fork: %v\n%s", err, out.String())
	}
	out.Reset()
	if ShowRun(&out, s, "s__pen__iql__0"); strings.Contains(out.String(), "fork of:") {
		t.Errorf("show of a run trained from its start names a parent:\n%s", out.String())
	}
	// Name alternatives: either sweep's runs.
	out.Reset()
	if err := ListRuns(&out, s, track.Filter{Name: "s__pen__iql__*|s__pen__sac__*"}); err != nil ||
		!strings.Contains(out.String(), "s__pen__iql__0") || !strings.Contains(out.String(), "s__pen__sac__1") {
		t.Errorf("list with name alternatives: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := ListRuns(&out, s, track.Filter{Name: "s__pen__iql__*|nothing"}); err != nil || strings.Contains(out.String(), "s__pen__sac__1") {
		t.Errorf("list with one matching alternative: %v\n%s", err, out.String())
	}
	if err := ShowRun(&out, s, "nope"); err == nil || !strings.Contains(err.Error(), `run "nope"`) {
		t.Errorf("show missing run: %v", err)
	}
	if _, err := RemoveRuns(&out, s, track.Filter{}, RemoveOptions{}); err == nil || !strings.Contains(err.Error(), "filter is empty") {
		t.Errorf("remove with empty filter: %v", err)
	}
	out.Reset()
	n, err := RemoveRuns(&out, s, track.Filter{Algo: "sac"}, RemoveOptions{DryRun: true})
	if err != nil || n != 0 || !strings.Contains(out.String(), "would remove run") {
		t.Errorf("dry run: %d, %v, %s", n, err, out.String())
	}
	// The run's directory goes with it (so a new run of the name starts
	// afresh); a directory without a run's config.yaml stays.
	runDir, other := t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(runDir, "checkpoints", "step-1"), 0o755)
	os.WriteFile(filepath.Join(runDir, "config.yaml"), []byte("algo: sac\n"), 0o644)
	s.SetDir(b.ID, runDir)
	s.SetDir(a.ID, other)
	n, err = RemoveRuns(&out, s, track.Filter{Algo: "sac"}, RemoveOptions{})
	if err != nil || n != 1 || !strings.Contains(out.String(), "and its directory "+runDir) {
		t.Errorf("remove: %d, %v, %s", n, err, out.String())
	}
	if _, err := os.Stat(runDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the removed run's directory is still there: %v", err)
	}
	out.Reset()
	if _, err := RemoveRuns(&out, s, track.Filter{Algo: "iql"}, RemoveOptions{DryRun: true}); err != nil || !strings.Contains(out.String(), "holds no config.yaml: left in place") {
		t.Errorf("dry run over a directory without config.yaml: %v, %s", err, out.String())
	}
	if _, err := s.GetRun(b.ID); err == nil {
		t.Error("removed run still there")
	}
	if n, err := RemoveRuns(&out, s, track.Filter{}, RemoveOptions{All: true}); err != nil || n != 1 {
		t.Errorf("remove all: %d, %v", n, err)
	}
}

func TestFmtNum(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 1234.5: "1234", 99.95: "99.95", 123.44: "123.4", 0.01234: "0.012", 2e-5: "2e-05", 3e7: "3e+07", -5.5: "-5.50"} {
		if got := fmtNum(v); got != want {
			t.Errorf("fmtNum(%v) = %q, want %q", v, got, want)
		}
	}
}

// TestDiffRuns: two runs that differ in one config key, the seed, a key
// only one has, their commit and their last evaluation show exactly
// those differences, in order (status, provenance, config, evaluations);
// a run compared with itself shows none.
func TestDiffRuns(t *testing.T) {
	s := openStore(t)
	mk := func(name, cfg, commit string, seed int64, last float64) {
		r, err := s.CreateRun(track.Run{Name: name, Algo: "bdwm", Env: "hopper", Seed: seed, Status: track.StatusDone,
			Config: json.RawMessage(cfg), Provenance: track.Provenance{Version: "v1", GitCommit: commit, Host: "h"}})
		if err != nil {
			t.Fatal(err)
		}
		rows := []track.Row{{Step: 10, Phase: "offline", Name: "eval/normalized_return", Value: 1},
			{Step: 20, Phase: "online", Name: "eval/normalized_return", Value: last},
			{Step: 20, Phase: "online", Name: "train/q_mean", Value: last}}
		if err := s.LogRows(r.ID, rows); err != nil {
			t.Fatal(err)
		}
	}
	mk("a", `{"name": "a", "seed": 0, "bdwm": {"no_bc": false, "model": {"members": 3}}, "sac": {"hidden": [256, 256]}}`, "c1", 0, 10)
	mk("b", `{"name": "b", "seed": 1, "bdwm": {"no_bc": true, "model": {"members": 3}}, "sac": {"hidden": [256, 256]}, "fork_of": "a@100"}`, "c2", 1, 12.5)
	d, err := DiffRuns(s, "a", "b")
	if err != nil {
		t.Fatal(err)
	}
	want := []Difference{
		{"provenance.git_commit", "c1", "c2"},
		{"bdwm.no_bc", "false", "true"},
		{"fork_of", "—", `"a@100"`},
		{"seed", "0", "1"},
		{"last eval/normalized_return", "10.00 at step 20", "12.50 at step 20"},
	}
	if !slices.Equal(d, want) {
		t.Errorf("differences\n%v\nwant\n%v", d, want)
	}
	if d, err := DiffRuns(s, "a", "a"); err != nil || len(d) != 0 {
		t.Errorf("a run against itself: %v, %v", d, err)
	}
	var out bytes.Buffer
	if err := WriteDiff(&out, s, "a", "b"); err != nil || !strings.Contains(out.String(), "bdwm.no_bc") {
		t.Errorf("WriteDiff: %v\n%s", err, out.String())
	}
	if _, err := DiffRuns(s, "a", "nope"); err == nil {
		t.Error("an unknown run accepted")
	}
}

// TestTrainTime: a run's training time integrates its logged speeds (steps
// since the previous row over the row's rate), online rows counting from
// the switch; a branch counts only the steps after its fork; a run without
// speed rows has none ("—").
func TestTrainTime(t *testing.T) {
	s := openStore(t)
	mk := func(name, cfg string) {
		r, err := s.CreateRun(track.Run{Name: name, Algo: "iql", Env: "hopper", Status: track.StatusDone, Config: json.RawMessage(cfg)})
		if err != nil {
			t.Fatal(err)
		}
		rows := []track.Row{
			{Step: 1000, Phase: "offline", Name: "time/updates_per_s", Value: 100}, // 10 s
			{Step: 2000, Phase: "offline", Name: "time/updates_per_s", Value: 50},  // 20 s
			{Step: 2500, Phase: "online", Name: "time/env_steps_per_s", Value: 50}, // 10 s from the switch at 2000
			{Step: 3000, Phase: "online", Name: "time/env_steps_per_s", Value: 25}, // 20 s
			{Step: 3000, Phase: "online", Name: MetricNormalizedReturn, Value: 1},
		}
		if err := s.LogRows(r.ID, rows); err != nil {
			t.Fatal(err)
		}
	}
	mk("whole", `{"train": {"offline_steps": 2000, "online_steps": 1000}}`)
	mk("branch", `{"train": {"offline_steps": 2000, "online_steps": 1000}, "fork_of": "whole@2000"}`)
	r, err := s.CreateRun(track.Run{Name: "nospeed", Algo: "iql", Env: "hopper", Status: track.StatusDone})
	if err != nil {
		t.Fatal(err)
	}
	s.LogRows(r.ID, []track.Row{{Step: 10, Phase: "offline", Name: MetricNormalizedReturn, Value: 1}})
	res, err := Build(s, track.Filter{}, t.TempDir(), Options{Resamples: 20, CurveResamples: 20})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Duration{"whole": 60 * time.Second, "branch": 30 * time.Second, "nospeed": 0}
	for _, rr := range res.Runs {
		if rr.TrainTime != want[rr.Name] {
			t.Errorf("%s: train time %v, want %v", rr.Name, rr.TrainTime, want[rr.Name])
		}
	}
	md, _ := os.ReadFile(res.Markdown)
	if !strings.Contains(string(md), "| 1m |") || !strings.Contains(string(md), "| 30s |") || !strings.Contains(string(md), "Train time/run (median)") {
		t.Errorf("markdown lacks the train times:\n%s", md)
	}
}
