package experiment

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/datasets"
	"github.com/dwm-rl/dwm/dawm"
)

// tinyDAWM is a dawm run on pendulum-medium small enough for a unit test:
// a 2-level U-Net of width 16 fitted for 30 steps, 200 generated
// transitions, 60 learner updates.
func tinyDAWM(t *testing.T, name, learner string) Config {
	c := Config{Algo: "dawm", Env: "pendulum", Dataset: "pendulum-medium", Seed: 2, Name: name, RunsDir: t.TempDir()}
	c.Train.OfflineSteps = 60
	c.Train.BatchSize, c.Train.EvalEpisodes, c.Train.EvalEvery, c.Train.CheckpointEvery = 32, 1, 1000, 20
	c.TD3BC.Hidden = []int{16, 16}
	c.IQL.Hidden = []int{16, 16}
	c.DAWM = DAWMConfig{Learner: learner, Horizon: 4, UNetDim: 16, UNetMults: []int{1, 2}, ModelSteps: 30, ModelBatch: 16,
		IDMSteps: 30, IDMHidden: []int{32}, SampleSteps: 5, Samples: 2, Transitions: 200, Cache: "off"}
	return c
}

// TestDAWMRunResumes runs dawm with TD3+BC uninterrupted and interrupted at
// update 30 then resumed after deleting the generated data (as if killed
// while fitting): the models are refitted deterministically and the
// resumed run ends with the uninterrupted one's evaluation. Generated data
// that differ from the checkpoint's stop the resumed run.
func TestDAWMRunResumes(t *testing.T) {
	full, err := Run(context.Background(), tinyDAWM(t, "full", "td3bc"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, ok := full.Final()
	if !ok {
		t.Fatal("no final evaluation")
	}
	g, err := dataset.ReadNPZ(filepath.Join(full.Dir, DAWMDataFile))
	if err != nil {
		t.Fatal(err)
	}
	if g.Len() != 200 || len(g.Infos[dawm.UncertaintyInfo].Data) != 200 || g.Metadata[dataset.MetaEnvID] != "pendulum" {
		t.Fatalf("generated data: %d rows, metadata %v", g.Len(), g.Metadata)
	}

	c := tinyDAWM(t, "cut", "td3bc")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := Run(ctx, c, Options{Extend: cancelAt(cancel, false, 30)})
	if err != nil || !res.Interrupted {
		t.Fatalf("interrupted run: %+v, %v", res, err)
	}
	path := filepath.Join(res.Dir, DAWMDataFile)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	back, err := Resume(context.Background(), "cut", c.RunsDir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, ok := back.Final()
	if !ok || got.Step != want.Step || got.Return != want.Return {
		t.Fatalf("resumed run's final evaluation %+v, want %+v", got, want)
	}

	// Tampered generated data: the checkpoint's hash rejects them.
	c = tinyDAWM(t, "tamper", "td3bc")
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	if res, err = Run(ctx, c, Options{Extend: cancelAt(cancel, false, 30)}); err != nil || !res.Interrupted {
		t.Fatalf("interrupted run: %+v, %v", res, err)
	}
	path = filepath.Join(res.Dir, DAWMDataFile)
	g, err = dataset.ReadNPZ(path)
	if err != nil {
		t.Fatal(err)
	}
	g.Rewards[0]++
	if err := dataset.WriteNPZ(path, g); err != nil {
		t.Fatal(err)
	}
	if _, err := Resume(context.Background(), "tamper", c.RunsDir, Options{}); err == nil || !strings.Contains(err.Error(), "differ from those the checkpoint was trained on") {
		t.Fatalf("resume on tampered data: %v", err)
	}
}

// TestDAWMRunIQL runs dawm with IQL: the resolved config has IQL's
// schedule over the offline updates, and the run finishes.
func TestDAWMRunIQL(t *testing.T) {
	c := tinyDAWM(t, "iql", "iql")
	c.DAWM.MaxUncertainty = 10
	res, err := Run(context.Background(), c, Options{Out: io.Discard, Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := loadRunConfig(res.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if rc.DAWM.Learner != "iql" || rc.IQL.ScheduleSteps != 60 || rc.DAWM.RealRatio != 0.5 {
		t.Errorf("resolved dawm %+v, iql schedule %d", rc.DAWM, rc.IQL.ScheduleSteps)
	}
	if _, ok := res.Final(); !ok {
		t.Error("no evaluation")
	}
}

// TestDAWMCacheSharesGeneratedData: a second run with the same dataset,
// generation settings and seed but another learner reuses the first run's
// generated transitions from the cache (bit for bit), and a run with
// another seed does not.
func TestDAWMCacheSharesGeneratedData(t *testing.T) {
	cache := t.TempDir()
	run := func(name, learner string, seed uint64) (string, string) {
		c := tinyDAWM(t, name, learner)
		c.DAWM.Cache, c.Seed = cache, seed
		var out strings.Builder
		res, err := Run(context.Background(), c, Options{Out: &out, Quiet: true})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		g, err := dataset.ReadNPZ(filepath.Join(res.Dir, DAWMDataFile))
		if err != nil {
			t.Fatal(err)
		}
		return hashTransitions(g), out.String()
	}
	h1, out1 := run("a", "td3bc", 2)
	if strings.Contains(out1, "reused") {
		t.Fatalf("first run reused data from an empty cache:\n%s", out1)
	}
	h2, out2 := run("b", "iql", 2)
	if !strings.Contains(out2, "reused 200 generated transitions from the cache") || h2 != h1 {
		t.Fatalf("second run (same data, settings and seed): hash %s vs %s, output\n%s", h2, h1, out2)
	}
	h3, out3 := run("c", "td3bc", 3)
	if strings.Contains(out3, "reused") || h3 == h1 {
		t.Fatalf("run with another seed reused the data (hash %s vs %s):\n%s", h3, h1, out3)
	}
	if files, _ := filepath.Glob(filepath.Join(cache, "*.npz")); len(files) != 2 {
		t.Errorf("cache holds %d files, want 2 (one per seed): %v", len(files), files)
	}
}

// TestDAWMBadInput: impossible settings and unusable datasets fail before
// the run is recorded, with errors naming the field or the data's problem.
func TestDAWMBadInput(t *testing.T) {
	tmp := t.TempDir()
	d, err := datasets.Load("pendulum-medium")
	if err != nil {
		t.Fatal(err)
	}
	noRew := d.Clone()
	clear(noRew.Rewards)
	noRewPath := filepath.Join(tmp, "norewards.npz")
	if err := dataset.WriteNPZ(noRewPath, noRew); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"learner", func(c *Config) { c.DAWM.Learner = "cql" }, `dawm.learner = "cql"`},
		{"samples", func(c *Config) { c.DAWM.Samples = 1 }, "dawm.samples = 1"},
		{"ratio", func(c *Config) { c.DAWM.RealRatio = 1.5 }, "dawm.real_ratio = 1.5"},
		{"per sequence", func(c *Config) { c.DAWM.PerSequence = 4 }, "dawm.per_sequence = 4"},
		{"sample steps", func(c *Config) { c.DAWM.SampleSteps = 7 }, "dawm.sample_steps = 7"},
		{"no dataset", func(c *Config) { c.Dataset = "" }, "no dataset given"},
		{"no rewards", func(c *Config) { c.Dataset = noRewPath }, "return-to-go conditioning needs rewards, but all 50000 rewards of the dataset are zero"},
		{"horizon", func(c *Config) { c.DAWM.Horizon = 256 }, "Horizon = 256 is longer than every episode of the dataset (longest 200 steps)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tinyDAWM(t, "bad", "")
			tc.edit(&c)
			_, err := Run(context.Background(), c, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(c.RunsDir, "bad")); !os.IsNotExist(err) {
				t.Errorf("run directory left behind: %v", err)
			}
		})
	}
}

// TestGenerateDAWM writes generated transitions as npz: D4RL keys, the
// uncertainty column and provenance, loadable as any dataset.
func TestGenerateDAWM(t *testing.T) {
	out := filepath.Join(t.TempDir(), "gen.npz")
	cfg := tinyDAWM(t, "", "").DAWM
	cfg.PerSequence, cfg.Transitions = 3, 150
	s, err := GenerateDAWM(DAWMGenerate{Dataset: "pendulum-medium", Out: out, Config: cfg, Seed: 1}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	d, err := LoadDataset(out)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 150 || s.Raw != 150 || len(d.Infos[dawm.UncertaintyInfo].Data) != 150 {
		t.Fatalf("%d rows, raw %d, %d uncertainties, want 150", d.Len(), s.Raw, len(d.Infos[dawm.UncertaintyInfo].Data))
	}
	if d.Metadata["generator"] != "dawm" || d.Metadata["dawm_seed"] != "1" || d.Metadata[dataset.MetaEnvID] != "pendulum" || d.Metadata["dawm_source"] != "pendulum-medium" {
		t.Errorf("metadata %v", d.Metadata)
	}
	if _, err := GenerateDAWM(DAWMGenerate{Dataset: "pendulum-medium", Config: cfg}, nil); err == nil {
		t.Error("no output file: no error")
	}
}
