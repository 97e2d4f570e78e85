package main

import (
	"archive/zip"
	"bytes"
	"database/sql"
	"encoding/binary"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/internal/runlock"
	_ "modernc.org/sqlite"
)

// The catalogue of bad inputs: every case runs the command line in-process
// on one kind of bad input and must fail with a message containing want.
// The messages, exactly as dwm prints them, make docs/robustness.md;
//
//	go test ./cmd/dwm -run TestRobustnessCatalogue -update
//
// rewrites it, and without -update the test fails when the document and
// the messages differ, so the catalogue cannot go stale.
var update = flag.Bool("update", false, "rewrite docs/robustness.md from the bad-input catalogue")

const catalogueDoc = "../../docs/robustness.md"

// badInput is one entry of the catalogue. In args, $DIR is the case's
// temporary directory, which holds the fixture run "done" under runs/ and
// the bad files setup wrote.
type badInput struct {
	group, what string
	setup       func(t *testing.T, dir string)
	args        []string
	want        string
}

func catalogue() []badInput {
	tr := func(a ...string) []string { return append([]string{"train"}, a...) }
	sac := func(a ...string) []string {
		return tr(append([]string{"sac", "--env", "pendulum", "--steps", "10", "--runs", "$DIR/runs", "--name", "x"}, a...)...)
	}
	iql := func(data string, a ...string) []string {
		return tr(append([]string{"iql", "--env", "pendulum", "--dataset", data, "--offline-steps", "10", "--runs", "$DIR/runs", "--name", "x"}, a...)...)
	}
	file := func(name, content string) func(*testing.T, string) {
		return func(t *testing.T, dir string) { write(t, filepath.Join(dir, name), []byte(content)) }
	}
	npzWith := func(name string, edit func(c *npzCols)) func(*testing.T, string) {
		return func(t *testing.T, dir string) {
			c := goodCols(20, 3, 1)
			if edit != nil {
				edit(&c)
			}
			write(t, filepath.Join(dir, name), c.npz(t))
		}
	}
	ckpt := func(file string, edit func([]byte) []byte) func(*testing.T, string) {
		return func(t *testing.T, dir string) {
			ps, _ := filepath.Glob(filepath.Join(dir, "runs", "done", "checkpoints", "step-*", file))
			if len(ps) == 0 {
				t.Fatalf("fixture has no %s", file)
			}
			for _, p := range ps {
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				write(t, p, edit(b))
			}
		}
	}
	const (
		cli, cfg, envs, data, runs, store = "Command line", "Configs and overrides", "Environment ids",
			"Datasets", "Runs, checkpoints and resume", "Run store"
		sweeps = "Sweeps and reports"
	)
	return []badInput{
		// Command line.
		{group: cli, what: "unknown command", args: []string{"fly"}, want: `unknown command "fly"`},
		{group: cli, what: "unknown flag", args: tr("sac", "--envv", "pendulum"), want: "flag provided but not defined: -envv"},
		{group: cli, what: "flag without its value", args: tr("sac", "--env"), want: "flag needs an argument: -env"},
		{group: cli, what: "non-numeric step count", args: tr("sac", "--env", "pendulum", "--steps", "many"), want: `invalid value "many" for flag -steps`},
		{group: cli, what: "unknown algorithm", args: tr("ppo", "--env", "pendulum", "--runs", "$DIR/runs"), want: "known: sac"},
		{group: cli, what: "no algorithm", args: tr("--env", "pendulum"), want: "want one algorithm"},
		{group: cli, what: "two algorithms", args: tr("sac", "iql", "--env", "pendulum"), want: "want one algorithm"},
		{group: cli, what: "--resume with an algorithm", args: tr("sac", "--resume", "done", "--runs", "$DIR/runs"), want: "--resume takes no algorithm"},
		{group: cli, what: "--fork with an algorithm", args: tr("sac", "--fork", "done", "--name", "f", "--runs", "$DIR/runs"), want: "--fork takes no algorithm"},
		{group: cli, what: "--fork with --seed", args: tr("--fork", "done", "--name", "f", "--seed", "3", "--runs", "$DIR/runs"), want: "--fork with --seed"},
		{group: cli, what: "--fork at a bad step", args: tr("--fork", "done@x", "--name", "f", "--runs", "$DIR/runs"), want: "want RUN or RUN@STEP"},
		{group: cli, what: "bad --seeds list", args: sac("--seeds", "0,x"), want: `"x" is not a non-negative integer`},
		{group: cli, what: "--name with several seeds", args: tr("sac", "--env", "pendulum", "--seeds", "0,1", "--name", "x", "--runs", "$DIR/runs"), want: "would name every run the same"},
		{group: cli, what: "run name with a path separator", args: tr("sac", "--env", "pendulum", "--name", "../escape", "--runs", "$DIR/runs"), want: "without path separators"},
		{group: cli, what: "negative step count", args: tr("sac", "--env", "pendulum", "--steps", "-5", "--runs", "$DIR/runs"), want: "online_steps = -5"},
		{group: cli, what: "nothing to train", args: tr("td3bc", "--env", "pendulum", "--steps", "0", "--runs", "$DIR/runs"), want: "nothing to do; give a budget"},
		{group: cli, what: "offline steps without a dataset", args: tr("iql", "--env", "pendulum", "--offline-steps", "10", "--runs", "$DIR/runs"), want: "no dataset given"},
		{group: cli, what: "world-model method without a dataset", args: tr("bdwm", "--env", "pendulum", "--steps", "10", "--runs", "$DIR/runs"), want: "needs an offline dataset"},
		{group: cli, what: "eval without a run", args: []string{"eval"}, want: "want --run RUN"},
		{group: cli, what: "eval with no episodes", args: []string{"eval", "--run", "done", "--runs", "$DIR/runs", "--episodes", "0"}, want: "episodes = 0"},
		{group: cli, what: "unknown runs verb", args: []string{"runs", "drop", "--runs", "$DIR/runs"}, want: `unknown runs verb "drop"`},
		{group: cli, what: "unknown dataset verb", args: []string{"dataset", "shrink", "x"}, want: `unknown dataset verb "shrink"`},
		{group: cli, what: "dataset convert with one file", args: []string{"dataset", "convert", "$DIR/a.npz"}, want: "convert wants IN OUT"},

		// Configs and overrides.
		{group: cfg, what: "config file missing", args: sac("--config", "$DIR/none.yaml"), want: "none.yaml"},
		{group: cfg, what: "config file with a YAML syntax error", setup: file("c.yaml", "train: [1, 2\n"), args: sac("--config", "$DIR/c.yaml"), want: "c.yaml"},
		{group: cfg, what: "config file with an unknown key", setup: file("c.yaml", "train:\n  online_stepz: 5\n"), args: sac("--config", "$DIR/c.yaml"), want: "online_stepz"},
		{group: cfg, what: "config file with a wrongly typed value (TOML)", setup: file("c.toml", "[train]\nonline_steps = \"ten\"\n"), args: sac("--config", "$DIR/c.toml"), want: "c.toml"},
		{group: cfg, what: "config file of an unknown format", setup: file("c.json", "{}"), args: sac("--config", "$DIR/c.json"), want: "c.json"},
		{group: cfg, what: "override without a value", args: sac("--set", "sac.tau"), want: "sac.tau"},
		{group: cfg, what: "override of an unknown key", args: sac("--set", "sac.gama=0.9"), want: "gama"},
		{group: cfg, what: "override with a wrongly typed value", args: sac("--set", "train.online_steps=ten"), want: "ten"},
		{group: cfg, what: "NaN learning rate", args: sac("--set", "sac.actor_lr=.nan"), want: "ActorLR"},
		{group: cfg, what: "negative Polyak rate", args: sac("--set", "sac.tau=-0.1"), want: "Tau"},
		{group: cfg, what: "discount above 1", args: sac("--set", "sac.gamma=1.5"), want: "Gamma = 1.5"},
		{group: cfg, what: "batch mixing ratio outside [0, 1]", args: sac("--set", "buffer.ratio=1.5"), want: "buffer.ratio = 1.5"},
		{group: cfg, what: "unknown buffer mixing", args: sac("--set", "buffer.mix=shuffle"), want: `buffer.mix = "shuffle"`},
		{group: cfg, what: "non-boolean flag value", args: sac("--set", "train.check_numerics=maybe"), want: "maybe"},
		{group: cfg, what: "negative numeric-check period", args: sac("--set", "train.numerics_every=-1"), want: "train.numerics_every = -1"},
		{group: cfg, what: "infinite Q-bound factor", args: sac("--set", "train.q_bound_factor=.inf"), want: "train.q_bound_factor = +Inf"},

		// Environment ids.
		{group: envs, what: "misspelt env id", args: tr("sac", "--env", "pendlum", "--steps", "10", "--runs", "$DIR/runs"), want: "pendlum"},
		{group: envs, what: "no env id", args: tr("sac", "--steps", "10", "--runs", "$DIR/runs"), want: "env: empty"},
		{group: envs, what: "env parameter out of range", args: tr("sac", "--env", "frozenlake-4x4-slip-2", "--steps", "10", "--runs", "$DIR/runs"), want: "frozenlake-4x4-slip-2"},
		{group: envs, what: "env parameter not a number", args: tr("sac", "--env", "hopper-friction-NaN", "--steps", "10", "--runs", "$DIR/runs"), want: "hopper-friction-NaN"},

		// Datasets.
		{group: data, what: "dataset file missing", args: iql("$DIR/none.npz"), want: "none.npz"},
		{group: data, what: "dataset of an unknown format", setup: file("d.csv", "1,2,3\n"), args: iql("$DIR/d.csv"), want: "d.csv"},
		{group: data, what: ".npz that is not a zip archive", setup: file("d.npz", "not a zip"), args: iql("$DIR/d.npz"), want: "content is not"},
		{group: data, what: "truncated .npz", setup: func(t *testing.T, dir string) {
			c := goodCols(20, 3, 1)
			b := c.npz(t)
			write(t, filepath.Join(dir, "d.npz"), b[:len(b)/2])
		}, args: iql("$DIR/d.npz"), want: "d.npz"},
		{group: data, what: ".npz without rewards", setup: npzWith("d.npz", func(c *npzCols) { c.drop = "rewards" }), args: iql("$DIR/d.npz"), want: `missing key "rewards"`},
		{group: data, what: "NaN reward", setup: npzWith("d.npz", func(c *npzCols) { c.rew[7] = float32(math.NaN()) }), args: iql("$DIR/d.npz"), want: "rewards[7] is NaN"},
		{group: data, what: "infinite observation", setup: npzWith("d.npz", func(c *npzCols) { c.obs[3*4+2] = float32(math.Inf(-1)) }), args: iql("$DIR/d.npz"), want: "observations[4][2]"},
		{group: data, what: "columns of different lengths", setup: npzWith("d.npz", func(c *npzCols) { c.act = c.act[:19] }), args: iql("$DIR/d.npz"), want: "actions has 19 rows"},
		{group: data, what: "terminal flag that is not 0 or 1", setup: npzWith("d.npz", func(c *npzCols) { c.termByte = 2 }), args: iql("$DIR/d.npz"), want: "terminals"},
		{group: data, what: "transition both terminal and timed out", setup: npzWith("d.npz", func(c *npzCols) { c.term[5], c.time[5] = true, true }), args: iql("$DIR/d.npz"), want: "[5]"},
		{group: data, what: "dataset for another env (observation width)", setup: func(t *testing.T, dir string) {
			c := goodCols(20, 5, 1)
			write(t, filepath.Join(dir, "d.npz"), c.npz(t))
		}, args: iql("$DIR/d.npz"), want: "does not match env pendulum"},
		{group: data, what: ".hdf5 that is not HDF5", setup: file("d.hdf5", "not hdf5 at all"), args: iql("$DIR/d.hdf5"), want: "d.hdf5"},
		{group: data, what: "inspect a file that does not exist and is no dataset name", args: []string{"dataset", "inspect", "$DIR/nothing.npz"}, want: "not a dataset name"},
		{group: data, what: "make a dataset of an unknown kind", args: []string{"dataset", "make", "pendulum-excellent"}, want: "excellent"},
		{group: data, what: "convert to an unknown format", setup: npzWith("d.npz", nil), args: []string{"dataset", "convert", "$DIR/d.npz", "$DIR/d.parquet"}, want: "d.parquet"},

		// Runs, checkpoints and resume.
		{group: runs, what: "new run under an existing name", args: tr("sac", "--env", "pendulum", "--steps", "10", "--name", "done", "--runs", "$DIR/runs"), want: "already exists"},
		{group: runs, what: "resume a run that does not exist", args: tr("--resume", "nosuch", "--runs", "$DIR/runs"), want: "nosuch"},
		{group: runs, what: "resume a finished run", args: tr("--resume", "done", "--runs", "$DIR/runs"), want: "already finished"},
		{group: runs, what: "resume a run another process is training", setup: func(t *testing.T, dir string) {
			l, err := runlock.Acquire(filepath.Join(dir, "runs", "done")) // as a live dwm train would
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
		}, args: tr("--resume", "done", "--runs", "$DIR/runs"), want: "being trained by another process"},
		{group: runs, what: "fork a run without an offline→online switch", args: tr("--fork", "done", "--name", "f", "--runs", "$DIR/runs"), want: "has no offline→online switch"},
		{group: runs, what: "fork at a step without a checkpoint", args: tr("--fork", "done@7", "--name", "f", "--runs", "$DIR/runs"), want: "no checkpoint at step 7"},
		{group: runs, what: "run directory whose config.yaml was edited wrongly", setup: func(t *testing.T, dir string) {
			p := filepath.Join(dir, "runs", "done", "config.yaml")
			b, _ := os.ReadFile(p)
			write(t, p, append([]byte("bogus_key: 1\n"), b...))
		}, args: tr("--resume", "done", "--runs", "$DIR/runs"), want: "bogus_key"},
		{group: runs, what: "evaluate a run without checkpoints", setup: func(t *testing.T, dir string) {
			os.RemoveAll(filepath.Join(dir, "runs", "done", "checkpoints"))
		}, args: []string{"eval", "--run", "done", "--runs", "$DIR/runs"}, want: "no checkpoint"},
		{group: runs, what: "checkpoint tensor file overwritten", setup: ckpt("model.safetensors", func([]byte) []byte { return []byte("garbage") }), args: []string{"eval", "--run", "done", "--runs", "$DIR/runs"}, want: "model.safetensors"},
		{group: runs, what: "checkpoint tensor file truncated", setup: ckpt("optimizer.safetensors", func(b []byte) []byte { return b[:len(b)/2] }), args: []string{"eval", "--run", "done", "--runs", "$DIR/runs"}, want: "truncated or replaced"},
		{group: runs, what: "checkpoint tensor file with a flipped byte", setup: ckpt("model.safetensors", func(b []byte) []byte { b[len(b)-3] ^= 1; return b }), args: []string{"eval", "--run", "done", "--runs", "$DIR/runs"}, want: "file is corrupt"},
		{group: runs, what: "checkpoint manifest that is not JSON", setup: ckpt("manifest.json", func([]byte) []byte { return []byte("{oops") }), args: []string{"eval", "--run", "done", "--runs", "$DIR/runs"}, want: "manifest.json"},
		{group: runs, what: "checkpoint from a newer dwm", setup: ckpt("manifest.json", func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"format": 1`), []byte(`"format": 7`), 1)
		}), args: []string{"eval", "--run", "done", "--runs", "$DIR/runs"}, want: "newer than this dwm reads"},

		// Sweeps and reports.
		{group: sweeps, what: "sweep file missing", args: []string{"sweep", "run", "$DIR/none.yaml", "--runs", "$DIR/runs"}, want: "none.yaml"},
		{group: sweeps, what: "sweep with an unknown method", setup: file("s.yaml", "methods: [sac, ppo]\ntasks: [{env: pendulum}]\nseeds: [0]\n"),
			args: []string{"sweep", "run", "$DIR/s.yaml", "--runs", "$DIR/runs"}, want: `methods[1]: unknown method "ppo"`},
		{group: sweeps, what: "sweep with a seed listed twice", setup: file("s.yaml", "methods: [sac]\ntasks: [{env: pendulum}]\nseeds: [0, 0]\n"),
			args: []string{"sweep", "run", "$DIR/s.yaml", "--runs", "$DIR/runs"}, want: "seeds[1]: 0 is listed twice"},
		{group: sweeps, what: "sweep file with an unknown key", setup: file("s.yaml", "methods: [sac]\ntasks: [{env: pendulum}]\nseeds: [0]\nseed: 1\n"),
			args: []string{"sweep", "run", "$DIR/s.yaml", "--runs", "$DIR/runs"}, want: "field seed not found"},
		{group: sweeps, what: "sweep task without an env", setup: file("s.yaml", "methods: [iql]\ntasks: [{dataset: d.npz}]\nseeds: [0]\n"),
			args: []string{"sweep", "run", "$DIR/s.yaml", "--runs", "$DIR/runs"}, want: "tasks[0]: env is empty"},
		{group: sweeps, what: "sweep override without a value", setup: file("s.yaml", "methods: [sac]\ntasks: [{env: pendulum}]\nseeds: [0]\noverrides: [train.online_steps]\n"),
			args: []string{"sweep", "run", "$DIR/s.yaml", "--runs", "$DIR/runs"}, want: "overrides[0]"},
		{group: sweeps, what: "sweep check without a file", args: []string{"sweep", "check"}, want: "no sweep file given"},
		{group: sweeps, what: "sweep check whose run fails when built", setup: file("s.yaml", "methods: [bdwm]\ntasks: [{env: pendulum, dataset: pendulum-medium}]\nseeds: [0]\noverrides: [train.offline_steps=1000, bdwm.eta_percentile=150]\n"),
			args: []string{"sweep", "check", "$DIR/s.yaml", "--runs", "$DIR/check"}, want: "bdwm.eta_percentile = 150"},
		{group: sweeps, what: "report without a store", args: []string{"report", "--runs", "$DIR/empty", "--out", "$DIR/report"}, want: "does not exist"},
		{group: sweeps, what: "report filter with an unknown status", args: []string{"report", "--runs", "$DIR/runs", "--filter", "status=bogus", "--out", "$DIR/report"}, want: `unknown status "bogus"`},
		{group: sweeps, what: "report filter matching no run", args: []string{"report", "--runs", "$DIR/runs", "--filter", "algo=iql", "--out", "$DIR/report"}, want: "no runs match"},
		{group: sweeps, what: "report of an unknown metric", args: []string{"report", "--runs", "$DIR/runs", "--metric", "eval/score", "--out", "$DIR/report"}, want: "eval/score"},

		// Run store.
		{group: store, what: "no store yet", args: []string{"runs", "list", "--runs", "$DIR/empty"}, want: "no run store"},
		{group: store, what: "store file that is not SQLite", setup: file("x.db", "just text, not a database"), args: []string{"runs", "list", "--store", "$DIR/x.db"}, want: "not an SQLite database"},
		{group: store, what: "SQLite database of another application", setup: func(t *testing.T, dir string) {
			db, err := sql.Open("sqlite", filepath.Join(dir, "other.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec("CREATE TABLE t(x)"); err != nil {
				t.Fatal(err)
			}
		}, args: []string{"runs", "list", "--store", "$DIR/other.db"}, want: "not a dwm run store"},
		{group: store, what: "store of a newer dwm", setup: func(t *testing.T, dir string) {
			copyTree(t, filepath.Join(dir, "runs", "dwm.db"), filepath.Join(dir, "new.db"))
			db, err := sql.Open("sqlite", filepath.Join(dir, "new.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec("PRAGMA user_version = 9"); err != nil {
				t.Fatal(err)
			}
		}, args: []string{"runs", "list", "--store", "$DIR/new.db"}, want: "newer than this dwm supports"},
		{group: store, what: "show a run that is not in the store", args: []string{"runs", "show", "nosuch", "--runs", "$DIR/runs"}, want: "nosuch"},
		{group: store, what: "diff against a run that is not in the store", args: []string{"runs", "diff", "done", "nosuch", "--runs", "$DIR/runs"}, want: "nosuch"},
	}
}

// TestRobustnessCatalogue runs the catalogue and checks (or with -update
// writes) docs/robustness.md.
func TestRobustnessCatalogue(t *testing.T) {
	fixture := t.TempDir()
	if code, _, e := dwm(t, "train", "sac", "--env", "pendulum", "--steps", "250", "--seed", "1", "--runs", filepath.Join(fixture, "runs"),
		"--name", "done", "--set", "train.learning_starts=200", "--set", "train.eval_episodes=1", "--set", "sac.hidden=[8]",
		"--set", "train.batch_size=8", "--quiet"); code != 0 {
		t.Fatalf("fixture run: %s", e)
	}
	t.Setenv("XDG_CACHE_HOME", filepath.Join(fixture, "cache"))
	cases := catalogue()
	type result struct {
		c      badInput
		code   int
		stderr string
	}
	var results []result
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.what] {
			t.Fatalf("case %q twice", c.what)
		}
		seen[c.what] = true
		dir := t.TempDir()
		copyTree(t, filepath.Join(fixture, "runs"), filepath.Join(dir, "runs"))
		if c.setup != nil {
			c.setup(t, dir)
		}
		args := make([]string, len(c.args))
		for i, a := range c.args {
			args[i] = strings.ReplaceAll(a, "$DIR", dir)
		}
		code, _, stderr := dwm(t, args...)
		msg := normalize(stderr, dir)
		if code == 0 || !strings.Contains(msg, c.want) {
			t.Errorf("%s: dwm %s: exit %d, message %q; want a failure mentioning %q", c.what, strings.Join(c.args, " "), code, msg, c.want)
		}
		results = append(results, result{c, code, msg})
	}
	var doc bytes.Buffer
	fmt.Fprintf(&doc, `# Bad inputs and what dwm says

<!-- Generated by `+"`go test ./cmd/dwm -run TestRobustnessCatalogue -update`"+` from the cases in
cmd/dwm/robustness_test.go. Do not edit: the test fails when this file and dwm's messages differ. -->

Each entry is one kind of bad input, the command that feeds it to dwm, the exit status (1: error,
2: usage) and dwm's message exactly as printed. `+"`$DIR`"+` stands for the directory holding the bad
files and a finished run `+"`done`"+` under `+"`$DIR/runs`"+`; SHA-256 sums are shortened to
`+"`<sha256>`"+`, and usage text after a flag error is left out. %d bad inputs.

Beyond this list: the readers of user input are fuzzed (`+"`scripts/fuzz.sh`"+`, every `+"`func Fuzz…`"+`);
internal/crashtest kills runs with SIGKILL, SIGINT and SIGTERM and fills the disk under them, and checks
that resumed runs end bit for bit as uninterrupted ones; a NaN or infinity in a loss, gradient or
parameter stops a run naming the step, network and layer (package train, `+"`train.check_numerics`"+`).
`, len(results))
	group := ""
	for i, r := range results {
		if r.c.group != group {
			group = r.c.group
			fmt.Fprintf(&doc, "\n## %s\n", group)
		}
		fmt.Fprintf(&doc, "\n### %d. %s\n\n`dwm %s` exits %d:\n\n```\n%s\n```\n", i+1, r.c.what, strings.Join(quoteArgs(r.c.args), " "), r.code, r.stderr)
	}
	if *update {
		if err := os.WriteFile(catalogueDoc, doc.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	old, err := os.ReadFile(catalogueDoc)
	if err != nil || !bytes.Equal(old, doc.Bytes()) {
		t.Fatalf("%s is stale (%v): regenerate it with go test ./cmd/dwm -run TestRobustnessCatalogue -update\n%s", catalogueDoc, err, firstDiff(string(old), doc.String()))
	}
	if len(results) < 30 {
		t.Errorf("the catalogue lists %d bad inputs, want at least 30", len(results))
	}
}

var sha256Hex = regexp.MustCompile(`[0-9a-f]{64}`)

// normalize makes a message independent of the temporary directory and of
// hash values, and drops the usage text that follows a flag error.
var pidRe = regexp.MustCompile(`pid [0-9]+`)

func normalize(s, dir string) string {
	s = strings.ReplaceAll(s, dir, "$DIR")
	s = sha256Hex.ReplaceAllString(s, "<sha256>")
	s = pidRe.ReplaceAllString(s, "pid <pid>")
	for _, cut := range []string{"\nUsage of ", "\n\ndwm — ", "\n  -"} {
		if i := strings.Index(s, cut); i >= 0 {
			s = s[:i]
		}
	}
	return strings.TrimSpace(s)
}

func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t'\"[]$;&|<>*?") && !strings.HasPrefix(a, "$DIR") {
			a = "'" + a + "'"
		}
		out[i] = a
	}
	return out
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(al), len(bl)) {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("first difference at line %d:\n  doc:  %q\n  now:  %q", i+1, x, y)
		}
	}
	return ""
}

func write(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// copyTree copies the file or directory src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// npzCols is a small dataset in D4RL's npz layout, written by hand so that
// it can hold what dwm's own writer refuses.
type npzCols struct {
	n, obsDim, actDim int
	obs, act, rew     []float32
	next              []float32
	term, time        []bool
	termByte          byte   // if non-zero, written into terminals[2] (a bool array)
	drop              string // a column to leave out
}

func goodCols(n, obsDim, actDim int) npzCols {
	c := npzCols{n: n, obsDim: obsDim, actDim: actDim}
	for i := range n * obsDim {
		c.obs = append(c.obs, float32(i%7)/7)
		c.next = append(c.next, float32((i+1)%7)/7)
	}
	for i := range n * actDim {
		c.act = append(c.act, float32(i%5)/5-0.4)
	}
	for i := range n {
		c.rew = append(c.rew, -float32(i%3))
		c.term = append(c.term, false)
		c.time = append(c.time, i == n-1)
	}
	return c
}

func (c npzCols) npz(t *testing.T) []byte {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	add := func(key, descr string, shape []int, data []byte) {
		if key == c.drop {
			return
		}
		w, err := z.CreateHeader(&zip.FileHeader{Name: key + ".npy", Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		dims := make([]string, len(shape))
		for i, d := range shape {
			dims[i] = fmt.Sprint(d)
		}
		sh := strings.Join(dims, ", ")
		if len(shape) == 1 {
			sh += ","
		}
		h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, sh)
		for (10+len(h)+1)%64 != 0 {
			h += " "
		}
		h += "\n"
		hdr := append([]byte("\x93NUMPY\x01\x00"), byte(len(h)), byte(len(h)>>8))
		w.Write(append(append(hdr, h...), data...))
	}
	f32 := func(x []float32) []byte {
		b := make([]byte, 4*len(x))
		for i, v := range x {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		return b
	}
	bools := func(x []bool) []byte {
		b := make([]byte, len(x))
		for i, v := range x {
			if v {
				b[i] = 1
			}
		}
		return b
	}
	add("observations", "<f4", []int{len(c.obs) / c.obsDim, c.obsDim}, f32(c.obs))
	add("actions", "<f4", []int{len(c.act) / c.actDim, c.actDim}, f32(c.act))
	add("rewards", "<f4", []int{len(c.rew)}, f32(c.rew))
	add("next_observations", "<f4", []int{len(c.next) / c.obsDim, c.obsDim}, f32(c.next))
	tb := bools(c.term)
	if c.termByte != 0 {
		tb[2] = c.termByte
	}
	add("terminals", "|b1", []int{len(c.term)}, tb)
	add("timeouts", "|b1", []int{len(c.time)}, bools(c.time))
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
