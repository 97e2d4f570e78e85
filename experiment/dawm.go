package experiment

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/dawm"
	"github.com/dwm-rl/dwm/diffusion"
	"github.com/dwm-rl/dwm/diffusion/denoiser"
	"github.com/dwm-rl/dwm/internal/floatio"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/train"
)

// DAWMConfig configures `dwm train dawm` and `dwm dawm generate` (the
// config section `dawm:`). Zero fields take the defaults listed on each
// field; package dawm documents the method and the sources of its
// defaults.
type DAWMConfig struct {
	// Learner is the offline learner trained on real ∪ generated data:
	// "td3bc" (default) or "iql", with the run's td3bc: or iql: section.
	Learner string `yaml:"learner" json:"learner"`
	// Horizon is the length H of generated state–reward sequences (default
	// 8, dawm.Config's: the shortest the 4-level U-Net accepts).
	Horizon int `yaml:"horizon" json:"horizon"`
	// UNetDim and UNetMults size the temporal U-Net (defaults 32 and
	// [1, 2, 4, 8]: Diffuser's locomotion U-Net, Janner et al. 2022).
	UNetDim   int   `yaml:"unet_dim" json:"unet_dim"`
	UNetMults []int `yaml:"unet_mults" json:"unet_mults"`
	// DiffusionSteps is the noise schedule's length (default 100,
	// dawm.Config's; Decision Diffuser uses 200).
	DiffusionSteps int `yaml:"diffusion_steps" json:"diffusion_steps"`
	// ModelSteps is the number of diffusion training steps (default 20000:
	// our choice, bdwm's model_steps default; Decision Diffuser trains for
	// 1M steps on a GPU).
	ModelSteps int `yaml:"model_steps" json:"model_steps"`
	// ModelBatch and ModelLR are the diffusion model's batch size and Adam
	// learning rate (defaults 32 and 2e-4: Decision Diffuser's).
	ModelBatch int     `yaml:"model_batch" json:"model_batch"`
	ModelLR    float64 `yaml:"model_lr" json:"model_lr"`
	// IDMSteps is the number of inverse-dynamics training steps (default
	// 1000, dawm.IDMConfig's: held-out MAE 0.019 on pendulum-medium).
	IDMSteps int `yaml:"idm_steps" json:"idm_steps"`
	// IDMHidden lists the inverse-dynamics MLP's hidden widths (default
	// [256, 256]: Decision Diffuser's).
	IDMHidden []int `yaml:"idm_hidden" json:"idm_hidden"`
	// SampleSteps is the number of DDIM sampling steps (default 10,
	// dawm.SampleConfig's; must divide diffusion_steps).
	SampleSteps int `yaml:"sample_steps" json:"sample_steps"`
	// Samples is the number M of sequences drawn per start; their spread is
	// each transition's uncertainty (default 4, dawm.SampleConfig's; ≥ 2).
	Samples int `yaml:"samples" json:"samples"`
	// Guidance is the classifier-free guidance weight (default 0: the
	// conditional model, dawm.SampleConfig's; Decision Diffuser uses 1.2).
	Guidance float64 `yaml:"guidance" json:"guidance"`
	// Transitions is the number of transitions generated before filtering
	// (default 100000: our choice, a tenth of a D4RL dataset, so generation
	// takes minutes on a CPU; see docs/results/dawm-speed.md). At most one
	// sequence starts per dataset window, so a small dataset gives fewer.
	Transitions int `yaml:"transitions" json:"transitions"`
	// PerSequence is the number of transitions taken from each generated
	// sequence (default 1, dawm.GenConfig's: the step closest to the real
	// state; at most horizon−1; must divide transitions).
	PerSequence int `yaml:"per_sequence" json:"per_sequence"`
	// RTGOffset shifts each start's return-to-go condition by this many
	// standard deviations of the dataset's returns-to-go (default 0).
	RTGOffset float64 `yaml:"rtg_offset" json:"rtg_offset"`
	// MaxUncertainty drops generated transitions whose uncertainty exceeds
	// it (default 0: no uncertainty filter).
	MaxUncertainty float64 `yaml:"max_uncertainty" json:"max_uncertainty"`
	// RangeMargin, if > 0, keeps only generated transitions inside the
	// dataset's state range widened by this fraction of each dimension's
	// width (default 0: no range filter).
	RangeMargin float64 `yaml:"range_margin" json:"range_margin"`
	// RealRatio is the fraction of each batch drawn from the real dataset
	// (default 0.5, dawm.LearnerConfig's; in (0, 1]).
	RealRatio float64 `yaml:"real_ratio" json:"real_ratio"`
	// Cache is the directory where generated transitions are kept for
	// other runs with the same dataset, generation settings and seed (a
	// TD3+BC and an IQL run on the same data, a rerun): they reuse the
	// data instead of refitting the models and regenerating. Empty means
	// <user cache dir>/dwm/dawm; "off" turns the cache off. The key is
	// the SHA-256 of the dataset's transitions, every field of this
	// section except learner, real_ratio and cache, and the seed.
	Cache string `yaml:"cache,omitempty" json:"-"`
}

// WithDefaults returns c with every zero field set to its default.
func (c DAWMConfig) WithDefaults() DAWMConfig {
	if c.Learner == "" {
		c.Learner = "td3bc"
	}
	if c.Horizon == 0 {
		c.Horizon = 8
	}
	if c.UNetDim == 0 {
		c.UNetDim = 32
	}
	if c.UNetMults == nil {
		c.UNetMults = []int{1, 2, 4, 8}
	}
	if c.DiffusionSteps == 0 {
		c.DiffusionSteps = 100
	}
	if c.ModelSteps == 0 {
		c.ModelSteps = 20000
	}
	if c.ModelBatch == 0 {
		c.ModelBatch = 32
	}
	if c.ModelLR == 0 {
		c.ModelLR = 2e-4
	}
	if c.IDMSteps == 0 {
		c.IDMSteps = 1000
	}
	if c.IDMHidden == nil {
		c.IDMHidden = []int{256, 256}
	}
	if c.SampleSteps == 0 {
		c.SampleSteps = 10
	}
	if c.Samples == 0 {
		c.Samples = 4
	}
	if c.Transitions == 0 {
		c.Transitions = 100000
	}
	if c.PerSequence == 0 {
		c.PerSequence = 1
	}
	if c.RealRatio == 0 {
		c.RealRatio = 0.5
	}
	return c
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Validate names the first field (as dawm.<key>) with an impossible value,
// after defaults.
func (c DAWMConfig) Validate() error {
	c = c.WithDefaults()
	switch {
	case c.Learner != "td3bc" && c.Learner != "iql":
		return fmt.Errorf("dawm.learner = %q: want td3bc or iql", c.Learner)
	case c.Horizon < 2:
		return fmt.Errorf("dawm.horizon = %d: want ≥ 2 (a transition needs s_t and s_{t+1})", c.Horizon)
	case c.UNetDim < 0:
		return fmt.Errorf("dawm.unet_dim = %d: want > 0", c.UNetDim)
	case c.DiffusionSteps < 0:
		return fmt.Errorf("dawm.diffusion_steps = %d: want > 0", c.DiffusionSteps)
	case c.ModelSteps < 0:
		return fmt.Errorf("dawm.model_steps = %d: want > 0", c.ModelSteps)
	case c.ModelBatch < 0:
		return fmt.Errorf("dawm.model_batch = %d: want > 0", c.ModelBatch)
	case !(c.ModelLR > 0) || !finite(c.ModelLR):
		return fmt.Errorf("dawm.model_lr = %v: want a finite value > 0", c.ModelLR)
	case c.IDMSteps < 0:
		return fmt.Errorf("dawm.idm_steps = %d: want > 0", c.IDMSteps)
	case c.SampleSteps < 0 || c.DiffusionSteps%c.SampleSteps != 0:
		return fmt.Errorf("dawm.sample_steps = %d: want > 0 and dividing dawm.diffusion_steps = %d", c.SampleSteps, c.DiffusionSteps)
	case c.Samples < 2:
		return fmt.Errorf("dawm.samples = %d: want ≥ 2 (the spread over samples is the uncertainty)", c.Samples)
	case !finite(c.Guidance) || c.Guidance < 0:
		return fmt.Errorf("dawm.guidance = %v: want a finite value ≥ 0", c.Guidance)
	case c.Transitions < 0:
		return fmt.Errorf("dawm.transitions = %d: want > 0", c.Transitions)
	case c.PerSequence < 1 || c.PerSequence > c.Horizon-1:
		return fmt.Errorf("dawm.per_sequence = %d: want in [1, %d] (dawm.horizon − 1)", c.PerSequence, c.Horizon-1)
	case c.Transitions%c.PerSequence != 0:
		return fmt.Errorf("dawm.transitions = %d: want a multiple of dawm.per_sequence = %d", c.Transitions, c.PerSequence)
	case !finite(c.RTGOffset):
		return fmt.Errorf("dawm.rtg_offset = %v: want a finite value", c.RTGOffset)
	case !finite(c.MaxUncertainty) || c.MaxUncertainty < 0:
		return fmt.Errorf("dawm.max_uncertainty = %v: want a finite value ≥ 0 (0: no filter)", c.MaxUncertainty)
	case !finite(c.RangeMargin) || c.RangeMargin < 0:
		return fmt.Errorf("dawm.range_margin = %v: want a finite value ≥ 0 (0: no filter)", c.RangeMargin)
	case !(c.RealRatio > 0 && c.RealRatio <= 1):
		return fmt.Errorf("dawm.real_ratio = %v: want in (0, 1]", c.RealRatio)
	}
	for i, h := range c.IDMHidden {
		if h <= 0 {
			return fmt.Errorf("dawm.idm_hidden[%d] = %d: want > 0", i, h)
		}
	}
	if err := c.model().Validate(); err != nil {
		return fmt.Errorf("dawm (horizon %d, unet_dim %d, unet_mults %v): %w", c.Horizon, c.UNetDim, c.UNetMults, err)
	}
	return nil
}

// model returns the diffusion model's configuration.
func (c DAWMConfig) model() dawm.Config {
	return dawm.Config{Horizon: c.Horizon, UNet: denoiser.UNetConfig{Dim: c.UNetDim, Mults: c.UNetMults},
		Diffusion: diffusion.Config{Schedule: diffusion.ScheduleConfig{Steps: c.DiffusionSteps}},
		LR:        float32(c.ModelLR), Batch: c.ModelBatch}
}

// Pipeline returns the dawm.PipelineConfig of c (after defaults).
func (c DAWMConfig) Pipeline() dawm.PipelineConfig {
	c = c.WithDefaults()
	return dawm.PipelineConfig{
		Model:      c.model(),
		ModelSteps: c.ModelSteps,
		IDM:        dawm.IDMConfig{Hidden: c.IDMHidden, Steps: c.IDMSteps},
		Gen: dawm.GenConfig{Sample: dawm.SampleConfig{Steps: c.SampleSteps, Samples: c.Samples, Guidance: c.Guidance},
			Transitions: c.PerSequence, RTGOffset: float32(c.RTGOffset)},
		Starts:      c.Transitions / c.PerSequence,
		Filter:      dawm.FilterConfig{MaxUncertainty: float32(c.MaxUncertainty)},
		RangeMargin: float32(c.RangeMargin),
		Learner:     dawm.LearnerConfig{Learner: c.Learner, RealRatio: c.RealRatio},
	}
}

// dawmWithDefaults fills a dawm run's defaults: its section's, and, when
// neither budget is set, 1M offline updates (CORL's TD3+BC and IQL).
func dawmWithDefaults(c Config) Config {
	if c.Algo != "dawm" {
		return c
	}
	c.DAWM = c.DAWM.WithDefaults()
	if c.Train.OfflineSteps == 0 && c.Train.OnlineSteps == 0 {
		c.Train.OfflineSteps = 1_000_000
	}
	return c
}

// validateDAWM checks a dawm run's config: it needs a dataset, and its
// learner's section must be valid.
func validateDAWM(c Config) error {
	if c.Dataset == "" {
		return fmt.Errorf("algorithm dawm needs an offline dataset (--dataset): its models are fitted on it")
	}
	if err := c.DAWM.Validate(); err != nil {
		return err
	}
	if c.DAWM.WithDefaults().Learner == "iql" {
		return c.IQL.Validate()
	}
	return c.TD3BC.Validate()
}

// resolveDAWM fills the learner's defaults as a run of the learner alone
// would.
func resolveDAWM(c Config) Config {
	c.DAWM = c.DAWM.WithDefaults()
	if c.DAWM.Learner == "iql" {
		if c.IQL.ScheduleSteps == 0 && c.Train.OfflineSteps > 0 {
			c.IQL.ScheduleSteps = c.Train.OfflineSteps // CORL: cosine T_max = offline_iterations
		}
		c.IQL = c.IQL.WithDefaults()
	} else {
		c.TD3BC = c.TD3BC.WithDefaults()
	}
	return c
}

// newDAWMAgent builds a dawm run's learner.
func newDAWMAgent(c Config, obsDim, actDim int) (train.Agent, error) {
	c.Algo = c.DAWM.WithDefaults().Learner
	return newAgent(c, obsDim, actDim)
}

// DAWMDataFile is the name, inside a run's directory, of the generated
// transitions a dawm run trains on.
const DAWMDataFile = "dawm-generated.npz"

// dawmMethod is DAWM inside the training loop: before the first offline
// update it fits the models and generates the data (or loads them from
// the run directory), then the loop's offline batches mix real and
// generated transitions.
//
// Resumption: the generated transitions are the only product of the world
// model and the inverse-dynamics model that the learner sees, so they, not
// the models, are saved: written to <run>/dawm-generated.npz as soon as they
// exist, and their SHA-256 recorded in every checkpoint. A run killed while
// the models are being fitted (before the file exists) refits them from the
// seed, which is deterministic (every stream derives from the run seed, and
// the kernels are deterministic); a resumed run whose checkpoint names
// other data than it loads or regenerates stops with an error instead of
// training on them.
type dawmMethod struct {
	cfg      DAWMConfig
	data     *dataset.Dataset
	real     replay.Sampler
	seed     uint64
	path     string
	say      func(string)
	mix      *replay.Mixed
	gen      *dataset.Dataset
	raw      int
	hash     string
	wantHash string
	metrics  []agent.Metric
}

// dawmSampler is the loop's offline sampler: the method's mix of real and
// generated data, which exists from the first offline update on.
type dawmSampler struct{ m *dawmMethod }

// SampleRows fills rows [lo, hi) of dst from the mix. It panics if the data
// were not generated yet (a programmer error: BeforeUpdate generates them).
func (s dawmSampler) SampleRows(st *rng.Stream, dst *replay.Batch, lo, hi int) {
	if s.m.mix == nil {
		panic("experiment: dawm sampler used before the data were generated")
	}
	s.m.mix.SampleRows(st, dst, lo, hi)
}

// Len returns the number of real and generated transitions.
func (s dawmSampler) Len() int {
	if s.m.mix == nil {
		return s.m.real.Len()
	}
	return s.m.mix.Len()
}

// wireDAWM gives the loop DAWM's offline sampler and hooks. It checks at
// once what would make the fit fail (no rewards, a horizon longer than
// every episode), so such a run stops before it is recorded.
func wireDAWM(c Config, loop *train.Loop, data *dataset.Dataset, offline *replay.Buffer, dir string, opts Options) error {
	if data == nil || offline == nil {
		return fmt.Errorf("algorithm dawm needs an offline dataset")
	}
	cfg := c.DAWM.WithDefaults()
	if _, err := dawm.NewWorldModel(data, cfg.model(), rng.New(c.Seed)); err != nil {
		return fmt.Errorf("algorithm dawm on %s: %w", c.Dataset, err)
	}
	m := &dawmMethod{cfg: cfg, data: data, real: offline, seed: c.Seed, path: filepath.Join(dir, DAWMDataFile)}
	if opts.Out != nil {
		m.say = func(s string) { fmt.Fprintf(opts.Out, "dawm: %s\n", s) }
	}
	loop.OfflineSampler = dawmSampler{m}
	loop.Hooks.BeforeUpdate = m.beforeUpdate
	loop.Hooks.State = m.state
	loop.Hooks.SetState = m.setState
	return nil
}

func (m *dawmMethod) progress(format string, args ...any) {
	if m.say != nil {
		m.say(fmt.Sprintf(format, args...))
	}
}

// prepare loads or generates the data and builds the mix.
func (m *dawmMethod) prepare() error {
	if m.mix != nil {
		return nil
	}
	g, err := dataset.ReadNPZ(m.path)
	switch {
	case err == nil:
		if g.ObsDim != m.data.ObsDim || g.ActDim != m.data.ActDim {
			return fmt.Errorf("dawm: %s holds transitions of widths %d, %d, the dataset %d, %d", m.path, g.ObsDim, g.ActDim, m.data.ObsDim, m.data.ActDim)
		}
		if m.raw, err = strconv.Atoi(g.Metadata["dawm_raw"]); err != nil {
			return fmt.Errorf("dawm: %s: metadata dawm_raw: %w", m.path, err)
		}
		m.progress("loaded %d generated transitions from %s", g.Len(), m.path)
	case errors.Is(err, fs.ErrNotExist):
		if g, err = m.generate(); err != nil {
			return err
		}
		if err := dataset.WriteNPZ(m.path, g); err != nil {
			return fmt.Errorf("dawm: save generated data: %w", err)
		}
	default:
		return fmt.Errorf("dawm: %w", err)
	}
	m.hash = hashTransitions(g)
	if m.wantHash != "" && m.hash != m.wantHash {
		return fmt.Errorf("dawm: generated data %s (sha256 %s) differ from those the checkpoint was trained on (sha256 %s)", m.path, m.hash, m.wantHash)
	}
	if g.Len() == 0 {
		return fmt.Errorf("dawm: all %d generated transitions were filtered out (dawm.max_uncertainty = %v, dawm.range_margin = %v)", m.raw, m.cfg.MaxUncertainty, m.cfg.RangeMargin)
	}
	gb, err := replay.FromDataset(g, 0, nil)
	if err != nil {
		return fmt.Errorf("dawm: generated data: %w", err)
	}
	if m.mix, err = replay.NewMixed(m.real, gb, m.cfg.RealRatio); err != nil {
		return fmt.Errorf("dawm: %w", err)
	}
	m.gen = g
	m.metrics = []agent.Metric{{Name: "model/dawm_generated", Value: float64(g.Len())}, {Name: "model/dawm_kept_fraction", Value: float64(g.Len()) / float64(max(m.raw, 1))}}
	return nil
}

// generate returns the generated transitions: from the cache when a run
// with the same dataset, generation settings and seed made them before,
// else fitted and generated here (and then added to the cache).
func (m *dawmMethod) generate() (*dataset.Dataset, error) {
	cached := m.cachePath()
	if cached != "" {
		g, err := dataset.ReadNPZ(cached)
		if err == nil && g.ObsDim == m.data.ObsDim && g.ActDim == m.data.ActDim {
			if m.raw, err = strconv.Atoi(g.Metadata["dawm_raw"]); err == nil {
				m.progress("reused %d generated transitions from the cache %s", g.Len(), cached)
				return g, nil
			}
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			m.progress("cache entry %s unusable (%v): generating anew", cached, err)
		}
	}
	s, err := dawm.Synthesize(m.data, m.cfg.Pipeline(), m.seed, m.say)
	if err != nil {
		return nil, err
	}
	g := s.Generated
	m.raw = s.Raw
	stampGenerated(g, m.cfg, m.seed, s.Raw)
	if cached != "" {
		// A failed cache write costs a later run the generation, nothing
		// else: report it and go on.
		if err := os.MkdirAll(filepath.Dir(cached), 0o755); err != nil {
			m.progress("cache: %v", err)
		} else if err := dataset.WriteNPZ(cached, g); err != nil {
			m.progress("cache: %v", err)
		}
	}
	return g, nil
}

// cachePath returns the cache file for this run's generated data, or ""
// when the cache is off or no cache directory can be found.
func (m *dawmMethod) cachePath() string {
	dir := m.cfg.Cache
	switch dir {
	case "off":
		return ""
	case "":
		d, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(d, "dwm", "dawm")
	}
	return filepath.Join(dir, dawmCacheKey(m.data, m.cfg, m.seed)+".npz")
}

// dawmCacheKey identifies generated data by what determines them: the
// dataset's transitions and episode ends, the generation settings (c
// without learner, real_ratio and cache) and the seed.
func dawmCacheKey(d *dataset.Dataset, c DAWMConfig, seed uint64) string {
	h := sha256.New()
	fmt.Fprintf(h, "dawm generated v1\n%d %d\n", d.ObsDim, d.ActDim)
	for _, col := range [][]float32{d.Observations, d.Actions, d.Rewards, d.NextObservations} {
		floatio.Write(h, col)
	}
	for _, col := range [][]bool{d.Terminals, d.Timeouts} {
		floatio.WriteBools(h, col, len(col))
	}
	c.Learner, c.RealRatio, c.Cache = "", 0, ""
	js, _ := json.Marshal(c)
	fmt.Fprintf(h, "\n%s\nseed %d", js, seed)
	return hex.EncodeToString(h.Sum(nil))[:24]
}

// stampGenerated records how g was made in its metadata.
func stampGenerated(g *dataset.Dataset, c DAWMConfig, seed uint64, raw int) {
	if g.Metadata == nil {
		g.Metadata = map[string]string{}
	}
	js, _ := json.Marshal(c)
	g.Metadata["dawm_config"] = string(js)
	g.Metadata["dawm_seed"] = strconv.FormatUint(seed, 10)
	g.Metadata["dawm_raw"] = strconv.Itoa(raw)
}

func (m *dawmMethod) beforeUpdate(phase train.Phase, _ int64) ([]agent.Metric, error) {
	if phase != train.Offline {
		return nil, nil
	}
	if err := m.prepare(); err != nil {
		return nil, err
	}
	return m.metrics, nil
}

type dawmState struct {
	Hash string `json:"generated_sha256,omitempty"`
}

func (m *dawmMethod) state() ([]checkpoint.Tensor, json.RawMessage, error) {
	h := m.hash
	if h == "" {
		h = m.wantHash
	}
	js, err := json.Marshal(dawmState{Hash: h})
	return nil, js, err
}

func (m *dawmMethod) setState(_ []checkpoint.Tensor, js json.RawMessage) error {
	var s dawmState
	if err := json.Unmarshal(js, &s); err != nil {
		return fmt.Errorf("dawm: restore: %w", err)
	}
	m.wantHash = s.Hash
	return nil
}

// hashTransitions returns the SHA-256 of g's transitions and uncertainties.
func hashTransitions(g *dataset.Dataset) string {
	h := sha256.New()
	for _, col := range [][]float32{g.Observations, g.Actions, g.Rewards, g.NextObservations, g.Infos[dawm.UncertaintyInfo].Data} {
		floatio.Write(h, col)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// DAWMGenerate describes `dwm dawm generate`: DAWM's models fitted on a
// dataset and the generated transitions written as an npz file with D4RL's
// keys plus infos/uncertainty.
type DAWMGenerate struct {
	// Dataset is a dataset file, embedded or made name (LoadDataset).
	Dataset string
	// Out is the npz file to write.
	Out string
	// Config configures the models and generation (Learner and RealRatio
	// are not used).
	Config DAWMConfig
	// Seed seeds every stage.
	Seed uint64
}

// GenerateDAWM runs j (progress lines to w, if not nil) and returns what it
// made.
func GenerateDAWM(j DAWMGenerate, w io.Writer) (*dawm.Synthesis, error) {
	if j.Out == "" {
		return nil, fmt.Errorf("dawm generate: no output file")
	}
	if err := j.Config.Validate(); err != nil {
		return nil, err
	}
	c := j.Config.WithDefaults()
	d, err := LoadDataset(j.Dataset)
	if err != nil {
		return nil, err
	}
	var say func(string)
	if w != nil {
		say = func(s string) { fmt.Fprintf(w, "dawm: %s\n", s) }
	}
	s, err := dawm.Synthesize(d, c.Pipeline(), j.Seed, say)
	if err != nil {
		return nil, fmt.Errorf("dawm generate on %s: %w", j.Dataset, err)
	}
	stampGenerated(s.Generated, c, j.Seed, s.Raw)
	s.Generated.Metadata["dawm_source"] = j.Dataset
	if err := dataset.WriteNPZ(j.Out, s.Generated); err != nil {
		return nil, err
	}
	return s, nil
}
