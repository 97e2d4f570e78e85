package datagen

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/dwm-rl/dwm/agent/sac"
	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/envs"
	"github.com/dwm-rl/dwm/experiment"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/train"
	"gopkg.in/yaml.v3"
)

// recipeVersion changes whenever generation changes what it produces, so
// cached datasets and expert runs of an older recipe are not reused.
const recipeVersion = 2

// Kinds lists the dataset kinds Make accepts.
func Kinds() []string {
	return []string{"random", "expert", "medium", "medium-replay", "medium-expert", "scripted", "wander", "demo", "cloned"}
}

// Config describes one dataset.
type Config struct {
	// Env is the env id, e.g. "hopper" or "pendulum".
	Env string `yaml:"env"`
	// Kind is one of Kinds().
	Kind string `yaml:"kind"`
	// Size is the number of transitions (medium-replay: however many the
	// training saw). Default 1,000,000 for MuJoCo tasks (D4RL) and 100,000
	// for the pure-Go tasks.
	Size int `yaml:"size"`
	// Seed seeds the expert training and the collection.
	Seed uint64 `yaml:"seed"`
	// ExpertSteps is the SAC training budget of the expert run. Default
	// 1,000,000 for MuJoCo (D4RL trained SAC to convergence), 20,000 for
	// Pendulum, 200,000 otherwise.
	ExpertSteps int64 `yaml:"expert_steps"`
	// MediumFraction places the medium snapshot: the first evaluation whose
	// return reaches random + MediumFraction·(expert − random). Default 1/3
	// (D4RL).
	MediumFraction float64 `yaml:"medium_fraction"`
	// Noise is the Gaussian action-noise std of the scripted kind, in the
	// [-1, 1] action space. Default 0.5.
	Noise float64 `yaml:"noise"`
	// Workers is the number of env copies collecting in parallel. Default 8.
	// (The result depends on it: copies collect in whole episodes.)
	Workers int `yaml:"workers"`
	// CacheDir holds the datasets and the expert runs. Default
	// <user cache dir>/dwm.
	CacheDir string `yaml:"cache_dir"`
	// ExpertOverrides are key.path=value overrides of the expert run's
	// config (e.g. "sac.hidden=[64,64]"); part of the cache key.
	ExpertOverrides []string `yaml:"expert_overrides"`
	// Episodes is the number of demonstrations of the Adroit demo and
	// cloned kinds. Default 25 (D4RL's human datasets hold 25
	// demonstrations per task). Zero for every other kind.
	Episodes int `yaml:"episodes"`
	// BCSteps is the number of behaviour-cloning gradient steps of the
	// Adroit cloned kind. Default 10,000. Zero for every other kind.
	BCSteps int `yaml:"bc_steps"`
}

func isMuJoCo(id string) bool {
	for _, in := range envs.List() {
		if in.Source == "mujoco" && (id == in.ID || strings.HasPrefix(id, in.ID+"-")) {
			return true
		}
	}
	return false
}

// WithDefaults fills zero fields.
func (c Config) WithDefaults() Config {
	mj := isMuJoCo(c.Env)
	if c.Size == 0 {
		c.Size = 100_000
		if mj {
			c.Size = 1_000_000 // D4RL
		}
		if strings.HasPrefix(c.Env, "pen") && c.adroitKind() {
			c.Size = 500_000 // D4RL pen-expert-v1 and pen-cloned-v1
		}
	}
	if c.ExpertSteps == 0 {
		switch {
		case mj:
			c.ExpertSteps = 1_000_000
		case c.Env == "pendulum":
			c.ExpertSteps = 20_000
		default:
			c.ExpertSteps = 200_000
		}
	}
	if c.MediumFraction == 0 {
		c.MediumFraction = 1.0 / 3 // D4RL
	}
	adroit := c.adroitKind()
	if c.Noise == 0 {
		c.Noise = 0.5
		if adroit && c.Kind != "expert" {
			// The demo stand-in's noise: enough to make the demos differ
			// from the expert, little enough to keep most of them
			// successful (relocate: 64% of demos at 0.02, 32% at 0.05, 4%
			// at 0.1; docs/results/adroit-datasets.md).
			c.Noise = 0.02
		}
	}
	if adroit && c.Kind != "expert" {
		if c.Episodes == 0 {
			c.Episodes = 25 // D4RL human: 25 demonstrations
		}
		if c.BCSteps == 0 && c.Kind == "cloned" {
			c.BCSteps = 10_000
		}
	}
	if adroit && c.Kind == "demo" {
		c.Size = 0 // the demos are whole episodes: Episodes decides
	}
	if c.Workers == 0 {
		c.Workers = 8
	}
	if c.CacheDir == "" {
		if d, err := os.UserCacheDir(); err == nil {
			c.CacheDir = filepath.Join(d, "dwm")
		} else {
			c.CacheDir = filepath.Join(os.TempDir(), "dwm-cache")
		}
	}
	return c
}

// Validate names the first bad field.
func (c Config) Validate() error {
	switch {
	case !slices.Contains(Kinds(), c.Kind):
		return fmt.Errorf("dataset kind %q unknown; known: %s", c.Kind, strings.Join(Kinds(), ", "))
	case c.Size < 1 && !(c.adroitKind() && c.Kind == "demo"):
		return fmt.Errorf("dataset size = %d: must be ≥ 1", c.Size)
	case slices.Contains(adroitOnly, c.Kind) && !isAdroit(c.Env):
		return fmt.Errorf("dataset kind %s is made only for the Adroit tasks (pen, door, hammer, relocate), not %q", c.Kind, c.Env)
	case c.adroitKind() && c.Kind != "expert" && c.Episodes < 1:
		return fmt.Errorf("dataset episodes = %d: must be ≥ 1", c.Episodes)
	case c.Kind == "cloned" && c.BCSteps < 1:
		return fmt.Errorf("dataset bc_steps = %d: must be ≥ 1", c.BCSteps)
	case c.ExpertSteps < 1:
		return fmt.Errorf("dataset expert_steps = %d: must be ≥ 1", c.ExpertSteps)
	case !(c.MediumFraction > 0 && c.MediumFraction < 1):
		return fmt.Errorf("dataset medium_fraction = %v: must lie in (0, 1)", c.MediumFraction)
	case !(c.Noise >= 0) || math.IsInf(c.Noise, 0):
		return fmt.Errorf("dataset noise = %v: must be ≥ 0", c.Noise)
	case c.Workers < 1:
		return fmt.Errorf("dataset workers = %d: must be ≥ 1", c.Workers)
	}
	if c.Kind == "scripted" {
		if _, err := envs.Expert(c.Env); err != nil {
			return fmt.Errorf("dataset kind scripted: %w", err)
		}
	}
	if c.Kind == "wander" {
		if _, err := mazeOf(c.Env); err != nil {
			return err
		}
	}
	e, err := experiment.MakeEnv(c.Env)
	if err != nil {
		return err
	}
	return e.Close()
}

// ParseName splits "hopper-medium-replay" into env "hopper" and kind
// "medium-replay" (the longest kind suffix wins).
func ParseName(name string) (envID, kind string, err error) {
	ks := Kinds()
	slices.SortFunc(ks, func(a, b string) int { return len(b) - len(a) })
	for _, k := range ks {
		if e, ok := strings.CutSuffix(name, "-"+k); ok && e != "" {
			return e, k, nil
		}
	}
	return "", "", fmt.Errorf("dataset name %q: want <env>-<kind> with kind one of %s", name, strings.Join(Kinds(), ", "))
}

// key is the cache key: a hash of everything that determines the data.
func (c Config) key() string {
	b, _ := json.Marshal(struct {
		Env, Kind             string
		Size                  int
		Seed                  uint64
		ExpertSteps           int64
		MediumFraction, Noise float64
		Workers               int
		Version               string
		Overrides             []string
		Recipe                int
		Episodes              int `json:",omitempty"`
		BCSteps               int `json:",omitempty"`
		Adroit                int `json:",omitempty"`
	}{c.Env, c.Kind, c.Size, c.Seed, c.ExpertSteps, c.MediumFraction, c.Noise, c.Workers, experiment.Version, c.ExpertOverrides, recipeVersion,
		c.Episodes, c.BCSteps, adroitRecipe(c)})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])[:12]
}

// Path returns where the dataset of c is cached.
func (c Config) Path() string {
	return filepath.Join(c.CacheDir, "datasets", fmt.Sprintf("%s-%s-s%d-%s.npz", c.Env, c.Kind, c.Seed, c.key()))
}

// Make returns the path of the dataset c describes, generating it (and the
// expert run it needs) unless it is cached. Progress goes to out. A
// cancelled ctx stops the expert run after a checkpoint; calling Make again
// resumes it.
func Make(ctx context.Context, c Config, out io.Writer) (string, error) {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return "", err
	}
	if out == nil {
		out = io.Discard
	}
	path := c.Path()
	if _, err := os.Stat(path); err == nil {
		if _, err := dataset.Load(path); err == nil {
			fmt.Fprintf(out, "dataset %s-%s: cached at %s\n", c.Env, c.Kind, path)
			return path, nil
		}
		fmt.Fprintf(out, "dataset %s-%s: cached file %s unreadable; regenerating\n", c.Env, c.Kind, path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("make dataset: %w", err)
	}
	d, err := generate(ctx, c, out)
	if err != nil {
		return "", err
	}
	if err := d.Validate(); err != nil {
		return "", fmt.Errorf("generated dataset %s-%s is invalid: %w", c.Env, c.Kind, err)
	}
	if err := dataset.Save(path, d); err != nil {
		return "", err
	}
	fmt.Fprintf(out, "dataset %s-%s: %d transitions written to %s\n", c.Env, c.Kind, d.Len(), path)
	return path, nil
}

func generate(ctx context.Context, c Config, out io.Writer) (*dataset.Dataset, error) {
	meta := map[string]string{
		dataset.MetaEnvID: c.Env, dataset.MetaSeed: strconv.FormatUint(c.Seed, 10),
		dataset.MetaVersion: experiment.Version, "kind": c.Kind, "recipe": "d4rl", "config_hash": c.key(),
	}
	var d *dataset.Dataset
	var err error
	switch {
	case c.adroitKind():
		d, err = generateAdroit(ctx, c, meta, out)
	case c.Kind == "random":
		d, err = collect(c, randomPolicy(c), c.Size, "random")
		meta[dataset.MetaPolicyHash] = "uniform-random"
	case c.Kind == "scripted":
		d, err = collect(c, scriptedPolicy(c), c.Size, "scripted")
		meta[dataset.MetaPolicyHash] = fmt.Sprintf("envs.Expert(%s)+N(0,%g)", c.Env, c.Noise)
	case c.Kind == "wander":
		m, merr := mazeOf(c.Env)
		if merr != nil {
			return nil, merr
		}
		d, err = collect(c, wanderPolicy(c, m), c.Size, "wander")
		meta[dataset.MetaPolicyHash] = fmt.Sprintf("waypoint(random open cells)+N(0,%g)", c.Noise)
	default:
		var ex *expertRun
		if ex, err = trainExpert(ctx, c, out); err != nil {
			return nil, err
		}
		d, err = fromExpert(c, ex, meta, out)
	}
	if err != nil {
		return nil, err
	}
	for k, v := range meta {
		d.Metadata[k] = v
	}
	return d, nil
}

// batchPolicy acts for n observation rows of the copy.
type batchPolicy func(obs, act []float32) error

func randomPolicy(c Config) func(copy int) batchPolicy {
	return func(i int) batchPolicy {
		s := rng.Derive(c.Seed, "datagen", "random", strconv.Itoa(i))
		return func(_, act []float32) error {
			for j := range act {
				act[j] = float32(2*s.Float64() - 1)
			}
			return nil
		}
	}
}

func scriptedPolicy(c Config) func(copy int) batchPolicy {
	return func(i int) batchPolicy {
		p, err := envs.Expert(c.Env)
		s := rng.Derive(c.Seed, "datagen", "scripted", strconv.Itoa(i))
		return func(obs, act []float32) error {
			if err != nil {
				return err
			}
			if err := p.Act(obs, act); err != nil {
				return err
			}
			for j := range act {
				act[j] = float32(min(max(float64(act[j])+c.Noise*s.NormFloat64(), -1), 1))
			}
			return nil
		}
	}
}

// collect runs Workers copies, each gathering size/Workers transitions (the
// first size%Workers one more) in whole episodes, the last cut by a
// timeout, and concatenates them in copy order.
func collect(c Config, policy func(copy int) batchPolicy, size int, what string) (*dataset.Dataset, error) {
	n := min(c.Workers, size)
	parts := make([]*dataset.Dataset, n)
	errs := make([]error, n)
	done := make(chan int, n)
	for i := range n {
		go func() {
			quota := size / n
			if i < size%n {
				quota++
			}
			parts[i], errs[i] = collectOne(c, policy(i), quota, i)
			done <- i
		}()
	}
	for range n {
		<-done
	}
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("collect %s data on %s (copy %d): %w", what, c.Env, i, err)
		}
	}
	out := dataset.New(parts[0].ObsDim, parts[0].ActDim, size)
	for _, p := range parts {
		for j := range p.Len() {
			out.Append(p.Obs(j), p.Act(j), p.Rewards[j], p.NextObs(j), p.Terminals[j], p.Timeouts[j])
		}
	}
	return out, nil
}

func collectOne(c Config, p batchPolicy, quota, copyIdx int) (*dataset.Dataset, error) {
	e, err := experiment.MakeEnv(c.Env)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	s := e.Spec()
	d := dataset.New(s.Obs.Dim, s.Act.Dim, quota)
	obs, next, act := make([]float32, s.Obs.Dim), make([]float32, s.Obs.Dim), make([]float32, s.Act.Dim)
	seeds := rng.Derive(c.Seed, "datagen", "episodes", strconv.Itoa(copyIdx))
	if err := e.Reset(seeds.Uint64(), obs); err != nil {
		return nil, err
	}
	for d.Len() < quota {
		if err := p(obs, act); err != nil {
			return nil, err
		}
		r, err := e.Step(act, next)
		if err != nil {
			return nil, err
		}
		timeout := r.Truncated && !r.Terminated
		last := d.Len() == quota-1
		if last && !r.Terminated {
			timeout = true
		}
		d.Append(obs, act, float32(r.Reward), next, r.Terminated, timeout)
		if r.Terminated || r.Truncated {
			if err := e.Reset(seeds.Uint64(), obs); err != nil {
				return nil, err
			}
		} else {
			copy(obs, next)
		}
	}
	return d, nil
}

// expertSACConfig returns the sac section of an expert checkpoint's config:
// the run's YAML tree as JSON (snake_case keys, experiment.Config.JSON), which
// is YAML too, so it is decoded with sac.Config's yaml tags.
func expertSACConfig(js []byte) (sac.Config, error) {
	var c struct {
		SAC sac.Config `yaml:"sac"`
	}
	if err := yaml.Unmarshal(js, &c); err != nil {
		return sac.Config{}, fmt.Errorf("checkpoint config: %w", err)
	}
	return c.SAC, nil
}

// expertRun is a finished SAC expert run with its policy snapshots.
type expertRun struct {
	dir       string
	evals     []snapshot
	final     *checkpoint.Checkpoint
	obs, acts int
}

type snapshot struct {
	Step   int64   `json:"step"`
	Return float64 `json:"return"`
	Path   string  `json:"path"`
}

const snapshotsFile = "snapshots.json"

// trainExpert trains (or resumes, or reuses) the SAC expert of c.
func trainExpert(ctx context.Context, c Config, out io.Writer) (*expertRun, error) {
	runsDir := filepath.Join(c.CacheDir, "runs")
	oh := sha256.Sum256([]byte(strings.Join(c.ExpertOverrides, "\x00")))
	name := fmt.Sprintf("expert%d__%s__sac__%d__%d__%s", recipeVersion, c.Env, c.Seed, c.ExpertSteps, hex.EncodeToString(oh[:4]))
	dir := filepath.Join(runsDir, name)
	ex := &expertRun{dir: dir}
	snapDir := filepath.Join(dir, "policies")
	extend := func(l *train.Loop) error {
		l.Hooks.AfterEval = func(e train.Evaluation) error {
			model, _, _, err := l.Agent.State()
			if err != nil {
				return err
			}
			if err := os.MkdirAll(snapDir, 0o755); err != nil {
				return err
			}
			p := filepath.Join(snapDir, fmt.Sprintf("step-%012d.safetensors", e.Step))
			meta := map[string]string{"step": strconv.FormatInt(e.Step, 10), "return": strconv.FormatFloat(e.Return, 'g', -1, 64)}
			return checkpoint.WriteSafetensors(p, model, meta)
		}
		return nil
	}
	opts := experiment.Options{Out: out, Quiet: true, Extend: extend}
	ck, err := checkpoint.LoadLatest(filepath.Join(dir, "checkpoints"))
	switch {
	case err == nil && isDone(ck):
		fmt.Fprintf(out, "expert run %s: finished earlier, reusing\n", name)
	case err == nil || (errors.Is(err, checkpoint.ErrNoCheckpoint) && dirExists(dir)):
		fmt.Fprintf(out, "expert run %s: resuming\n", name)
		res, err := experiment.Resume(ctx, name, runsDir, opts)
		if err != nil {
			return nil, fmt.Errorf("expert run: %w", err)
		}
		if res.Interrupted {
			return nil, fmt.Errorf("expert run %s: %w; run the same command again to resume", name, train.ErrInterrupted)
		}
	default:
		cfg, err := experiment.Load("", c.ExpertOverrides, experiment.Config{Algo: "sac", Env: c.Env})
		if err != nil {
			return nil, fmt.Errorf("expert run overrides: %w", err)
		}
		cfg.Seed, cfg.Name, cfg.RunsDir = c.Seed, name, runsDir
		cfg.Train.OnlineSteps = c.ExpertSteps
		// Evaluations (each saving a policy snapshot) every 1% of training:
		// fine enough to catch the medium policy of fast learners.
		cfg.Train.EvalEvery = max(c.ExpertSteps/100, 200)
		cfg.Train.CheckpointEvery = max(c.ExpertSteps/20, 5000)
		if c.ExpertSteps < 50_000 {
			cfg.Train.LearningStarts = c.ExpertSteps / 20
		}
		fmt.Fprintf(out, "expert run %s: training SAC for %d steps\n", name, c.ExpertSteps)
		res, err := experiment.Run(ctx, cfg, opts)
		if err != nil {
			return nil, fmt.Errorf("expert run: %w", err)
		}
		if res.Interrupted {
			return nil, fmt.Errorf("expert run %s: %w; run the same command again to resume", name, train.ErrInterrupted)
		}
	}
	if ex.final, err = checkpoint.LoadLatest(filepath.Join(dir, "checkpoints")); err != nil {
		return nil, fmt.Errorf("expert run: %w", err)
	}
	files, _ := filepath.Glob(filepath.Join(snapDir, "step-*.safetensors"))
	slices.Sort(files)
	for _, f := range files {
		_, meta, err := checkpoint.ReadSafetensors(f)
		if err != nil {
			return nil, fmt.Errorf("expert run policy snapshot: %w", err)
		}
		step, _ := strconv.ParseInt(meta["step"], 10, 64)
		ret, err := strconv.ParseFloat(meta["return"], 64)
		if err != nil {
			return nil, fmt.Errorf("expert run policy snapshot %s: no return in its metadata", f)
		}
		ex.evals = append(ex.evals, snapshot{Step: step, Return: ret, Path: f})
	}
	if len(ex.evals) == 0 {
		return nil, fmt.Errorf("expert run %s has no policy snapshots", name)
	}
	return ex, nil
}

func isDone(ck *checkpoint.Checkpoint) bool {
	var ex struct {
		Loop struct {
			Done bool `json:"done"`
		} `json:"loop"`
	}
	return json.Unmarshal(ck.Extra, &ex) == nil && ex.Loop.Done
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// fromExpert builds the SAC-based kinds from a finished expert run.
func fromExpert(c Config, ex *expertRun, meta map[string]string, out io.Writer) (*dataset.Dataset, error) {
	ref, ok := envs.ReferenceFor(c.Env)
	randomRet := math.NaN()
	if ok {
		randomRet = ref.Random
	} else if r, ok2 := randomReturnOf(c); ok2 {
		randomRet = r
	}
	expertSnap := ex.evals[len(ex.evals)-1]
	target := randomRet + c.MediumFraction*(expertSnap.Return-randomRet)
	// The medium snapshot is, among the evaluations up to the first one that
	// reaches the target, the one whose return is closest to it: D4RL's
	// early stop at about a third of the expert. (Fast learners jump past the
	// target between two evaluations; the one below may then be closer.)
	medium := len(ex.evals) - 1
	for i, s := range ex.evals {
		if s.Return >= target {
			medium = i
			break
		}
	}
	for i := range medium {
		if math.Abs(ex.evals[i].Return-target) < math.Abs(ex.evals[medium].Return-target) {
			medium = i
		}
	}
	medSnap := ex.evals[medium]
	fmt.Fprintf(out, "expert return %.1f (step %d); random %.1f; medium target %.1f → snapshot at step %d (return %.1f)\n",
		expertSnap.Return, expertSnap.Step, randomRet, target, medSnap.Step, medSnap.Return)
	meta["expert_step"] = strconv.FormatInt(expertSnap.Step, 10)
	meta["medium_step"] = strconv.FormatInt(medSnap.Step, 10)
	policyOf := func(s snapshot) (func(int) batchPolicy, string, error) {
		ts, _, err := checkpoint.ReadSafetensors(s.Path)
		if err != nil {
			return nil, "", err
		}
		h := sha256.New()
		f, _ := os.ReadFile(s.Path)
		h.Write(f)
		hash := hex.EncodeToString(h.Sum(nil))
		e, err := experiment.MakeEnv(c.Env)
		if err != nil {
			return nil, "", err
		}
		sp := e.Spec()
		e.Close()
		sacCfg, err := expertSACConfig(ex.final.Config)
		if err != nil {
			return nil, "", fmt.Errorf("expert run %s: %w", filepath.Base(ex.dir), err)
		}
		return func(i int) batchPolicy {
			a, err := sac.New(sp.Obs.Dim, sp.Act.Dim, sacCfg, rng.Derive(c.Seed, "datagen", "policy", strconv.Itoa(i)).Uint64())
			if err == nil {
				err = loadModel(a, ts)
			}
			return func(obs, act []float32) error {
				if err != nil {
					return err
				}
				return a.Act(obs, act, false)
			}
		}, hash, nil
	}
	switch c.Kind {
	case "medium-replay":
		return replayUpTo(ex, medSnap.Step)
	case "expert", "medium":
		snap := expertSnap
		if c.Kind == "medium" {
			snap = medSnap
		}
		p, hash, err := policyOf(snap)
		if err != nil {
			return nil, err
		}
		meta[dataset.MetaPolicyHash] = hash
		return collect(c, p, c.Size, c.Kind)
	case "medium-expert":
		pm, hm, err := policyOf(medSnap)
		if err != nil {
			return nil, err
		}
		pe, he, err := policyOf(expertSnap)
		if err != nil {
			return nil, err
		}
		meta[dataset.MetaPolicyHash] = hm + "+" + he
		m, err := collect(c, pm, c.Size/2, "medium")
		if err != nil {
			return nil, err
		}
		e, err := collect(c, pe, c.Size-c.Size/2, "expert")
		if err != nil {
			return nil, err
		}
		for j := range e.Len() {
			m.Append(e.Obs(j), e.Act(j), e.Rewards[j], e.NextObs(j), e.Terminals[j], e.Timeouts[j])
		}
		return m, nil
	}
	return nil, fmt.Errorf("dataset kind %q has no expert recipe", c.Kind)
}

// loadModel loads snapshot model tensors into a fresh SAC agent through its
// State/SetState (optimizer and random streams kept as built).
func loadModel(a *sac.Agent, model []checkpoint.Tensor) error {
	_, opt, rngs, err := a.State()
	if err != nil {
		return err
	}
	return a.SetState(model, opt, rngs)
}

func randomReturnOf(c Config) (float64, bool) {
	e, err := experiment.MakeEnv(c.Env)
	if err != nil {
		return 0, false
	}
	defer e.Close()
	p, err := env.NewRandom(e.Spec().Act, rng.Derive(c.Seed, "datagen", "random-reference"))
	if err != nil {
		return 0, false
	}
	eps, err := env.Rollout(e, p, c.Seed, 20)
	if err != nil {
		return 0, false
	}
	return env.Summarize(eps).MeanReturn, true
}

// replayUpTo rebuilds the expert run's replay buffer rows [0, step) as a
// dataset; episode ends that are not terminals are marked as timeouts where
// the next row does not continue the episode (D4RL's own inference).
func replayUpTo(ex *expertRun, step int64) (*dataset.Dataset, error) {
	var cols = map[string]checkpoint.Tensor{}
	for _, t := range ex.final.Optimizer {
		if name, ok := strings.CutPrefix(t.Name, "replay/online/"); ok {
			cols[name] = t
		}
	}
	obs, ok1 := cols["obs"]
	act, ok2 := cols["act"]
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("expert run %s: its final checkpoint holds no replay buffer", ex.dir)
	}
	O, A := obs.Shape[1], act.Shape[1]
	n := min(int(step), obs.Shape[0])
	d := dataset.New(O, A, n)
	rew, next, done := cols["rew"].Data, cols["next_obs"].Data, cols["done"].Data
	for i := range n {
		term := done[i] == 1
		timeout := false
		if !term {
			if i == n-1 {
				timeout = true
			} else {
				timeout = !slices.Equal(next[i*O:(i+1)*O], obs.Data[(i+1)*O:(i+2)*O])
			}
		}
		d.Append(obs.Data[i*O:(i+1)*O], act.Data[i*A:(i+1)*A], rew[i], next[i*O:(i+1)*O], term, timeout)
	}
	return d, nil
}

// Lookup returns the cached file of the dataset called name
// ("<env>-<kind>") made with default settings and seed 0 — what
// `dwm dataset make <name>` writes — or an error saying how to make it.
func Lookup(name, cacheDir string) (string, error) {
	envID, kind, err := ParseName(name)
	if err != nil {
		return "", err
	}
	p := Config{Env: envID, Kind: kind, CacheDir: cacheDir}.WithDefaults().Path()
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("dataset %s is not made yet (expected at %s): run `dwm dataset make %s`", name, p, name)
	}
	return p, nil
}
