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
	"syscall"
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
  dwm runs list|show RUN|rm RUN|export [--csv|--jsonl] [--filter F]
  dwm report [--filter F] [--out DIR]
  dwm sweep run|slurm|status FILE
  dwm dataset make <env>-<kind> [--size N] [--seed S]   (kinds: random expert medium medium-replay medium-expert scripted; Adroit: demo cloned)
  dwm dataset inspect FILE|NAME
  dwm dataset convert IN OUT
  dwm demo
  dwm bench [core|dual ...] [--out DIR] [--threads 2] [--min-time 300ms] [--repeats 3] [--dims pendulum|hopper]
  dwm help

Every command that trains takes --config FILE (YAML or TOML) and repeated --set key.path=value
overrides; a run saves its fully resolved config in runs/<run>/config.yaml.

Exit status: 0 done, 1 failed, 2 usage error; on SIGINT (Ctrl-C) or SIGTERM a run stops at its
next boundary, saves a checkpoint, is marked "interrupted" and dwm exits 130 (SIGINT) or 143
(SIGTERM); a second signal ends the process at once.
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
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
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
	// Stopped by a signal: the command saved what it could (a run is
	// marked interrupted) and ended early, or failed only because it was
	// cancelled. Either way the exit status says so.
	var sc signalCause
	if errors.As(context.Cause(ctx), &sc) && (err == nil || errors.Is(err, context.Canceled)) {
		if err != nil {
			fmt.Fprintf(stderr, "dwm %s: %v\n", args[0], sc)
		}
		return sc.exitCode()
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
