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
  dwm dataset make <env>-<kind> [--size N] [--seed S]   (kinds: random expert medium medium-replay medium-expert scripted)
  dwm dataset inspect FILE|NAME
  dwm dataset convert IN OUT
  dwm demo
  dwm bench [core|dual ...] [--out DIR] [--threads 2] [--min-time 300ms] [--repeats 3] [--dims pendulum|hopper]
  dwm help

Every command that trains takes --config FILE (YAML or TOML) and repeated --set key.path=value
overrides; a run saves its fully resolved config in runs/<run>/config.yaml.
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

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first signal asks the run to stop at the next boundary and save;
	// a second one gets Go's default behaviour and ends the process at once.
	context.AfterFunc(ctx, stop)
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
	if err := cmd(ctx, args[1:], stdout, stderr); err != nil {
		if errors.Is(err, errUsage) {
			return 2
		}
		fmt.Fprintf(stderr, "dwm %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

var errUsage = errors.New("usage")
