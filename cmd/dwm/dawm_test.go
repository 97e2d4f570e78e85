package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/datasets"
)

// tinyDAWMSets makes DAWM's models and the learner small enough for a test.
var tinyDAWMSets = []string{"--set", "dawm.horizon=4", "--set", "dawm.unet_dim=16", "--set", "dawm.unet_mults=[1,2]",
	"--set", "dawm.model_steps=30", "--set", "dawm.model_batch=16", "--set", "dawm.idm_steps=30", "--set", "dawm.idm_hidden=[32]",
	"--set", "dawm.sample_steps=5", "--set", "dawm.samples=2", "--set", "dawm.transitions=200", "--set", "dawm.cache=off",
	"--set", "train.batch_size=32", "--set", "train.eval_episodes=1", "--set", "iql.hidden=[16,16]", "--quiet"}

// dwm train dawm finds the env from the dataset name, trains IQL on real ∪
// generated data and leaves the generated data in the run directory;
// dwm dawm generate writes an npz that dataset inspect reads (it does not
// list infos columns; the experiment test checks infos/uncertainty).
func TestDAWMTrainAndGenerate(t *testing.T) {
	runs := t.TempDir()
	args := append([]string{"train", "dawm", "--dataset", "pendulum-medium", "--learner", "iql", "--offline-steps", "40",
		"--runs", runs, "--name", "d"}, tinyDAWMSets...)
	code, out, errOut := dwm(t, args...)
	if code != 0 || !strings.Contains(out, "run d done: final eval return") {
		t.Fatalf("train dawm: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	g, err := dataset.Load(filepath.Join(runs, "d", "dawm-generated.npz"))
	if err != nil || g.Len() != 200 {
		t.Fatalf("generated data in the run: %v", err)
	}

	npz := filepath.Join(t.TempDir(), "gen.npz")
	code, out, errOut = dwm(t, "dawm", "generate", "--dataset", "pendulum-medium", "--out", npz, "--transitions", "120",
		"--samples", "3", "--seed", "4", "--model-steps", "20", "--set", "horizon=4", "--set", "unet_dim=16", "--set", "unet_mults=[1,2]",
		"--set", "idm_steps=20", "--set", "sample_steps=5")
	if code != 0 || !strings.Contains(out, "wrote 120 generated transitions (120 before filtering)") {
		t.Fatalf("dawm generate: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, errOut = dwm(t, "dataset", "inspect", npz)
	if code != 0 || !strings.Contains(out, "transitions 120,") || !strings.Contains(out, "metadata generator: dawm") ||
		!strings.Contains(out, "infos/uncertainty: dim 1, min ") {
		t.Fatalf("dataset inspect: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// Bad input to dawm fails with an error naming the problem: a dataset
// without rewards, a horizon longer than every episode, bad settings.
func TestDAWMBadInput(t *testing.T) {
	tmp := t.TempDir()
	d, err := datasets.Load("pendulum-medium")
	if err != nil {
		t.Fatal(err)
	}
	clear(d.Rewards)
	noRew := filepath.Join(tmp, "norewards.npz")
	if err := dataset.WriteNPZ(noRew, d); err != nil {
		t.Fatal(err)
	}
	runs := filepath.Join(tmp, "runs")
	train := func(extra ...string) []string {
		return append(append([]string{"train", "dawm", "--runs", runs, "--offline-steps", "10"}, tinyDAWMSets...), extra...)
	}
	cases := []struct {
		args []string
		want string
	}{
		{train("--dataset", noRew), "all 50000 rewards of the dataset are zero"},
		{train("--dataset", "pendulum-medium", "--set", "dawm.horizon=256"), "Horizon = 256 is longer than every episode of the dataset (longest 200 steps)"},
		{train("--dataset", "pendulum-medium", "--learner", "cql"), `dawm.learner = "cql"`},
		{train("--dataset", "pendulum-medium", "--set", "dawm.samples=1"), "dawm.samples = 1"},
		{[]string{"train", "td3bc", "--env", "pendulum", "--dataset", "pendulum-medium", "--learner", "iql", "--runs", runs}, "--learner is for dawm"},
		{[]string{"dawm", "generate", "--dataset", noRew, "--out", filepath.Join(tmp, "x.npz")}, "all 50000 rewards of the dataset are zero"},
		{[]string{"dawm", "generate", "--dataset", "pendulum-medium", "--out", filepath.Join(tmp, "x.npz"), "--set", "horizon=256", "--set", "unet_mults=[1,2]"}, "Horizon = 256 is longer than every episode"},
		{[]string{"dawm", "generate", "--dataset", "pendulum-medium", "--out", filepath.Join(tmp, "x.npz"), "--samples", "1"}, "dawm.samples = 1"},
		{[]string{"dawm", "generate", "--dataset", "pendulum-medium", "--out", filepath.Join(tmp, "x.npz"), "--max-uncertainty", "-1"}, "dawm.max_uncertainty = -1"},
		{[]string{"dawm", "generate", "--dataset", "pendulum-medium"}, "--out"},
		{[]string{"dawm", "fit"}, "want generate"},
	}
	for _, c := range cases {
		code, _, stderr := dwm(t, c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("dwm %s: exit %d, stderr %q; want a failure mentioning %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}
}
