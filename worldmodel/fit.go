package worldmodel

import (
	"fmt"
	"maps"
	"math"

	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
	"github.com/dwm-rl/dwm/uncertainty"
)

// Transitions is a set of real transitions in row-major columns, the view
// of a dataset that fitting and evaluation use.
type Transitions struct {
	ObsDim, ActDim      int
	Obs, Act, Rew, Next []float32
	Done                []bool
}

// Len returns the number of transitions.
func (t Transitions) Len() int { return len(t.Rew) }

// FromDataset views a dataset's transitions (no copy).
func FromDataset(d *dataset.Dataset) Transitions {
	return Transitions{ObsDim: d.ObsDim, ActDim: d.ActDim, Obs: d.Observations, Act: d.Actions,
		Rew: d.Rewards, Next: d.NextObservations, Done: d.Terminals}
}

// subset copies the transitions at idx.
func (t Transitions) subset(idx []int) Transitions {
	O, A := t.ObsDim, t.ActDim
	s := Transitions{ObsDim: O, ActDim: A,
		Obs: make([]float32, 0, len(idx)*O), Act: make([]float32, 0, len(idx)*A),
		Rew: make([]float32, 0, len(idx)), Next: make([]float32, 0, len(idx)*O), Done: make([]bool, 0, len(idx))}
	for _, i := range idx {
		s.Obs = append(s.Obs, t.Obs[i*O:(i+1)*O]...)
		s.Act = append(s.Act, t.Act[i*A:(i+1)*A]...)
		s.Next = append(s.Next, t.Next[i*O:(i+1)*O]...)
		s.Rew = append(s.Rew, t.Rew[i])
		done := false
		if t.Done != nil {
			done = t.Done[i]
		}
		s.Done = append(s.Done, done)
	}
	return s
}

// buffer returns a replay buffer holding t.
func (t Transitions) buffer() (*replay.Buffer, error) {
	b, err := replay.New(max(t.Len(), 1), t.ObsDim, t.ActDim, false)
	if err != nil {
		return nil, err
	}
	O, A := t.ObsDim, t.ActDim
	for i := 0; i < t.Len(); i++ {
		b.Add(t.Obs[i*O:(i+1)*O], t.Act[i*A:(i+1)*A], t.Rew[i], t.Next[i*O:(i+1)*O], t.Done != nil && t.Done[i])
	}
	return b, nil
}

// Split divides data into the training and held-out transitions Fit uses
// for cfg and seed: min(round(HoldoutFraction·N), MaxHoldout) transitions
// chosen by a permutation drawn from seed are held out. The result is a
// function of its arguments, so a resumed run recovers the same split.
func Split(data Transitions, cfg Config, seed uint64) (train, holdout Transitions) {
	cfg = cfg.WithDefaults()
	n := data.Len()
	hold := min(int(math.Round(cfg.HoldoutFraction*float64(n))), cfg.MaxHoldout)
	perm := rng.Derive(seed, "worldmodel", "split").Perm(n)
	return data.subset(perm[hold:]), data.subset(perm[:hold])
}

// FitOptions control Fit.
type FitOptions struct {
	// Steps is the number of training steps (required, ≥ 1).
	Steps int
	// Seed seeds the model's initialisation, minibatches and split.
	Seed uint64
	// Quality configures the report on the held-out transitions.
	Quality QualityOptions
	// Progress, if set, is called after every chunk of training steps
	// with the steps done so far and the chunk's mean loss.
	Progress func(done int, loss float64)
	// Stop, if set, is asked before every training step and before the
	// quality report; a non-nil error (such as a cancelled context's Err)
	// ends Fit, which returns it wrapped. A signal thus ends a long fit
	// within one step.
	Stop func() error
}

// FitReport describes a fitted model.
type FitReport struct {
	// Train and Holdout are the numbers of transitions used.
	Train, Holdout int
	// Loss is the mean training loss of the last 10% of steps.
	Loss float64
	// Quality is the uncertainty-quality report on the held-out
	// transitions (zero with fewer than two held out).
	Quality Quality
	// HasQuality reports whether Quality was measured.
	HasQuality bool
	// EliteMSE is each Gaussian member's held-out mean squared error
	// (nil for diffusion).
	EliteMSE []float64
}

// Fit builds a model for the data's dimensions, holds out
// min(HoldoutFraction·N, MaxHoldout) random transitions, fits the
// normalizers on the rest, trains for opt.Steps with the learning rate
// warmed up over 50 steps and then decayed by a half cosine from LR to
// LR/10 (the schedule of diffusion's learned tests; measured on the bimodal
// task it balances the mode weights: χ² of the two modes' counts 18 with a
// constant rate, 2 with the decay), picks the Gaussian elites
// on the held-out data and reports the uncertainty quality there.
// Training continued later (Train) runs at the final rate, LR/10. It
// returns the configuration error, or an error naming the counts when the
// data is too small to fit the normalizers.
func Fit(data Transitions, cfg Config, opt FitOptions) (*Model, *FitReport, error) {
	if data.ObsDim < 1 || data.ActDim < 1 {
		return nil, nil, fmt.Errorf("worldmodel: fit: observation dim %d, action dim %d", data.ObsDim, data.ActDim)
	}
	if opt.Steps < 1 {
		return nil, nil, fmt.Errorf("worldmodel: fit: steps = %d: must be ≥ 1", opt.Steps)
	}
	m, err := New(data.ObsDim, data.ActDim, cfg, opt.Seed)
	if err != nil {
		return nil, nil, err
	}
	cfg = m.cfg
	n := data.Len()
	trainSet, holdSet := Split(data, cfg, opt.Seed)
	hold := holdSet.Len()
	if trainSet.Len() < MinTransitions {
		return nil, nil, fmt.Errorf("worldmodel: fit: the data has %d transitions (%d held out): the normalizers need at least %d training transitions",
			n, hold, MinTransitions)
	}
	if err := m.FitNormalizers(trainSet.Obs, trainSet.Act, trainSet.Next, trainSet.Rew); err != nil {
		return nil, nil, err
	}
	buf, err := trainSet.buffer()
	if err != nil {
		return nil, nil, err
	}
	rep := &FitReport{Train: trainSet.Len(), Holdout: hold}
	chunk := max(opt.Steps/20, 1)
	tail := max(opt.Steps/10, 1)
	var tailLoss float64
	var tailN int
	sched := optim.Cosine{Base: cfg.LR, Min: cfg.LR / 10, Warmup: min(50, opt.Steps/10), Steps: opt.Steps}
	for done := 0; done < opt.Steps; {
		c := min(chunk, opt.Steps-done)
		var st TrainStats
		for i := 0; i < c; i++ {
			if opt.Stop != nil {
				if err := opt.Stop(); err != nil {
					return nil, nil, fmt.Errorf("worldmodel: fit stopped at step %d of %d: %w", done+i, opt.Steps, err)
				}
			}
			m.opt.LR = sched.At(done + i)
			s1, err := m.Train(buf, 1)
			if err != nil {
				return nil, nil, err
			}
			st.Loss += s1.Loss / float64(c)
		}
		done += c
		if done > opt.Steps-tail {
			tailLoss += st.Loss * float64(c)
			tailN += c
		}
		if opt.Progress != nil {
			opt.Progress(done, st.Loss)
		}
	}
	rep.Loss = tailLoss / float64(max(tailN, 1))
	if m.gauss != nil && hold > 0 {
		var in, x tensor.Mat
		m.normalizeInputs(&in, holdSet.Obs, holdSet.Act, hold)
		m.normalizeTargets(&x, holdSet.Obs, holdSet.Next, holdSet.Rew, hold)
		rep.EliteMSE = m.gauss.selectElites(&in, &x, cfg.Elites)
	}
	if opt.Stop != nil {
		if err := opt.Stop(); err != nil {
			return nil, nil, fmt.Errorf("worldmodel: fit stopped before the quality report: %w", err)
		}
	}
	if hold >= 2 {
		q, err := m.Evaluate(holdSet, opt.Quality, rng.Derive(opt.Seed, "worldmodel", "quality"))
		if err != nil {
			return nil, nil, err
		}
		rep.Quality, rep.HasQuality = q, true
	}
	return m, rep, nil
}

// QualityOptions control Evaluate.
type QualityOptions struct {
	// MaxTransitions caps the transitions evaluated (the first ones).
	// Default 2000.
	MaxTransitions int
	// Batch is the number of inputs per Predict call. Default 256.
	Batch int
}

func (o QualityOptions) withDefaults() QualityOptions {
	if o.MaxTransitions == 0 {
		o.MaxTransitions = 2000
	}
	if o.Batch == 0 {
		o.Batch = 256
	}
	return o
}

// Quality is the uncertainty-quality report of a model on real
// transitions (metric names in parentheses).
type Quality struct {
	// N is the number of transitions evaluated.
	N int
	// OneStepMSE is the mean over transitions and target dimensions of
	// the squared error of the ensemble-mean prediction, in normalized
	// target units (model/one_step_mse).
	OneStepMSE float64
	// RewardMSE is the same error on the reward target alone
	// (model/reward_mse): OneStepMSE averages it with the state-change
	// dimensions, where a model can be good while its rewards, which the
	// critic learns from, are not.
	RewardMSE float64
	// Spearman is the rank correlation between σ_ep and each transition's
	// squared one-step error (uncertainty/spearman); NaN when σ_ep is
	// undefined (K = 1) or constant.
	Spearman float64
	// AUROC is the probability that σ_ep of a uniformly random action
	// exceeds σ_ep of the dataset action in a random pair of the same
	// states (uncertainty/auroc); NaN when σ_ep is undefined.
	AUROC float64
	// SigmaEp and SigmaEpOOD are the mean σ_ep for the dataset actions
	// and for uniform random actions; SigmaAl the mean σ_al (dataset
	// actions; NaN with M < 2).
	SigmaEp, SigmaEpOOD, SigmaAl float64
	// EpistemicDefined is false for a single member.
	EpistemicDefined bool
}

// Evaluate measures the model on real transitions t: one-step error of the
// ensemble mean, Spearman correlation of σ_ep with that error, and AUROC of
// σ_ep separating the dataset actions from uniform random actions in
// [−1, 1] at the same states. Randomness (samples, random actions) comes
// from s.
func (m *Model) Evaluate(t Transitions, opt QualityOptions, s *rng.Stream) (Quality, error) {
	opt = opt.withDefaults()
	if t.ObsDim != m.obsDim || t.ActDim != m.actDim {
		return Quality{}, fmt.Errorf("worldmodel: evaluate: transitions of widths %d, %d for a model of %d, %d", t.ObsDim, t.ActDim, m.obsDim, m.actDim)
	}
	n := min(t.Len(), opt.MaxTransitions)
	if n < 2 {
		return Quality{}, fmt.Errorf("worldmodel: evaluate: %d transitions: need at least 2", n)
	}
	O, A, D := m.obsDim, m.actDim, m.obsDim+1
	q := Quality{N: n, EpistemicDefined: m.EpistemicDefined()}
	sigID := make([]float32, n)
	sigOOD := make([]float32, n)
	errs := make([]float32, n)
	randAct := make([]float32, n*A)
	s.Child("ood").FillUniform(randAct, -1, 1)
	aleatoric := m.cfg.Samples >= 2
	var x tensor.Mat
	var p Prediction
	var sumErr, sumRew, sumAl float64
	for lo := 0; lo < n; lo += opt.Batch {
		hi := min(lo+opt.Batch, n)
		b := hi - lo
		obs := t.Obs[lo*O : hi*O]
		if err := m.Predict(&p, obs, t.Act[lo*A:hi*A], PredictOptions{Aleatoric: aleatoric}, s); err != nil {
			return Quality{}, err
		}
		m.normalizeTargets(&x, obs, t.Next[lo*O:hi*O], t.Rew[lo:hi], b)
		for i := 0; i < b; i++ {
			var e float64
			for j := 0; j < D; j++ {
				d := float64(p.Mean[i*D+j] - x.Data[i*D+j])
				e += d * d
			}
			dr := float64(p.Mean[i*D+D-1] - x.Data[i*D+D-1]) // the reward, last
			sumRew += dr * dr
			e /= float64(D)
			errs[lo+i] = float32(e)
			sumErr += e
			sigID[lo+i] = p.SigmaEp[i]
			if aleatoric {
				sumAl += float64(p.SigmaAl[i])
			}
		}
		if err := m.Predict(&p, obs, randAct[lo*A:hi*A], PredictOptions{}, s); err != nil {
			return Quality{}, err
		}
		copy(sigOOD[lo:hi], p.SigmaEp)
	}
	q.OneStepMSE = sumErr / float64(n)
	q.RewardMSE = sumRew / float64(n)
	q.SigmaEp, q.SigmaEpOOD = meanF(sigID), meanF(sigOOD)
	q.SigmaAl = math.NaN()
	if aleatoric {
		q.SigmaAl = sumAl / float64(n)
	}
	q.Spearman, q.AUROC = math.NaN(), math.NaN()
	if !q.EpistemicDefined {
		return q, nil
	}
	var ws uncertainty.Workspace
	if r, err := ws.Spearman(sigID, errs); err == nil {
		q.Spearman = r
	}
	scores := append(append([]float32(nil), sigID...), sigOOD...)
	labels := make([]bool, 2*n)
	for i := n; i < 2*n; i++ {
		labels[i] = true
	}
	a, err := ws.AUROC(scores, labels)
	if err != nil {
		return Quality{}, fmt.Errorf("worldmodel: evaluate: %w", err)
	}
	q.AUROC = a
	return q, nil
}

func meanF(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return s / float64(max(len(x), 1))
}

// Metrics returns the report under the run-layout metric names, leaving
// out the measures that are undefined for this model (NaN: Spearman and
// AUROC with K = 1, σ_al with M < 2).
func (q Quality) Metrics() map[string]float64 {
	m := map[string]float64{
		"model/one_step_mse":       q.OneStepMSE,
		"model/reward_mse":         q.RewardMSE,
		"uncertainty/spearman":     q.Spearman,
		"uncertainty/auroc":        q.AUROC,
		"uncertainty/sigma_ep_id":  q.SigmaEp,
		"uncertainty/sigma_ep_ood": q.SigmaEpOOD,
		"uncertainty/sigma_al_id":  q.SigmaAl,
	}
	maps.DeleteFunc(m, func(_ string, v float64) bool { return math.IsNaN(v) })
	return m
}
