package experiment

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dwm-rl/dwm/agent/awac"
	"github.com/dwm-rl/dwm/agent/calql"
	"github.com/dwm-rl/dwm/agent/cql"
	"github.com/dwm-rl/dwm/agent/diffql"
	"github.com/dwm-rl/dwm/agent/iql"
	"github.com/dwm-rl/dwm/agent/sac"
	"github.com/dwm-rl/dwm/agent/td3bc"
	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/config"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/datasets"
	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/envs"
	"github.com/dwm-rl/dwm/eval"
	"github.com/dwm-rl/dwm/internal/atomicfile"
	"github.com/dwm-rl/dwm/internal/runlock"
	"github.com/dwm-rl/dwm/progress"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/track"
	"github.com/dwm-rl/dwm/train"
)

// Version is dwm's version, recorded with every run.
const Version = "0.1.0-dev"

// Options control how a run reports.
type Options struct {
	// Out receives progress and summaries (nil: discard).
	Out io.Writer
	// Quiet turns off progress bars.
	Quiet bool
	// Extend, if set, is called with the built loop before it runs (new or
	// resumed), to add hooks: dataset generation snapshots policies with it.
	Extend func(l *train.Loop) error
	// Smoke shrinks a new run's config (Run) or a branch's (Fork) with
	// Smoke before it is resolved: a smoke run of the configuration
	// (`dwm sweep check`).
	Smoke bool
}

// Result summarizes a finished (or interrupted) run.
type Result struct {
	Name, Dir string
	RunID     int64
	// Evaluations are the evaluations made by this process.
	Evaluations []train.Evaluation
	// Reference is the normalization used, if any.
	Reference *eval.Reference
	// Interrupted is set when the run stopped on a signal after saving.
	Interrupted bool
	// Done is set when the run reached the end of both phases and the store
	// says so: the explicit report of completion, so that a signal that
	// arrives after it (cancelling ctx too late to stop anything) is not
	// taken for an interruption.
	Done bool
}

// Final returns the last evaluation, if any.
func (r Result) Final() (train.Evaluation, bool) {
	if len(r.Evaluations) == 0 {
		return train.Evaluation{}, false
	}
	return r.Evaluations[len(r.Evaluations)-1], true
}

// MakeEnv returns the env id as agents see it: registry env, actions in [-1, 1].
func MakeEnv(id string) (env.Env, error) {
	e, err := envs.Make(id)
	if err != nil {
		return nil, err
	}
	r, err := env.Rescale(e)
	if err != nil {
		e.Close()
		return nil, err
	}
	return r, nil
}

// ReferenceFor returns the normalization reference of an env id: dwm's own
// measured random and expert returns where dwm has them (the pure-Go
// tasks), else D4RL's published constants of the base task (MuJoCo and
// Adroit tasks, as the papers report them).
func ReferenceFor(id string) *eval.Reference {
	if r, ok := envs.ReferenceFor(id); ok {
		return &eval.Reference{Random: r.Random, Expert: r.Expert, Name: "dwm measured (" + id + ")"}
	}
	if r, ok := envs.D4RLReferenceFor(id); ok {
		return &eval.Reference{Random: r.Random, Expert: r.Expert, Name: "D4RL " + r.Task}
	}
	return nil
}

// LoadDataset loads a dataset file (.npz, .hdf5, a Minari directory) or an
// embedded dataset by name (see package datasets).
func LoadDataset(ref string) (*dataset.Dataset, error) {
	if _, err := os.Stat(ref); err == nil {
		return dataset.Load(ref)
	}
	if datasets.Has(ref) {
		return datasets.Load(ref)
	}
	return nil, fmt.Errorf("dataset %q: no such file, and not an embedded dataset (embedded: %s); make one with `dwm dataset make <env>-<kind>`",
		ref, strings.Join(datasets.Names(), ", "))
}

// newAgent is the one switch from algorithm names to constructors.
func newAgent(c Config, obsDim, actDim int) (train.Agent, error) {
	switch c.Algo {
	case "sac":
		return sac.New(obsDim, actDim, c.SAC, c.Seed)
	case "bdwm", "mopo", "diamond": // the base learner bdwm.learner names (SAC by default)
		return newBDWMAgent(c, obsDim, actDim)
	case "td3bc":
		return td3bc.New(obsDim, actDim, c.TD3BC, c.Seed)
	case "iql":
		return iql.New(obsDim, actDim, c.IQL, c.Seed)
	case "awac":
		return awac.New(obsDim, actDim, c.AWAC, c.Seed)
	case "cql":
		return cql.New(obsDim, actDim, c.CQL, c.Seed)
	case "calql":
		return calql.New(obsDim, actDim, c.CalQL, c.Seed)
	case "dawm":
		return newDAWMAgent(c, obsDim, actDim)
	case "dual":
		return newDualAgent(c, obsDim, actDim)
	case "diffql":
		return diffql.New(obsDim, actDim, c.DiffQL, c.Seed)
	}
	return nil, fmt.Errorf("unknown algorithm %q", c.Algo)
}

// run is a built run: its loop and the resources to release.
type run struct {
	cfg     Config
	loop    *train.Loop
	store   *track.Store
	runID   int64
	name    string
	dir     string
	ref     *eval.Reference
	closers []io.Closer
}

func (r *run) close() {
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i].Close()
	}
}

type storeLogger struct {
	s  *track.Store
	id int64
}

func (l storeLogger) Log(step int64, phase string, m map[string]float64) error {
	return l.s.LogMetrics(l.id, step, phase, m)
}

// build makes every part of a run from its resolved config; ctx is the
// run's, for parts that work outside the loop's boundaries (BDWM's world
// model fit).
func build(ctx context.Context, c Config, dir string, opts Options) (*run, error) {
	r := &run{cfg: c, dir: dir, name: filepath.Base(dir), ref: ReferenceFor(c.Env)}
	ok := false
	defer func() {
		if !ok {
			r.close()
		}
	}()
	// One process trains a run at a time; the lock goes when it ends.
	lock, err := runlock.Acquire(dir)
	if err != nil {
		return nil, err
	}
	r.closers = append(r.closers, lock)
	e, err := MakeEnv(c.Env)
	if err != nil {
		return nil, err
	}
	r.closers = append(r.closers, e)
	s := e.Spec()
	ev, err := eval.New(c.Train.EvalEpisodes, 0, func(int) (env.Env, error) { return MakeEnv(c.Env) }, r.ref)
	if err != nil {
		return nil, err
	}
	r.closers = append(r.closers, ev)
	ag, err := newAgent(c, s.Obs.Dim, s.Act.Dim)
	if err != nil {
		return nil, err
	}
	loop := &train.Loop{Config: c.Train, Seed: c.Seed, Agent: ag, Env: e, Eval: ev,
		Discount: c.discount(), Warnings: opts.Out}
	var offline *replay.Buffer
	var data *dataset.Dataset
	if c.Dataset != "" {
		d, err := LoadDataset(c.Dataset)
		if err != nil {
			return nil, err
		}
		data = d
		if err := d.ValidateSpaces(s.Obs, s.Act); err != nil {
			return nil, fmt.Errorf("dataset %s does not match env %s: %w", c.Dataset, c.Env, err)
		}
		// Agents that normalize states (CORL's TD3+BC, IQL, AWAC) fit the
		// normalizer on the offline data; a resumed run restores it.
		if f, ok := ag.(interface{ FitStateNorm([]float32) error }); ok {
			if err := f.FitStateNorm(d.Observations); err != nil {
				return nil, fmt.Errorf("dataset %s: %w", c.Dataset, err)
			}
		}
		extra := 0
		if c.Buffer.Mix == "append" {
			extra = int(c.Train.OnlineSteps)
		}
		var mc []float32 // Cal-QL's Monte-Carlo lower bounds, with its γ
		if c.Algo == "calql" {
			if mc, err = c.CalQL.MCReturns(d); err != nil {
				return nil, fmt.Errorf("dataset %s: %w", c.Dataset, err)
			}
		}
		if offline, err = replay.FromDataset(d, extra, mc); err != nil {
			return nil, fmt.Errorf("dataset %s: %w", c.Dataset, err)
		}
		loop.OfflineSampler = offline
	}
	if c.Train.OnlineSteps > 0 {
		switch {
		case offline != nil && c.Buffer.Mix == "append":
			loop.OnlineBuffer, loop.OnlineSampler = offline, offline
		case offline != nil:
			on, err := replay.New(c.Buffer.Size, s.Obs.Dim, s.Act.Dim, c.Algo == "calql")
			if err != nil {
				return nil, err
			}
			mix, err := replay.NewMixed(on, offline, c.Buffer.Ratio)
			if err != nil {
				return nil, err
			}
			loop.OnlineBuffer, loop.OnlineSampler = on, mix
		default:
			on, err := replay.New(c.Buffer.Size, s.Obs.Dim, s.Act.Dim, c.Algo == "calql")
			if err != nil {
				return nil, err
			}
			loop.OnlineBuffer, loop.OnlineSampler = on, on
		}
	}
	if isBDWM(c.Algo) {
		if err := wireBDWM(ctx, c, loop, data, offline, opts); err != nil {
			return nil, err
		}
	}
	if c.Algo == "dawm" {
		if err := wireDAWM(c, loop, data, offline, dir, opts); err != nil {
			return nil, err
		}
	}
	if c.Algo == "dual" {
		if err := wireDual(c, loop, data); err != nil {
			return nil, err
		}
	}
	if c.Algo == "calql" && loop.OnlineBuffer != nil {
		// Online episodes get their MC returns when they end (the Cal-QL
		// authors' code); until then they are unbounded.
		mc, err := c.CalQL.OnlineMC(loop.OnlineBuffer)
		if err != nil {
			return nil, err
		}
		loop.Hooks.AfterEnvStep = func(_ int64, t train.Transition) error { return mc.Step(t.Terminated, t.Truncated) }
	}
	if a, ok := ag.(interface{ StartOnline() }); ok { // CQL, Cal-QL: α_cql → its online value
		loop.Hooks.OnSwitch = func() error { a.StartOnline(); return nil }
	}
	if r.store, err = track.Open(c.storePath()); err != nil {
		return nil, err
	}
	r.closers = append(r.closers, r.store)
	js, err := c.JSON()
	if err != nil {
		return nil, err
	}
	loop.ConfigJSON = js
	loop.Checkpoints = &checkpoint.Dir{Path: filepath.Join(dir, "checkpoints"), Keep: 2}
	if opts.Out != nil {
		loop.Progress = progress.New(opts.Out, opts.Quiet)
	}
	r.loop = loop
	if opts.Extend != nil {
		if err := opts.Extend(loop); err != nil {
			return nil, fmt.Errorf("run %s: %w", r.name, err)
		}
	}
	ok = true
	return r, nil
}

func (c Config) storePath() string {
	if c.Store != "" {
		return c.Store
	}
	return filepath.Join(c.RunsDir, "dwm.db")
}

// Resolve fills every default, including those that depend on the env's
// dimensions (SAC's target entropy), and validates the result: the config a
// run saves is complete, so a later default change cannot alter it.
func Resolve(c Config) (Config, error) {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return c, err
	}
	e, err := MakeEnv(c.Env)
	if err != nil {
		return c, err
	}
	actDim := e.Spec().Act.Dim
	e.Close()
	switch c.Algo {
	case "sac":
		c.SAC = c.SAC.WithDefaults(actDim)
	case "bdwm", "mopo", "diamond":
		c.SAC = c.SAC.WithDefaults(actDim)
		c.BDWM = resolveBDWM(c)
		c = bdwmLearnerConfig(c, actDim)
	case "td3bc":
		c.TD3BC = c.TD3BC.WithDefaults()
	case "iql":
		if c.IQL.ScheduleSteps == 0 && c.Train.OfflineSteps > 0 {
			c.IQL.ScheduleSteps = c.Train.OfflineSteps // CORL: cosine T_max = offline_iterations
		}
		c.IQL = c.IQL.WithDefaults()
	case "awac":
		c.AWAC = c.AWAC.WithDefaults()
	case "cql":
		c.CQL = c.CQL.WithDefaults(actDim)
	case "calql":
		c.CalQL.CQL = c.CalQL.CQL.WithDefaults(actDim)
	case "dawm":
		c = resolveDAWM(c)
	case "dual":
		c.DUAL = resolveDual(c, actDim)
	case "diffql":
		c.DiffQL = c.DiffQL.WithDefaults()
	}
	return c, c.Validate()
}

// Run resolves, validates and runs c as a new run, recording it in the
// store. A run that reaches its end returns a Result with Done set; a
// cancelled ctx stops it at the next boundary, saves a checkpoint and
// returns a Result with Interrupted set (and no error): `dwm train
// --resume` continues it. A cancellation after the last step changes
// nothing: the run is Done.
func Run(ctx context.Context, c Config, opts Options) (Result, error) {
	if opts.Smoke {
		c = Smoke(c)
	}
	c, err := Resolve(c)
	if err != nil {
		return Result{}, err
	}
	name := c.Name
	if name == "" {
		name = track.RunName(c.Env, c.Algo, int64(c.Seed), time.Now())
	}
	r, err := newRun(ctx, c, name, opts, nil)
	if err != nil {
		return Result{}, err
	}
	defer r.close()
	return r.execute(ctx, opts)
}

// newRun creates the directory of a new run of c named name (refusing one
// that exists), lets fill add files to it, writes the resolved config.yaml,
// builds the run and records it in the store. On an error the directory is
// removed: nothing ran, and a retry under the same name (after fixing a
// dataset path, say) must work.
func newRun(ctx context.Context, c Config, name string, opts Options, fill func(dir string) error) (_ *run, err error) {
	dir := filepath.Join(c.RunsDir, name)
	if _, err := os.Stat(dir); err == nil {
		return nil, fmt.Errorf("run directory %s already exists; use --resume %s to continue it", dir, name)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create run directory: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	if fill != nil {
		if err := fill(dir); err != nil {
			return nil, err
		}
	}
	y, err := c.YAML()
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, "config.yaml"), y); err != nil {
		return nil, err
	}
	r, err := build(ctx, c, dir, opts)
	if err != nil {
		return nil, err
	}
	tr, err := r.store.CreateRun(runRecord(c, name, dir))
	if err != nil {
		r.close()
		return nil, err
	}
	r.runID = tr.ID
	return r, nil
}

// runRecord is the store's record of a new run of c.
func runRecord(c Config, name, dir string) track.Run {
	js, _ := c.JSON()
	return track.Run{Name: name, Algo: c.Algo, Env: c.Env, Seed: int64(c.Seed),
		Status: track.StatusRunning, Config: js, Provenance: track.CollectProvenance(Version), Dir: dir}
}

// Resume continues the run named (or stored at) ref from its latest
// checkpoint to the same result an uninterrupted run gives.
func Resume(ctx context.Context, ref, runsDir string, opts Options) (Result, error) {
	dir, err := runDir(ref, runsDir)
	if err != nil {
		return Result{}, err
	}
	c, err := loadRunConfig(dir)
	if err != nil {
		return Result{}, err
	}
	r, err := build(ctx, c, dir, opts)
	if err != nil {
		return Result{}, err
	}
	defer r.close()
	tr, err := r.store.RunByName(r.name)
	if errors.Is(err, track.ErrNotFound) {
		// Killed after writing its directory but before recording itself
		// in the store: record it now.
		tr, err = r.store.CreateRun(runRecord(c, r.name, dir))
	}
	if err != nil {
		return Result{}, fmt.Errorf("resume %s: %w", ref, err)
	}
	r.runID = tr.ID
	ck, err := checkpoint.LoadLatest(r.loop.Checkpoints.Path)
	if err != nil && !errors.Is(err, checkpoint.ErrNoCheckpoint) {
		return Result{}, fmt.Errorf("resume %s: %w", ref, err)
	}
	if ck != nil {
		if err := r.loop.Restore(ck); err != nil {
			return Result{}, fmt.Errorf("resume %s: %w", ref, err)
		}
		if r.loop.Done() {
			if tr.Status != track.StatusDone {
				// Killed between its final checkpoint and recording that
				// it finished.
				if err := r.store.SetStatus(r.runID, track.StatusDone); err != nil {
					return Result{}, err
				}
			}
			return Result{Name: r.name, Dir: dir, RunID: r.runID, Reference: r.ref}, fmt.Errorf("run %s already finished", r.name)
		}
	}
	if err := r.store.SetStatus(r.runID, track.StatusRunning); err != nil {
		return Result{}, err
	}
	return r.execute(ctx, opts)
}

func (r *run) execute(ctx context.Context, opts Options) (Result, error) {
	r.loop.Logger = storeLogger{r.store, r.runID}
	err := r.loop.Run(ctx)
	if r.loop.Progress != nil {
		r.loop.Progress.Wait()
	}
	res := Result{Name: r.name, Dir: r.dir, RunID: r.runID, Evaluations: r.loop.Evaluations, Reference: r.ref}
	switch {
	case errors.Is(err, train.ErrInterrupted),
		// A hook stopped by the run's cancellation (BDWM's world-model fit)
		// between the loop's boundaries: nothing new was saved, and the last
		// checkpoint (or a fresh start) resumes to the same result.
		ctx.Err() != nil && errors.Is(err, ctx.Err()):
		res.Interrupted = true
		return res, r.store.SetStatus(r.runID, track.StatusInterrupted)
	case err != nil:
		r.store.SetStatus(r.runID, track.StatusFailed)
		return res, fmt.Errorf("run %s: %w", r.name, err)
	}
	if err := r.store.SetStatus(r.runID, track.StatusDone); err != nil {
		return res, err
	}
	res.Done = r.loop.Done()
	return res, nil
}

// runDir finds a run's directory from its name or path.
func runDir(ref, runsDir string) (string, error) {
	for _, d := range []string{ref, filepath.Join(runsDir, ref)} {
		if st, err := os.Stat(filepath.Join(d, "config.yaml")); err == nil && !st.IsDir() {
			return d, nil
		}
	}
	return "", fmt.Errorf("run %q: no run directory with a config.yaml at %s or %s", ref, ref, filepath.Join(runsDir, ref))
}

// loadRunConfig reads the config a run saved, reading the keys an older
// dwm spelled differently under their current names (config.LegacyKeys).
// An error says which dwm wrote the run, when its store knows.
func loadRunConfig(dir string) (Config, error) {
	var c Config
	if _, err := config.LoadSavedFile(filepath.Join(dir, "config.yaml"), &c); err != nil {
		return c, fmt.Errorf("%w\n%s", err, writerNote(dir))
	}
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("run %s: config.yaml: %w", dir, err)
	}
	return c, nil
}

// writerNote says which dwm wrote the run in dir, from the provenance in
// its store (the one its config.yaml names, else dwm.db beside the run
// directory), against this one: another version or commit, with when; or
// this same one (then the file was changed since); or that no store knows.
func writerNote(dir string) string {
	name := filepath.Base(dir)
	this := track.CollectProvenance(Version)
	w, created, ok := writer(dir)
	const advice = "if that dwm named a key otherwise, add the rename to config.LegacyKeys; else fix the file"
	switch {
	case !ok:
		return fmt.Sprintf("the run's store does not say which dwm wrote run %s; this is %s; %s", name, describe(this), advice)
	case w.Version == this.Version && w.GitCommit == this.GitCommit:
		return fmt.Sprintf("run %s was written by this same dwm (version and commit): its config.yaml was changed since", name)
	}
	return fmt.Sprintf("run %s was written by %s on %s; this is %s; %s", name, describe(w), created.UTC().Format("2006-01-02 15:04 MST"), describe(this), advice)
}

// describe names a dwm by its provenance: "dwm 0.1.0-dev at commit 3fb8353…".
func describe(p track.Provenance) string {
	s := "dwm " + p.Version
	if p.GitCommit != "" {
		s += " at commit " + p.GitCommit
		if p.GitDirty {
			s += " (modified)"
		}
	}
	return s
}

// writer returns the provenance and creation time of the run in dir as its
// store recorded them, and whether a store knows the run.
func writer(dir string) (track.Provenance, time.Time, bool) {
	var loc struct {
		RunsDir string `yaml:"runs_dir"`
		Store   string `yaml:"store"`
	}
	if b, err := os.ReadFile(filepath.Join(dir, "config.yaml")); err == nil {
		_ = yaml.Unmarshal(b, &loc) // lenient: only these two keys matter
	}
	paths := []string{loc.Store, filepath.Join(filepath.Dir(dir), "dwm.db")}
	if loc.RunsDir != "" {
		paths = append(paths, filepath.Join(loc.RunsDir, "dwm.db"))
	}
	for _, p := range paths {
		if st, err := os.Stat(p); p == "" || err != nil || st.IsDir() {
			continue
		}
		s, err := track.Open(p)
		if err != nil {
			continue
		}
		r, err := s.RunByName(filepath.Base(dir))
		s.Close()
		if err == nil {
			return r.Provenance, r.Created, true
		}
	}
	return track.Provenance{}, time.Time{}, false
}

// EvalResult is an evaluation of a stored run.
type EvalResult struct {
	Name string
	Step int64
	eval.Result
	Reference *eval.Reference
}

// Evaluate loads the latest checkpoint of run ref and evaluates its
// deterministic policy for episodes episodes from seed.
func Evaluate(ref, runsDir string, episodes int, seed uint64) (EvalResult, error) {
	dir, err := runDir(ref, runsDir)
	if err != nil {
		return EvalResult{}, err
	}
	c, err := loadRunConfig(dir)
	if err != nil {
		return EvalResult{}, err
	}
	if episodes < 1 {
		return EvalResult{}, fmt.Errorf("episodes = %d: want at least 1", episodes)
	}
	ck, err := checkpoint.LoadLatest(filepath.Join(dir, "checkpoints"))
	if err != nil {
		return EvalResult{}, fmt.Errorf("evaluate %s: %w", ref, err)
	}
	e, err := MakeEnv(c.Env)
	if err != nil {
		return EvalResult{}, err
	}
	s := e.Spec()
	e.Close()
	ag, err := newAgent(c, s.Obs.Dim, s.Act.Dim)
	if err != nil {
		return EvalResult{}, err
	}
	parts := train.SplitCheckpoint(ck)
	if err := ag.SetState(parts.Model, parts.Optimizer, parts.RNG); err != nil {
		return EvalResult{}, fmt.Errorf("evaluate %s: checkpoint %s: %w", ref, ck.Path, err)
	}
	ref2 := ReferenceFor(c.Env)
	ev, err := eval.New(episodes, 0, func(int) (env.Env, error) { return MakeEnv(c.Env) }, ref2)
	if err != nil {
		return EvalResult{}, err
	}
	defer ev.Close()
	res, err := ev.Run(func(obs, act []float32) error { return ag.ActBatch(obs, act, true) }, seed)
	if err != nil {
		return EvalResult{}, err
	}
	return EvalResult{Name: filepath.Base(dir), Step: ck.Step, Result: res, Reference: ref2}, nil
}

// FormatScore prints a return with its normalized score when known.
func FormatScore(ret, norm float64) string {
	if math.IsNaN(norm) {
		return fmt.Sprintf("%.1f", ret)
	}
	return fmt.Sprintf("%.1f (normalized %.1f)", ret, norm)
}
