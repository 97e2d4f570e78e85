package dawm

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/diffusion"
	"github.com/dwm-rl/dwm/diffusion/denoiser"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// Config configures DAWM's state–reward diffusion model. Zero fields take
// the defaults listed on each field.
type Config struct {
	// Horizon is the number of rows H of a generated sequence
	// (s_{t+h}, r_{t+h}), h = 0…H−1 (default 8: our choice, the shortest
	// horizon the default 4-level U-Net accepts; DAWM generates short
	// state–reward segments and only their one-step transitions are used).
	Horizon int
	// UNet configures the temporal U-Net; its Horizon is set from Horizon
	// (defaults: Diffuser's locomotion U-Net, see denoiser.UNetConfig).
	UNet denoiser.UNetConfig
	// Diffusion configures the noise schedule and loss; Prediction defaults
	// to x_0 (Diffuser's parameterisation; ε prediction gave exploding
	// few-step samples in our tests, see the package doc); Known is set by the
	// model (the current state) and CondDrop defaults to 0.25 (Decision
	// Diffuser's condition dropout for classifier-free guidance, Ajay et al.
	// 2023, which DAWM's return conditioning follows). Schedule steps default
	// to 100 here (our choice, Decision Diffuser uses 200; we sample with
	// fewer DDIM steps anyway).
	Diffusion diffusion.Config
	// Gamma is the discount of the return-to-go condition (default 0.99,
	// the learners' discount; our choice).
	Gamma float64
	// LR is Adam's learning rate (default 2e-4, Decision Diffuser's).
	LR float32
	// Batch is the number of sequences per gradient step (default 32,
	// Decision Diffuser's batch size).
	Batch int
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.Horizon == 0 {
		c.Horizon = 8
	}
	c.UNet.Horizon = c.Horizon
	c.UNet = c.UNet.WithDefaults()
	if c.Diffusion.Prediction == "" {
		c.Diffusion.Prediction = diffusion.X0
	}
	if c.Diffusion.CondDrop == 0 {
		c.Diffusion.CondDrop = 0.25
	}
	if c.Diffusion.Schedule.Steps == 0 {
		c.Diffusion.Schedule.Steps = 100
	}
	if c.Gamma == 0 {
		c.Gamma = 0.99
	}
	if c.LR == 0 {
		c.LR = 2e-4
	}
	if c.Batch == 0 {
		c.Batch = 32
	}
	return c
}

// Validate reports the first invalid field (after defaults).
func (c Config) Validate() error {
	c = c.WithDefaults()
	if c.Horizon < 2 {
		return fmt.Errorf("dawm: Horizon = %d, want >= 2 (a transition needs s_t and s_{t+1})", c.Horizon)
	}
	if err := c.UNet.Validate(); err != nil {
		return fmt.Errorf("dawm: UNet: %w", err)
	}
	if len(c.Diffusion.Known) != 0 {
		return fmt.Errorf("dawm: Diffusion.Known = %v, want empty (the model sets it)", c.Diffusion.Known)
	}
	if c.Diffusion.CondDrop < 0 || c.Diffusion.CondDrop >= 1 {
		return fmt.Errorf("dawm: Diffusion.CondDrop = %v, want in (0, 1) for classifier-free guidance", c.Diffusion.CondDrop)
	}
	if !(c.Gamma > 0 && c.Gamma <= 1) {
		return fmt.Errorf("dawm: Gamma = %v, want in (0, 1]", c.Gamma)
	}
	if !(c.LR > 0) || math.IsInf(float64(c.LR), 0) {
		return fmt.Errorf("dawm: LR = %v, want a finite value > 0", c.LR)
	}
	if c.Batch <= 0 {
		return fmt.Errorf("dawm: Batch = %d, want > 0", c.Batch)
	}
	return nil
}

// WorldModel is DAWM's diffusion model of state–reward sequences: a temporal
// U-Net over H rows (s_{t+h}, r_{t+h}) of C = ObsDim+1 channels, all
// standardised, with the current state s_t inpainted in row 0 and the
// condition [â_t, ĝ_t] (standardised current action and return-to-go)
// dropped together with probability CondDrop in training, so sampling can
// apply classifier-free guidance towards the requested return-to-go.
//
// Choice: DAWM conditions on the current state, action and return-to-go; we
// put the state in by inpainting (Diffuser, Janner et al. 2022) and the
// action and return-to-go in the U-Net's condition embedding, guided jointly.
type WorldModel struct {
	Cfg            Config
	ObsDim, ActDim int
	// ObsNorm, ActNorm standardise states and actions; RewMean/RewStd and
	// RTGMean/RTGStd standardise rewards and returns-to-go.
	ObsNorm, ActNorm *dataset.Normalizer
	RewMean, RewStd  float32
	RTGMean, RTGStd  float32
	// Model is the diffusion model around the U-Net.
	Model *diffusion.Model

	// training data: window starts and returns-to-go.
	starts []int
	rtg    []float32
	data   *dataset.Dataset
}

// C returns the channel count ObsDim+1 of a sequence row.
func (w *WorldModel) C() int { return w.ObsDim + 1 }

// NewWorldModel prepares a world model for d: it checks that d can train it
// (rewards present, some episode at least Horizon long), fits the
// normalisers and builds an untrained network.
func NewWorldModel(d *dataset.Dataset, cfg Config, s *rng.Stream) (*WorldModel, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	n := 0
	if d.ObsDim > 0 {
		n = len(d.Observations) / d.ObsDim // rows even without a reward column
	}
	if n == 0 || d.ObsDim <= 0 || d.ActDim <= 0 {
		return nil, fmt.Errorf("dawm: dataset is empty (%d rows, obs dim %d, act dim %d)", n, d.ObsDim, d.ActDim)
	}
	if len(d.Rewards) != n {
		return nil, fmt.Errorf("dawm: return-to-go conditioning needs rewards, but the dataset has %d rewards for %d rows", len(d.Rewards), n)
	}
	nonzero := false
	for _, r := range d.Rewards {
		if r != 0 {
			nonzero = true
			break
		}
	}
	if !nonzero {
		return nil, fmt.Errorf("dawm: return-to-go conditioning needs rewards, but all %d rewards of the dataset are zero (a reward-free dataset?)", n)
	}
	longest := 0
	var starts []int
	for _, ep := range d.Episodes() {
		longest = max(longest, ep.Len())
		for i := ep.Start; i+cfg.Horizon <= ep.End; i++ {
			starts = append(starts, i)
		}
	}
	if len(starts) == 0 {
		return nil, fmt.Errorf("dawm: Horizon = %d is longer than every episode of the dataset (longest %d steps)", cfg.Horizon, longest)
	}
	rtg, err := d.ReturnsToGo(cfg.Gamma)
	if err != nil {
		return nil, fmt.Errorf("dawm: returns-to-go: %w", err)
	}
	w := &WorldModel{Cfg: cfg, ObsDim: d.ObsDim, ActDim: d.ActDim, starts: starts, rtg: rtg, data: d}
	if w.ObsNorm, err = dataset.FitNormalizer(d.Observations, d.ObsDim, dataset.DefaultNormalizerEps); err != nil {
		return nil, fmt.Errorf("dawm: fit state normaliser: %w", err)
	}
	if w.ActNorm, err = dataset.FitNormalizer(d.Actions, d.ActDim, dataset.DefaultNormalizerEps); err != nil {
		return nil, fmt.Errorf("dawm: fit action normaliser: %w", err)
	}
	w.RewMean, w.RewStd = meanStd(d.Rewards)
	w.RTGMean, w.RTGStd = meanStd(rtg)
	net, err := denoiser.NewTemporalUNet("dawm", w.C(), d.ActDim+1, cfg.UNet, s.Child("init"))
	if err != nil {
		return nil, fmt.Errorf("dawm: build U-Net: %w", err)
	}
	dc := cfg.Diffusion
	dc.Known = make([]int, d.ObsDim) // row 0's state channels
	for j := range dc.Known {
		dc.Known[j] = j
	}
	if w.Model, err = diffusion.New(net, dc); err != nil {
		return nil, fmt.Errorf("dawm: diffusion model: %w", err)
	}
	return w, nil
}

func meanStd(x []float32) (float32, float32) {
	var m, v float64
	for _, a := range x {
		m += float64(a)
	}
	m /= float64(len(x))
	for _, a := range x {
		v += (float64(a) - m) * (float64(a) - m)
	}
	return float32(m), float32(math.Sqrt(v/float64(len(x)))) + dataset.DefaultNormalizerEps
}

// NormRTG standardises a return-to-go.
func (w *WorldModel) NormRTG(g float32) float32 { return (g - w.RTGMean) / w.RTGStd }

// fillWindow writes the standardised sequence starting at row i into x and
// its condition into c.
func (w *WorldModel) fillWindow(x, c []float32, i int) {
	d, C := w.data, w.C()
	for h := 0; h < w.Cfg.Horizon; h++ {
		row := x[h*C : (h+1)*C]
		w.ObsNorm.Apply(row[:w.ObsDim], d.Obs(i+h))
		row[w.ObsDim] = (d.Rewards[i+h] - w.RewMean) / w.RewStd
	}
	w.ActNorm.Apply(c[:w.ActDim], d.Act(i))
	c[w.ActDim] = w.NormRTG(w.rtg[i])
}

// Train runs steps gradient steps of the diffusion loss on random windows
// of the dataset and returns the mean loss of the last min(steps, 100).
func (w *WorldModel) Train(steps int, s *rng.Stream) (float32, error) {
	B := w.Cfg.Batch
	x0 := tensor.New(B, w.Cfg.Horizon*w.C())
	cond := tensor.New(B, w.ActDim+1)
	opt := optim.NewAdam(w.Model.Net.Params(), optim.AdamConfig{LR: w.Cfg.LR})
	draw := s.Child("batches")
	noise := s.Child("noise")
	var tail float64
	var tailN int
	for step := 0; step < steps; step++ {
		for b := 0; b < B; b++ {
			w.fillWindow(x0.Row(b), cond.Row(b), w.starts[draw.IntN(len(w.starts))])
		}
		nn.ZeroGrad(w.Model.Net.Params())
		loss, _, err := w.Model.Loss(x0, cond, noise)
		if err != nil {
			return 0, fmt.Errorf("dawm: train step %d: %w", step, err)
		}
		opt.Step()
		if step >= steps-100 {
			tail += float64(loss)
			tailN++
		}
	}
	if err := nn.CheckFinite(w.Model.Net.Params()); err != nil {
		return 0, fmt.Errorf("dawm: training diverged: %w", err)
	}
	if tailN == 0 {
		return 0, nil
	}
	return float32(tail / float64(tailN)), nil
}

// SampleConfig configures sampling from a WorldModel. Zero fields take the
// defaults listed on each field.
type SampleConfig struct {
	// Steps is the number of DDIM steps (default 10; must divide the
	// schedule's steps; our choice for speed).
	Steps int
	// Guidance is the classifier-free guidance weight w (default 0: the
	// conditional model; Decision Diffuser uses w = 1.2 for returns).
	Guidance float64
	// Samples is the number M of sequences per conditioning row (default 4:
	// the spread over them is the per-transition uncertainty).
	Samples int
	// ClipX0 clips the predicted clean sequence, in standardised units, to
	// [−ClipX0, ClipX0] at every step (default 5, our choice: Diffuser clips
	// its [−1, 1]-normalised data at 1; standardised data lie within ±5σ
	// almost surely). A negative value disables clipping.
	ClipX0 float64
}

func (c SampleConfig) withDefaults() SampleConfig {
	if c.Steps == 0 {
		c.Steps = 10
	}
	if c.Samples == 0 {
		c.Samples = 4
	}
	if c.ClipX0 == 0 {
		c.ClipX0 = 5
	}
	return c
}

// Sampler draws state–reward sequences from a WorldModel with reusable
// buffers. It is not safe for concurrent use.
type Sampler struct {
	w       *WorldModel
	cfg     SampleConfig
	s       *diffusion.Sampler
	cond    *tensor.Mat
	inpaint diffusion.Inpaint
	out     *tensor.Mat
}

// NewSampler returns a sampler for w or the configuration error.
func (w *WorldModel) NewSampler(cfg SampleConfig) (*Sampler, error) {
	cfg = cfg.withDefaults()
	if cfg.Samples < 1 {
		return nil, fmt.Errorf("dawm: SampleConfig.Samples = %d, want >= 1", cfg.Samples)
	}
	s, err := w.Model.NewSampler(diffusion.SamplerConfig{Steps: cfg.Steps, Guidance: cfg.Guidance, ClipX0: max(cfg.ClipX0, 0)})
	if err != nil {
		return nil, fmt.Errorf("dawm: sampler: %w", err)
	}
	idx := make([]int, w.ObsDim)
	for j := range idx {
		idx[j] = j
	}
	return &Sampler{w: w, cfg: cfg, s: s, cond: tensor.New(0, w.ActDim+1),
		inpaint: diffusion.Inpaint{Index: idx, Values: tensor.New(0, w.ObsDim)}, out: tensor.New(0, 0)}, nil
}

// Sample generates M = Samples sequences for each of the B rows
// (obs[b], act[b], rtg[b]) (flat [B×ObsDim], [B×ActDim], [B]) and writes
// them into dst, resized to (M·B) × (H·(ObsDim+1)) and laid out [M, B] (row
// m·B+b), time-major, in the dataset's units: element (h, c) of a row is
// state channel c (c < ObsDim) or the reward (c = ObsDim) of step t+h.
// Row 0's state is the given state exactly.
func (p *Sampler) Sample(dst *tensor.Mat, obs, act, rtg []float32, st *rng.Stream) error {
	w := p.w
	B := len(rtg)
	if len(obs) != B*w.ObsDim || len(act) != B*w.ActDim {
		return fmt.Errorf("dawm: sample: %d states (%d values), %d actions (%d values) for %d returns-to-go", len(obs)/max(w.ObsDim, 1), len(obs), len(act)/max(w.ActDim, 1), len(act), B)
	}
	p.cond.Resize(B, w.ActDim+1)
	p.inpaint.Values.Resize(B, w.ObsDim)
	for b := 0; b < B; b++ {
		c := p.cond.Row(b)
		w.ActNorm.Apply(c[:w.ActDim], act[b*w.ActDim:(b+1)*w.ActDim])
		c[w.ActDim] = w.NormRTG(rtg[b])
		w.ObsNorm.Apply(p.inpaint.Values.Row(b), obs[b*w.ObsDim:(b+1)*w.ObsDim])
	}
	if err := p.s.Sample(p.out, diffusion.Request{Cond: p.cond, M: p.cfg.Samples, Inpaint: &p.inpaint}, st); err != nil {
		return fmt.Errorf("dawm: sample: %w", err)
	}
	C := w.C()
	dst.Resize(p.out.Rows, p.out.Cols)
	for r := 0; r < p.out.Rows; r++ {
		src, out := p.out.Row(r), dst.Row(r)
		for h := 0; h < w.Cfg.Horizon; h++ {
			w.ObsNorm.Inverse(out[h*C:h*C+w.ObsDim], src[h*C:h*C+w.ObsDim])
			out[h*C+w.ObsDim] = src[h*C+w.ObsDim]*w.RewStd + w.RewMean
		}
		// Row 0's state exactly as given (inpainting is exact in
		// standardised units; undo the round trip's rounding).
		copy(out[:w.ObsDim], obs[(r%B)*w.ObsDim:(r%B+1)*w.ObsDim])
	}
	return nil
}

// ParamCount returns the number of trainable values of the U-Net.
func (w *WorldModel) ParamCount() int {
	n := 0
	for _, p := range w.Model.Net.Params() {
		n += len(p.W)
	}
	return n
}

// Windows returns the number of training windows (dataset rows that start
// a full Horizon inside their episode), each a possible generation start.
func (w *WorldModel) Windows() int { return len(w.starts) }
