package dual

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

// PlannerConfig describes the Diffuser-style trajectory planner (Eq. 2–4).
// Zero fields take the defaults listed on each field.
type PlannerConfig struct {
	// Horizon is the number of (state, action) rows H of a planned
	// trajectory (default 8; Diffuser uses 32 for locomotion). It must be
	// ≥ 2 (the planner's transition model reads row 1) and divisible by the
	// U-Net's total downsampling 2^(len(UNet.Mults)−1).
	Horizon int `yaml:"horizon"`
	// DiffusionSteps is T (default 20, Diffuser's locomotion setting).
	DiffusionSteps int `yaml:"diffusion_steps"`
	// SampleSteps is the number of DDIM steps used to plan (default
	// DiffusionSteps). It must divide DiffusionSteps.
	SampleSteps int `yaml:"sample_steps"`
	// UNet is the temporal U-Net (Horizon is filled in from Horizon;
	// default Dim 16, Mults 1, 2, Groups 4: a small planner for 2 cores).
	UNet denoiser.UNetConfig `yaml:"unet"`
	// Batch is the number of trajectory segments per update (default 32,
	// Diffuser).
	Batch int `yaml:"batch"`
	// LR is Adam's learning rate (default 2e-4, Diffuser).
	LR float32 `yaml:"lr"`
	// EMADecay is the decay of the parameter average used for planning
	// (default 0.995, Diffuser).
	EMADecay float32 `yaml:"ema_decay"`
	// ActionWeight weights the first action's squared error in the loss
	// (default 10, Diffuser's action_weight).
	ActionWeight float32 `yaml:"action_weight"`
}

// WithDefaults returns c with every zero field set to its default.
func (c PlannerConfig) WithDefaults() PlannerConfig {
	if c.Horizon == 0 {
		c.Horizon = 8
	}
	if c.DiffusionSteps == 0 {
		c.DiffusionSteps = 20 // Diffuser (Janner et al. 2022), locomotion
	}
	if c.SampleSteps == 0 {
		c.SampleSteps = c.DiffusionSteps
	}
	if c.UNet.Dim == 0 {
		c.UNet.Dim = 16
	}
	if c.UNet.Mults == nil {
		c.UNet.Mults = []int{1, 2}
	}
	if c.UNet.Groups == 0 {
		c.UNet.Groups = 4
	}
	c.UNet.Horizon = c.Horizon
	if c.Batch == 0 {
		c.Batch = 32 // Diffuser
	}
	if c.LR == 0 {
		c.LR = 2e-4 // Diffuser
	}
	if c.EMADecay == 0 {
		c.EMADecay = 0.995 // Diffuser
	}
	if c.ActionWeight == 0 {
		c.ActionWeight = 10 // Diffuser's action_weight
	}
	return c
}

// Validate reports the first invalid field (after defaults).
func (c PlannerConfig) Validate() error {
	c = c.WithDefaults()
	switch {
	case c.Horizon < 2:
		return fmt.Errorf("PlannerConfig.Horizon = %d: must be ≥ 2 (the transition model reads the second row)", c.Horizon)
	case c.DiffusionSteps < 1:
		return fmt.Errorf("PlannerConfig.DiffusionSteps = %d: must be ≥ 1", c.DiffusionSteps)
	case c.SampleSteps < 1 || c.SampleSteps > c.DiffusionSteps || c.DiffusionSteps%c.SampleSteps != 0:
		return fmt.Errorf("PlannerConfig.SampleSteps = %d: must divide DiffusionSteps = %d", c.SampleSteps, c.DiffusionSteps)
	case c.Batch < 1:
		return fmt.Errorf("PlannerConfig.Batch = %d: must be ≥ 1", c.Batch)
	case !(c.LR > 0) || math.IsInf(float64(c.LR), 0):
		return fmt.Errorf("PlannerConfig.LR = %v: must be finite and > 0", c.LR)
	case !(c.EMADecay > 0 && c.EMADecay < 1):
		return fmt.Errorf("PlannerConfig.EMADecay = %v: must be in (0, 1)", c.EMADecay)
	case !(c.ActionWeight > 0) || math.IsInf(float64(c.ActionWeight), 0):
		return fmt.Errorf("PlannerConfig.ActionWeight = %v: must be finite and > 0", c.ActionWeight)
	}
	if err := c.UNet.Validate(); err != nil {
		return fmt.Errorf("PlannerConfig.UNet: %w", err)
	}
	return nil
}

// Planner is a diffusion model over normalised trajectories
// τ = [(s_0, a_0), …, (s_{H−1}, a_{H−1})] (Eq. 2), trained with the simple
// loss of Eq. 3 on segments of the dataset's episodes, and sampled with s_0
// fixed by inpainting. Act extracts the policy of Eq. 4 (the first action)
// and the transition model ŝ_1 (the second state). A Planner is not safe
// for concurrent use.
type Planner struct {
	cfg            PlannerConfig
	obsDim, actDim int
	ch             int // channels per row: obsDim + actDim
	d              *dataset.Dataset
	starts         []segStart // where segments of the offline data begin
	mean, std      []float32

	// Online data (SetOnline): its segments and the fraction of each batch
	// drawn from them.
	online       *dataset.Dataset
	onlineStarts []segStart
	onlineFrac   float64

	net     *denoiser.TemporalUNet
	model   *diffusion.Model
	opt     *optim.Adam
	ema     *optim.EMA
	plan    *denoiser.TemporalUNet // EMA copy used for sampling
	pmodel  *diffusion.Model
	sampler *diffusion.Sampler
	stale   bool // plan needs the EMA weights copied in

	student        *diffusion.Model // distilled planner (nil before Distill)
	studentSampler *diffusion.Sampler
	studentOpt     *optim.Adam // FineTuneStep's optimiser of the student (nil until used)

	x0, known, out *tensor.Mat
	inp            diffusion.Inpaint

	// Scratch copy of the acting network for the Fig. 3(c) variants
	// (scratchFor), with a model and sampler configured as scratchOf's.
	scratch        *denoiser.TemporalUNet
	scratchModel   *diffusion.Model
	scratchSampler *diffusion.Sampler
	scratchOf      *diffusion.Model
}

// NewPlanner returns an untrained planner for the dataset d, or the
// configuration error. Observations and actions are normalised to zero mean
// and unit variance per dimension (statistics of d).
func NewPlanner(d *dataset.Dataset, cfg PlannerConfig, s *rng.Stream) (*Planner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if d == nil || d.Len() == 0 {
		return nil, fmt.Errorf("dual planner: empty dataset")
	}
	p := &Planner{cfg: cfg, obsDim: d.ObsDim, actDim: d.ActDim, ch: d.ObsDim + d.ActDim, d: d}
	for _, e := range d.Episodes() {
		p.starts = appendStarts(p.starts, e, cfg.Horizon)
	}
	if len(p.starts) == 0 {
		return nil, fmt.Errorf("dual planner: no episode of the dataset has Horizon = %d steps", cfg.Horizon)
	}
	p.mean, p.std = normStats(d)
	var err error
	if p.net, err = denoiser.NewTemporalUNet("planner", p.ch, 0, cfg.UNet, s.Child("init")); err != nil {
		return nil, fmt.Errorf("dual planner: %w", err)
	}
	if p.plan, err = denoiser.NewTemporalUNet("planner", p.ch, 0, cfg.UNet, s.Child("init")); err != nil {
		return nil, fmt.Errorf("dual planner: %w", err)
	}
	dim := cfg.Horizon * p.ch
	known := make([]int, p.obsDim)
	for i := range known {
		known[i] = i
	}
	w := make([]float32, dim)
	for i := range w {
		w[i] = 1
	}
	for j := 0; j < p.actDim; j++ {
		w[p.obsDim+j] = cfg.ActionWeight
	}
	mc := diffusion.Config{Schedule: diffusion.ScheduleConfig{Steps: cfg.DiffusionSteps, Kind: diffusion.Cosine},
		Prediction: diffusion.X0, Known: known, Weights: w}
	if p.model, err = diffusion.New(p.net, mc); err != nil {
		return nil, fmt.Errorf("dual planner: %w", err)
	}
	if p.pmodel, err = diffusion.New(p.plan, mc); err != nil {
		return nil, fmt.Errorf("dual planner: %w", err)
	}
	if p.sampler, err = p.pmodel.NewSampler(diffusion.SamplerConfig{Steps: cfg.SampleSteps}); err != nil {
		return nil, fmt.Errorf("dual planner: %w", err)
	}
	p.opt = optim.NewAdam(p.net.Params(), optim.AdamConfig{LR: cfg.LR})
	p.ema = optim.NewEMA(p.net.Params(), cfg.EMADecay, true)
	p.x0 = tensor.New(cfg.Batch, dim)
	p.inp.Index = known
	return p, nil
}

// normStats returns per-channel mean and standard deviation (floored at
// 1e-3) of observations then actions. The state channels count next
// observations too: a terminal state appears only there, and padded
// segments (appendStarts) put it in state rows.
func normStats(d *dataset.Dataset) (mean, std []float32) {
	ch := d.ObsDim + d.ActDim
	mean, std = make([]float32, ch), make([]float32, ch)
	n := d.Len()
	for c := 0; c < ch; c++ {
		var m, v float64
		k := 0
		add := func(x float64) { m += x; v += x * x; k++ }
		for i := 0; i < n; i++ {
			add(float64(value(d, i, c)))
			if c < d.ObsDim {
				add(float64(d.NextObs(i)[c]))
			}
		}
		m /= float64(k)
		v = v/float64(k) - m*m
		mean[c] = float32(m)
		std[c] = float32(math.Sqrt(max(v, 1e-6)))
	}
	return mean, std
}

func value(d *dataset.Dataset, i, c int) float32 {
	if c < d.ObsDim {
		return d.Obs(i)[c]
	}
	return d.Act(i)[c-d.ObsDim]
}

// Config returns the configuration with defaults applied.
func (p *Planner) Config() PlannerConfig { return p.cfg }

// Model returns the diffusion model used for planning (the EMA weights).
func (p *Planner) Model() *diffusion.Model { p.sync(); return p.pmodel }

// segStart is where a trajectory segment begins: row i of an episode that
// ends at row end (exclusive); term marks an episode that ended in a true
// terminal, whose segments may run past its end (padded).
type segStart struct {
	i, end int
	term   bool
}

// appendStarts adds the segment starts of episode e: every row from which
// H rows remain in the episode and, for an episode that ended in a true
// terminal, also the later rows, whose segments are padded past the end
// with the terminal state and a zero action (Diffuser's use_padding: the
// absorbing state stays put). Timed-out episodes are not padded: their
// continuation is unknown.
func appendStarts(dst []segStart, e dataset.Episode, H int) []segStart {
	term := e.Terminated()
	for i := e.Start; i < e.End; i++ {
		if i+H <= e.End || term {
			dst = append(dst, segStart{i, e.End, term})
		}
	}
	return dst
}

// SetOnline makes frac of every later training batch (TrainStep) come from
// the episodes of online, the data collected by the agent online, once it
// has a segment (DUAL fine-tunes its planner on the replay buffer). online
// is read, not copied: call AddOnlineEpisode after appending each finished
// episode to it.
func (p *Planner) SetOnline(online *dataset.Dataset, frac float64) error {
	if online.ObsDim != p.obsDim || online.ActDim != p.actDim {
		return fmt.Errorf("dual planner: online data is %d/%d wide, want %d/%d", online.ObsDim, online.ActDim, p.obsDim, p.actDim)
	}
	if !(frac >= 0 && frac <= 1) {
		return fmt.Errorf("dual planner: online fraction %v: must be in [0, 1]", frac)
	}
	p.online, p.onlineFrac, p.onlineStarts = online, frac, nil
	for _, e := range online.Episodes() {
		if e.Terminated() || e.TimedOut() {
			p.onlineStarts = appendStarts(p.onlineStarts, e, p.cfg.Horizon)
		}
	}
	return nil
}

// AddOnlineEpisode registers the online episode of rows [start, end) (just
// appended to the SetOnline data) for training.
func (p *Planner) AddOnlineEpisode(start, end int) {
	if p.online == nil || end <= start || end > p.online.Len() {
		return
	}
	e := dataset.Episode{Start: start, End: end, Terminals: p.online.Terminals[start:end], Timeouts: p.online.Timeouts[start:end]}
	p.onlineStarts = appendStarts(p.onlineStarts, e, p.cfg.Horizon)
}

// OnlineSegments returns the number of online segment starts.
func (p *Planner) OnlineSegments() int { return len(p.onlineStarts) }

// Segment fills x0 (rows × H·(obsDim+actDim)) with normalised trajectory
// segments drawn uniformly from the dataset's episodes (the DataFunc of a
// diffusion.Distiller), or with probability onlineFrac from the online
// episodes (SetOnline).
func (p *Planner) Segment(x0, _ *tensor.Mat, s *rng.Stream) {
	H := p.cfg.Horizon
	for r := 0; r < x0.Rows; r++ {
		row := x0.Row(r)
		d, starts := p.d, p.starts
		if len(p.onlineStarts) > 0 && p.onlineFrac > 0 && s.Float64() < p.onlineFrac {
			d, starts = p.online, p.onlineStarts
		}
		st := starts[s.IntN(len(starts))]
		for h := 0; h < H; h++ {
			base := h * p.ch
			i := st.i + h
			var o, a []float32
			if i < st.end {
				o, a = d.Obs(i), d.Act(i)
			} else {
				o = d.NextObs(st.end - 1) // padding: the terminal state, zero action
			}
			for c := 0; c < p.obsDim; c++ {
				row[base+c] = (o[c] - p.mean[c]) / p.std[c]
			}
			for c := 0; c < p.actDim; c++ {
				k := p.obsDim + c
				var v float32
				if a != nil {
					v = a[c]
				}
				row[base+k] = (v - p.mean[k]) / p.std[k]
			}
		}
	}
}

// TrainStep does one Adam update of Eq. 3 on a batch of segments and
// returns the loss.
func (p *Planner) TrainStep(s *rng.Stream) (float32, error) {
	p.Segment(p.x0, nil, s)
	nn.ZeroGrad(p.net.Params())
	loss, _, err := p.model.Loss(p.x0, nil, s)
	if err != nil {
		return 0, fmt.Errorf("dual planner: %w", err)
	}
	p.opt.Step()
	p.ema.Update()
	p.stale = true
	return loss, nil
}

// FineTuneStep does one Adam update of Eq. 3 on the planner that acts: the
// distilled student after Distill (its own Adam, the planner's LR), the
// teacher (TrainStep) before. DUAL fine-tunes its planner online on the
// replay data (SetOnline) so that its transition model follows a shift; a
// distilled student trained with Eq. 3 stays an x_0-predictor that the
// few-step sampler uses unchanged.
func (p *Planner) FineTuneStep(s *rng.Stream) (float32, error) {
	if p.student == nil {
		return p.TrainStep(s)
	}
	if p.studentOpt == nil {
		p.studentOpt = optim.NewAdam(p.student.Net.Params(), optim.AdamConfig{LR: p.cfg.LR})
	}
	p.Segment(p.x0, nil, s)
	nn.ZeroGrad(p.student.Net.Params())
	loss, _, err := p.student.Loss(p.x0, nil, s)
	if err != nil {
		return 0, fmt.Errorf("dual planner: %w", err)
	}
	p.studentOpt.Step()
	return loss, nil
}

func (p *Planner) sync() {
	if p.stale {
		p.ema.CopyTo(p.plan.Params())
		p.stale = false
	}
}

// Act plans from B observations (obs is B × obsDim) and writes the first
// action of each sampled trajectory (Eq. 4) into act (B × actDim) and, if
// next is non-nil, the planned next state ŝ_1 (B × obsDim), the planner's
// transition model. Both are in the dataset's units.
func (p *Planner) Act(act, next, obs *tensor.Mat, s *rng.Stream) error {
	return p.actWith(p.sampler, act, next, obs, s)
}

func (p *Planner) actWith(sm *diffusion.Sampler, act, next, obs *tensor.Mat, s *rng.Stream) error {
	return p.actWithM(sm, 1, act, next, obs, s)
}

// actWithM samples m trajectories per state: act is m·B × actDim (row
// k·B + i: sample k of state i), next (if not nil) B × obsDim from sample 0.
func (p *Planner) actWithM(sm *diffusion.Sampler, m int, act, next, obs *tensor.Mat, s *rng.Stream) error {
	b := obs.Rows
	if obs.Cols != p.obsDim {
		return fmt.Errorf("dual planner: observations have %d columns, want %d", obs.Cols, p.obsDim)
	}
	if act.Rows != m*b || act.Cols != p.actDim {
		return fmt.Errorf("dual planner: action matrix is %d×%d, want %d×%d", act.Rows, act.Cols, m*b, p.actDim)
	}
	if next != nil && (next.Rows != b || next.Cols != p.obsDim) {
		return fmt.Errorf("dual planner: next-state matrix is %d×%d, want %d×%d", next.Rows, next.Cols, b, p.obsDim)
	}
	p.sync()
	if p.known == nil || p.known.Rows != b {
		p.known = tensor.New(b, p.obsDim)
		p.out = tensor.New(b, p.cfg.Horizon*p.ch)
	}
	p.out.Resize(m*b, p.cfg.Horizon*p.ch)
	for i := 0; i < b; i++ {
		o, k := obs.Row(i), p.known.Row(i)
		for c := range k {
			k[c] = (o[c] - p.mean[c]) / p.std[c]
		}
	}
	p.inp.Values = p.known
	if err := sm.Sample(p.out, diffusion.Request{B: b, M: m, Inpaint: &p.inp}, s); err != nil {
		return fmt.Errorf("dual planner: %w", err)
	}
	for i := 0; i < m*b; i++ {
		row := p.out.Row(i)
		a := act.Row(i)
		for c := range a {
			k := p.obsDim + c
			a[c] = row[k]*p.std[k] + p.mean[k]
		}
		if next != nil && i < b {
			n := next.Row(i)
			for c := range n {
				n[c] = row[p.ch+c]*p.std[c] + p.mean[c]
			}
		}
	}
	return nil
}
