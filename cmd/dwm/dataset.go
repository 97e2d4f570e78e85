package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"

	"github.com/dwm-rl/dwm/datagen"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/envs"
)

func cmdDataset(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("dataset", stderr)
	var sets multiFlag
	size := fs.Int("size", 0, "transitions (default: 1M MuJoCo, 100k pure-Go)")
	seed := fs.Uint64("seed", 0, "seed")
	expertSteps := fs.Int64("expert-steps", 0, "SAC expert training steps")
	noise := fs.Float64("noise", 0, "action noise of the scripted kind")
	cache := fs.String("cache", "", "cache directory (default <user cache>/dwm)")
	out := fs.String("out", "", "also copy the dataset to this file (.npz or .hdf5)")
	fs.Var(&sets, "set", "expert run override key.path=value (repeatable)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return fmt.Errorf("want make NAME, inspect FILE|NAME or convert IN OUT")
	}
	switch pos[0] {
	case "make":
		if len(pos) != 2 {
			return fmt.Errorf("make wants one name <env>-<kind>, e.g. pendulum-medium")
		}
		envID, kind, err := datagen.ParseName(pos[1])
		if err != nil {
			return err
		}
		c := datagen.Config{Env: envID, Kind: kind, Size: *size, Seed: *seed, ExpertSteps: *expertSteps,
			Noise: *noise, CacheDir: *cache, ExpertOverrides: sets}
		p, err := datagen.Make(ctx, c, stderr)
		if err != nil {
			return err
		}
		if *out != "" {
			d, err := dataset.Load(p)
			if err != nil {
				return err
			}
			if err := dataset.Save(*out, d); err != nil {
				return err
			}
			p = *out
		}
		fmt.Fprintln(stdout, p)
		return nil
	case "inspect":
		if len(pos) != 2 {
			return fmt.Errorf("inspect wants one file or dataset name")
		}
		path := pos[1]
		if _, err := os.Stat(path); err != nil {
			envID, kind, perr := datagen.ParseName(path)
			if perr != nil {
				return fmt.Errorf("inspect %s: no such file, and not a dataset name: %v", path, perr)
			}
			c := datagen.Config{Env: envID, Kind: kind, Size: *size, Seed: *seed, ExpertSteps: *expertSteps,
				Noise: *noise, CacheDir: *cache, ExpertOverrides: sets}.WithDefaults()
			path = c.Path()
			if _, err := os.Stat(path); err != nil {
				return fmt.Errorf("dataset %s is not made yet (expected at %s): run dwm dataset make %s", pos[1], path, pos[1])
			}
		}
		d, err := dataset.Load(path)
		if err != nil {
			return err
		}
		opt := dataset.StatsOptions{}
		if id := d.Metadata[dataset.MetaEnvID]; id != "" {
			if r, ok := envs.ReferenceFor(id); ok {
				opt.Reference = &dataset.Reference{Random: r.Random, Expert: r.Expert}
			}
		}
		st, err := d.Stats(opt)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n%s", path, st)
		if opt.Reference != nil {
			fmt.Fprintf(stdout, "normalized with dwm's measured references of %s (random %.1f, expert %.1f)\n",
				d.Metadata[dataset.MetaEnvID], opt.Reference.Random, opt.Reference.Expert)
		}
		for _, k := range slices.Sorted(maps.Keys(d.Infos)) { // e.g. DAWM's uncertainty, Adroit's success
			c := d.Infos[k]
			lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
			for _, v := range c.Data {
				lo, hi = min(lo, v), max(hi, v)
			}
			fmt.Fprintf(stdout, "infos/%s: dim %d, min %.4g, max %.4g\n", k, c.Dim, lo, hi)
		}
		for _, k := range slices.Sorted(maps.Keys(d.Metadata)) {
			fmt.Fprintf(stdout, "metadata %s: %s\n", k, d.Metadata[k])
		}
		return nil
	case "convert":
		if len(pos) != 3 {
			return fmt.Errorf("convert wants IN OUT (formats by extension: .npz, .hdf5)")
		}
		d, err := dataset.Load(pos[1])
		if err != nil {
			return err
		}
		if err := dataset.Save(pos[2], d); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s → %s (%d transitions)\n", pos[1], pos[2], d.Len())
		return nil
	}
	return fmt.Errorf("unknown dataset verb %q: want make, inspect or convert", pos[0])
}
