package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/experiment"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/report"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/sweep"
	"github.com/dwm-rl/dwm/track"
	"github.com/dwm-rl/dwm/worldmodel"
)

// Fuzz targets for the readers of user input that have none beside their
// own code: the command line itself, sweep files, run stores, replay buffer
// files, normalizer files and run filters. (Datasets, checkpoints, configs
// and env ids are fuzzed in their packages.) scripts/fuzz.sh runs them all.

// cliSeeds are argument lists the CLI fuzzer starts from, one per command
// and common mistake.
var cliSeeds = [][]string{
	{"help"}, {"fly"}, {}, {"train"}, {"train", "ppo", "--env", "pendulum"},
	{"train", "sac", "--env", "pendulum", "--steps", "3"},
	{"train", "sac", "--env", "pendlum"},
	{"train", "sac", "--env", "pendulum", "--set", "sac.tau=-1"},
	{"train", "sac", "--env", "pendulum", "--set", "train.learning_starts=1", "--set", "sac.hidden=[8]", "--set", "train.batch_size=4"},
	{"train", "sac", "--env", "pendulum", "--seeds", "0,1", "--set", "train.eval_episodes=1"},
	{"train", "td3bc", "--env", "hopper", "--set", "td3bc.alpha=nan"},
	{"train", "iql", "--env", "hopper", "--dataset", "x.npz", "--offline-steps", "5"},
	{"train", "awac", "--env", "frozenlake-4x4-slip-0.2", "--set", "buffer.mix=symmetric"},
	{"train", "sac", "--env", "pendulum", "--config", "c.yaml", "--name", "x"},
	{"train", "sac", "--env", "pendulum", "--name", "..", "--", "x"},
	{"train", "--resume", "x"}, {"train", "--resume", "x", "sac"}, {"train", "--fork", "x@5", "--name", "y"},
	{"eval", "--run", "x", "--episodes", "0"}, {"eval"},
	{"envs"}, {"envs", "-x"},
	{"runs", "list"}, {"runs", "show", "x"}, {"runs", "rm"}, {"runs", "export", "--csv"}, {"runs", "bogus"},
	{"dataset"}, {"dataset", "inspect", "pendulum-medium"}, {"dataset", "make", "pendulum-bogus"},
	{"dataset", "make", "pendulum-scripted"}, {"dataset", "convert", "a.npz", "b.hdf5"},
	{"demo", "--quiet"},
	{"report", "--filter", "status=bogus"}, {"report", "--out", "r", "--metric", "eval/x"},
	{"sweep"}, {"sweep", "run", "s.yaml"}, {"sweep", "status", "--file", "s.yaml", "--watch"}, {"sweep", "task", "--index", "3"},
}

var (
	bigNumber  = regexp.MustCompile(`[0-9]{3}|[0-9][eE_]|0[xXoObB]`)
	forcedTail = map[string][]string{
		// Tiny budgets and a runs directory under the test's temporary
		// working directory; explicit flags win over configs and --set.
		"train":   {"--runs", "runs", "--offline-steps", "0", "--online-steps", "3", "--quiet"},
		"eval":    {"--runs", "runs"},
		"runs":    {"--runs", "runs"},
		"demo":    {"--runs", "runs", "--quiet"},
		"report":  {"--runs", "runs"},
		"sweep":   {"--runs", "runs"},
		"dataset": {"--cache", "cache", "--size", "10", "--expert-steps", "10"},
	}
)

// FuzzCLI runs the dwm command line on arbitrary arguments (newline
// separated): it must exit 0, 1 with a message, or 2 (usage), never panic.
// To keep each execution short and inside a temporary directory, inputs
// with a path separator, "..", a number of three or more digits (or in
// exponent, hex or underscore form) or more than three commas in an
// argument are skipped, and every command gets tiny budgets appended
// (--online-steps 3, a dataset --size 10); `dwm demo` runs with a cancelled
// context (it stops after its first episode).
func FuzzCLI(f *testing.F) {
	for _, s := range cliSeeds {
		f.Add(strings.Join(s, "\n"), false)
	}
	f.Add("train\nsac\n--env\npendulum\n--set\ntrain.learning_starts=2", true)
	f.Fuzz(func(t *testing.T, argv string, cancelled bool) {
		if len(argv) > 300 || strings.ContainsAny(argv, `/\`) || strings.Contains(argv, "..") || bigNumber.MatchString(argv) {
			t.Skip()
		}
		var args []string
		if argv != "" {
			args = strings.Split(argv, "\n")
		}
		for _, a := range args {
			if strings.Count(a, ",") > 3 {
				t.Skip()
			}
		}
		if len(args) > 0 {
			args = append(args, forcedTail[args[0]]...)
			cancelled = cancelled || args[0] == "demo"
		}
		dir := t.TempDir()
		t.Chdir(dir)
		t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "xdg"))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if cancelled {
			cancel()
		}
		var o, e bytes.Buffer
		code := run(ctx, args, &o, &e)
		switch {
		case code != 0 && code != 1 && code != 2:
			t.Fatalf("dwm %q: exit %d", args, code)
		case code == 1 && strings.TrimSpace(e.String()) == "":
			t.Fatalf("dwm %q failed without a message", args)
		}
	})
}

// FuzzSweepFile loads arbitrary YAML and TOML sweep files: an error or a
// sweep whose runs are the full grid, with distinct names that are plain
// run names (one path element).
func FuzzSweepFile(f *testing.F) {
	f.Add([]byte("name: s\nmethods: [sac, iql]\ntasks:\n  - {env: pendulum}\n  - {env: hopper, dataset: d.hdf5, name: h}\nseeds: [0, 1]\noverrides: [train.online_steps=10]\nmethod_overrides:\n  iql: [iql.beta=3]\n"), false)
	f.Add([]byte("methods = [\"sac\"]\nseeds = [0]\ntasks = [{env = \"pendulum\"}]\n"), true)
	f.Add([]byte("name: ../x\nmethods: [sac]\ntasks: [{env: pendulum, name: a/b}]\nseeds: [-1]\n"), false)
	f.Add([]byte("methods: [sac, sac]\nbogus: 1\n"), false)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, body []byte, toml bool) {
		p := filepath.Join(dir, "sweep.yaml")
		if toml {
			p = filepath.Join(dir, "sweep.toml")
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
		sw, err := sweep.Load(p, experiment.Algos())
		if err != nil {
			return
		}
		f := sw.File
		if want := len(f.Tasks) * len(f.Methods) * len(f.Seeds); len(sw.Runs) != want {
			t.Fatalf("%d runs, want %d tasks × %d methods × %d seeds", len(sw.Runs), len(f.Tasks), len(f.Methods), len(f.Seeds))
		}
		seen := map[string]bool{}
		for _, r := range sw.Runs {
			if seen[r.Name] {
				t.Fatalf("run name %q twice", r.Name)
			}
			seen[r.Name] = true
			c := experiment.Default(r.Method, r.Task.Env)
			c.Name = r.Name
			if err := c.Validate(); err != nil && strings.Contains(err.Error(), "name") {
				t.Fatalf("sweep gives run name %q that dwm train refuses: %v", r.Name, err)
			}
			sweep.TrainArgs(r, "s.db", "runs", false)
		}
	})
}

// FuzzStoreFile opens arbitrary bytes as a run store and lists, shows and
// exports its runs through the CLI: errors naming the file, never a panic.
func FuzzStoreFile(f *testing.F) {
	dir := f.TempDir()
	p := filepath.Join(dir, "seed.db")
	s, err := track.Open(p)
	if err != nil {
		f.Fatal(err)
	}
	r, err := s.CreateRun(track.Run{Name: "r", Algo: "sac", Env: "pendulum"})
	if err != nil {
		f.Fatal(err)
	}
	if err := s.LogMetrics(r.ID, 5, "online", map[string]float64{"eval/return": -3, "loss/critic": 1}); err != nil {
		f.Fatal(err)
	}
	s.Close()
	good, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte("SQLite format 3\x00"))
	f.Add([]byte("not a database"))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		db := filepath.Join(dir, "dwm.db")
		if err := os.WriteFile(db, b, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"runs", "list"}, {"runs", "show", "r"}, {"runs", "export", "--jsonl"}} {
			var o, e bytes.Buffer
			if code := run(context.Background(), append(args, "--store", db), &o, &e); code == 1 && e.Len() == 0 {
				t.Fatalf("dwm %q failed without a message", args)
			}
		}
	})
}

// FuzzReplayFile loads arbitrary replay buffer files. The input gets a
// valid checksum appended, so the fuzzer reaches the header and body
// checks; headers asking for more than 64 MiB are skipped (a buffer's
// capacity may exceed its saved rows, so the file size cannot bound it).
// What loads must save and load back identically.
func FuzzReplayFile(f *testing.F) {
	b, err := replay.New(8, 3, 1, true)
	if err != nil {
		f.Fatal(err)
	}
	s := rng.New(1)
	o, a := make([]float32, 3), make([]float32, 1)
	for i := range 5 {
		s.FillNormal(o)
		s.FillNormal(a)
		b.Add(o, a, float32(i), o, i == 4)
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes()[:buf.Len()-4])
	f.Add([]byte("DWMRPLY\x00"))
	castagnoli := crc32.MakeTable(crc32.Castagnoli)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) >= 56 {
			c, od, ad := binary.LittleEndian.Uint64(body[16:]), binary.LittleEndian.Uint64(body[24:]), binary.LittleEndian.Uint64(body[32:])
			if c > 1<<24 || od > 1<<24 || ad > 1<<24 || c*(2*od+ad+3) > 1<<24 {
				t.Skip()
			}
		}
		p := filepath.Join(dir, "b.rpl")
		file := binary.LittleEndian.AppendUint32(append([]byte(nil), body...), crc32.Checksum(body, castagnoli))
		if err := os.WriteFile(p, file, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := replay.Load(p)
		if err != nil {
			return
		}
		var again bytes.Buffer
		if _, err := got.WriteTo(&again); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.Bytes(), file) {
			t.Fatal("a loaded buffer saves to different bytes")
		}
	})
}

// FuzzNormalizerFile loads arbitrary normalizer JSON.
func FuzzNormalizerFile(f *testing.F) {
	f.Add([]byte(`{"mean":[0,1],"std":[1,2]}`))
	f.Add([]byte(`{"mean":[0],"std":[0]}`))
	f.Add([]byte(`{}`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "n.json")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		n, err := dataset.LoadNormalizer(p)
		if err != nil {
			return
		}
		if err := n.Validate(); err != nil {
			t.Fatalf("loaded an invalid normalizer: %v", err)
		}
	})
}

// FuzzRunFilter parses arbitrary run filters (dwm report and runs filters).
func FuzzRunFilter(f *testing.F) {
	for _, s := range []string{"", "sweep1__*,algo=iql,status=done", "seed=3", "id=1|2|x", "status=bogus", "=", ",,", "env=hopper,task=walker"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		report.ParseFilter(s)
	})
}

// FuzzWorldModelFile loads arbitrary world-model files (bdwm.model_path,
// `dwm worldmodel fit` output). A model file carries its configuration, and
// Load builds the model from it before checking the tensors against it; a
// file asking for a huge model allocates it first. So that the fuzzer does
// not exhaust memory, files whose metadata asks for more than 32 members,
// samples, blocks or dimensions, or hidden widths above 256, are skipped
// (worldmodelTooLarge).
func FuzzWorldModelFile(f *testing.F) {
	dir := f.TempDir()
	for i, kind := range []worldmodel.Kind{worldmodel.Diffusion, worldmodel.Gaussian} {
		cfg := worldmodel.Config{Kind: kind, Members: 2, Elites: 1, Samples: 2, LatentDim: 4, EncoderHidden: []int{8}, Width: 8, Blocks: 1,
			TimeDim: 4, DiffusionSteps: 4, SampleSteps: 2, GaussianHidden: []int{8}, TerminalHidden: []int{8}, Termination: worldmodel.Never}
		m, err := worldmodel.New(3, 1, cfg, 1)
		if err != nil {
			f.Fatal(err)
		}
		obs, next := []float32{0, 1, 2, 1, 0, 2}, []float32{1, 1, 2, 0, 0, 1}
		if err := m.FitNormalizers(obs, []float32{-1, 1}, next, []float32{0, 1}); err != nil {
			f.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("seed%d.safetensors", i))
		if err := m.Save(p); err != nil {
			f.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "m.safetensors")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if worldmodelTooLarge(p) {
			t.Skip()
		}
		worldmodel.Load(p, 1)
	})
}

// worldmodelTooLarge reports whether a model file's metadata asks for a
// model too large to build many times a second.
func worldmodelTooLarge(p string) bool {
	_, md, err := checkpoint.ReadSafetensors(p)
	if err != nil {
		return false
	}
	var meta struct {
		ObsDim int `json:"obs_dim"`
		ActDim int `json:"act_dim"`
		Config struct {
			Members, Elites, Samples, LatentDim, Width, Blocks, TimeDim, DiffusionSteps, SampleSteps int
			EncoderHidden, GaussianHidden, TerminalHidden                                            []int
		} `json:"config"`
	}
	if json.Unmarshal([]byte(md["dwm"]), &meta) != nil {
		return false
	}
	c := meta.Config
	for _, v := range []int{meta.ObsDim, meta.ActDim, c.Members, c.Elites, c.Samples, c.LatentDim, c.Width, c.Blocks, c.TimeDim, c.DiffusionSteps, c.SampleSteps} {
		if v > 32 {
			return true
		}
	}
	for _, h := range [][]int{c.EncoderHidden, c.GaussianHidden, c.TerminalHidden} {
		if len(h) > 4 || slices.ContainsFunc(h, func(w int) bool { return w > 256 }) {
			return true
		}
	}
	return false
}
