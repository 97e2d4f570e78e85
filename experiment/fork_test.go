package experiment

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/track"
)

// o2oTiny is an IQL offline→online run on pendulum-medium that trains in
// about a second.
func o2oTiny(t *testing.T, runs string) Config {
	c := Config{Algo: "iql", Env: "pendulum", Dataset: "pendulum-medium", Seed: 3, Name: "parent", RunsDir: runs}
	c.Train.OfflineSteps, c.Train.OnlineSteps = 150, 300
	c.Train.EvalEvery, c.Train.EvalEpisodes = 100, 2 // 2: a finite return_std
	c.Train.BatchSize, c.Train.CheckpointEvery, c.Train.LogEvery = 16, 100, 50
	c.IQL.Hidden = []int{8}
	return c
}

// storeRows returns every metric row of a run.
func storeRows(t *testing.T, c Config, name string) []track.Row {
	t.Helper()
	s, r := storedRun(t, c, name)
	defer s.Close()
	rows, err := s.Rows(r.ID, 1<<62)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// evalRows keeps the evaluation rows (deterministic; the others hold rates).
func evalRows(rows []track.Row) []track.Row {
	return slices.DeleteFunc(slices.Clone(rows), func(r track.Row) bool { return !strings.HasPrefix(r.Name, "eval/") })
}

// A run forked at the switch without changes ends exactly as its parent
// (the same evaluations, step by step), its store history starts with the
// parent's, and its config records where it came from; a fork that changes
// the online phase shares the parent's history up to the switch only.
func TestForkAtSwitch(t *testing.T) {
	runs := t.TempDir()
	parent := o2oTiny(t, runs)
	if _, err := Run(context.Background(), parent, Options{}); err != nil {
		t.Fatal(err)
	}
	// The switch checkpoint (150, not a multiple of checkpoint_every) is
	// kept although newer ones were written.
	if _, err := os.Stat(filepath.Join(runs, "parent", "checkpoints", "step-000000000150")); err != nil {
		t.Fatalf("switch checkpoint not kept: %v", err)
	}
	res, err := Fork(context.Background(), ForkSpec{Parent: "parent", Name: "same", RunsDir: runs}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Done {
		t.Fatal("fork not done")
	}
	want, got := evalRows(storeRows(t, parent, "parent")), evalRows(storeRows(t, parent, "same"))
	if len(want) == 0 || !slices.Equal(want, got) {
		t.Fatalf("unchanged fork's evaluations differ from the parent's:\n%v\n%v", want, got)
	}
	c, err := loadRunConfig(filepath.Join(runs, "same"))
	if err != nil {
		t.Fatal(err)
	}
	if c.ForkOf != "parent@150" || c.Name != "same" {
		t.Fatalf("fork's config: fork_of %q, name %q", c.ForkOf, c.Name)
	}

	// An online change: the history up to the switch is the parent's, the
	// online phase differs.
	if _, err := Fork(context.Background(), ForkSpec{Parent: "parent", Name: "beta", RunsDir: runs, Sets: []string{"iql.beta=0.5"}}, Options{}); err != nil {
		t.Fatal(err)
	}
	branch := evalRows(storeRows(t, parent, "beta"))
	var before, after int
	for i, r := range want {
		switch {
		case r.Step <= 150 && r != branch[i]:
			t.Errorf("row %+v before the switch became %+v", r, branch[i])
		case r.Step <= 150:
			before++
		case r != branch[i]:
			after++
		}
	}
	if before == 0 || after == 0 {
		t.Fatalf("%d equal rows before the switch, %d changed after: want both > 0", before, after)
	}
}

func TestForkErrors(t *testing.T) {
	runs := t.TempDir()
	if _, err := Run(context.Background(), o2oTiny(t, runs), Options{}); err != nil {
		t.Fatal(err)
	}
	online := tiny(t, "online")
	online.RunsDir = runs
	if _, err := Run(context.Background(), online, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		spec ForkSpec
		want string
	}{
		{ForkSpec{Parent: "parent"}, "needs a name"},
		{ForkSpec{Parent: "nope", Name: "x"}, `run "nope": no run directory`},
		{ForkSpec{Parent: "parent", Name: "x", At: 77}, "no checkpoint at step 77 (it has 150, "},
		{ForkSpec{Parent: "online", Name: "x"}, "has no offline→online switch"},
		{ForkSpec{Parent: "parent", Name: "x", Sets: []string{"seed=4"}}, "seed = 4: a run forked from parent at step 150 keeps the parent's 3"},
		{ForkSpec{Parent: "parent", Name: "x", Sets: []string{"algo=cql"}}, "algo = cql"},
		{ForkSpec{Parent: "parent", Name: "x", Sets: []string{"train.offline_steps=100"}}, "train.offline_steps = 100"},
		{ForkSpec{Parent: "parent", Name: "x", Sets: []string{"iql.nope=1"}}, "nope"},
		{ForkSpec{Parent: "parent", Name: "parent"}, "already exists"},
	} {
		tc.spec.RunsDir = runs
		_, err := Fork(context.Background(), tc.spec, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want it to contain %q", tc.spec, err, tc.want)
		}
		if tc.spec.Name == "x" {
			if _, err := os.Stat(filepath.Join(runs, "x")); err == nil {
				t.Errorf("%+v: failed fork left its directory", tc.spec)
			}
		}
	}
	for _, tc := range []struct {
		ref  string
		run  string
		step int64
		bad  bool
	}{{"a", "a", 0, false}, {"a@10", "a", 10, false}, {"a@", "", 0, true}, {"a@-3", "", 0, true}, {"@5", "", 0, true}} {
		run, step, err := ParseForkRef(tc.ref)
		if (err != nil) != tc.bad || run != tc.run || step != tc.step {
			t.Errorf("ParseForkRef(%q) = %q, %d, %v", tc.ref, run, step, err)
		}
	}
}

// A branch onto changed dynamics (hopper → hopper-friction-2.0) keeps the
// parent's training rows but not its evaluations, which ran on the parent's
// env: it evaluates the restored agent on its own env at the fork step.
func TestForkOntoShiftedEnv(t *testing.T) {
	runs := t.TempDir()
	d := dataset.New(11, 3, 400)
	s := rng.New(5)
	obs, act, next := make([]float32, 11), make([]float32, 3), make([]float32, 11)
	for i := range 400 {
		for j := range obs {
			obs[j], next[j] = float32(0.1*s.NormFloat64()), float32(0.1*s.NormFloat64())
		}
		for j := range act {
			act[j] = float32(2*s.Float64() - 1)
		}
		d.Append(obs, act, 1, next, false, (i+1)%100 == 0)
	}
	data := filepath.Join(runs, "hopper-synthetic.npz")
	if err := dataset.Save(data, d); err != nil {
		t.Fatal(err)
	}
	p := o2oTiny(t, runs)
	p.Env, p.Dataset = "hopper", data
	p.Train.OfflineSteps, p.Train.OnlineSteps, p.Train.EvalEvery = 40, 60, 20
	if _, err := Run(context.Background(), p, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Fork(context.Background(), ForkSpec{Parent: "parent", Name: "shift", RunsDir: runs,
		Sets: []string{"env=hopper-friction-2.0"}}, Options{}); err != nil {
		t.Fatal(err)
	}
	parent, shifted := storeRows(t, p, "parent"), storeRows(t, p, "shift")
	var evalSteps []int64
	for _, r := range shifted {
		if r.Name == "eval/return" {
			evalSteps = append(evalSteps, r.Step)
		}
	}
	if !slices.Equal(evalSteps, []int64{40, 60, 80, 100}) {
		t.Fatalf("shifted branch evaluated at %v, want the fork step 40 then the online periods", evalSteps)
	}
	trainRows := func(rows []track.Row) []track.Row {
		return slices.DeleteFunc(slices.Clone(rows), func(r track.Row) bool { return r.Step > 40 || strings.HasPrefix(r.Name, "eval/") })
	}
	if a, b := trainRows(parent), trainRows(shifted); len(a) == 0 || !slices.EqualFunc(a, b, sameRow) {
		t.Fatalf("offline training rows not copied: %d parent rows, %d in the branch", len(a), len(b))
	}
}

// sameRow compares rows with NaN equal to NaN.
func sameRow(a, b track.Row) bool {
	return a.Step == b.Step && a.Phase == b.Phase && a.Name == b.Name && (a.Value == b.Value || a.Value != a.Value && b.Value != b.Value)
}
