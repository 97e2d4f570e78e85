package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/dwm-rl/dwm/config"
	"github.com/dwm-rl/dwm/experiment"
	"github.com/dwm-rl/dwm/worldmodel"
)

func cmdWorldModel(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("worldmodel", stderr)
	var sets multiFlag
	data := fs.String("dataset", "", "dataset file, embedded or made name")
	envID := fs.String("env", "", "task id (chooses the termination rule)")
	steps := fs.Int("steps", 0, "training steps (default 20000)")
	seed := fs.Uint64("seed", 0, "seed")
	out := fs.String("out", "worldmodel.safetensors", "model file to write (fit)")
	model := fs.String("model", "", "model file to evaluate (eval)")
	n := fs.Int("transitions", 0, "transitions in the quality report (default 1000)")
	fs.Var(&sets, "set", "world-model config override key=value, e.g. members=5 (repeatable)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *data == "" {
		return fmt.Errorf("want fit --dataset D [--env E] [--out F] or eval --model F --dataset D")
	}
	var q worldmodel.Quality
	switch pos[0] {
	case "fit":
		var mc worldmodel.Config
		for _, s := range sets {
			if err := config.Set(&mc, s); err != nil {
				return err
			}
		}
		rep, err := experiment.FitWorldModel(experiment.WorldModelFit{Dataset: *data, Env: *envID, Model: mc, Steps: *steps,
			Seed: *seed, Out: *out, QualitySamples: *n, Stop: ctx.Err}, stderr)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "world model written to %s: %d training, %d held-out transitions, final loss %.5g\n", *out, rep.Train, rep.Holdout, rep.Loss)
		if !rep.HasQuality {
			return nil
		}
		q = rep.Quality
	case "eval":
		if *model == "" {
			return fmt.Errorf("eval wants --model FILE")
		}
		if q, err = experiment.EvalWorldModel(*model, *data, *n, *seed); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown worldmodel verb %q: want fit or eval", pos[0])
	}
	m := q.Metrics()
	fmt.Fprintf(stdout, "uncertainty quality on %d held-out transitions:\n", q.N)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(stdout, "  %-26s %.4g\n", k, m[k])
	}
	if !q.EpistemicDefined {
		fmt.Fprintln(stdout, "  (one member: σ_ep is 0, so its Spearman correlation and AUROC are undefined)")
	}
	return nil
}
