// Command dwm trains and evaluates offline-to-online RL agents and diffusion
// world models. It parses flags and calls the library; see `dwm help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/dwm-rl/dwm/train"
)

const usage = `dwm — offline-to-online RL with diffusion world models

Usage:
  dwm train <algo> --env ID [--steps N] [--seed S | --seeds 0,1,2] [--config FILE] [--set key=value ...]
  dwm train bdwm --env ID --dataset D [--no-filter] [--fixed-lambda] [--no-bc] [--epistemic-only] [--members K]
  dwm train dawm --dataset D [--env ID] [--learner td3bc|iql]
  dwm train --resume RUN
  dwm worldmodel fit --dataset D [--env ID] [--out F] | eval --model F --dataset D
  dwm dawm generate --dataset D --out F.npz [--transitions N] [--samples M] [--max-uncertainty U] [--seed S]
  dwm eval --run RUN [--episodes 10] [--seed S]
  dwm envs
  dwm runs list|show RUN|diff RUN_A RUN_B|rm RUN|export [--csv|--jsonl] [--filter F]
  dwm report [--filter F] [--out DIR] [--of-best] [--versus METHOD]
  dwm sweep run|slurm|status FILE
  dwm sweep check FILE...   (smoke-run one run of each task and method, a few dozen steps a phase)
  dwm dataset make <env>-<kind> [--size N] [--seed S]   (kinds: random expert medium medium-replay medium-expert scripted; Adroit: demo cloned)
  dwm dataset inspect FILE|NAME
  dwm dataset convert IN OUT
  dwm demo
  dwm bench [core|dual ...] [--out DIR] [--threads 2] [--min-time 300ms] [--repeats 3] [--dims pendulum|hopper]
  dwm help

Every command that trains takes --config FILE (YAML or TOML) and repeated --set key.path=value
overrides; a run saves its fully resolved config in runs/<run>/config.yaml.

Environment: DWM_CPUPROFILE=FILE writes a CPU profile of the command to FILE (go tool pprof).

Exit status: 0 done, 1 failed, 2 usage error; on SIGINT (Ctrl-C) or SIGTERM a run stops at its
next boundary, saves a checkpoint, is marked "interrupted" and dwm exits 130 (SIGINT) or 143
(SIGTERM); a second signal ends the process at once. A signal that arrives after the work is
done (the run finished and recorded) changes nothing: dwm exits 0.
`

type command func(ctx context.Context, args []string, stdout, stderr io.Writer) error

func commands() map[string]command {
	return map[string]command{
		"train":      cmdTrain,
		"eval":       cmdEval,
		"envs":       cmdEnvs,
		"runs":       cmdRuns,
		"demo":       cmdDemo,
		"dataset":    cmdDataset,
		"report":     cmdReport,
		"sweep":      cmdSweep,
		"worldmodel": cmdWorldModel,
		"bench":      cmdBench,
		"dawm":       cmdDAWM,
	}
}

// signalCause is the cancellation cause of dwm's context when a signal
// asked the command to stop.
type signalCause struct{ sig syscall.Signal }

func (c signalCause) Error() string { return "stopped by signal " + c.sig.String() }

// exitCode is the shell's convention for a process stopped by a signal:
// 128 plus its number (130 for SIGINT, 143 for SIGTERM).
func (c signalCause) exitCode() int { return 128 + int(c.sig) }

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		// The first signal asks the run to stop at the next boundary and
		// save; a second one gets Go's default behaviour and ends the
		// process at once.
		signal.Stop(sigs)
		sig, ok := s.(syscall.Signal)
		if !ok {
			sig = syscall.SIGINT
		}
		cancel(signalCause{sig})
	}()
	stop, err := startProfile(os.Getenv("DWM_CPUPROFILE"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "dwm: %v\n", err)
		os.Exit(1)
	}
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err := stop(); err != nil {
		fmt.Fprintf(os.Stderr, "dwm: %v\n", err)
		code = max(code, 1)
	}
	os.Exit(code)
}

// startProfile starts a CPU profile written to path (DWM_CPUPROFILE) and
// returns the function that ends and closes it; with an empty path both do
// nothing.
func startProfile(path string) (func() error, error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("DWM_CPUPROFILE: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("DWM_CPUPROFILE %s: %w", path, err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("DWM_CPUPROFILE %s: %w", path, err)
		}
		return nil
	}, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "dwm: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	err := cmd(ctx, args[1:], stdout, stderr)
	if code, ok := stopped(ctx, args[0], err, stderr); ok {
		return code
	}
	if err != nil {
		if errors.Is(err, errUsage) {
			return 2
		}
		fmt.Fprintf(stderr, "dwm %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

var errUsage = errors.New("usage")

// stopped returns the exit status of a command that ended early because
// ctx was cancelled, and whether it did. A command says so explicitly: it
// returns an error wrapping train.ErrInterrupted when it stopped at a
// boundary after saving (a run marked interrupted, and a line on how to
// continue already printed), or the context's error when the cancellation
// made it fail. A command that returns nil did all its work, so a signal
// that arrived after it (a run already done and recorded) is not a stop:
// dwm exits 0 then, whatever the context says.
//
// A stop on a signal exits 128 plus the signal's number; an interrupted
// run whose context was cancelled otherwise (a library caller's
// cancellation) exits 0, a command failed by it 1.
func stopped(ctx context.Context, name string, err error, stderr io.Writer) (int, bool) {
	interrupted := errors.Is(err, train.ErrInterrupted)
	if !interrupted && !errors.Is(err, context.Canceled) {
		return 0, false
	}
	var sc signalCause
	switch {
	case errors.As(context.Cause(ctx), &sc):
		if !interrupted {
			fmt.Fprintf(stderr, "dwm %s: %v\n", name, sc)
		}
		return sc.exitCode(), true
	case interrupted:
		return 0, true
	}
	return 0, false
}
