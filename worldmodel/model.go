package worldmodel

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
	"github.com/dwm-rl/dwm/uncertainty"
)

// ErrNotFitted is returned (wrapped) by Predict and Train before the
// normalizers were fitted (FitNormalizers, Fit or Load).
var ErrNotFitted = errors.New("world model normalizers not fitted")

// ensemble is what the two model families implement over normalized data.
type ensemble interface {
	params() []*nn.Param
	trainMembers() int
	sampleMembers() int
	lossGrad(in, x *tensor.Mat, s *rng.Stream) (float32, error)
	sample(dst, in *tensor.Mat, m int, s *rng.Stream) error
	penalty(dst []float32, p *Prediction)
}

// Model is a learned dynamics model (s, a) → (s', r, done) with ensemble
// uncertainty: a diffusion ensemble (BDWM) or a Gaussian ensemble (MOPO).
// Inputs [s, a] and targets x = (s' − s, r) are standardized by
// normalizers fitted on the training data; samples, uncertainties and
// errors are in normalized target units, predicted next states and rewards
// in raw units. A Model is not safe for concurrent use.
type Model struct {
	cfg            Config
	obsDim, actDim int
	dyn            ensemble
	diff           *diffusionEnsemble // dyn when Kind is Diffusion
	gauss          *gaussianEnsemble  // dyn when Kind is Gaussian

	inNorm, outNorm *dataset.Normalizer
	term            *nn.MLP // Learned termination classifier
	opt, termOpt    *optim.Adam

	// Training streams: member k's minibatches come from batch[k] (its own
	// minibatch order), the diffusion noise from noise.
	batch []*rng.Stream
	noise *rng.Stream
	steps int64

	trainBatch           *replay.Batch
	in, x, termIn, tgrad tensor.Mat
	samples              tensor.Mat
	pin                  tensor.Mat
	termOut              tensor.Mat
}

// New returns an untrained model for observations of obsDim and actions of
// actDim values, its networks initialised from seed. It returns an error
// naming the field for an invalid configuration or dimension.
func New(obsDim, actDim int, cfg Config, seed uint64) (*Model, error) {
	if obsDim < 1 || actDim < 1 {
		return nil, fmt.Errorf("worldmodel: observation dim %d and action dim %d must be ≥ 1", obsDim, actDim)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	m := &Model{cfg: cfg, obsDim: obsDim, actDim: actDim}
	in, d := obsDim+actDim, obsDim+1
	init := rng.Derive(seed, "worldmodel", "init")
	switch cfg.Kind {
	case Diffusion:
		e, err := newDiffusionEnsemble(cfg, in, d, init)
		if err != nil {
			return nil, err
		}
		m.diff, m.dyn = e, e
	case Gaussian:
		g := newGaussianEnsemble(cfg, in, d, init)
		m.gauss, m.dyn = g, g
	}
	m.opt = optim.NewAdam(m.dyn.params(), optim.AdamConfig{LR: cfg.LR})
	if cfg.Termination == Learned {
		sizes := append(append([]int{in + d}, cfg.TerminalHidden...), 1)
		m.term = nn.NewMLP("terminal", nn.MLPConfig{Sizes: sizes, Hidden: tensor.ReLU}, init.Child("terminal"))
		m.term.NoInputGrad = true
		m.termOpt = optim.NewAdam(m.term.Params(), optim.AdamConfig{LR: cfg.LR})
	}
	m.batch = make([]*rng.Stream, m.dyn.trainMembers())
	for k := range m.batch {
		m.batch[k] = rng.Derive(seed, "worldmodel", "batch", strconv.Itoa(k))
	}
	m.noise = rng.Derive(seed, "worldmodel", "noise")
	return m, nil
}

// Config returns the configuration with defaults applied.
func (m *Model) Config() Config { return m.cfg }

// Dims returns the observation and action widths.
func (m *Model) Dims() (obsDim, actDim int) { return m.obsDim, m.actDim }

// TargetDim returns D = obsDim + 1, the width of a target x = (s' − s, r).
func (m *Model) TargetDim() int { return m.obsDim + 1 }

// Members returns the number of members a prediction draws from (K for a
// diffusion ensemble, the elites of a Gaussian one).
func (m *Model) Members() int { return m.dyn.sampleMembers() }

// EpistemicDefined reports whether predictions have an epistemic
// uncertainty: false with a single member (K = 1), whose σ_ep is reported
// as 0.
func (m *Model) EpistemicDefined() bool { return m.Members() > 1 }

// Steps returns the number of training steps taken.
func (m *Model) Steps() int64 { return m.steps }

// Params returns every trainable parameter (dynamics, then the termination
// classifier if any).
func (m *Model) Params() []*nn.Param {
	ps := m.dyn.params()
	if m.term != nil {
		ps = append(ps, m.term.Params()...)
	}
	return ps
}

// Normalizers returns the input ([s, a]) and target ((s' − s, r))
// normalizers, nil before fitting.
func (m *Model) Normalizers() (in, target *dataset.Normalizer) { return m.inNorm, m.outNorm }

// FitNormalizers fits the input and target normalizers on n transitions
// given as row-major obs, act, next and rew. It returns an error if there
// are fewer than MinTransitions rows, the lengths do not agree, or a value
// is not finite.
func (m *Model) FitNormalizers(obs, act, next, rew []float32) error {
	O, A := m.obsDim, m.actDim
	n := len(rew)
	if len(obs) != n*O || len(next) != n*O || len(act) != n*A {
		return fmt.Errorf("worldmodel: fit normalizers: %d rewards but %d observation, %d action and %d next-observation values (widths %d, %d)",
			n, len(obs), len(act), len(next), O, A)
	}
	if n < MinTransitions {
		return fmt.Errorf("worldmodel: fit normalizers: %d training transitions; the normalizers need at least %d (a standard deviation needs two rows)", n, MinTransitions)
	}
	in := make([]float32, n*(O+A))
	tg := make([]float32, n*(O+1))
	for i := 0; i < n; i++ {
		r := in[i*(O+A) : (i+1)*(O+A)]
		copy(r, obs[i*O:(i+1)*O])
		copy(r[O:], act[i*A:(i+1)*A])
		t := tg[i*(O+1) : (i+1)*(O+1)]
		for j := 0; j < O; j++ {
			t[j] = next[i*O+j] - obs[i*O+j]
		}
		t[O] = rew[i]
	}
	inN, err := dataset.FitNormalizer(in, O+A, 0)
	if err != nil {
		return fmt.Errorf("worldmodel: input normalizer: %w", err)
	}
	outN, err := dataset.FitNormalizer(tg, O+1, 0)
	if err != nil {
		return fmt.Errorf("worldmodel: target normalizer: %w", err)
	}
	m.setNormalizers(inN, outN)
	return nil
}

func (m *Model) setNormalizers(in, out *dataset.Normalizer) {
	m.inNorm, m.outNorm = in, out
	if m.gauss != nil {
		m.gauss.targetStd = out.Std
	}
}

// normalizeInputs sets dst (B×(O+A)) to the normalized [obs, act] rows.
func (m *Model) normalizeInputs(dst *tensor.Mat, obs, act []float32, b int) {
	O, A := m.obsDim, m.actDim
	dst.Resize(b, O+A)
	for i := 0; i < b; i++ {
		r := dst.Row(i)
		copy(r, obs[i*O:(i+1)*O])
		copy(r[O:], act[i*A:(i+1)*A])
	}
	m.inNorm.Apply(dst.Values(), dst.Values())
}

// normalizeTargets sets dst (B×D) to the normalized (next − obs, rew) rows.
func (m *Model) normalizeTargets(dst *tensor.Mat, obs, next, rew []float32, b int) {
	O := m.obsDim
	dst.Resize(b, O+1)
	for i := 0; i < b; i++ {
		r := dst.Row(i)
		for j := 0; j < O; j++ {
			r[j] = next[i*O+j] - obs[i*O+j]
		}
		r[O] = rew[i]
	}
	m.outNorm.Apply(dst.Values(), dst.Values())
}

// TrainStats summarizes a call to Train.
type TrainStats struct {
	// Loss is the members' mean loss (Eq. 2 for diffusion, the Gaussian
	// negative log-likelihood without constants for Gaussian), averaged
	// over the steps.
	Loss float64
	// TerminalLoss is the termination classifier's mean binary
	// cross-entropy (0 without a Learned rule).
	TerminalLoss float64
	Steps        int
}

// Train takes steps gradient steps on minibatches drawn from src: member
// k's BatchSize rows are drawn with its own random stream, so members see
// different minibatches in a different order (Eq. 2's independent
// training), and each member's gradient is that of its own loss. It needs
// fitted normalizers.
func (m *Model) Train(src replay.Sampler, steps int) (TrainStats, error) {
	if m.inNorm == nil {
		return TrainStats{}, fmt.Errorf("worldmodel: train: %w", ErrNotFitted)
	}
	if steps < 0 {
		return TrainStats{}, fmt.Errorf("worldmodel: train: %d steps", steps)
	}
	if steps > 0 && (src == nil || src.Len() == 0) {
		return TrainStats{}, fmt.Errorf("worldmodel: train: no transitions to train on")
	}
	K, n := m.dyn.trainMembers(), m.cfg.BatchSize
	if m.trainBatch == nil {
		m.trainBatch = replay.NewBatch(K*n, m.obsDim, m.actDim, false)
	}
	b := m.trainBatch
	var st TrainStats
	for range steps {
		for k := 0; k < K; k++ {
			src.SampleRows(m.batch[k], b, k*n, (k+1)*n)
		}
		m.normalizeInputs(&m.in, b.Obs, b.Act, K*n)
		m.normalizeTargets(&m.x, b.Obs, b.NextObs, b.Rew, K*n)
		nn.ZeroGrad(m.dyn.params())
		loss, err := m.dyn.lossGrad(&m.in, &m.x, m.noise)
		if err != nil {
			return st, err
		}
		if math.IsNaN(float64(loss)) || math.IsInf(float64(loss), 0) {
			return st, fmt.Errorf("worldmodel: train step %d: loss is %v: training diverged", m.steps, loss)
		}
		m.opt.Step()
		st.Loss += float64(loss)
		if m.term != nil {
			st.TerminalLoss += float64(m.terminalStep(b.Done, K*n))
		}
		m.steps++
		st.Steps++
	}
	if st.Steps > 0 {
		st.Loss /= float64(st.Steps)
		st.TerminalLoss /= float64(st.Steps)
	}
	return st, nil
}

// terminalStep trains the termination classifier on the current batch
// (m.in, m.x) with labels done, by binary cross-entropy on the logit.
func (m *Model) terminalStep(done []float32, rows int) float32 {
	m.concatTerm(&m.termIn, &m.in, &m.x, rows)
	out := m.term.Forward(&m.termIn)
	m.tgrad.Resize(rows, 1)
	var loss float64
	for i := 0; i < rows; i++ {
		z := float64(out.Data[i])
		y := float64(done[i])
		// BCE with logits: softplus(z) − y·z.
		loss += softplus(z) - y*z
		m.tgrad.Data[i] = float32((sigmoid(z) - y) / float64(rows))
	}
	nn.ZeroGrad(m.term.Params())
	m.term.Backward(&m.tgrad)
	m.termOpt.Step()
	return float32(loss / float64(rows))
}

// concatTerm sets dst to rows of [in, x].
func (m *Model) concatTerm(dst, in, x *tensor.Mat, rows int) {
	w := in.Cols + x.Cols
	dst.Resize(rows, w)
	for i := 0; i < rows; i++ {
		r := dst.Row(i)
		copy(r, in.Row(i))
		copy(r[in.Cols:], x.Row(i))
	}
}

// PredictOptions choose what Predict computes.
type PredictOptions struct {
	// M is the number of samples per member (default Config.Samples).
	M int
	// Aleatoric asks for σ_al (Eq. 4); it needs M ≥ 2.
	Aleatoric bool
	// MeanNext makes the next state and reward the mean of one randomly
	// chosen member's M samples instead of one random sample: the model
	// keeps only its epistemic variability (PETS's deterministic-ensemble
	// counterpart, BDWM's "only epistemic uncertainty" ablation).
	MeanNext bool
}

// Prediction holds a batch of B predicted transitions and their
// uncertainties. Its slices are owned by the Prediction and reused by the
// next Predict into it.
type Prediction struct {
	// B is the number of inputs.
	B int
	// Next (B×obsDim) and Reward (B) are the predicted transition in raw
	// units: one sample from a uniformly chosen member (or that member's
	// mean with MeanNext); Terminal applies the termination rule to it.
	Next, Reward []float32
	Terminal     []bool
	// SigmaEp is σ_ep (Eq. 3) per input, all zero when EpistemicDefined is
	// false (K = 1).
	SigmaEp []float32
	// SigmaAl is σ_al (Eq. 4) per input when asked for, else nil.
	SigmaAl []float32
	// Penalty is the model's reward-penalty signal per input: MOPO's
	// max_k ‖σ_k‖ for a Gaussian ensemble, σ_ep for a diffusion ensemble.
	Penalty []float32
	// Mean is the ensemble mean of the normalized samples (B×D).
	Mean []float32
	// Samples are the normalized samples, laid out Shape ([K, M, B, D]).
	Samples []float32
	Shape   uncertainty.Shape
	// EpistemicDefined is false for a single member (K = 1).
	EpistemicDefined bool
}

func growF(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// Predict draws M samples from each member for each of the B = len(obs)/O
// state-action pairs in one batched pass and fills dst: the predicted next
// state, reward and termination, σ_ep and (if asked) σ_al, the penalty and
// the ensemble mean. Randomness comes from s. It returns an error for
// lengths that do not form B ≥ 1 rows, unfitted normalizers, M < 1, or
// Aleatoric with M < 2 (wrapping uncertainty.ErrAleatoricUndefined).
func (m *Model) Predict(dst *Prediction, obs, act []float32, opt PredictOptions, s *rng.Stream) error {
	O, A := m.obsDim, m.actDim
	b := len(obs) / O
	if b < 1 || len(obs) != b*O || len(act) != b*A {
		return fmt.Errorf("worldmodel: predict: %d observation and %d action values do not form whole rows of %d and %d", len(obs), len(act), O, A)
	}
	if m.inNorm == nil {
		return fmt.Errorf("worldmodel: predict: %w", ErrNotFitted)
	}
	mm := opt.M
	if mm == 0 {
		mm = m.cfg.Samples
	}
	if mm < 1 {
		return fmt.Errorf("worldmodel: predict: M = %d samples per member: need ≥ 1", mm)
	}
	if opt.Aleatoric && mm < 2 {
		return fmt.Errorf("worldmodel: predict: M = %d: %w", mm, uncertainty.ErrAleatoricUndefined)
	}
	K, D := m.dyn.sampleMembers(), O+1
	m.normalizeInputs(&m.pin, obs, act, b)
	if err := m.dyn.sample(&m.samples, &m.pin, mm, s); err != nil {
		return err
	}
	dst.B = b
	dst.Shape = uncertainty.Shape{K: K, M: mm, B: b, D: D}
	dst.Samples = m.samples.Values()
	dst.SigmaEp = growF(dst.SigmaEp, b)
	var al []float32
	if opt.Aleatoric {
		dst.SigmaAl = growF(dst.SigmaAl, b)
		al = dst.SigmaAl
	} else {
		dst.SigmaAl = nil
	}
	def, err := uncertainty.DecomposeTo(dst.SigmaEp, al, dst.Samples, dst.Shape)
	if err != nil {
		return fmt.Errorf("worldmodel: predict: %w", err)
	}
	dst.EpistemicDefined = def
	dst.Next = growF(dst.Next, b*O)
	dst.Reward = growF(dst.Reward, b)
	dst.Mean = growF(dst.Mean, b*D)
	dst.Penalty = growF(dst.Penalty, b)
	if cap(dst.Terminal) < b {
		dst.Terminal = make([]bool, b)
	}
	dst.Terminal = dst.Terminal[:b]
	x := dst.Samples
	// Ensemble mean (normalized).
	clear(dst.Mean)
	inv := 1 / float32(K*mm)
	for r := 0; r < K*mm; r++ {
		for i := 0; i < b; i++ {
			src := x[(r*b+i)*D : (r*b+i+1)*D]
			mean := dst.Mean[i*D : (i+1)*D]
			for j, v := range src {
				mean[j] += v * inv
			}
		}
	}
	// The transition used: one member chosen uniformly, one of its
	// samples (or its mean), denormalized.
	m.x.Resize(b, D)
	for i := 0; i < b; i++ {
		k := s.IntN(K)
		row := m.x.Row(i)
		if opt.MeanNext {
			clear(row)
			for q := 0; q < mm; q++ {
				src := x[((k*mm+q)*b+i)*D:]
				for j := range row {
					row[j] += src[j] / float32(mm)
				}
			}
		} else {
			q := s.IntN(mm)
			copy(row, x[((k*mm+q)*b+i)*D:((k*mm+q)*b+i+1)*D])
		}
	}
	m.termX(&m.x, b) // keep the normalized choice for the classifier
	raw := m.x.Values()
	m.outNorm.Inverse(raw, raw)
	for i := 0; i < b; i++ {
		r := raw[i*D : (i+1)*D]
		nx := dst.Next[i*O : (i+1)*O]
		for j := 0; j < O; j++ {
			nx[j] = obs[i*O+j] + r[j]
		}
		dst.Reward[i] = r[O]
	}
	m.terminal(dst, b)
	m.dyn.penalty(dst.Penalty, dst)
	return nil
}

// termX runs the learned termination classifier on the normalized chosen
// transitions (before they are denormalized in place).
func (m *Model) termX(x *tensor.Mat, b int) {
	if m.term == nil {
		return
	}
	m.concatTerm(&m.termIn, &m.pin, x, b)
	m.term.Predict(&m.termOut, &m.termIn)
}

// terminal fills dst.Terminal by the configured rule.
func (m *Model) terminal(dst *Prediction, b int) {
	O := m.obsDim
	for i := 0; i < b; i++ {
		nx := dst.Next[i*O : (i+1)*O]
		var t bool
		switch m.cfg.Termination {
		case Hopper:
			t = !hopperHealthy(nx)
		case Walker2d:
			t = !walkerHealthy(nx)
		case Learned:
			t = m.termOut.Data[i] > 0 // p > 0.5
		}
		if !finiteAll(nx) || !finite(dst.Reward[i]) {
			t = true
		}
		dst.Terminal[i] = t
	}
}

func finite(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

func finiteAll(x []float32) bool {
	for _, v := range x {
		if !finite(v) {
			return false
		}
	}
	return true
}

// hopperHealthy is MOPO's hopper termination function on dwm's hopper
// observation (qpos[1:], qvel): height > 0.7, |angle| < 0.2 and every
// entry after the height inside (−100, 100).
func hopperHealthy(o []float32) bool {
	if len(o) < 2 {
		return false
	}
	for _, v := range o[1:] {
		if !(v > -100 && v < 100) {
			return false
		}
	}
	return o[0] > 0.7 && o[1] > -0.2 && o[1] < 0.2
}

// walkerHealthy is MOPO's walker2d termination function: 0.8 < height < 2
// and −1 < angle < 1.
func walkerHealthy(o []float32) bool {
	if len(o) < 2 {
		return false
	}
	return o[0] > 0.8 && o[0] < 2 && o[1] > -1 && o[1] < 1
}
