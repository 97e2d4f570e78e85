package dawm

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// IDMConfig configures the inverse-dynamics model. Zero fields take the
// defaults listed on each field.
type IDMConfig struct {
	// Hidden lists the hidden layer widths (default [256, 256]: Decision
	// Diffuser's inverse-dynamics MLP, Ajay et al. 2023).
	Hidden []int
	// LR is Adam's learning rate (default 1e-3, torch.optim.Adam's default).
	LR float32
	// Batch is the minibatch size (default 256, Decision Diffuser's IDM batch).
	Batch int
	// Steps is the number of gradient steps (default 1000: on pendulum-medium
	// it gives a held-out MAE of 0.019, measured by the package test).
	Steps int
}

func (c IDMConfig) withDefaults() IDMConfig {
	if len(c.Hidden) == 0 {
		c.Hidden = []int{256, 256}
	}
	if c.LR == 0 {
		c.LR = 1e-3
	}
	if c.Batch == 0 {
		c.Batch = 256
	}
	if c.Steps == 0 {
		c.Steps = 1000
	}
	return c
}

// Validate reports the first invalid field.
func (c IDMConfig) Validate() error {
	for i, h := range c.Hidden {
		if h <= 0 {
			return fmt.Errorf("dawm idm: Hidden[%d] = %d, want > 0", i, h)
		}
	}
	if c.LR < 0 || math.IsNaN(float64(c.LR)) || math.IsInf(float64(c.LR), 0) {
		return fmt.Errorf("dawm idm: LR = %v, want a finite value >= 0", c.LR)
	}
	if c.Batch < 0 {
		return fmt.Errorf("dawm idm: Batch = %d, want >= 0", c.Batch)
	}
	if c.Steps < 0 {
		return fmt.Errorf("dawm idm: Steps = %d, want >= 0", c.Steps)
	}
	return nil
}

// InverseDynamics is the model a = g(s_t, s_{t+1}): an MLP on the
// standardised state pair whose outputs are clipped to the action range of
// the data it was trained on.
type InverseDynamics struct {
	ObsDim, ActDim int
	// Norm standardises states (fitted on the training observations).
	Norm *dataset.Normalizer
	// ActLow and ActHigh are the per-dimension action range of the training
	// data; predictions are clipped to it.
	ActLow, ActHigh []float32
	// Net is the MLP, input 2·ObsDim, output ActDim.
	Net *nn.MLP

	in, out *tensor.Mat
}

// NewInverseDynamics builds an untrained model for states of obsDim and
// actions of actDim with normaliser norm and action range [low, high].
// It panics if the dimensions disagree (a programmer error).
func NewInverseDynamics(obsDim, actDim int, norm *dataset.Normalizer, low, high []float32, cfg IDMConfig, s *rng.Stream) *InverseDynamics {
	cfg = cfg.withDefaults()
	if norm.Dim() != obsDim || len(low) != actDim || len(high) != actDim {
		panic(fmt.Sprintf("dawm: NewInverseDynamics dims: obs %d norm %d act %d low %d high %d", obsDim, norm.Dim(), actDim, len(low), len(high)))
	}
	sizes := append([]int{2 * obsDim}, cfg.Hidden...)
	sizes = append(sizes, actDim)
	net := nn.NewMLP("idm", nn.MLPConfig{Sizes: sizes, Hidden: tensor.ReLU}, s)
	net.NoInputGrad = true
	return &InverseDynamics{ObsDim: obsDim, ActDim: actDim, Norm: norm, ActLow: low, ActHigh: high, Net: net,
		in: tensor.New(0, 2*obsDim), out: tensor.New(0, actDim)}
}

// ParamCount returns the number of trainable values.
func (m *InverseDynamics) ParamCount() int {
	n := 0
	for _, p := range m.Net.Params() {
		n += len(p.W)
	}
	return n
}

// fill writes the standardised pairs of rows idx (or all rows if idx is nil)
// of (obs, next) into m.in.
func (m *InverseDynamics) fill(obs, next []float32, idx []int) {
	d := m.ObsDim
	n := len(obs) / d
	if idx != nil {
		n = len(idx)
	}
	m.in.Resize(n, 2*d)
	for r := 0; r < n; r++ {
		i := r
		if idx != nil {
			i = idx[r]
		}
		row := m.in.Row(r)
		m.Norm.Apply(row[:d], obs[i*d:(i+1)*d])
		m.Norm.Apply(row[d:], next[i*d:(i+1)*d])
	}
}

// Predict writes into dst ([N×ActDim], row-major) the actions inferred for
// the N state pairs (obs[i], next[i]) given as flat [N×ObsDim] slices.
// It panics if the lengths disagree (a programmer error).
func (m *InverseDynamics) Predict(dst, obs, next []float32) {
	n := len(obs) / m.ObsDim
	if len(obs) != n*m.ObsDim || len(next) != len(obs) || len(dst) != n*m.ActDim {
		panic(fmt.Sprintf("dawm: InverseDynamics.Predict lengths obs %d next %d dst %d", len(obs), len(next), len(dst)))
	}
	if n == 0 {
		return
	}
	m.fill(obs, next, nil)
	m.out.Resize(n, m.ActDim)
	m.Net.Predict(m.out, m.in)
	copy(dst, m.out.Data[:n*m.ActDim])
	m.clip(dst)
}

func (m *InverseDynamics) clip(a []float32) {
	for i := range a {
		j := i % m.ActDim
		if a[i] < m.ActLow[j] {
			a[i] = m.ActLow[j]
		} else if a[i] > m.ActHigh[j] {
			a[i] = m.ActHigh[j]
		}
	}
}

// TrainInverseDynamics fits an inverse-dynamics model on the rows of d
// listed in rows (all rows if rows is nil) and returns it with the final
// training loss (mean over the last 100 steps).
func TrainInverseDynamics(d *dataset.Dataset, rows []int, cfg IDMConfig, s *rng.Stream) (*InverseDynamics, float32, error) {
	if err := cfg.Validate(); err != nil {
		return nil, 0, err
	}
	cfg = cfg.withDefaults()
	if d.Len() == 0 || d.ObsDim <= 0 || d.ActDim <= 0 {
		return nil, 0, fmt.Errorf("dawm idm: dataset is empty (%d rows, obs dim %d, act dim %d)", d.Len(), d.ObsDim, d.ActDim)
	}
	if rows == nil {
		rows = make([]int, d.Len())
		for i := range rows {
			rows[i] = i
		}
	}
	if len(rows) == 0 {
		return nil, 0, fmt.Errorf("dawm idm: no training rows")
	}
	for _, i := range rows {
		if i < 0 || i >= d.Len() {
			return nil, 0, fmt.Errorf("dawm idm: training row %d outside dataset of %d rows", i, d.Len())
		}
	}
	obs := make([]float32, 0, len(rows)*d.ObsDim)
	low := make([]float32, d.ActDim)
	high := make([]float32, d.ActDim)
	for j := range low {
		low[j], high[j] = float32(math.Inf(1)), float32(math.Inf(-1))
	}
	for _, i := range rows {
		obs = append(obs, d.Obs(i)...)
		for j, a := range d.Act(i) {
			low[j] = min(low[j], a)
			high[j] = max(high[j], a)
		}
	}
	norm, err := dataset.FitNormalizer(obs, d.ObsDim, dataset.DefaultNormalizerEps)
	if err != nil {
		return nil, 0, fmt.Errorf("dawm idm: fit state normaliser: %w", err)
	}
	m := NewInverseDynamics(d.ObsDim, d.ActDim, norm, low, high, cfg, s.Child("init"))
	opt := optim.NewAdam(m.Net.Params(), optim.AdamConfig{LR: cfg.LR})
	draw := s.Child("batches")
	idx := make([]int, cfg.Batch)
	target := tensor.New(cfg.Batch, d.ActDim)
	grad := tensor.New(cfg.Batch, d.ActDim)
	var tail float64
	var tailN int
	for step := 0; step < cfg.Steps; step++ {
		for b := range idx {
			idx[b] = rows[draw.IntN(len(rows))]
		}
		m.fill(d.Observations, d.NextObservations, idx)
		for b, i := range idx {
			copy(target.Row(b), d.Act(i))
		}
		nn.ZeroGrad(m.Net.Params())
		pred := m.Net.Forward(m.in)
		loss := nn.MSE(grad, pred, target)
		m.Net.Backward(grad)
		opt.Step()
		if step >= cfg.Steps-100 {
			tail += float64(loss)
			tailN++
		}
	}
	if err := nn.CheckFinite(m.Net.Params()); err != nil {
		return nil, 0, fmt.Errorf("dawm idm: training diverged: %w", err)
	}
	if tailN == 0 {
		return m, 0, nil
	}
	return m, float32(tail / float64(tailN)), nil
}
