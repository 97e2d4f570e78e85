// Package fakedwm stands in for the dwm binary in sweep tests: it accepts the
// command lines a sweep runs —
//
//	train <method> --env <env> [--dataset <file>] --seed <s> [--set k=v]... --store <path> --runs <dir> --name <run>
//	train --resume <run> --runs <dir>
//	train --fork <parent>[@step] --env <env> [--set k=v]... --store <path> --runs <dir> --name <run>
//	sweep task --file <sweep file> --index <i> --store <path> --runs <dir>
//
// — and behaves as dwm does with them: train refuses a run whose directory
// <runs>/<run> exists (use --resume), writes <runs>/<run>/config.yaml,
// records the run in the store (a fork takes its parent's method, dataset
// and seed, and fails unless the parent is done: a stand-in for "no
// checkpoint at that step yet"), logs evaluation rows through an offline and
// an online phase with progress lines, records SIGINT/SIGTERM as
// "interrupted" and finishing as "done"; --resume continues a run from its
// directory; sweep task performs one run of a sweep through sweep.RunTask.
// The real binary replaces this one through sweep.Options.Binary.
//
// Environment knobs for tests:
//
//	DWM_FAKE_STEP_SLEEP  a duration slept per logged step (default 0)
//	DWM_FAKE_FAIL        a run-name glob: matching runs fail with exit code 3
//	DWM_FAKE_LOG         a file to which each train invocation appends "<run name>\n"
package fakedwm

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dwm-rl/dwm/internal/atomicfile"
	"github.com/dwm-rl/dwm/progress"
	"github.com/dwm-rl/dwm/sweep"
	"github.com/dwm-rl/dwm/track"
)

// Methods are the algorithm names fakedwm accepts.
var Methods = []string{"iql", "calql", "sac", "dual"}

// Phase lengths of a fake run, in logged steps (one evaluation per step,
// 1000 environment steps apart).
const (
	OfflineSteps = 4
	OnlineSteps  = 4
)

// EnvVar, set to "1", makes a test binary behave as fakedwm (see Main).
const EnvVar = "DWM_SWEEP_FAKE"

// Main runs the command line args (without the program name) and returns
// the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var err error
	switch {
	case len(args) >= 2 && args[0] == "train":
		err = train(ctx, args[1:], stdout)
	case len(args) >= 2 && args[0] == "sweep" && args[1] == "task":
		err = task(ctx, args[2:], stdout, stderr)
	default:
		err = fmt.Errorf("usage: train <method> ... | sweep task ...; got %q", args)
	}
	var ec exitCode
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ec):
		fmt.Fprintln(stderr, "fakedwm:", err)
		return int(ec)
	default:
		fmt.Fprintln(stderr, "fakedwm:", err)
		return 1
	}
}

type exitCode int

func (e exitCode) Error() string { return "exit code " + strconv.Itoa(int(e)) }

type sets []string

func (s *sets) String() string     { return fmt.Sprint(*s) }
func (s *sets) Set(v string) error { *s = append(*s, v); return nil }

// runConfig is what a run's config.yaml holds (JSON is YAML).
type runConfig struct {
	Algo      string   `json:"algo"`
	Env       string   `json:"env"`
	Dataset   string   `json:"dataset"`
	Seed      int64    `json:"seed"`
	Store     string   `json:"store"`
	Overrides []string `json:"overrides"`
}

func train(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	env := fs.String("env", "", "environment id")
	dataset := fs.String("dataset", "", "dataset file")
	seed := fs.Int64("seed", 0, "seed")
	storePath := fs.String("store", "", "run store")
	runsDir := fs.String("runs", "runs", "runs directory")
	name := fs.String("name", "", "run name")
	resume := fs.String("resume", "", "run to resume")
	fork := fs.String("fork", "", "run to branch from")
	var overrides sets
	fs.Var(&overrides, "set", "key.path=value")
	method := ""
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		method, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	var c runConfig
	if *resume != "" {
		*name = *resume
		b, err := os.ReadFile(filepath.Join(*runsDir, *name, "config.yaml"))
		if err != nil {
			return fmt.Errorf("resume %s: %w", *name, err)
		}
		if err := json.Unmarshal(b, &c); err != nil {
			return fmt.Errorf("resume %s: %w", *name, err)
		}
	} else {
		c = runConfig{Algo: method, Env: *env, Dataset: *dataset, Seed: *seed, Store: *storePath, Overrides: overrides}
		if *fork != "" {
			parent, _, _ := strings.Cut(*fork, "@")
			var pc runConfig
			b, err := os.ReadFile(filepath.Join(*runsDir, parent, "config.yaml"))
			if err == nil {
				err = json.Unmarshal(b, &pc)
			}
			if err != nil {
				return fmt.Errorf("fork %s: %w", parent, err)
			}
			if done, err := runDone(*storePath, parent); err != nil || !done {
				return fmt.Errorf("fork: run %s has no checkpoint at its switch yet (%v)", parent, err)
			}
			c.Algo, c.Dataset, c.Seed = pc.Algo, pc.Dataset, pc.Seed
		}
		if c.Algo == "" || c.Env == "" || c.Store == "" || *name == "" || fs.NArg() > 0 {
			return fmt.Errorf("train %q: need <method>, --env, --store and --name", args)
		}
		dir := filepath.Join(*runsDir, *name)
		if _, err := os.Stat(dir); err == nil {
			return fmt.Errorf("run directory %s already exists; use --resume %s to continue it", dir, *name)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		b, _ := json.Marshal(c)
		if err := atomicfile.WriteBytes(filepath.Join(dir, "config.yaml"), b); err != nil {
			return err
		}
	}
	if f := os.Getenv("DWM_FAKE_LOG"); f != "" {
		lf, err := os.OpenFile(f, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		fmt.Fprintln(lf, *name)
		lf.Close()
	}
	var sleep time.Duration
	if v := os.Getenv("DWM_FAKE_STEP_SLEEP"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("DWM_FAKE_STEP_SLEEP %q: %w", v, err)
		}
		sleep = d
	}
	s, err := track.Open(c.Store)
	if err != nil {
		return err
	}
	defer s.Close()
	cfg, _ := json.Marshal(c)
	r, err := s.CreateRun(track.Run{Name: *name, Algo: c.Algo, Env: c.Env, Seed: c.Seed, Config: cfg,
		Dir: filepath.Join(*runsDir, *name), Provenance: track.CollectProvenance("fakedwm")})
	if errors.Is(err, track.ErrRunExists) && *resume != "" {
		if r, err = s.RunByName(*name); err == nil {
			err = s.SetStatus(r.ID, track.StatusRunning)
		}
	}
	if err != nil {
		return err
	}
	if pat := os.Getenv("DWM_FAKE_FAIL"); pat != "" {
		if ok, _ := path.Match(pat, *name); ok {
			s.SetStatus(r.ID, track.StatusFailed)
			return fmt.Errorf("%w: run %s fails on purpose (DWM_FAKE_FAIL)", exitCode(3), *name)
		}
	}
	p := progress.New(stdout, false)
	offset := map[string]float64{"iql": 0, "calql": 10, "sac": -10, "dual": 20}[c.Algo]
	for _, ph := range []struct {
		name       string
		from, upto int
	}{{track.PhaseOffline, 0, OfflineSteps}, {track.PhaseOnline, OfflineSteps, OfflineSteps + OnlineSteps}} {
		bar := p.Bar(ph.name, int64(ph.upto-ph.from), 0)
		for i := ph.from; i < ph.upto; i++ {
			select {
			case <-ctx.Done():
				s.SetStatus(r.ID, track.StatusInterrupted)
				return fmt.Errorf("%w: interrupted at step %d", exitCode(130), i)
			case <-time.After(sleep):
			}
			v := 40 + offset + float64(c.Seed) + 5*float64(i)
			if ph.name == track.PhaseOnline && i == ph.from {
				v -= 8 // the transition dip
			}
			if err := s.LogMetrics(r.ID, int64(1000*i), ph.name, map[string]float64{
				"eval/normalized_return": v, "train/lambda": 1 + 0.1*float64(i),
			}); err != nil {
				return err
			}
			bar.Set(int64(i-ph.from+1), "")
		}
		bar.Done()
	}
	p.Wait()
	return s.SetStatus(r.ID, track.StatusDone)
}

func task(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sweep task", flag.ContinueOnError)
	file := fs.String("file", "", "sweep file")
	index := fs.Int("index", -1, "run index")
	storePath := fs.String("store", "", "run store")
	runsDir := fs.String("runs", "runs", "runs directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sw, err := sweep.Load(*file, Methods)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	return sweep.RunTask(ctx, sw, *index, sweep.Options{Store: *storePath, RunsDir: *runsDir, Binary: self, Stdout: stdout, Stderr: stderr})
}

// runDone reports whether the store at path records run name as done.
func runDone(path, name string) (bool, error) {
	s, err := track.Open(path)
	if err != nil {
		return false, err
	}
	defer s.Close()
	r, err := s.RunByName(name)
	if err != nil {
		return false, err
	}
	return r.Status == track.StatusDone, nil
}
