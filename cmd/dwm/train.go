package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/dwm-rl/dwm/datagen"
	"github.com/dwm-rl/dwm/datasets"
	"github.com/dwm-rl/dwm/experiment"
	"github.com/dwm-rl/dwm/train"
)

// multiFlag collects repeated --set values.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("dwm "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseArgs lets positional arguments come before flags (dwm train sac --env …).
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, errUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func parseSeeds(s string) ([]uint64, error) {
	var out []uint64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("--seeds: %q is not a non-negative integer", f)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--seeds %q: no seeds", s)
	}
	return out, nil
}

func cmdTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train", stderr)
	var sets multiFlag
	envID := fs.String("env", "", "env id (see dwm envs)")
	data := fs.String("dataset", "", "offline dataset file (.npz, .hdf5)")
	steps := fs.Int64("steps", -1, fmt.Sprintf("online env steps (alias of --online-steps); SAC given no budget runs %d", experiment.DefaultSACOnlineSteps))
	online := fs.Int64("online-steps", -1, "online env steps")
	offline := fs.Int64("offline-steps", -1, "offline gradient steps")
	seed := fs.Uint64("seed", 0, "run seed")
	seeds := fs.String("seeds", "", "comma-separated seeds: one run each, then aggregate statistics")
	cfgFile := fs.String("config", "", "YAML or TOML config file")
	fs.Var(&sets, "set", "override key.path=value (repeatable)")
	runsDir := fs.String("runs", "runs", "runs directory")
	store := fs.String("store", "", "run store (default <runs>/dwm.db)")
	name := fs.String("name", "", "run name (default <env>__<algo>__<seed>__<time>)")
	resume := fs.String("resume", "", "continue the named run from its latest checkpoint")
	fork := fs.String("fork", "", "branch a new run (--name) from RUN's offline→online switch checkpoint, or from RUN@STEP; --set, --env, --online-steps and the ablation flags change it")
	quiet := fs.Bool("quiet", false, "no progress bars")
	// BDWM's Table II ablations as flags (each is a --set of the bdwm config).
	noFilter := fs.Bool("no-filter", false, "bdwm: no uncertainty-filtered imagination buffer")
	fixedLambda := fs.Bool("fixed-lambda", false, "bdwm: fixed real/imagined mixing λ = 0.5")
	noBC := fs.Bool("no-bc", false, "bdwm: no behaviour-cloning regulariser")
	epiOnly := fs.Bool("epistemic-only", false, "bdwm: epistemic uncertainty only (no aleatoric sampling)")
	members := fs.Int("members", 0, "bdwm: ensemble size K (1: a single diffusion model)")
	learner := fs.String("learner", "", "dawm: offline learner on real ∪ generated data, td3bc or iql")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	opts := experiment.Options{Out: stderr, Quiet: *quiet}
	if *resume != "" {
		if len(pos) > 0 {
			return fmt.Errorf("--resume takes no algorithm: the run's config says it")
		}
		res, err := experiment.Resume(ctx, *resume, *runsDir, opts)
		if err != nil {
			return err
		}
		printResult(stdout, res)
		return finished(res)
	}
	for _, f := range []struct {
		on  bool
		set string
	}{{*noFilter, "bdwm.no_filter=true"}, {*fixedLambda, "bdwm.fixed_lambda=true"}, {*noBC, "bdwm.no_bc=true"}, {*epiOnly, "bdwm.epistemic_only=true"}} {
		if f.on {
			sets = append(sets, f.set)
		}
	}
	if *members != 0 {
		sets = append(sets, fmt.Sprintf("bdwm.model.members=%d", *members))
	}
	// Flags given explicitly win over the file.
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *fork != "" {
		return forkRun(ctx, *fork, pos, set, sets, fs, stdout, opts)
	}
	if len(pos) != 1 {
		return fmt.Errorf("want one algorithm (known: %s), got %q", strings.Join(experiment.Algos(), ", "), pos)
	}
	base := experiment.Config{Algo: pos[0], Env: *envID, Dataset: *data, Seed: *seed, RunsDir: *runsDir, Store: *store, Name: *name}
	c, err := experiment.Load(*cfgFile, sets, base)
	if err != nil {
		return err
	}
	if set["env"] {
		c.Env = *envID
	}
	if set["dataset"] {
		c.Dataset = *data
	}
	if set["seed"] {
		c.Seed = *seed
	}
	if set["steps"] {
		c.Train.OnlineSteps = *steps
	}
	if set["online-steps"] {
		c.Train.OnlineSteps = *online
	}
	if set["offline-steps"] {
		c.Train.OfflineSteps = *offline
	}
	if err := dawmTrainFlags(&c, *learner); err != nil {
		return err
	}
	if c.Dataset != "" {
		if c.Dataset, err = resolveDataset(c.Dataset); err != nil {
			return err
		}
	}
	c = c.WithDefaults()
	list := []uint64{c.Seed}
	if *seeds != "" {
		if list, err = parseSeeds(*seeds); err != nil {
			return err
		}
		if c.Name != "" && len(list) > 1 {
			return fmt.Errorf("--name with several seeds would name every run the same")
		}
	}
	var results []experiment.Result
	for _, s := range list {
		c.Seed = s
		res, err := experiment.Run(ctx, c, opts)
		if err != nil {
			return err
		}
		printResult(stdout, res)
		if err := finished(res); err != nil {
			return err
		}
		results = append(results, res)
	}
	if len(results) > 1 {
		experiment.WriteSeedSummary(stdout, results)
	}
	return nil
}

// forkRun is `dwm train --fork RUN[@STEP] --name NEW`: the parent's config
// with the overrides given (--set, the ablation flags, --env,
// --online-steps), trained from the parent's checkpoint.
func forkRun(ctx context.Context, ref string, pos []string, given map[string]bool, sets []string, fs *flag.FlagSet, stdout io.Writer, opts experiment.Options) error {
	if len(pos) > 0 {
		return fmt.Errorf("--fork takes no algorithm: the parent run's config says it")
	}
	for _, f := range []string{"resume", "dataset", "seed", "seeds", "offline-steps", "config", "learner"} {
		if given[f] {
			return fmt.Errorf("--fork with --%s: a forked run keeps its parent's (use --set for other overrides)", f)
		}
	}
	parent, at, err := experiment.ParseForkRef(ref)
	if err != nil {
		return err
	}
	if given["env"] {
		sets = append(sets, "env="+fs.Lookup("env").Value.String())
	}
	for _, f := range []string{"steps", "online-steps"} {
		if given[f] {
			sets = append(sets, "train.online_steps="+fs.Lookup(f).Value.String())
		}
	}
	spec := experiment.ForkSpec{Parent: parent, At: at, Name: fs.Lookup("name").Value.String(), Sets: sets,
		RunsDir: fs.Lookup("runs").Value.String(), Store: fs.Lookup("store").Value.String()}
	res, err := experiment.Fork(ctx, spec, opts)
	if err != nil {
		return err
	}
	printResult(stdout, res)
	return finished(res)
}

// finished returns nil for a run that reached its end (Result.Done), even
// if a signal arrived after, and for one stopped early an error wrapping
// train.ErrInterrupted, so that dwm exits with the signal's status.
func finished(r experiment.Result) error {
	if r.Done {
		return nil
	}
	return fmt.Errorf("run %s: %w", r.Name, train.ErrInterrupted)
}

func printResult(w io.Writer, r experiment.Result) {
	if !r.Done {
		fmt.Fprintf(w, "run %s interrupted; checkpoint saved. Continue with: dwm train --resume %s\n", r.Name, r.Name)
		return
	}
	if f, ok := r.Final(); ok {
		fmt.Fprintf(w, "run %s done: final eval return %s at step %d over %d episodes\n",
			r.Name, experiment.FormatScore(f.Return, f.Normalized), f.Step, len(f.Episodes))
		return
	}
	fmt.Fprintf(w, "run %s done\n", r.Name)
}

// resolveDataset turns a dataset name made by `dwm dataset make` into its
// cached file; files and embedded names pass through.
func resolveDataset(ref string) (string, error) {
	if _, err := os.Stat(ref); err == nil || datasets.Has(ref) {
		return ref, nil
	}
	if _, _, err := datagen.ParseName(ref); err != nil {
		return "", fmt.Errorf("dataset %q: no such file, not embedded (%s), and not a dataset name: %v", ref, strings.Join(datasets.Names(), ", "), err)
	}
	return datagen.Lookup(ref, "")
}
