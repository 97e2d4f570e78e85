package worldmodel

import (
	"fmt"
	"math"
	"strings"
)

// Kind names a world-model family.
type Kind string

// The world-model families.
const (
	// Diffusion is BDWM's model (Section IV-A): a deterministic MLP encoder
	// z = f_φ(s, a) and an ensemble of K conditional diffusion decoders
	// p_θk(x | z).
	Diffusion Kind = "diffusion"
	// Gaussian is the MOPO-style baseline (Yu et al. 2020; Chua et al. 2018):
	// K probabilistic MLPs, each predicting a diagonal Gaussian over x.
	Gaussian Kind = "gaussian"
)

// Termination names how a model decides that an imagined transition ends
// the episode.
type Termination string

// The termination rules. The locomotion rules are the tasks' own healthy
// conditions read off the predicted next observation, as MOPO's static
// termination functions do (mopo/static/hopper.py, walker2d.py).
const (
	// Never: the task never terminates (Pendulum, HalfCheetah).
	Never Termination = "never"
	// Hopper: terminal unless next_obs[0] > 0.7, |next_obs[1]| < 0.2 and
	// every |next_obs[1:]| < 100 (Gymnasium Hopper-v4's is_healthy on
	// dwm's hopper observation, qpos[1:] then qvel).
	Hopper Termination = "hopper"
	// Walker2d: terminal unless 0.8 < next_obs[0] < 2 and
	// −1 < next_obs[1] < 1 (Gymnasium Walker2d-v4).
	Walker2d Termination = "walker2d"
	// Learned: a classifier head p(done | s, a, x) trained by binary
	// cross-entropy on the data's terminal flags; done when p > 0.5.
	Learned Termination = "learned"
)

// TerminationFor returns the termination rule of a task id: the hopper and
// walker2d rules for ids starting with "hopper" and "walker2d", Never for
// "pendulum" and "halfcheetah" ids, and Learned for anything else. It is
// the composition root's explicit mapping; a config may always name a rule
// itself.
func TerminationFor(envID string) Termination {
	switch {
	case strings.HasPrefix(envID, "hopper"):
		return Hopper
	case strings.HasPrefix(envID, "walker2d"):
		return Walker2d
	case strings.HasPrefix(envID, "pendulum"), strings.HasPrefix(envID, "halfcheetah"):
		return Never
	}
	return Learned
}

// Config describes a world model. Zero fields take the defaults listed on
// each field (applied by WithDefaults); the diffusion fields are ignored by
// the Gaussian model and vice versa.
type Config struct {
	// Kind is Diffusion (default) or Gaussian.
	Kind Kind `yaml:"kind"`
	// Members is K, the ensemble size. Default 3 for Diffusion (the
	// paper's K = 3), 7 for Gaussian (MOPO trains 7 models). K = 1 is
	// allowed: the epistemic uncertainty is then undefined and reported as
	// 0 (see package uncertainty).
	Members int `yaml:"members"`
	// Elites is how many Gaussian members (those with the lowest held-out
	// error) are used for prediction. Default 5 (MOPO), at most Members.
	Elites int `yaml:"elites"`
	// Samples is M, the samples drawn per member and input. Default 5 (the
	// paper's M = 5). The aleatoric estimate (Eq. 4) needs M ≥ 2.
	Samples int `yaml:"samples"`

	// LatentDim is the width of z = f_φ(s, a). Default 64 (the condition
	// width of the BDWM workload in diffusion's benchmarks, issue 7).
	LatentDim int `yaml:"latent_dim"`
	// EncoderHidden lists the encoder's hidden widths. Default [256, 256]
	// (the SAC-sized MLP used elsewhere in dwm; the paper gives none).
	EncoderHidden []int `yaml:"encoder_hidden"`
	// SharedEncoder makes the K decoders share one encoder. Default false:
	// each member has its own encoder, so the members are fully
	// independent networks, as the deep-ensemble protocol the paper follows
	// (Lakshminarayanan et al. 2017) prescribes; with a shared encoder every
	// decoder's gradient flows into the same φ and the members' errors
	// become correlated (see the package documentation).
	SharedEncoder bool `yaml:"shared_encoder"`
	// Width and Blocks size each decoder, a residual MLP
	// (diffusion/denoiser.ResMLP; the paper's UNet-style denoiser is over
	// images, a residual MLP is its counterpart for vectors). Defaults 256
	// and 2 (four 256-wide hidden layers, about the capacity of MOPO's
	// 4×200 Gaussian members, so the two model families are compared at
	// similar size). Issue 7 sized the decoders at 512, but measured on
	// this machine that makes imagination 4.5× slower (K = 3, M = 5,
	// 10 DDIM steps) and puts a 100k + 100k hopper run far beyond the
	// 4-hour budget; set width: 512 to use it.
	Width  int `yaml:"width"`
	Blocks int `yaml:"blocks"`
	// TimeDim is the decoders' time-embedding width. Default 64.
	TimeDim int `yaml:"time_dim"`
	// DiffusionSteps is T. Default 100 (the BDWM workload of issue 7; a
	// cosine schedule with v-prediction trains well at this length).
	DiffusionSteps int `yaml:"diffusion_steps"`
	// SampleSteps is the number of deterministic DDIM steps per sample.
	// Default 10 (issue 7's BDWM workload); it must divide DiffusionSteps.
	// The M samples of a member differ only by their initial noise, as the
	// paper draws them ("running the reverse diffusion from different
	// initial noise").
	SampleSteps int `yaml:"sample_steps"`
	// Prediction is the decoders' parameterisation: "x0" (default), "v"
	// or "eps" (the paper's Eq. 2 as written). The three losses differ only
	// by a per-step weight (Ho et al. 2020; Salimans & Ho 2022); x0 was
	// chosen by measurement: on the bimodal test task (normalized targets
	// with one deterministic dimension) v-prediction sat on a loss plateau
	// for 1000–2000 steps before learning to use x_t (learning rates 1e-3
	// to 4e-3, widths 64 and 128), and ε-prediction with the cosine
	// schedule got the mode weights wrong (χ² > 1000), while x0-prediction
	// reproduced both modes within 2000 steps (97% of samples near a mode,
	// balanced).
	Prediction string `yaml:"prediction"`

	// GaussianHidden lists the Gaussian members' hidden widths. Default
	// [200, 200, 200, 200] (MOPO/MBPO).
	GaussianHidden []int `yaml:"gaussian_hidden"`

	// Termination is the rule for terminal transitions. Default Never;
	// the composition root sets it from the task (TerminationFor).
	Termination Termination `yaml:"termination"`
	// TerminalHidden lists the hidden widths of the Learned termination
	// classifier. Default [256, 256].
	TerminalHidden []int `yaml:"terminal_hidden"`

	// LR is the Adam learning rate of every part. Default 3e-4 (SynthER's
	// diffusion MLP; MBPO's model uses 1e-3).
	LR float32 `yaml:"lr"`
	// BatchSize is the minibatch size per member. Default 256 (MBPO).
	BatchSize int `yaml:"batch_size"`
	// HoldoutFraction of a fitted dataset is kept out of training for the
	// uncertainty-quality report and the Gaussian elites. Default 0.2
	// (MBPO's holdout ratio), at most MaxHoldout rows.
	HoldoutFraction float64 `yaml:"holdout_fraction"`
	// MaxHoldout caps the held-out rows. Default 5000 (MBPO).
	MaxHoldout int `yaml:"max_holdout"`
}

// MinTransitions is the fewest training transitions a model can be fitted
// on: the normalizers need a population standard deviation, which one row
// does not have.
const MinTransitions = 2

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.Kind == "" {
		c.Kind = Diffusion
	}
	if c.Members == 0 {
		if c.Kind == Gaussian {
			c.Members = 7 // MOPO
		} else {
			c.Members = 3 // paper, Section IV-A
		}
	}
	if c.Elites == 0 {
		c.Elites = min(5, max(c.Members, 1)) // MOPO
	}
	if c.Samples == 0 {
		c.Samples = 5 // paper, Section IV-A
	}
	if c.LatentDim == 0 {
		c.LatentDim = 64 // issue 7's BDWM workload
	}
	if len(c.EncoderHidden) == 0 {
		c.EncoderHidden = []int{256, 256}
	}
	if c.Width == 0 {
		c.Width = 256 // run budget, see the field
	}
	if c.Blocks == 0 {
		c.Blocks = 2 // issue 7
	}
	if c.TimeDim == 0 {
		c.TimeDim = 64
	}
	if c.DiffusionSteps == 0 {
		c.DiffusionSteps = 100 // issue 7's BDWM workload
	}
	if c.SampleSteps == 0 {
		c.SampleSteps = min(10, c.DiffusionSteps) // issue 7's BDWM workload
	}
	if c.Prediction == "" {
		c.Prediction = "x0" // measured, see the field
	}
	if len(c.GaussianHidden) == 0 {
		c.GaussianHidden = []int{200, 200, 200, 200} // MOPO/MBPO
	}
	if c.Termination == "" {
		c.Termination = Never
	}
	if len(c.TerminalHidden) == 0 {
		c.TerminalHidden = []int{256, 256}
	}
	if c.LR == 0 {
		c.LR = 3e-4 // SynthER
	}
	if c.BatchSize == 0 {
		c.BatchSize = 256 // MBPO
	}
	if c.HoldoutFraction == 0 {
		c.HoldoutFraction = 0.2 // MBPO
	}
	if c.MaxHoldout == 0 {
		c.MaxHoldout = 5000 // MBPO
	}
	return c
}

// Validate reports the first invalid field (after defaults), naming it and
// its value.
func (c Config) Validate() error {
	if c.Members < 0 {
		return fmt.Errorf("worldmodel.members = %d: the ensemble needs K ≥ 1 members", c.Members)
	}
	d := c.WithDefaults()
	positive := func(name string, v int) error {
		if v < 1 {
			return fmt.Errorf("worldmodel.%s = %d: must be ≥ 1", name, v)
		}
		return nil
	}
	widths := func(name string, ws []int) error {
		for i, w := range ws {
			if w < 1 {
				return fmt.Errorf("worldmodel.%s[%d] = %d: must be ≥ 1", name, i, w)
			}
		}
		return nil
	}
	switch d.Kind {
	case Diffusion, Gaussian:
	default:
		return fmt.Errorf("worldmodel.kind = %q: want %q or %q", c.Kind, Diffusion, Gaussian)
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"samples", d.Samples}, {"latent_dim", d.LatentDim}, {"width", d.Width}, {"diffusion_steps", d.DiffusionSteps},
		{"sample_steps", d.SampleSteps}, {"batch_size", d.BatchSize}, {"max_holdout", d.MaxHoldout}, {"elites", d.Elites}} {
		if err := positive(f.name, f.v); err != nil {
			return err
		}
	}
	switch {
	case d.Blocks < 0:
		return fmt.Errorf("worldmodel.blocks = %d: must be ≥ 0", d.Blocks)
	case d.TimeDim < 4 || d.TimeDim%2 != 0:
		return fmt.Errorf("worldmodel.time_dim = %d: must be even and ≥ 4", d.TimeDim)
	case d.DiffusionSteps%d.SampleSteps != 0 || d.SampleSteps > d.DiffusionSteps:
		return fmt.Errorf("worldmodel.sample_steps = %d: must divide diffusion_steps = %d", d.SampleSteps, d.DiffusionSteps)
	case d.Prediction != "v" && d.Prediction != "eps" && d.Prediction != "x0":
		return fmt.Errorf("worldmodel.prediction = %q: want v, eps or x0", d.Prediction)
	case d.Kind == Gaussian && d.Elites > d.Members:
		return fmt.Errorf("worldmodel.elites = %d: more than the %d members", d.Elites, d.Members)
	case !(d.LR > 0) || math.IsInf(float64(d.LR), 0):
		return fmt.Errorf("worldmodel.lr = %v: must be finite and > 0", c.LR)
	case !(d.HoldoutFraction >= 0 && d.HoldoutFraction < 1):
		return fmt.Errorf("worldmodel.holdout_fraction = %v: must be in [0, 1)", c.HoldoutFraction)
	}
	switch d.Termination {
	case Never, Hopper, Walker2d, Learned:
	default:
		return fmt.Errorf("worldmodel.termination = %q: want %q, %q, %q or %q", c.Termination, Never, Hopper, Walker2d, Learned)
	}
	for _, w := range []struct {
		name string
		ws   []int
	}{{"encoder_hidden", d.EncoderHidden}, {"gaussian_hidden", d.GaussianHidden}, {"terminal_hidden", d.TerminalHidden}} {
		if err := widths(w.name, w.ws); err != nil {
			return err
		}
	}
	return nil
}

// sampleMembers is the number of members a prediction draws from: the
// elites of a Gaussian ensemble, every member of a diffusion ensemble.
func (c Config) sampleMembers() int {
	if c.Kind == Gaussian {
		return c.Elites
	}
	return c.Members
}
