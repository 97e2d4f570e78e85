// Package fakedwm stands in for the dwm binary in sweep tests: it accepts the
// two command lines a sweep runs —
//
//	train <method> --env|--dataset <task> --seed <s> [--set k=v]... --store <path> --name <run>
//	sweep task --file <sweep file> --index <i> --store <path>
//
// — and does what dwm must do with them: train creates (or resumes) the
// named run in the store, logs evaluation rows through an offline and an
// online phase with progress lines, and marks the run done; sweep task
// performs one run of a sweep through sweep.RunTask. When dwm's CLI exists,
// the real binary replaces this one (sweep.Options.Binary).
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
	"strconv"
	"syscall"
	"time"

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
		err = train(ctx, args[1], args[2:], stdout)
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

func train(ctx context.Context, method string, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	env := fs.String("env", "", "environment id")
	dataset := fs.String("dataset", "", "dataset id")
	seed := fs.Int64("seed", 0, "seed")
	storePath := fs.String("store", "", "run store")
	name := fs.String("name", "", "run name")
	var overrides sets
	fs.Var(&overrides, "set", "key.path=value")
	if err := fs.Parse(args); err != nil {
		return err
	}
	task := *dataset + *env
	if task == "" || *storePath == "" || *name == "" || fs.NArg() > 0 {
		return fmt.Errorf("train %s %q: need --env or --dataset, --store and --name", method, args)
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
	s, err := track.Open(*storePath)
	if err != nil {
		return err
	}
	defer s.Close()
	cfg, _ := json.Marshal(map[string]any{"method": method, "task": task, "seed": *seed, "overrides": []string(overrides)})
	r, err := s.CreateRun(track.Run{Name: *name, Algo: method, Env: task, Seed: *seed, Config: cfg,
		Provenance: track.CollectProvenance("fakedwm")})
	if errors.Is(err, track.ErrRunExists) { // resume
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
	offset := map[string]float64{"iql": 0, "calql": 10, "sac": -10, "dual": 20}[method]
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
			v := 40 + offset + float64(*seed) + 5*float64(i)
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
	return sweep.RunTask(ctx, sw, *index, sweep.Options{Store: *storePath, Binary: self, Stdout: stdout, Stderr: stderr})
}
