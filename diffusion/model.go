package diffusion

import (
	"fmt"

	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// Config describes a diffusion model around a denoiser. Zero fields take the
// defaults listed on each field.
type Config struct {
	// Schedule is the noise schedule (see ScheduleConfig for its defaults).
	Schedule ScheduleConfig
	// Prediction is what the denoiser outputs (default Eps, Ho et al. 2020;
	// BDWM's Eq. 2 is the ε-loss).
	Prediction Prediction
	// CondDrop is the probability that a training row's condition is
	// replaced by the "no condition" input, which classifier-free guidance
	// needs (default 0: no dropout; Ho & Salimans 2022 use 0.1–0.2). Must
	// be in [0, 1) and needs a conditional denoiser.
	CondDrop float64
	// Known lists element indices of a data row that are given at sampling
	// time (inpainting, e.g. the current state in the first row of a
	// trajectory). In training they are kept clean in x_t, as Diffuser does,
	// and left out of the loss. Indices must be distinct and in [0, Dim).
	Known []int
	// Weights, if set, weights each element's squared error in the loss
	// (length Dim; e.g. Diffuser weights the first action by 10). Must be
	// non-negative.
	Weights []float32
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	c.Schedule = c.Schedule.WithDefaults()
	if c.Prediction == "" {
		c.Prediction = Eps // Ho et al. 2020
	}
	return c
}

// Validate reports the first invalid field for a model around net.
func (c Config) Validate(net Denoiser) error {
	c = c.WithDefaults()
	if err := c.Schedule.Validate(); err != nil {
		return fmt.Errorf("Config.%w", err)
	}
	if err := c.Prediction.check(); err != nil {
		return fmt.Errorf("Config.Prediction: %w", err)
	}
	if !(c.CondDrop >= 0 && c.CondDrop < 1) {
		return fmt.Errorf("Config.CondDrop = %v: must be in [0, 1)", c.CondDrop)
	}
	if c.CondDrop > 0 && net.CondDim() == 0 {
		return fmt.Errorf("Config.CondDrop = %v: the denoiser is unconditional (CondDim 0)", c.CondDrop)
	}
	d := net.Dim()
	seen := make(map[int]bool, len(c.Known))
	for i, k := range c.Known {
		if k < 0 || k >= d {
			return fmt.Errorf("Config.Known[%d] = %d: outside [0, %d) (the denoiser's Dim)", i, k, d)
		}
		if seen[k] {
			return fmt.Errorf("Config.Known[%d] = %d: repeated", i, k)
		}
		seen[k] = true
	}
	if c.Weights != nil {
		if len(c.Weights) != d {
			return fmt.Errorf("Config.Weights has %d values: want the denoiser's Dim = %d", len(c.Weights), d)
		}
		for i, w := range c.Weights {
			if !(w >= 0) {
				return fmt.Errorf("Config.Weights[%d] = %v: must be ≥ 0", i, w)
			}
		}
	}
	return nil
}

// Model is a denoiser with a schedule and a parameterisation: it computes
// training losses and builds samplers. A Model is not safe for concurrent
// use; build one sampler per goroutine.
type Model struct {
	Net   Denoiser
	Sched *Schedule
	Pred  Prediction
	cfg   Config

	weights      []float32 // per-element loss weight, 0 on known elements
	steps        []int
	times, keep  []float32
	eps, xt, tgt tensor.Mat
	grad         tensor.Mat
}

// New returns a model around net or the configuration error.
func New(net Denoiser, cfg Config) (*Model, error) {
	if err := cfg.Validate(net); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	sc, err := NewSchedule(cfg.Schedule)
	if err != nil {
		return nil, err
	}
	m := &Model{Net: net, Sched: sc, Pred: cfg.Prediction, cfg: cfg}
	m.weights = make([]float32, net.Dim())
	for i := range m.weights {
		m.weights[i] = 1
		if cfg.Weights != nil {
			m.weights[i] = cfg.Weights[i]
		}
	}
	for _, k := range cfg.Known {
		m.weights[k] = 0
	}
	return m, nil
}

// Config returns the model's configuration with defaults applied.
func (m *Model) Config() Config { return m.cfg }

// checkBatch validates a training batch against the denoiser.
func (m *Model) checkBatch(x0, cond *tensor.Mat) error {
	net := m.Net
	if x0.Cols != net.Dim() {
		return fmt.Errorf("diffusion: data rows have %d values, the denoiser's Dim is %d", x0.Cols, net.Dim())
	}
	if x0.Rows == 0 || x0.Rows%net.Members() != 0 {
		return fmt.Errorf("diffusion: %d data rows: need a positive multiple of the %d members", x0.Rows, net.Members())
	}
	return checkCond(net, cond, x0.Rows)
}

func checkCond(net Denoiser, cond *tensor.Mat, rows int) error {
	if net.CondDim() == 0 {
		if cond != nil {
			return fmt.Errorf("diffusion: condition of width %d given to an unconditional denoiser", cond.Cols)
		}
		return nil
	}
	if cond == nil {
		return fmt.Errorf("diffusion: no condition given; the denoiser needs conditions of width %d", net.CondDim())
	}
	if cond.Cols != net.CondDim() {
		return fmt.Errorf("diffusion: condition has width %d, the denoiser expects %d", cond.Cols, net.CondDim())
	}
	if rows >= 0 && cond.Rows != rows {
		return fmt.Errorf("diffusion: %d condition rows for %d data rows", cond.Rows, rows)
	}
	return nil
}

// Loss draws a step t uniformly from {1, …, T}, noise ε ~ N(0, I) and (with
// CondDrop) a condition dropout for every row of x0, forms
// x_t = α_t x_0 + σ_t ε (known elements kept clean), runs the denoiser and
// adds to its parameters' gradients the gradient of the weighted squared
// error between its output and the Prediction's target (ε, x_0 or
// v = α_t ε − σ_t x_0).
//
// x0 holds K blocks of n rows (block k trains member k) and cond the
// matching conditions (nil for an unconditional denoiser). Each member's
// loss is the mean over its n·Dim elements, and its gradient is that of its
// own loss, as if it were trained alone; the returned value is the mean of
// the members' losses. The second result is the gradient with respect to
// cond (denoiser-owned, nil when unconditional), for training an encoder
// that produces the condition.
func (m *Model) Loss(x0, cond *tensor.Mat, s *rng.Stream) (float32, *tensor.Mat, error) {
	if err := m.checkBatch(x0, cond); err != nil {
		return 0, nil, err
	}
	rows, d := x0.Rows, x0.Cols
	if cap(m.steps) < rows {
		m.steps = make([]int, rows)
		m.times = make([]float32, rows)
		m.keep = make([]float32, rows)
	}
	m.steps, m.times, m.keep = m.steps[:rows], m.times[:rows], m.keep[:rows]
	T := m.Sched.T
	for i := range m.steps {
		t := 1 + s.IntN(T)
		m.steps[i] = t
		m.times[i] = m.Sched.Time(t)
	}
	var keep []float32
	if m.cfg.CondDrop > 0 {
		keep = m.keep
		for i := range keep {
			keep[i] = 1
			if s.Float64() < m.cfg.CondDrop {
				keep[i] = 0
			}
		}
	}
	m.eps.Resize(rows, d)
	s.FillNormal(m.eps.Data[:rows*d])
	m.xt.Resize(rows, d)
	m.tgt.Resize(rows, d)
	for i, t := range m.steps {
		a, sg := float32(m.Sched.Alpha[t]), float32(m.Sched.Sigma[t])
		x, e := x0.Row(i), m.eps.Row(i)
		xt := m.xt.Row(i)
		for j := range xt {
			xt[j] = a*x[j] + sg*e[j]
		}
		for _, k := range m.cfg.Known {
			xt[k] = x[k]
		}
		m.Pred.Target(m.tgt.Row(i), x, e, a, sg)
	}
	out := m.Net.Forward(&m.xt, m.times, cond, keep)
	loss := m.lossGrad(out, &m.tgt)
	dcond := m.Net.Backward(&m.grad)
	return loss, dcond, nil
}

// lossGrad sets m.grad to the gradient of the members' weighted mean
// squared errors and returns their mean.
func (m *Model) lossGrad(out, tgt *tensor.Mat) float32 { return m.lossGradRows(out, tgt, nil) }

// lossGradRows is lossGrad with each row's squared error also weighted by
// rowW[i] (nil: 1).
func (m *Model) lossGradRows(out, tgt *tensor.Mat, rowW []float32) float32 {
	rows, d := out.Rows, out.Cols
	k := m.Net.Members()
	n := rows / k
	m.grad.Resize(rows, d)
	c := 2 / float32(n*d)
	w := m.weights
	var total float64
	for i := 0; i < rows; i++ {
		o, t, g := out.Row(i), tgt.Row(i), m.grad.Row(i)
		rw := float32(1)
		if rowW != nil {
			rw = rowW[i]
		}
		var rs float32
		for j := range g {
			e := o[j] - t[j]
			rs += w[j] * e * e
			g[j] = c * rw * w[j] * e
		}
		total += float64(rw * rs)
	}
	return float32(total / float64(n*d) / float64(k))
}
