package bdwm

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/rollout"
	"github.com/dwm-rl/dwm/train"
	"github.com/dwm-rl/dwm/uncertainty"
	"github.com/dwm-rl/dwm/worldmodel"
)

// Learner is what BDWM needs of its base learner: batched acting for the
// imagined rollouts and, unless NoBC, the behaviour-cloning term of Eq. 6
// (agent/sac provides both; agent/iql and agent/calql batched acting only).
// A learner that also implements OnlineStarter is told when the online
// phase starts.
type Learner interface {
	rollout.Policy
}

// OnlineStarter is a learner with an online-phase switch of its own, such
// as Cal-QL's (and CQL's) online α_cql; the Method calls StartOnline at the
// offline→online switch. The learner's checkpoint must keep its effect.
type OnlineStarter interface {
	StartOnline()
}

// BCLearner is a learner with Eq. 6's KL term towards a frozen policy.
type BCLearner interface {
	// FreezeBCReference copies the current policy into π_offline.
	FreezeBCReference()
	// SetBCWeight sets w_BC.
	SetBCWeight(w float32)
	// CloneBehaviour takes one behaviour-cloning step of the policy on the
	// batch's actions and returns its loss (the offline anchor π_β,
	// Config.OfflineBCSteps).
	CloneBehaviour(b *replay.Batch) float64
}

// AlphaFreezer is a learner whose entropy temperature can be held fixed
// (SAC): BDWM holds it while the offline anchor sets the policy's spread
// and lets it learn again from the switch.
type AlphaFreezer interface {
	FreezeAlpha(frozen bool)
}

// AlphaSetter is a learner whose temperature can be set (SAC), for
// Config.OnlineAlpha.
type AlphaSetter interface {
	SetAlpha(alpha float64) error
}

// Parts are what the composition root hands to New.
type Parts struct {
	// Agent is the base learner the loop trains (it must also implement
	// BCLearner unless Config.NoBC).
	Agent Learner
	// Data is D_off.
	Data *dataset.Dataset
	// Offline, if set, is a replay buffer already holding Data (in
	// order), used as D_off instead of a copy; BDWM never adds to it.
	Offline *replay.Buffer
	// OfflineMC, if set, holds the Monte-Carlo return of every row of Data
	// (Cal-QL's lower bounds, calql.Config.MCReturns), stored with D_off.
	// It needs Offline nil (an Offline buffer brings its own column).
	OfflineMC []float32
	// OnlineCapacity is D_on's size (the online steps, typically).
	OnlineCapacity int
	// OnlineMC makes D_on keep a Monte-Carlo-return column (Cal-QL's lower
	// bounds, which the composition root fills as online episodes end).
	// D_off's column comes with Offline; D_imag never has one, so its rows
	// are sampled with the bound −∞ (no bound, see the package doc).
	OnlineMC bool
	// Seed is the run seed; BDWM derives its streams from it.
	Seed uint64
	// Progress, if set, receives one line per stage of the world model's
	// preparation (fitting, η, quality).
	Progress func(msg string)
	// Stop, if set, is asked before every step of the world model's fit; a
	// non-nil error (such as the run context's Err) ends the fit, and the
	// hook that started it returns the error wrapped, so that a signal
	// does not wait for a fit of many minutes (train.Loop then saves and
	// reports the run interrupted).
	Stop func() error
}

// Method is BDWM (or a baseline variant) ready to run in a train.Loop: it
// owns D_off, D_imag and D_on, the world model and the samplers, and
// drives them through the loop's hooks. Wire it as
//
//	loop.OfflineSampler = m.OfflineSampler()
//	loop.OnlineBuffer, loop.OnlineSampler = m.OnlineBuffer(), m.OnlineSampler()
//	loop.Hooks = m.Hooks()
//
// A Method is not safe for concurrent use.
type Method struct {
	cfg    Config
	agent  Learner
	bc     BCLearner
	seed   uint64
	obsDim int
	actDim int
	data   worldmodel.Transitions
	prog   func(string)
	stop   func() error

	model   *worldmodel.Model
	holdout worldmodel.Transitions

	offline, imag, online *replay.Buffer
	offMix, onMix         *replay.Mixed
	startOn               *replay.Mixed // online rollout starts: D_on, D_off when empty

	runner rollout.Runner
	pred   worldmodel.Prediction
	// onReject is Config.OnReject resolved for D_off (Auto decided).
	onReject rollout.OnReject

	// Random streams: imagined samples, start states, σ̄ samples, η
	// subsample, quality reports.
	sImagine, sStarts, sSigma, sEta, sQuality *rng.Stream

	st state
	// recent holds the last SigmaBatch online (obs, act) pairs, a ring.
	recentObs, recentAct []float32
}

// state is the method's resumable scalar state (checkpointed as JSON).
type state struct {
	Fitted           bool    `json:"fitted"`
	Eta              float32 `json:"eta"`
	EpistemicDefined bool    `json:"epistemic_defined"`
	Switched         bool    `json:"switched"`
	SigmaBar         float64 `json:"sigma_bar"`
	SigmaMax         float64 `json:"sigma_max"`
	HaveSigma        bool    `json:"have_sigma"`
	Lambda           float64 `json:"lambda"`
	WBC              float64 `json:"w_bc"`
	Episodes         int64   `json:"episodes"`
	EpisodeLen       int     `json:"episode_len"`
	RecentN          int     `json:"recent_n"`
	RecentPos        int     `json:"recent_pos"`
	LastRollout      int64   `json:"last_rollout"` // phase step of the last round, −1 none
	LastRolloutPhase string  `json:"last_rollout_phase"`
	// Latest measurements, reported with every update's metrics.
	Rollout      rollout.Stats      `json:"rollout"`
	RolloutTotal rollout.Stats      `json:"rollout_total"`
	Quality      worldmodel.Quality `json:"quality"`
	HaveQuality  bool               `json:"have_quality"`
	ModelLoss    float64            `json:"model_loss"`
	FitLoss      float64            `json:"fit_loss"`
	// Bounds is the per-dimension range of the real states seen (D_off's
	// states and next states, then every online next state).
	Bounds *rollout.Bounds `json:"bounds"`
	// Anchored is set once π_β was cloned and frozen for the offline
	// phase; BCLoss is the cloning loss of its last steps.
	Anchored bool    `json:"anchored"`
	BCLoss   float64 `json:"bc_loss"`
}

// New builds the method: D_off from p.Data, an empty D_imag and D_on, and
// an untrained world model (fitted, or loaded from Config.ModelPath, at
// the first hook call, so that a resumed run restores it instead). It
// returns an error for an invalid configuration, a dataset too small for
// the normalizers, or a learner without the BC term when BC is on.
func New(cfg Config, p Parts) (*Method, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if cfg.Model.Termination == "" {
		cfg.Model.Termination = worldmodel.Never
	}
	if p.Agent == nil {
		return nil, errors.New("bdwm: no agent")
	}
	if p.Data == nil || p.Data.Len() == 0 {
		return nil, errors.New("bdwm: no offline dataset (BDWM needs D_off)")
	}
	m := &Method{cfg: cfg, agent: p.Agent, seed: p.Seed, obsDim: p.Data.ObsDim, actDim: p.Data.ActDim,
		data: worldmodel.FromDataset(p.Data), prog: p.Progress, stop: p.Stop}
	// The learner's BC term serves Eq. 6 online (unless NoBC) and the
	// offline anchor (unless NoOfflineBC; only learners that have the
	// term get it, so IQL and Cal-QL run without).
	bc, ok := p.Agent.(BCLearner)
	if !cfg.NoBC && !ok {
		return nil, fmt.Errorf("bdwm: the learner %T has no behaviour-cloning term (FreezeBCReference, SetBCWeight, CloneBehaviour); set bdwm.no_bc", p.Agent)
	}
	if ok {
		m.bc = bc
	}
	if m.cfg.ModelPath == "" {
		train, _ := worldmodel.Split(m.data, cfg.Model, p.Seed)
		if train.Len() < worldmodel.MinTransitions {
			return nil, fmt.Errorf("bdwm: the dataset has %d transitions, %d after holding out; the world model's normalizers need at least %d",
				m.data.Len(), train.Len(), worldmodel.MinTransitions)
		}
	}
	var err error
	switch {
	case p.Offline != nil && p.OfflineMC != nil:
		return nil, errors.New("bdwm: both an offline buffer and offline MC returns given (the buffer brings its own)")
	case p.Offline != nil:
		if o, a := p.Offline.Dims(); o != m.obsDim || a != m.actDim || p.Offline.Len() != p.Data.Len() {
			return nil, fmt.Errorf("bdwm: the offline buffer (%d transitions of widths %d, %d) does not hold the dataset (%d of %d, %d)",
				p.Offline.Len(), o, a, p.Data.Len(), m.obsDim, m.actDim)
		}
		m.offline = p.Offline
	default:
		if m.offline, err = replay.FromDataset(p.Data, 0, p.OfflineMC); err != nil {
			return nil, fmt.Errorf("bdwm: %w", err)
		}
	}
	if m.imag, err = replay.New(cfg.ImagCapacity, m.obsDim, m.actDim, false); err != nil {
		return nil, fmt.Errorf("bdwm: imagination buffer: %w", err)
	}
	if m.online, err = replay.New(max(p.OnlineCapacity, 1), m.obsDim, m.actDim, p.OnlineMC); err != nil {
		return nil, fmt.Errorf("bdwm: online buffer: %w", err)
	}
	if m.offMix, err = replay.NewMixed(m.offline, m.imag, cfg.RealRatio); err != nil {
		return nil, err
	}
	m.st.Lambda = cfg.Lambda
	var realOn replay.Sampler = m.online // the λ share of online batches
	if cfg.OnlineReal == OnlineRealSymmetric {
		realOn, _ = replay.NewMixed(m.online, m.offline, 0.5)
	}
	if m.onMix, err = replay.NewMixed(realOn, m.imag, m.st.Lambda); err != nil {
		return nil, err
	}
	m.startOn, _ = replay.NewMixed(m.online, m.offline, 1)
	m.sImagine = rng.Derive(p.Seed, "bdwm", "imagine")
	m.sStarts = rng.Derive(p.Seed, "bdwm", "starts")
	m.sSigma = rng.Derive(p.Seed, "bdwm", "sigma")
	m.sEta = rng.Derive(p.Seed, "bdwm", "eta")
	m.sQuality = rng.Derive(p.Seed, "bdwm", "quality")
	m.recentObs = make([]float32, cfg.SigmaBatch*m.obsDim)
	m.recentAct = make([]float32, cfg.SigmaBatch*m.actDim)
	m.st.LastRollout = -1
	m.st.Bounds = m.dataBounds()
	m.onReject = resolveOnReject(cfg.OnReject, m.data.Rew)
	return m, nil
}

// resolveOnReject decides Auto: absorb when the 1st percentile of the
// rewards is ≥ 0 (a zero-reward terminal is then the pessimistic choice),
// stop otherwise (it would be a bonus); other values are returned as they
// are.
func resolveOnReject(r rollout.OnReject, rew []float32) rollout.OnReject {
	if r != Auto {
		return r
	}
	if len(rew) == 0 {
		return rollout.Stop
	}
	neg := 0
	for _, v := range rew {
		if v < 0 {
			neg++
		}
	}
	if float64(neg) <= 0.01*float64(len(rew)) {
		return rollout.Absorb
	}
	return rollout.Stop
}

// dataBounds is the per-dimension range of D_off's states and next
// states.
func (m *Method) dataBounds() *rollout.Bounds {
	b := rollout.NewBounds(m.data.Obs, m.obsDim)
	b.Extend(m.data.Next)
	return b
}

// Config returns the configuration with defaults applied.
func (m *Method) Config() Config { return m.cfg }

// Model returns the world model (nil before the first hook call).
func (m *Method) Model() *worldmodel.Model { return m.model }

// OfflineSampler draws offline batches: RealRatio from D_off, the rest
// from D_imag (all from D_off while D_imag is empty).
func (m *Method) OfflineSampler() replay.Sampler { return m.offMix }

// OnlineBuffer is D_on, which the loop fills.
func (m *Method) OnlineBuffer() *replay.Buffer { return m.online }

// OnlineSampler draws online batches: λ from D_on, 1 − λ from D_imag.
func (m *Method) OnlineSampler() replay.Sampler { return m.onMix }

// ImaginationBuffer is D_imag.
func (m *Method) ImaginationBuffer() *replay.Buffer { return m.imag }

// Eta returns η (0 before the model is prepared).
func (m *Method) Eta() float32 { return m.st.Eta }

// State summarizes the scheduler: λ, w_BC, σ̄_ep and σ_max.
func (m *Method) State() (lambda, wBC, sigmaBar, sigmaMax float64) {
	return m.st.Lambda, m.st.WBC, m.st.SigmaBar, m.st.SigmaMax
}

// Hooks returns the loop hooks that run the method.
func (m *Method) Hooks() train.Hooks {
	return train.Hooks{
		BeforeUpdate: m.beforeUpdate,
		OnSwitch:     m.onSwitch,
		AfterEnvStep: m.afterEnvStep,
		State:        m.saveState,
		SetState:     m.loadState,
	}
}

func (m *Method) progress(format string, args ...any) {
	if m.prog != nil {
		m.prog(fmt.Sprintf(format, args...))
	}
}

// prepare fits (or loads) the world model, sets η and makes the first
// quality report: Algorithm 1, lines 1–2.
func (m *Method) prepare() error {
	if m.model != nil && m.st.Fitted {
		return m.anchor() // a no-op once anchored
	}
	c := m.cfg
	if c.ModelPath != "" {
		wm, err := worldmodel.Load(c.ModelPath, m.seed)
		if err != nil {
			return fmt.Errorf("bdwm: %w", err)
		}
		if o, a := wm.Dims(); o != m.obsDim || a != m.actDim {
			return fmt.Errorf("bdwm: world model %s is for observations of %d and actions of %d, the data has %d and %d",
				c.ModelPath, o, a, m.obsDim, m.actDim)
		}
		m.model = wm
		// The fit's held-out split is unknown: report quality on a random
		// subset of D_off (which may include training transitions).
		m.holdout = m.holdoutOf()
		m.progress("world model loaded from %s", c.ModelPath)
	} else {
		cache := m.cachePath()
		if cache != "" {
			m.model, m.st.FitLoss = m.loadCached(cache)
		}
		if m.model != nil {
			m.progress("world model (%s, K = %d, %d steps) loaded from the cache %s", c.Model.Kind, c.Model.Members, c.ModelSteps, cache)
		} else {
			m.progress("fitting the world model (%s, K = %d) for %d steps on %d transitions", c.Model.Kind, c.Model.Members, c.ModelSteps, m.data.Len())
			wm, rep, err := worldmodel.Fit(m.data, c.Model, worldmodel.FitOptions{Steps: c.ModelSteps, Seed: m.seed,
				Quality: worldmodel.QualityOptions{MaxTransitions: c.QualitySamples}, Stop: m.stop})
			if err != nil {
				return fmt.Errorf("bdwm: %w", err)
			}
			m.model = wm
			m.st.FitLoss = rep.Loss
			if cache != "" {
				m.saveCached(cache, wm, rep.Loss)
			}
		}
		m.holdout = m.holdoutOf()
	}
	m.st.EpistemicDefined = m.model.EpistemicDefined()
	if err := m.computeEta(); err != nil {
		return err
	}
	if err := m.measureQuality(); err != nil {
		return err
	}
	m.st.Fitted = true
	if err := m.anchor(); err != nil {
		return err
	}
	m.progress("η = %.4g (the %gth percentile of σ_ep over %d offline transitions); %s", m.st.Eta, c.EtaPercentile,
		min(c.EtaSamples, m.data.Len()), m.qualityLine())
	return nil
}

// anchor clones the behaviour policy π_β from D_off (OfflineBCSteps
// steps), freezes it as the reference of Eq. 6's KL term and sets w_BC to
// OfflineBCWeight for the offline phase. It does nothing without BC, with
// NoOfflineBC, or once done (a resumed run has π_β in the agent's state).
func (m *Method) anchor() error {
	c := m.cfg
	if m.bc == nil || c.NoOfflineBC || m.st.Anchored {
		return nil
	}
	b := replay.NewBatch(c.OfflineBCBatch, m.obsDim, m.actDim, false)
	s := rng.Derive(m.seed, "bdwm", "bc")
	var tail float64
	var tailN int
	for i := 0; i < c.OfflineBCSteps; i++ {
		if m.stop != nil {
			if err := m.stop(); err != nil {
				return fmt.Errorf("bdwm: behaviour cloning stopped at step %d: %w", i, err)
			}
		}
		m.offline.SampleRows(s, b, 0, c.OfflineBCBatch)
		l := m.bc.CloneBehaviour(b)
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return fmt.Errorf("bdwm: behaviour cloning step %d: loss is %v", i, l)
		}
		if i >= c.OfflineBCSteps-max(c.OfflineBCSteps/10, 1) {
			tail += l
			tailN++
		}
	}
	m.bc.FreezeBCReference()
	m.st.WBC = c.OfflineBCWeight
	m.bc.SetBCWeight(float32(m.st.WBC))
	m.st.Anchored = true
	m.holdAlpha()
	m.st.BCLoss = tail / float64(max(tailN, 1))
	m.progress("behaviour policy π_β cloned from D_off in %d steps (loss %.4g), frozen as the offline BC reference at w_BC = %g",
		c.OfflineBCSteps, m.st.BCLoss, m.st.WBC)
	return nil
}

// holdAlpha holds the learner's temperature (if it has one) while a BC
// term holds its policy: through the offline anchor and, online, until
// w_BC of Eq. 6 reaches 0; it releases it after. A held policy keeps its
// entropy above SAC's target, so a learned α would fall the whole time
// (1 → 10⁻¹³ over 100k anchored offline updates; 1 → 0.0016 over the
// first 22k online steps of the third Table I start) and leave a
// deterministic policy when the term is lifted. The hold is derived from
// the method's state, so a restored run calls this too.
func (m *Method) holdAlpha() {
	held := m.st.Anchored && (!m.st.Switched || (m.bc != nil && !m.cfg.NoBC && m.st.WBC > 0))
	if f, ok := m.agent.(AlphaFreezer); ok {
		f.FreezeAlpha(held)
	}
}

// holdoutOf returns the transitions of quality reports: the world model's
// held-out split when this run fitted it, otherwise (a model loaded from a
// file, whose split is unknown) QualitySamples random transitions of D_off,
// which may include the model's training data. Both are functions of the
// seed, so a resumed run finds the same set.
func (m *Method) holdoutOf() worldmodel.Transitions {
	if m.cfg.ModelPath == "" {
		_, h := worldmodel.Split(m.data, m.cfg.Model, m.seed)
		return h
	}
	idx := rng.Derive(m.seed, "bdwm", "holdout").Perm(m.data.Len())[:min(m.data.Len(), m.cfg.QualitySamples)]
	return subset(m.data, idx)
}

func (m *Method) qualityLine() string {
	q := m.st.Quality
	if !m.st.HaveQuality {
		return "no quality report (fewer than 2 held-out transitions)"
	}
	if !q.EpistemicDefined {
		return fmt.Sprintf("one-step MSE %.4g; σ_ep is 0 with K = 1, so its Spearman correlation and AUROC are undefined and not reported", q.OneStepMSE)
	}
	return fmt.Sprintf("one-step MSE %.4g, Spearman(σ_ep, error) %.3f, AUROC(dataset vs random actions) %.3f", q.OneStepMSE, q.Spearman, q.AUROC)
}

func subset(t worldmodel.Transitions, idx []int) worldmodel.Transitions {
	O, A := t.ObsDim, t.ActDim
	s := worldmodel.Transitions{ObsDim: O, ActDim: A}
	for _, i := range idx {
		s.Obs = append(s.Obs, t.Obs[i*O:(i+1)*O]...)
		s.Act = append(s.Act, t.Act[i*A:(i+1)*A]...)
		s.Next = append(s.Next, t.Next[i*O:(i+1)*O]...)
		s.Rew = append(s.Rew, t.Rew[i])
		s.Done = append(s.Done, t.Done != nil && t.Done[i])
	}
	return s
}

// computeEta sets η to the EtaPercentile-th percentile of σ_ep over
// EtaSamples random transitions of D_off (all of them if fewer). With one
// member σ_ep is 0 everywhere, so η = 0 and nothing is rejected (σ_ep > η
// never holds): there is no epistemic signal to filter by.
func (m *Method) computeEta() error {
	n := min(m.cfg.EtaSamples, m.data.Len())
	idx := m.sEta.Perm(m.data.Len())[:n]
	s := subset(m.data, idx)
	sig := make([]float32, 0, n)
	const chunk = 1000
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		if err := m.model.Predict(&m.pred, s.Obs[lo*m.obsDim:hi*m.obsDim], s.Act[lo*m.actDim:hi*m.actDim],
			worldmodel.PredictOptions{}, m.sEta); err != nil {
			return fmt.Errorf("bdwm: η: %w", err)
		}
		sig = append(sig, m.pred.SigmaEp...)
	}
	eta, err := uncertainty.Percentile(sig, m.cfg.EtaPercentile)
	if err != nil {
		return fmt.Errorf("bdwm: η: %w", err)
	}
	m.st.Eta = eta
	return nil
}

func (m *Method) measureQuality() error {
	if m.holdout.Len() < 2 {
		m.st.HaveQuality = false
		return nil
	}
	q, err := m.model.Evaluate(m.holdout, worldmodel.QualityOptions{MaxTransitions: m.cfg.QualitySamples}, m.sQuality)
	if err != nil {
		return fmt.Errorf("bdwm: quality report: %w", err)
	}
	m.st.Quality, m.st.HaveQuality = q, true
	return nil
}

// imagine runs one round of rollouts from starts drawn from src into
// D_imag (Algorithm 1, line 5).
func (m *Method) imagine(src replay.Sampler) error {
	c := m.cfg
	rc := m.rolloutConfig()
	starts := m.runner.Starts(src, c.RolloutBatch, m.obsDim, m.actDim, m.sStarts)
	st, err := m.runner.Run(m.imag, starts, m.model, m.agent, rc, m.sImagine)
	if err != nil {
		return fmt.Errorf("bdwm: imagination: %w", err)
	}
	m.st.Rollout = st
	m.st.RolloutTotal.Add(st)
	return nil
}

// rolloutConfig is the rollout configuration the switches give: the
// filter at η (off with NoFilter), the rejection behaviour, MOPO's
// penalty, and the sampled (or, with EpistemicOnly, member-mean)
// transitions.
func (m *Method) rolloutConfig() rollout.Config {
	c := m.cfg
	rc := rollout.Config{
		Horizon:       c.Horizon,
		Filter:        rollout.Epistemic,
		Eta:           m.st.Eta,
		OnReject:      m.onReject,
		AbsorbReward:  float32(c.AbsorbReward),
		RewardPenalty: float32(c.RewardPenalty),
		Predict: worldmodel.PredictOptions{
			Aleatoric: !c.EpistemicOnly && c.Model.Samples >= 2,
			MeanNext:  c.EpistemicOnly,
		},
		Bounds:            m.st.Bounds,
		RejectOutOfBounds: c.BoundsReject,
		BoundsMargin:      float32(c.BoundsMargin),
	}
	if c.NoFilter {
		rc.Filter = rollout.None
	}
	return rc
}

// beforeUpdate: imagination rounds on schedule, then (online) λ into the
// online sampler and w_BC into the learner; returns the method's metrics.
func (m *Method) beforeUpdate(phase train.Phase, step int64) ([]agent.Metric, error) {
	if err := m.prepare(); err != nil {
		return nil, err
	}
	c := m.cfg
	fresh := m.st.LastRollout != step || m.st.LastRolloutPhase != string(phase)
	// Offline rounds start at update 0; online rounds from step
	// RolloutEvery on, when D_on holds the policy's own states (D_imag
	// still holds the last offline rounds before that).
	due := step%int64(c.RolloutEvery) == 0 && (phase == train.Offline || step > 0)
	if due && fresh {
		src := replay.Sampler(m.offline)
		if phase == train.Online {
			src = m.startOn
		}
		if err := m.imagine(src); err != nil {
			return nil, err
		}
		m.st.LastRollout, m.st.LastRolloutPhase = step, string(phase)
	}
	if phase == train.Online {
		if !m.st.Switched {
			if err := m.onSwitch(); err != nil {
				return nil, err
			}
		}
		m.onMix.Ratio = m.st.Lambda
		if m.bc != nil && !c.NoBC {
			m.st.WBC = BCWeightAt(step, c.BCWeight, c.BCSteps)
			m.bc.SetBCWeight(float32(m.st.WBC))
		}
		m.holdAlpha()
	}
	return m.metrics(phase), nil
}

// onSwitch freezes π_offline for the BC term (Algorithm 1, line 8) and
// starts the learner's own online phase (OnlineStarter).
func (m *Method) onSwitch() error {
	if err := m.prepare(); err != nil {
		return err
	}
	if s, ok := m.agent.(OnlineStarter); ok {
		s.StartOnline()
	}
	if v := m.cfg.OnlineAlpha; v > 0 {
		s, ok := m.agent.(AlphaSetter)
		if !ok {
			return fmt.Errorf("bdwm.online_alpha = %v: learner %T has no temperature", v, m.agent)
		}
		if err := s.SetAlpha(v); err != nil {
			return fmt.Errorf("bdwm.online_alpha: %w", err)
		}
	}
	switch {
	case m.bc != nil && m.cfg.NoBC && m.st.Anchored:
		// Table II's "no BC": the offline anchor ends at the switch.
		m.st.WBC = 0
		m.bc.SetBCWeight(0)
	case m.bc != nil && !m.cfg.NoBC:
		m.bc.FreezeBCReference()
		m.st.WBC = m.cfg.BCWeight
		m.bc.SetBCWeight(float32(m.st.WBC))
	}
	m.st.Switched = true
	m.holdAlpha() // held on while Eq. 6's term holds the policy
	return nil
}

// afterEnvStep keeps the recent-transition window, counts episodes,
// updates σ̄_ep, σ_max and λ (Eq. 5) every SigmaEvery steps, trains the
// world model on D_on every ModelTrainEvery steps and makes a quality
// report every QualityEvery steps (Algorithm 1, lines 13–14 and 16).
func (m *Method) afterEnvStep(step int64, t train.Transition) error {
	if err := m.prepare(); err != nil {
		return err
	}
	c := m.cfg
	O, A := m.obsDim, m.actDim
	p := m.st.RecentPos
	copy(m.recentObs[p*O:(p+1)*O], t.Obs)
	copy(m.recentAct[p*A:(p+1)*A], t.Act)
	m.st.RecentPos = (p + 1) % c.SigmaBatch
	m.st.RecentN = min(m.st.RecentN+1, c.SigmaBatch)
	m.st.Bounds.Extend(t.Next)
	m.st.EpisodeLen++
	if t.Terminated || t.Truncated {
		m.st.Episodes++
		m.st.EpisodeLen = 0
	}
	if step%int64(c.SigmaEvery) == 0 {
		if err := m.updateLambda(); err != nil {
			return err
		}
	}
	if (step+1)%int64(c.ModelTrainEvery) == 0 {
		ts, err := m.model.Train(m.online, c.ModelTrainSteps)
		if err != nil {
			return fmt.Errorf("bdwm: world-model update at online step %d: %w", step, err)
		}
		m.st.ModelLoss = ts.Loss
	}
	if (step+1)%int64(c.QualityEvery) == 0 {
		if err := m.measureQuality(); err != nil {
			return err
		}
	}
	return nil
}

// updateLambda computes σ̄_ep over the recent online transitions, grows
// σ_max during the first SigmaMaxEpisodes episodes and sets λ by Eq. 5.
// σ_max starts at the first σ̄_ep (the paper's "initial uncertainty
// estimate"). With a fixed λ, or with one member (σ_ep undefined, Eq. 5
// has no meaning), λ stays at Config.Lambda.
func (m *Method) updateLambda() error {
	n := m.st.RecentN
	if n == 0 {
		return nil
	}
	O, A := m.obsDim, m.actDim
	if err := m.model.Predict(&m.pred, m.recentObs[:n*O], m.recentAct[:n*A], worldmodel.PredictOptions{}, m.sSigma); err != nil {
		return fmt.Errorf("bdwm: σ̄_ep: %w", err)
	}
	var s float64
	for _, v := range m.pred.SigmaEp {
		s += float64(v)
	}
	m.st.SigmaBar = s / float64(n)
	if !m.st.HaveSigma || m.st.Episodes < int64(m.cfg.SigmaMaxEpisodes) {
		m.st.SigmaMax = max(m.st.SigmaMax, m.st.SigmaBar)
	}
	m.st.HaveSigma = true
	if m.cfg.FixedLambda || !m.st.EpistemicDefined {
		m.st.Lambda = m.cfg.Lambda
	} else {
		m.st.Lambda = Lambda(m.st.SigmaBar, m.st.SigmaMax, m.cfg.LambdaMin)
	}
	return nil
}

// metrics returns the method's current measurements under the run-layout
// names (the latest values, so every logged update carries them).
func (m *Method) metrics(phase train.Phase) []agent.Metric {
	st := &m.st
	defined := 0.0
	if st.EpistemicDefined {
		defined = 1
	}
	ms := []agent.Metric{
		{Name: "uncertainty/eta", Value: float64(st.Eta)},
		{Name: "uncertainty/epistemic_defined", Value: defined},
		{Name: "uncertainty/reject_rate", Value: st.Rollout.RejectRate()},
		{Name: "uncertainty/imag_sigma_ep", Value: st.Rollout.MeanSigmaEp()},
		{Name: "model/imag_size", Value: float64(m.imag.Len())},
		{Name: "model/imag_accepted", Value: float64(st.Rollout.Accepted)},
		{Name: "model/imag_reward_mean", Value: st.Rollout.MeanReward()},
		{Name: "model/imag_reward_min", Value: st.Rollout.RewardMin},
		{Name: "model/imag_reward_max", Value: st.Rollout.RewardMax},
		{Name: "model/imag_out_of_bounds", Value: float64(st.Rollout.OutOfBounds) / float64(max(st.Rollout.Steps, 1))},
		{Name: "model/imag_max_excess", Value: st.Rollout.MaxExcess},
		{Name: "uncertainty/total_reject_rate", Value: st.RolloutTotal.RejectRate()},
		{Name: "model/fit_loss", Value: st.FitLoss},
		{Name: "loss/bc_clone", Value: st.BCLoss},
	}
	if st.Rollout.Steps > 0 && !m.cfg.EpistemicOnly && m.cfg.Model.Samples >= 2 {
		ms = append(ms, agent.Metric{Name: "uncertainty/imag_sigma_al", Value: st.Rollout.SigmaAl / float64(st.Rollout.Steps)})
	}
	if st.HaveQuality {
		q := st.Quality
		n := len(ms)
		ms = append(ms,
			agent.Metric{Name: "model/one_step_mse", Value: q.OneStepMSE},
			agent.Metric{Name: "model/reward_mse", Value: q.RewardMSE},
			agent.Metric{Name: "uncertainty/spearman", Value: q.Spearman},
			agent.Metric{Name: "uncertainty/auroc", Value: q.AUROC},
			agent.Metric{Name: "uncertainty/sigma_ep_id", Value: q.SigmaEp},
			agent.Metric{Name: "uncertainty/sigma_ep_ood", Value: q.SigmaEpOOD},
			agent.Metric{Name: "uncertainty/sigma_al_id", Value: q.SigmaAl})
		// Undefined measures (NaN: Spearman and AUROC of σ_ep with K = 1,
		// σ_al with M < 2, the reward error of an older checkpoint) are
		// left out, not logged as NaN, which the training loop's guard
		// takes for divergence. Filtered in place: no slice per update.
		kept := slices.DeleteFunc(ms[n:], func(x agent.Metric) bool { return math.IsNaN(x.Value) })
		ms = ms[:n+len(kept)]
	}
	if phase == train.Offline {
		return append(ms, agent.Metric{Name: "train/real_ratio", Value: m.cfg.RealRatio},
			agent.Metric{Name: "train/w_bc", Value: st.WBC})
	}
	return append(ms,
		agent.Metric{Name: "train/lambda", Value: st.Lambda},
		agent.Metric{Name: "train/w_bc", Value: st.WBC},
		agent.Metric{Name: "uncertainty/sigma_ep", Value: st.SigmaBar},
		agent.Metric{Name: "uncertainty/sigma_max", Value: st.SigmaMax},
		agent.Metric{Name: "model/loss", Value: st.ModelLoss},
		agent.Metric{Name: "train/online_episodes", Value: float64(st.Episodes)})
}
