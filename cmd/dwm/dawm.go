package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/dwm-rl/dwm/config"
	"github.com/dwm-rl/dwm/datagen"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/experiment"
)

// cmdDAWM is `dwm dawm generate`: DAWM's models fitted on a dataset and
// their generated transitions written as an npz file.
func cmdDAWM(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("dawm", stderr)
	var sets multiFlag
	data := fs.String("dataset", "", "dataset file, embedded or made name")
	out := fs.String("out", "", "npz file to write (D4RL keys plus infos/uncertainty)")
	n := fs.Int("transitions", 0, "transitions to generate before filtering (default 100000; at most one sequence per dataset window)")
	per := fs.Int("per-sequence", 0, "transitions taken from each generated sequence (default 1)")
	samples := fs.Int("samples", 0, "sequences sampled per start; their spread is the uncertainty (default 4)")
	maxU := fs.Float64("max-uncertainty", 0, "drop transitions whose uncertainty exceeds this (0: keep all)")
	modelSteps := fs.Int("model-steps", 0, "diffusion training steps (default 20000)")
	rtg := fs.Float64("rtg-offset", 0, "shift the return-to-go condition by this many standard deviations")
	seed := fs.Uint64("seed", 0, "seed")
	cfgFile := fs.String("config", "", "YAML or TOML file with a dawm: section")
	fs.Var(&sets, "set", "dawm config override key=value, e.g. horizon=16 (repeatable)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "generate" {
		return fmt.Errorf("want generate --dataset D --out FILE.npz [--transitions N] [--samples M] [--max-uncertainty U] [--seed S]")
	}
	if *data == "" || *out == "" {
		return fmt.Errorf("generate wants --dataset D and --out FILE.npz")
	}
	var cfg experiment.DAWMConfig
	if *cfgFile != "" {
		var c experiment.Config
		if err := config.LoadFile(*cfgFile, &c); err != nil {
			return err
		}
		cfg = c.DAWM
	}
	for _, s := range sets {
		if err := config.Set(&cfg, s); err != nil {
			return err
		}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, apply := range map[string]func(){
		"transitions": func() { cfg.Transitions = *n }, "per-sequence": func() { cfg.PerSequence = *per },
		"samples": func() { cfg.Samples = *samples }, "max-uncertainty": func() { cfg.MaxUncertainty = *maxU },
		"model-steps": func() { cfg.ModelSteps = *modelSteps }, "rtg-offset": func() { cfg.RTGOffset = *rtg },
	} {
		if set[name] {
			apply()
		}
	}
	ref, err := resolveDataset(*data)
	if err != nil {
		return err
	}
	s, err := experiment.GenerateDAWM(experiment.DAWMGenerate{Dataset: ref, Out: *out, Config: cfg, Seed: *seed}, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d generated transitions (%d before filtering) to %s; diffusion loss %.4g, inverse-dynamics loss %.4g\n",
		s.Generated.Len(), s.Raw, *out, s.ModelLoss, s.IDMLoss)
	return nil
}

// dawmTrainFlags applies `dwm train`'s --learner flag (dawm only) and, for
// dawm runs without --env, takes the env from the dataset: its name
// (<env>-<kind>) or its env_id metadata.
func dawmTrainFlags(c *experiment.Config, learner string) error {
	if learner != "" {
		if c.Algo != "dawm" {
			return fmt.Errorf("--learner is for dawm (the learner trained on generated data), not %s", c.Algo)
		}
		c.DAWM.Learner = learner
	}
	if c.Algo != "dawm" || c.Env != "" || c.Dataset == "" {
		return nil
	}
	if envID, _, err := datagen.ParseName(c.Dataset); err == nil {
		c.Env = envID
		return nil
	}
	d, err := dataset.Load(c.Dataset)
	if err != nil {
		return err
	}
	if c.Env = d.Metadata[dataset.MetaEnvID]; c.Env == "" {
		return fmt.Errorf("dataset %s does not record its env (no %s metadata): give --env", c.Dataset, dataset.MetaEnvID)
	}
	return nil
}
