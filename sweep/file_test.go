package sweep

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/progress"
	"github.com/dwm-rl/dwm/track"
)

var known = []string{"iql", "calql", "sac", "dual"}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	return writeFileIn(t, t.TempDir(), name, content)
}

func writeFileIn(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const yamlSweep = `
name: demo
methods: [iql, calql]
tasks:
  - {env: hopper, dataset: data/hopper-medium-v2.hdf5}
  - env: Pendulum_v1
seeds: [0, 7]
overrides: [train.online_steps=1000, "eval.episodes=2"]
method_overrides:
  calql: [agent.alpha=5]
`

const tomlSweep = `
name = "demo"
methods = ["iql", "calql"]
seeds = [0, 7]
overrides = ["train.online_steps=1000", "eval.episodes=2"]
tasks = [{env = "hopper", dataset = "data/hopper-medium-v2.hdf5"}, {env = "Pendulum_v1"}]

[method_overrides]
calql = ["agent.alpha=5"]
`

func TestLoadExpands(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "data"), 0o755)
	writeFileIn(t, filepath.Join(dir, "data"), "hopper-medium-v2.hdf5", "")
	y, err := Load(writeFileIn(t, dir, "demo.yaml", yamlSweep), known)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := Load(writeFileIn(t, dir, "demo.toml", tomlSweep), known)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(y.Runs, tm.Runs) {
		t.Errorf("YAML and TOML expand differently:\n%+v\n%+v", y.Runs, tm.Runs)
	}
	if !filepath.IsAbs(y.Path) || y.Name != "demo" || len(y.Runs) != 8 {
		t.Fatalf("sweep %s at %s with %d runs", y.Name, y.Path, len(y.Runs))
	}
	want := []string{
		"demo__hopper-medium-v2__iql__0", "demo__hopper-medium-v2__iql__7",
		"demo__hopper-medium-v2__calql__0", "demo__hopper-medium-v2__calql__7",
		"demo__Pendulum-v1__iql__0", "demo__Pendulum-v1__iql__7",
		"demo__Pendulum-v1__calql__0", "demo__Pendulum-v1__calql__7",
	}
	for i, r := range y.Runs {
		if r.Index != i || r.Name != want[i] {
			t.Errorf("run %d: index %d name %s, want %s", i, r.Index, r.Name, want[i])
		}
	}
	r := y.Runs[3]
	if !slices.Equal(r.Overrides, []string{"train.online_steps=1000", "eval.episodes=2", "agent.alpha=5"}) {
		t.Errorf("calql overrides %v", r.Overrides)
	}
	data := filepath.Join(dir, "data", "hopper-medium-v2.hdf5") // relative to the sweep file
	if got := TrainArgs(r, "/s/runs.db", "/s", false); !slices.Equal(got, []string{"train", "calql", "--env", "hopper", "--dataset", data,
		"--seed", "7", "--set", "train.online_steps=1000", "--set", "eval.episodes=2", "--set", "agent.alpha=5",
		"--store", "/s/runs.db", "--runs", "/s", "--name", "demo__hopper-medium-v2__calql__7"}) {
		t.Errorf("TrainArgs = %q", got)
	}
	if got := TrainArgs(r, "/s/runs.db", "/s", true); !slices.Equal(got, []string{"train", "--resume", "demo__hopper-medium-v2__calql__7", "--runs", "/s"}) {
		t.Errorf("TrainArgs resuming = %q", got)
	}
	if got := TrainArgs(y.Runs[4], "s.db", "/s", false); !slices.Equal(got[:5], []string{"train", "iql", "--env", "Pendulum_v1", "--seed"}) {
		t.Errorf("env-only task args %q", got)
	}
	// A dataset that is no file next to the sweep file is passed as written
	// (an embedded or made dataset name).
	named, err := Load(writeFileIn(t, dir, "named.yaml", "methods: [sac]\ntasks: [{env: pendulum, dataset: pendulum-medium}]\nseeds: [0]\n"), known)
	if err != nil || named.Runs[0].Task.Dataset != "pendulum-medium" || named.Runs[0].Name != "named__pendulum-medium__sac__0" {
		t.Errorf("dataset name: %+v, %v", named, err)
	}
	// Re-expansion is stable: the same file gives the same names.
	again, err := Load(y.Path, known)
	if err != nil || !reflect.DeepEqual(again.Runs, y.Runs) {
		t.Errorf("re-expansion differs: %v", err)
	}
	// The name defaults to the file's base name.
	noName, err := Load(writeFile(t, "grid-1.yaml", strings.Replace(yamlSweep, "name: demo\n", "", 1)), known)
	if err != nil || noName.Name != "grid-1" || !strings.HasPrefix(noName.Runs[0].Name, "grid-1__") {
		t.Errorf("default name: %v, %v", noName, err)
	}
}

func TestLoadErrors(t *testing.T) {
	base := "methods: [iql]\ntasks: [{env: pen}]\nseeds: [0]\n"
	for _, tc := range []struct {
		name, file, content, want string
		methods                   []string
	}{
		{"unknown top-level key", "s.yaml", base + "sedes: [1]\n", "field sedes not found", known},
		{"unknown task key", "s.yaml", "methods: [iql]\ntasks: [{envv: pen}]\nseeds: [0]\n", "field envv not found", known},
		{"negative seed", "s.yaml", "methods: [iql]\ntasks: [{env: pen}]\nseeds: [0, -1]\n", "seeds[1]: -1 is negative", known},
		{"unknown key in TOML", "s.toml", "methods = [\"iql\"]\ntasks = [{env = \"pen\"}]\nseeds = [0]\nworkers = 4\n", "field workers not found", known},
		{"unknown method", "s.yaml", "methods: [iql, bdwm]\ntasks: [{env: pen}]\nseeds: [0]\n", `methods[1]: unknown method "bdwm" (known: iql, calql, sac, dual)`, known},
		{"unknown method override", "s.yaml", base + "method_overrides: {cql: [a=1]}\n", `method_overrides: unknown method "cql"`, known},
		{"override for a method not in the sweep", "s.yaml", base + "method_overrides: {sac: [a=1]}\n", `method "sac" is not in this sweep's methods`, known},
		{"override without =", "s.yaml", base + "overrides: [train.steps]\n", `overrides[0]: override "train.steps": want key.path=value`, known},
		{"override with empty segment", "s.yaml", base + "method_overrides: {iql: [a..b=1]}\n", "method_overrides.iql[0]", known},
		{"no methods", "s.yaml", "tasks: [{env: pen}]\nseeds: [0]\n", "methods: empty", known},
		{"no tasks", "s.yaml", "methods: [iql]\nseeds: [0]\n", "tasks: empty", known},
		{"no seeds", "s.yaml", "methods: [iql]\ntasks: [{env: pen}]\n", "seeds: empty", known},
		{"repeated seed", "s.yaml", "methods: [iql]\ntasks: [{env: pen}]\nseeds: [0, 1, 0]\n", "seeds[2]: 0 is listed twice", known},
		{"repeated method", "s.yaml", "methods: [iql, iql]\ntasks: [{env: pen}]\nseeds: [0]\n", `methods[1]: "iql" is listed twice`, known},
		{"task without env", "s.yaml", "methods: [iql]\ntasks: [{env: pen}, {dataset: d.hdf5}]\nseeds: [0]\n", "tasks[1]: env is empty", known},
		{"empty task", "s.yaml", "methods: [iql]\ntasks: [{}]\nseeds: [0]\n", "tasks[0]: env is empty", known},
		{"repeated task", "s.yaml", "methods: [iql]\ntasks: [{env: pen}, {env: pen}]\nseeds: [0]\n", `tasks[1]: "pen" is listed twice`, known},
		{"task as a string", "s.yaml", "methods: [iql]\ntasks: [pen]\nseeds: [0]\n", "cannot unmarshal", known},
		{"colliding task names", "s.yaml", "methods: [iql]\ntasks: [{env: a/b}, {env: a_b}]\nseeds: [0]\n", `give the same run name s__a-b__iql__0`, known},
		{"same dataset name", "s.yaml", "methods: [iql]\ntasks: [{env: h, dataset: a/m.hdf5}, {env: h, dataset: b/m.npz}]\nseeds: [0]\n", `tasks "m" and "m" give the same run name`, known},
		{"bad sweep name", "s.yaml", "name: my__sweep\n" + base, `name "my__sweep"`, known},
		{"bad sweep name chars", "s.yaml", "name: my sweep\n" + base, `name "my sweep": only letters`, known},
		{"bad extension", "s.json", base, `unknown extension ".json"`, known},
		{"no known methods", "s.yaml", base, "no known methods", nil},
		{"not YAML", "s.yaml", "methods: [iql\n", "did not find expected", known},
		{"fork of an unknown method", "s.yaml", base + "fork: {sweep: t1, method: ppo}\n", `fork.method: unknown method "ppo"`, known},
		{"fork at a negative step", "s.yaml", base + "fork: {sweep: t1, at: -1}\n", "fork.at: -1 is negative", known},
		{"fork of itself", "s.yaml", "name: t1\n" + base + "fork: {sweep: t1}\n", "would be their own parents", known},
		{"fork without a sweep", "s.yaml", base + "fork: {method: iql}\n", "fork.sweep: name: empty", known},
		{"task fork of an unknown task", "s.yaml", "methods: [iql]\ntasks: [{env: pen}, {env: door, fork: hammer}]\nseeds: [0]\n", `tasks[1].fork: no task named "hammer"`, known},
		{"task fork of itself", "s.yaml", "methods: [iql]\ntasks: [{env: pen, fork: pen}]\nseeds: [0]\n", `tasks[0].fork: "pen" is the task itself`, known},
		{"task fork of a fork", "s.yaml", "methods: [iql]\ntasks: [{env: pen}, {env: door, fork: pen}, {env: hammer, fork: door}]\nseeds: [0]\n", `task "door" forks itself`, known},
		{"task fork in a forked sweep", "s.yaml", "methods: [iql]\ntasks: [{env: pen}, {env: door, fork: pen}]\nseeds: [0]\nfork: {sweep: t1}\n", "a task cannot fork too", known},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, tc.file, tc.content)
			_, err := Load(path, tc.methods)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			t.Log(err)
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml"), known); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

// A fork block makes every run a branch of the same task and seed's run of
// the parent sweep, and TrainArgs says so (no algorithm, dataset or seed:
// the parent's).
func TestForkExpansion(t *testing.T) {
	sw, err := Expand(File{Name: "nobc", Methods: []string{"iql"}, Tasks: []Task{{Env: "hopper", Dataset: "/d/hm.npz", Name: "hm"}},
		Seeds: []int64{0, 2}, Overrides: []string{"iql.beta=1"}, Fork: &Fork{Sweep: "t1", Method: "calql"}}, known)
	if err != nil {
		t.Fatal(err)
	}
	if sw.Runs[1].Parent != "t1__hm__calql__2" {
		t.Fatalf("parent %q", sw.Runs[1].Parent)
	}
	want := []string{"train", "--fork", "t1__hm__calql__2", "--env", "hopper", "--set", "iql.beta=1", "--store", "s.db", "--runs", "/r", "--name", "nobc__hm__iql__2"}
	if got := TrainArgs(sw.Runs[1], "s.db", "/r", false); !slices.Equal(got, want) {
		t.Errorf("TrainArgs = %q\nwant %q", got, want)
	}
	if got := TrainArgs(sw.Runs[1], "s.db", "/r", true); got[1] != "--resume" {
		t.Errorf("resuming a fork: %q", got)
	}
	sw, err = Expand(File{Name: "b", Methods: []string{"iql"}, Tasks: []Task{{Env: "hopper"}}, Seeds: []int64{1}, Fork: &Fork{Sweep: "a", At: 5000}}, known)
	if err != nil || sw.Runs[0].Parent != "a__hopper__iql__1@5000" {
		t.Fatalf("own method, at a step: %+v, %v", sw.Runs, err)
	}
}

func TestArraySpec(t *testing.T) {
	for _, tc := range []struct {
		in   []int
		want string
	}{
		{[]int{0}, "0"}, {[]int{0, 1, 2, 3}, "0-3"}, {[]int{0, 1, 2, 4, 6, 7}, "0-2,4,6-7"}, {[]int{3, 5, 9}, "3,5,9"},
	} {
		if got := arraySpec(tc.in); got != tc.want {
			t.Errorf("arraySpec(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseSqueue(t *testing.T) {
	out := "12_0|COMPLETED|None\n12_1|FAILED|NonZeroExitCode\n12_2|RUNNING|None\n12_3|PENDING|Resources\n13_0|RUNNING|None\n12_[4-5]|PENDING|None\n"
	got := parseSqueue(out, "12")
	want := map[int]taskState{
		0: {ID: "12_0", State: "COMPLETED"}, 1: {ID: "12_1", State: "FAILED", Reason: "NonZeroExitCode"},
		2: {ID: "12_2", State: "RUNNING"}, 3: {ID: "12_3", State: "PENDING", Reason: "Resources"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseSqueue = %+v, want %+v", got, want)
	}
	if got[0].active() || got[1].active() || !got[2].active() || !got[3].active() {
		t.Error("active states wrong")
	}
}

func TestRunStatusState(t *testing.T) {
	for _, tc := range []struct {
		r    RunStatus
		want string
	}{
		{RunStatus{}, "not started"},
		{RunStatus{Store: track.StatusDone, Slurm: "RUNNING"}, "done"},
		{RunStatus{Slurm: "PENDING"}, "pending"},
		{RunStatus{Store: track.StatusRunning, Slurm: "RUNNING"}, "running"},
		{RunStatus{Store: track.StatusRunning, Slurm: "TIMEOUT"}, "failed"},
		{RunStatus{Store: track.StatusFailed, Slurm: "COMPLETED"}, "failed"},
		{RunStatus{Store: track.StatusInterrupted}, "interrupted"},
	} {
		if got := tc.r.State(); got != tc.want {
			t.Errorf("%+v.State() = %q, want %q", tc.r, got, tc.want)
		}
	}
	rep := &StatusReport{Sweep: "x", Runs: []RunStatus{{Store: track.StatusDone}, {Slurm: "PENDING"}, {Store: track.StatusDone}, {}}}
	if rep.Finished() || rep.Done() || rep.Line() != "sweep x: 4 runs: 2 done, 1 not started, 1 pending" {
		t.Errorf("report: finished %v done %v line %q", rep.Finished(), rep.Done(), rep.Line())
	}
}

func TestPhaseLinesFromProgress(t *testing.T) {
	// The lines the progress package prints on a non-terminal are what a
	// sweep parses from a run's output: if its format changes, this fails.
	var out bytes.Buffer
	p := progress.New(&out, false)
	b := p.Bar("online", 200, 0)
	b.Set(100, "eval 12.5")
	b.Set(200, "")
	var got []string
	w := &phaseWriter{onPhase: func(phase string, step, total int64) {
		got = append(got, fmt.Sprintf("%s %d/%d", phase, step, total))
	}}
	// Feed it in awkward pieces, with noise around.
	data := "loading dataset\n" + out.String() + "done\n"
	for i := 0; i < len(data); i += 7 {
		w.Write([]byte(data[i:min(i+7, len(data))]))
	}
	if !slices.Equal(got, []string{"online 100/200", "online 200/200"}) {
		t.Errorf("parsed %q from %q", got, out.String())
	}
}

func TestSlurmScript(t *testing.T) {
	sw, err := Load(writeFile(t, "demo.yaml", yamlSweep), known)
	if err != nil {
		t.Fatal(err)
	}
	o, err := Options{Store: "/shared/runs.db", Binary: "/opt/dwm bin/dwm", Dir: "/shared/sweeps/demo", RunsDir: "/shared/runs"}.resolve(sw)
	if err != nil {
		t.Fatal(err)
	}
	s := slurmScript(sw, "/shared/sweeps/demo/sweep-1.yaml", o)
	for _, want := range []string{
		"#!/bin/bash\n", "#SBATCH --job-name=dwm-demo\n", "#SBATCH --output=/shared/sweeps/demo/logs/slurm-%A_%a.out\n",
		`exec '/opt/dwm bin/dwm' sweep task --file /shared/sweeps/demo/sweep-1.yaml --index "$SLURM_ARRAY_TASK_ID" --store /shared/runs.db --runs /shared/runs` + "\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	sw := &Sweep{Name: "x"}
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{}, "Options.Store is empty"},
		{Options{Store: "a", Workers: -1}, "Options.Workers -1"},
		{Options{Store: "a", GracePeriod: -1}, "Options.GracePeriod"},
		{Options{Store: "a", MaxParallel: -2}, "Options.MaxParallel -2"},
	} {
		if _, err := tc.o.resolve(sw); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err %v, want %q", tc.o, err, tc.want)
		}
	}
	o, err := Options{Store: "runs.db", ThreadsPerRun: 1000}.resolve(sw)
	if err != nil || o.Workers != 1 || !filepath.IsAbs(o.Store) || o.Dir != filepath.Join(filepath.Dir(o.Store), "sweeps", "x") || o.RunsDir != filepath.Dir(o.Store) {
		t.Errorf("defaults: %+v, %v", o, err)
	}
}

// OnlySeeds keeps the runs of the seeds asked for, with their indices (the
// Slurm array indices of the whole file) and their branches' parents, and
// names a seed the file does not list.
func TestOnlySeeds(t *testing.T) {
	p := writeFile(t, "s.yaml", `
name: s
methods: [iql, calql]
tasks:
  - {env: hopper, name: h}
  - {env: hopper-friction-2.0, name: hf, fork: h}
seeds: [0, 7]
`)
	sw, err := Load(p, known)
	if err != nil {
		t.Fatal(err)
	}
	one, err := sw.OnlySeeds([]int64{7})
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Runs) != 4 || len(sw.Runs) != 8 {
		t.Fatalf("%d runs of seed 7 (of %d), want 4 of 8", len(one.Runs), len(sw.Runs))
	}
	names := map[string]bool{}
	for _, r := range one.Runs {
		if r.Seed != 7 || sw.Runs[r.Index].Name != r.Name {
			t.Errorf("run %+v: seed or index changed", r)
		}
		names[r.Name] = true
	}
	for _, r := range one.Runs {
		if r.Parent != "" && !names[r.Parent] {
			t.Errorf("branch %s without its parent %s", r.Name, r.Parent)
		}
	}
	if _, err := sw.OnlySeeds([]int64{0, 3}); err == nil || !strings.Contains(err.Error(), "seed 3 is not one of its seeds [0 7]") {
		t.Errorf("unknown seed: %v", err)
	}
}
