package agent

import (
	"fmt"

	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/tensor"
)

// Names of the state normaliser's tensors in a checkpoint's model part.
const (
	ObsNormMeanName = "obs_norm/mean"
	ObsNormStdName  = "obs_norm/std"
)

// ObsNorm standardises observations, (s - Mean)/Std per dimension, as the
// offline agents (TD3+BC, IQL, AWAC) do with CORL's dataset statistics. It
// is the identity (mean 0, std 1) until set. Mean and Std are parameters
// so that they are saved with the model (StateParts.Norm); they are not
// trained.
type ObsNorm struct {
	Mean, Std *nn.Param
	on        bool // Mean or Std differs from the identity
}

// NewObsNorm returns the identity normaliser for observations of dim
// values, its tensors named ObsNormMeanName and ObsNormStdName. It panics
// if dim is not positive.
func NewObsNorm(dim int) *ObsNorm {
	if dim <= 0 {
		panic(fmt.Sprintf("agent.NewObsNorm: dimension %d is not positive", dim))
	}
	n := &ObsNorm{Mean: nn.NewParam(ObsNormMeanName, dim), Std: nn.NewParam(ObsNormStdName, dim)}
	tensor.Fill(&tensor.Mat{Rows: 1, Cols: dim, Data: n.Std.W}, 1)
	return n
}

// Dim returns the observation dimension.
func (n *ObsNorm) Dim() int { return len(n.Mean.W) }

// Fit sets the normaliser to the per-dimension mean and standard deviation
// (+dataset.DefaultNormalizerEps) of obs, row-major observations such as a
// dataset's, as CORL's compute_mean_std(observations, eps=1e-3). It returns
// an error if obs is empty, not whole rows, or not finite.
func (n *ObsNorm) Fit(obs []float32) error {
	d, err := dataset.FitNormalizer(obs, n.Dim(), dataset.DefaultNormalizerEps)
	if err != nil {
		return fmt.Errorf("fit state normaliser: %w", err)
	}
	return n.Set(d)
}

// Set sets the normaliser to d; nil sets the identity. It returns an error
// if d's dimension differs or d is invalid; n is unchanged on error.
func (n *ObsNorm) Set(d *dataset.Normalizer) error {
	if d == nil {
		clear(n.Mean.W)
		tensor.Fill(&tensor.Mat{Rows: 1, Cols: n.Dim(), Data: n.Std.W}, 1)
		n.on = false
		return nil
	}
	if err := d.Validate(); err != nil {
		return fmt.Errorf("state normaliser: %w", err)
	}
	if d.Dim() != n.Dim() {
		return fmt.Errorf("state normaliser of dimension %d, agent observations have %d", d.Dim(), n.Dim())
	}
	copy(n.Mean.W, d.Mean)
	copy(n.Std.W, d.Std)
	n.sync()
	return nil
}

// Get returns a copy of the normaliser (mean 0 and std 1 when none is set).
func (n *ObsNorm) Get() *dataset.Normalizer {
	return &dataset.Normalizer{Mean: append([]float32(nil), n.Mean.W...), Std: append([]float32(nil), n.Std.W...), Eps: dataset.DefaultNormalizerEps}
}

// sync recomputes whether the normaliser differs from the identity.
func (n *ObsNorm) sync() {
	n.on = false
	for j := range n.Mean.W {
		if n.Mean.W[j] != 0 || n.Std.W[j] != 1 {
			n.on = true
		}
	}
}

// Standardize points dst at the rows raw observations src standardised
// into store; for the identity normaliser dst is a view of src (no copy).
// It does not allocate once store has grown. It panics if len(src) is not
// rows·Dim().
func (n *ObsNorm) Standardize(dst, store *tensor.Mat, src []float32, rows int) {
	O := n.Dim()
	if len(src) != rows*O {
		panic(fmt.Sprintf("agent.ObsNorm.Standardize: %d values for %d rows of %d", len(src), rows, O))
	}
	if !n.on {
		*dst = tensor.Mat{Rows: rows, Cols: O, Data: src}
		return
	}
	store.Resize(rows, O)
	*dst = *store
	mean, std := n.Mean.W, n.Std.W
	for i := 0; i < rows; i++ {
		row, out := src[i*O:(i+1)*O], store.Data[i*O:(i+1)*O]
		for j, x := range row {
			out[j] = (x - mean[j]) / std[j]
		}
	}
}

// StateNormed gives an offline agent the state-normaliser methods the
// training loops call (FitStateNorm, SetStateNorm, StateNorm) over its
// ObsNorm: embed it, made by NewStateNormed.
type StateNormed struct {
	norm *ObsNorm
	who  string // the agent's name, for errors
	off  bool   // the agent's NoStateNorm
}

// NewStateNormed returns the methods over n for the agent named who; with
// off (the agent's NoStateNorm) FitStateNorm leaves the identity.
func NewStateNormed(n *ObsNorm, who string, off bool) StateNormed {
	return StateNormed{norm: n, who: who, off: off}
}

// FitStateNorm sets the state normaliser to the per-dimension mean and
// standard deviation (+1e-3) of obs, row-major observations such as a
// dataset's, as CORL's compute_mean_std(observations, eps=1e-3). With the
// agent's NoStateNorm it leaves the identity. It returns an error if obs is
// empty, not whole rows, or not finite.
func (s StateNormed) FitStateNorm(obs []float32) error {
	if s.off {
		return nil
	}
	if err := s.norm.Fit(obs); err != nil {
		return fmt.Errorf("%s: %w", s.who, err)
	}
	return nil
}

// SetStateNorm sets the state normaliser; nil sets the identity. It returns
// an error if n's dimension differs from the agent's or n is invalid.
func (s StateNormed) SetStateNorm(n *dataset.Normalizer) error {
	if err := s.norm.Set(n); err != nil {
		return fmt.Errorf("%s: %w", s.who, err)
	}
	return nil
}

// StateNorm returns a copy of the state normaliser (mean 0 and std 1 when
// none is set).
func (s StateNormed) StateNorm() *dataset.Normalizer { return s.norm.Get() }
