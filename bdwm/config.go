package bdwm

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/rollout"
	"github.com/dwm-rl/dwm/worldmodel"
)

// Variant names the method a Config runs through the same loop.
type Variant string

// The variants.
const (
	// BDWM is the paper's method (Algorithm 1).
	BDWM Variant = "bdwm"
	// MOPO is the Gaussian-ensemble baseline: MOPO's probabilistic
	// ensemble with its reward penalty r − λ·max_k ‖σ_k‖, no uncertainty
	// filter, no Eq. 6 BC, a fixed online mixing ratio. Like every variant
	// it keeps the base learner's offline anchor (NoOfflineBC), so that
	// the comparison is between world models and their use, not between
	// a stabilized and an unstabilized SAC.
	MOPO Variant = "mopo"
	// DIAMOND is the single-diffusion-model baseline: one diffusion
	// decoder (K = 1, no uncertainty), no filter, no BC, fixed 50/50
	// mixing (the paper's description of its DIAMOND baseline).
	DIAMOND Variant = "diamond"
)

// The base learners (Config.Learner).
const (
	// SAC is soft actor-critic, the paper's default base learner and the
	// only one with Eq. 6's BC term.
	SAC = "sac"
	// IQL is implicit Q-learning.
	IQL = "iql"
	// CalQL is calibrated conservative Q-learning.
	CalQL = "calql"
)

// Auto is Config.OnReject's default: absorb when D_off's rewards are
// (99 % of them) non-negative, stop otherwise.
const Auto rollout.OnReject = "auto"

// Learners lists the base learners Config.Learner accepts.
func Learners() []string { return []string{SAC, IQL, CalQL} }

// Variants lists the variant names.
func Variants() []Variant { return []Variant{BDWM, MOPO, DIAMOND} }

// Config configures BDWM and the baselines that share its machinery. Zero
// fields take the defaults listed on each field; values the paper gives
// cite it, values it leaves open say why they were chosen.
//
// The method, per offline update (Algorithm 1, lines 3–7) and per online
// step (lines 11–19):
//
//	η = Percentile_{EtaPercentile}(σ_ep over D_off)                   (Sec. IV-B)
//	every RolloutEvery updates: D_imag ← rollouts of π from real states,
//	    H steps, stopped (or absorbed) at σ_ep > η
//	offline batch: RealRatio from D_off, the rest from D_imag
//	online batch:  λ from D_on, 1 − λ from D_imag,
//	    λ = max(λ_min, 1 − σ̄_ep/σ_max)                                (Eq. 5)
//	actor loss += w_BC·KL(π_offline ‖ π),  w_BC = w_0·max(0, 1 − t/N_BC)  (Eq. 6)
//	every ModelTrainEvery env steps: ModelTrainSteps world-model steps on D_on
type Config struct {
	// Variant is BDWM (default), MOPO or DIAMOND. MOPO and DIAMOND always
	// run without the filter, with a fixed λ and without BC.
	Variant Variant `yaml:"variant"`
	// Learner is the base learner (Section IV-C): "sac" (default), "iql"
	// or "calql", configured by the run's own sac:, iql: or calql:
	// section with that agent's (CORL) defaults. Offline it trains on
	// D_off ∪ D_imag at RealRatio, online on λ·D_on + (1−λ)·D_imag, the
	// same for every learner. Only sac has Eq. 6's BC term: with iql or
	// calql, NoBC must be set (Validate says so) — see the package
	// documentation for why, and for Cal-QL's bound on imagined rows.
	Learner string `yaml:"learner"`

	// Model configures the world model. Defaults: the diffusion ensemble
	// of package worldmodel (K = 3, M = 5) for BDWM; worldmodel's Gaussian
	// defaults (7 members, 5 elites) for MOPO; one diffusion member for
	// DIAMOND. Model.Termination is set by the composition root from the
	// task when left empty.
	Model worldmodel.Config `yaml:"model"`
	// ModelPath, if set, loads a world model fitted beforehand (`dwm
	// worldmodel fit`) instead of fitting one at the start of the run.
	ModelPath string `yaml:"model_path"`
	// ModelCache is a directory where fitted world models are kept and
	// shared between runs with the same D_off, Model, ModelSteps and seed
	// (the filter, λ, BC and epistemic-only ablations share BDWM's): a
	// cached model is loaded with its whole training state, so the run
	// continues exactly as if it had fitted it. "" or "off": no cache (the
	// dwm command line defaults it to <user cache dir>/dwm/worldmodel).
	// Unused with ModelPath.
	ModelCache string `yaml:"model_cache"`
	// ModelSteps is the number of world-model training steps on D_off
	// (Algorithm 1, line 1). Default 20000: about 20 epochs of hopper's
	// 1M transitions at 3 × 256 rows per step, the most that fits the
	// issue's ≤ 4 h budget for a whole 100k + 100k run on 2 cores.
	ModelSteps int `yaml:"model_steps"`

	// EtaPercentile is the percentile of σ_ep over D_off that sets η.
	// Default 90 (paper, Section IV-B). Must be in (0, 100).
	EtaPercentile float64 `yaml:"eta_percentile"`
	// EtaSamples is the number of D_off transitions (drawn at random) on
	// which σ_ep is computed for η. Default 10000: the paper takes "all
	// transitions in D_off", which for 1M transitions costs as much as
	// 15M decoder samples; the 90th percentile of 10000 draws has a
	// standard error of about 0.3 percentile points.
	EtaSamples int `yaml:"eta_samples"`
	// Horizon is H, the rollout length. Default 5 (MOPO's and MBPO's
	// short branched rollouts; the paper gives none).
	Horizon int `yaml:"horizon"`
	// RolloutBatch is the number of start states per imagination round.
	// Default 1000 (with Horizon 5 and RolloutEvery 1000 this is at most
	// 5 imagined transitions per update, what the measured imagination
	// throughput affords within the run budget; MBPO uses far more).
	RolloutBatch int `yaml:"rollout_batch"`
	// RolloutEvery is the number of offline updates (online: env steps)
	// between imagination rounds. Default 1000 (MBPO's epoch).
	RolloutEvery int `yaml:"rollout_every"`
	// ImagCapacity is D_imag's size. Default 5 rounds' worth
	// (5·RolloutBatch·Horizon), so data from old policies ages out as in
	// MBPO's model buffer.
	ImagCapacity int `yaml:"imag_capacity"`
	// RealRatio is the fraction of each offline batch drawn from D_off
	// (the rest from D_imag). Default 0.5 for BDWM and DIAMOND (the
	// paper's DIAMOND uses 50/50; COMBO's ratio) and 0.05 for MOPO (its
	// real_ratio).
	RealRatio float64 `yaml:"real_ratio"`
	// OnReject is what a rollout does at σ_ep > η: "absorb" (an absorbing
	// terminal with reward AbsorbReward is written in place of the
	// rejected transition), "stop" (nothing is written) — the paper's two
	// options — or "auto" (default): absorb when at least 99 % of D_off's
	// rewards are ≥ 0, stop otherwise. Measured (docs/results/
	// bdwm-hopper-first-run.md, bdwm-demo-pendulum.md): on hopper-medium
	// (rewards 0.73–5) stop diverged — with an IQL learner and H = 5 Q̄
	// grew ×1.3 per 500 updates to 556 at 7.5k updates, above r_max/(1−γ),
	// eval 3.5 normalized — while absorb kept Q̄ at 52 and reached 21.5:
	// the zero-reward terminals teach the critic that leaving the model's
	// confident region pays nothing (MOReL's HALT state). Where rewards
	// are costs (pendulum: −16 to 0) a zero-reward terminal is a bonus for
	// leaving that region instead: the pendulum demo ended at 27.5
	// normalized with absorb and at 102 with stop (and at −29.5 with the
	// absorbing reward set to r_min/(1−γ), which swamps the critic).
	OnReject rollout.OnReject `yaml:"on_reject"`
	// AbsorbReward is the absorbing terminal's reward. Default 0 (the
	// paper's "absorbing zero-reward state").
	AbsorbReward float64 `yaml:"absorb_reward"`
	// RewardPenalty is MOPO's λ in r − λ·u(s, a). Default 1 for MOPO
	// (MOPO's default coefficient; it tunes it per task), 0 otherwise.
	RewardPenalty float64 `yaml:"reward_penalty"`

	// BoundsReject rejects (as OnReject says) an imagined transition whose
	// next state leaves the range of the real states seen (D_off, and D_on
	// online) by more than BoundsMargin range widths in any dimension.
	// Default false (the paper filters by σ_ep alone).
	BoundsReject bool `yaml:"bounds_reject"`
	// BoundsMargin is the slack of BoundsReject in range widths (≥ 0).
	BoundsMargin float64 `yaml:"bounds_margin"`

	// OnlineReal is the real part (the λ share) of online batches:
	// "d_on" — the online transitions alone, Algorithm 1's line 15 as
	// written (D_on starts empty, line 10) — or "symmetric" — half D_off,
	// half D_on (D_off alone while D_on is empty), Cal-QL's symmetric
	// sampling. Default "d_on". Measured from the end of one offline phase
	// (hopper-medium, seed 1; docs/results/bdwm-hopper-first-run.md): with
	// λ = 1 and d_on the critic, fitted to a few thousand online
	// transitions only, ran away (Q̄ 44 → 154 in 14k steps) and the policy
	// fell from 24 to 14 normalized; with symmetric it ran away too (Q̄
	// 48 → 180 in 16k steps), and with the default λ both collapse once
	// w_BC reaches 0, so neither is preferred by measurement yet.
	OnlineReal string `yaml:"online_real"`
	// LambdaMin is λ_min of Eq. 5. Default 0.3 (paper).
	LambdaMin float64 `yaml:"lambda_min"`
	// SigmaBatch is the number of most recent online transitions over
	// which σ̄_ep is averaged. Default 256 (one training batch).
	SigmaBatch int `yaml:"sigma_batch"`
	// SigmaEvery is the number of env steps between σ̄_ep (and λ)
	// updates. Default 250 (MBPO's model-training period; λ changes
	// slowly and each update costs SigmaBatch·K·M decoder samples).
	SigmaEvery int `yaml:"sigma_every"`
	// SigmaMaxEpisodes is the number of first online episodes during
	// which σ_max grows to the largest σ̄_ep seen. Default 5 (the paper's
	// "first few online episodes").
	SigmaMaxEpisodes int `yaml:"sigma_max_episodes"`
	// BCWeight is w_0 of Eq. 6. Default 1 (the paper gives none; the KL
	// is per action dimension and of order 1 for policies that differ by
	// a standard deviation, so 1 weighs it like one nat of entropy).
	BCWeight float64 `yaml:"bc_weight"`
	// NoOfflineBC removes the offline anchor: without it (the default, for
	// learners with a BC term: SAC), before the offline phase the learner's policy is fitted to
	// D_off's actions by behaviour cloning (OfflineBCSteps steps), frozen
	// as π_β, and the offline actor loss carries OfflineBCWeight·KL(π_β ‖ π)
	// — Eq. 6's term with the behaviour policy in place of π_offline, which
	// replaces it at the switch. The paper trains its SAC offline without a
	// BC term; on dwm's hopper-medium that SAC's policy collapsed (eval 16.6
	// normalized at 5k updates, 0.9 at 10k: SAC's known offline failure,
	// D4RL reports 0.8 for SAC-off on hopper-medium), while with the anchor
	// it reached 31.3 (weight 1) and 35.5 (weight 5) at 10k updates, above
	// the data's 26.8 (docs/results/bdwm-hopper-first-run.md). So the anchor
	// is on by default; this switch gives the paper's plain offline SAC.
	// While the anchor holds, SAC's temperature α is not learned (it fell
	// to 10⁻¹³ over 100k anchored updates and the policy collapsed online
	// once w_BC reached 0). Online it stays held while Eq. 6's w_BC > 0
	// (when it was learned there it fell from 1 to 0.0016 by the end of
	// the BC schedule and the policy lost its exploration) and learns
	// from then on; with no_bc it learns from the switch.
	NoOfflineBC bool `yaml:"no_offline_bc"`
	// OfflineBCWeight is the weight of the offline anchor's KL term, held
	// constant through the offline phase. Default 5 (measured above: eval
	// 26.3, 28.4, 32.1, 35.5 at 2.5k–10k updates against 29.6, 24.5, 28.1,
	// 31.3 with weight 1; one seed).
	OfflineBCWeight float64 `yaml:"offline_bc_weight"`
	// OfflineBCSteps is the number of behaviour-cloning steps for π_β.
	// Default 10000 (minibatches of OfflineBCBatch; the cloning loss has
	// flattened by then on hopper-medium).
	OfflineBCSteps int `yaml:"offline_bc_steps"`
	// OfflineBCBatch is the behaviour-cloning minibatch size. Default 256.
	OfflineBCBatch int `yaml:"offline_bc_batch"`
	// OnlineAlpha, if > 0, sets SAC's temperature α at the switch (it is
	// then held while Eq. 6's term holds the policy and learned after, as
	// before). 0 (the default) keeps the offline value: SAC's init_alpha,
	// held under the offline anchor. The paper does not discuss α; this is
	// a probe of the held value (docs/results/bdwm-hopper-first-run.md).
	OnlineAlpha float64 `yaml:"online_alpha"`
	// BCSteps is N_BC, the online steps over which w_BC falls to 0.
	// Default 25000 (the first quarter of the paper's 100k online steps).
	BCSteps int `yaml:"bc_steps"`
	// ModelTrainEvery is the number of env steps between world-model
	// updates on D_on (Algorithm 1, line 16). Default 250 (MBPO).
	ModelTrainEvery int `yaml:"model_train_every"`
	// ModelTrainSteps is the number of world-model training steps per
	// update. Default 50.
	ModelTrainSteps int `yaml:"model_train_steps"`
	// QualityEvery is the number of online steps between uncertainty-
	// quality reports (one is always made after fitting). Default 10000.
	QualityEvery int `yaml:"quality_every"`
	// QualitySamples caps the held-out transitions of a quality report.
	// Default 1000.
	QualitySamples int `yaml:"quality_samples"`

	// NoFilter is Table II's "no uncertainty buffer (fixed η = 0)": every
	// finite imagined transition is accepted. The paper's "η = 0" is read
	// as the filter switched off, not as a threshold of zero (which would
	// reject every transition — σ_ep is positive almost surely — leaving
	// no imagined data at all and nothing to exploit, whereas the paper
	// attributes this ablation's drop to model exploitation).
	NoFilter bool `yaml:"no_filter"`
	// FixedLambda is Table II's "no dynamic λ": λ is Lambda throughout.
	FixedLambda bool `yaml:"fixed_lambda"`
	// Lambda is the fixed λ (FixedLambda, the baselines, and K = 1 where
	// Eq. 5 is undefined). Default 0.5 (Table II).
	Lambda float64 `yaml:"lambda"`
	// NoBC is Table II's "no BC regularization": no Eq. 6 term online. The
	// offline anchor (NoOfflineBC) is part of the base learner, not of the
	// paper's BC term: it stays, and its weight drops to 0 at the switch.
	NoBC bool `yaml:"no_bc"`
	// EpistemicOnly is Table II's "only epistemic uncertainty (no
	// aleatoric)": the world model keeps only its epistemic variability —
	// an imagined transition is the mean of one random member's M samples
	// instead of one sample (PETS's deterministic ensemble, Chua et al.
	// 2018) — and σ_al is not computed. The paper uses σ_ep alone for the
	// buffer and the scheduler, so the aleatoric part can only act
	// through the sampled transitions; this is that reading.
	EpistemicOnly bool `yaml:"epistemic_only"`
}

// WithDefaults returns c with every zero field set to its default for its
// variant, and the baselines' fixed switches set.
func (c Config) WithDefaults() Config {
	if c.Variant == "" {
		c.Variant = BDWM
	}
	if c.Learner == "" {
		c.Learner = SAC
	}
	switch c.Variant {
	case MOPO:
		if c.Model.Kind == "" {
			c.Model.Kind = worldmodel.Gaussian
		}
		c.NoFilter, c.FixedLambda, c.NoBC = true, true, true
		if c.RealRatio == 0 {
			c.RealRatio = 0.05 // MOPO's real_ratio
		}
		if c.RewardPenalty == 0 {
			c.RewardPenalty = 1 // MOPO's default coefficient
		}
	case DIAMOND:
		if c.Model.Members == 0 {
			c.Model.Members = 1 // a single diffusion model
		}
		c.NoFilter, c.FixedLambda, c.NoBC = true, true, true
	}
	termination := c.Model.Termination
	c.Model = c.Model.WithDefaults()
	if termination == "" {
		c.Model.Termination = "" // left for the composition root
	}
	if c.ModelSteps == 0 {
		c.ModelSteps = 20000
	}
	if c.OnlineReal == "" {
		c.OnlineReal = OnlineRealDOn
	}
	if c.EtaPercentile == 0 {
		c.EtaPercentile = 90 // paper, Section IV-B
	}
	if c.EtaSamples == 0 {
		c.EtaSamples = 10000
	}
	if c.Horizon == 0 {
		c.Horizon = 5 // MOPO/MBPO
	}
	if c.RolloutBatch == 0 {
		c.RolloutBatch = 1000
	}
	if c.RolloutEvery == 0 {
		c.RolloutEvery = 1000 // MBPO's epoch
	}
	if c.ImagCapacity == 0 {
		c.ImagCapacity = 5 * c.RolloutBatch * c.Horizon
	}
	if c.RealRatio == 0 {
		c.RealRatio = 0.5
	}
	if c.OnReject == "" {
		c.OnReject = Auto
	}
	if c.LambdaMin == 0 {
		c.LambdaMin = 0.3 // paper, Eq. 5
	}
	if c.SigmaBatch == 0 {
		c.SigmaBatch = 256
	}
	if c.SigmaEvery == 0 {
		c.SigmaEvery = 250 // MBPO's model-training period
	}
	if c.SigmaMaxEpisodes == 0 {
		c.SigmaMaxEpisodes = 5
	}
	if c.BCWeight == 0 {
		c.BCWeight = 1
	}
	if c.BCSteps == 0 {
		c.BCSteps = 25000
	}
	if c.OfflineBCWeight == 0 {
		c.OfflineBCWeight = 5
	}
	if c.OfflineBCSteps == 0 {
		c.OfflineBCSteps = 10000
	}
	if c.OfflineBCBatch == 0 {
		c.OfflineBCBatch = 256
	}
	if c.ModelTrainEvery == 0 {
		c.ModelTrainEvery = 250 // MBPO
	}
	if c.ModelTrainSteps == 0 {
		c.ModelTrainSteps = 50
	}
	if c.QualityEvery == 0 {
		c.QualityEvery = 10000
	}
	if c.QualitySamples == 0 {
		c.QualitySamples = 1000
	}
	if c.Lambda == 0 {
		c.Lambda = 0.5 // Table II
	}
	return c
}

// Validate reports the first invalid field (after defaults), naming it as
// it is written in a config file under "bdwm.".
func (c Config) Validate() error {
	d := c.WithDefaults()
	switch d.Variant {
	case BDWM, MOPO, DIAMOND:
	default:
		return fmt.Errorf("bdwm.variant = %q: want bdwm, mopo or diamond", c.Variant)
	}
	if !(d.OnlineAlpha >= 0) || math.IsInf(d.OnlineAlpha, 0) {
		return fmt.Errorf("bdwm.online_alpha = %v: must be ≥ 0 and finite (0 keeps the offline α)", c.OnlineAlpha)
	}
	if d.OnlineAlpha > 0 && d.Learner != SAC {
		return fmt.Errorf("bdwm.online_alpha = %v with bdwm.learner = %s: only sac has a temperature", c.OnlineAlpha, d.Learner)
	}
	switch d.Learner {
	case SAC:
	case IQL, CalQL:
		if !d.NoBC {
			return fmt.Errorf("bdwm.learner = %s with bdwm.no_bc = false: the behaviour-cloning term of Eq. 6 exists only for sac; set bdwm.no_bc=true to run %s without it", d.Learner, d.Learner)
		}
	default:
		return fmt.Errorf("bdwm.learner = %q: want sac, iql or calql", c.Learner)
	}
	m := d.Model
	if m.Termination == "" {
		m.Termination = worldmodel.Never // checked once the root sets it
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("bdwm.model: %w", err)
	}
	if !d.EpistemicOnly && d.Model.Samples < 2 {
		return fmt.Errorf("bdwm.model.samples = %d: the aleatoric uncertainty (Eq. 4) needs M ≥ 2 samples per member; set bdwm.epistemic_only to run with M = 1", d.Model.Samples)
	}
	if !(d.EtaPercentile > 0 && d.EtaPercentile < 100) {
		return fmt.Errorf("bdwm.eta_percentile = %v: must lie strictly between 0 and 100", c.EtaPercentile)
	}
	unit := func(name string, v float64, lo float64, loOpen bool) error {
		if math.IsNaN(v) || v > 1 || v < lo || (loOpen && v == lo) {
			b := "["
			if loOpen {
				b = "("
			}
			return fmt.Errorf("bdwm.%s = %v: must lie in %s%v, 1]", name, v, b, lo)
		}
		return nil
	}
	if d.OnlineReal != OnlineRealDOn && d.OnlineReal != OnlineRealSymmetric {
		return fmt.Errorf("bdwm.online_real = %q: want %s or %s", c.OnlineReal, OnlineRealDOn, OnlineRealSymmetric)
	}
	if err := unit("real_ratio", d.RealRatio, 0, false); err != nil {
		return err
	}
	if err := unit("lambda_min", d.LambdaMin, 0, false); err != nil {
		return err
	}
	if err := unit("lambda", d.Lambda, 0, false); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"model_steps", d.ModelSteps}, {"eta_samples", d.EtaSamples}, {"horizon", d.Horizon}, {"rollout_batch", d.RolloutBatch},
		{"rollout_every", d.RolloutEvery}, {"imag_capacity", d.ImagCapacity}, {"sigma_batch", d.SigmaBatch}, {"sigma_every", d.SigmaEvery},
		{"sigma_max_episodes", d.SigmaMaxEpisodes}, {"bc_steps", d.BCSteps},
		{"offline_bc_steps", d.OfflineBCSteps}, {"offline_bc_batch", d.OfflineBCBatch},
		{"model_train_every", d.ModelTrainEvery}, {"model_train_steps", d.ModelTrainSteps}, {"quality_every", d.QualityEvery},
		{"quality_samples", d.QualitySamples}} {
		if f.v < 1 {
			return fmt.Errorf("bdwm.%s = %d: must be ≥ 1", f.name, f.v)
		}
	}
	switch {
	case d.OnReject != rollout.Stop && d.OnReject != rollout.Absorb && d.OnReject != Auto:
		return fmt.Errorf("bdwm.on_reject = %q: want auto, stop or absorb", c.OnReject)
	case math.IsNaN(d.AbsorbReward) || math.IsInf(d.AbsorbReward, 0):
		return fmt.Errorf("bdwm.absorb_reward = %v: must be finite", c.AbsorbReward)
	case !(d.RewardPenalty >= 0) || math.IsInf(d.RewardPenalty, 0):
		return fmt.Errorf("bdwm.reward_penalty = %v: must be finite and ≥ 0", c.RewardPenalty)
	case !(d.BoundsMargin >= 0) || math.IsInf(d.BoundsMargin, 0):
		return fmt.Errorf("bdwm.bounds_margin = %v: must be finite and ≥ 0", c.BoundsMargin)
	case !(d.OfflineBCWeight >= 0) || math.IsInf(d.OfflineBCWeight, 0):
		return fmt.Errorf("bdwm.offline_bc_weight = %v: must be finite and ≥ 0", c.OfflineBCWeight)
	case !(d.BCWeight >= 0) || math.IsInf(d.BCWeight, 0):
		return fmt.Errorf("bdwm.bc_weight = %v: must be finite and ≥ 0", c.BCWeight)
	}
	return nil
}

// The values of Config.OnlineReal.
const (
	// OnlineRealDOn draws the real share of online batches from D_on.
	OnlineRealDOn = "d_on"
	// OnlineRealSymmetric draws it half from D_off, half from D_on.
	OnlineRealSymmetric = "symmetric"
)

// Lambda is Eq. 5: λ = max(λ_min, 1 − σ̄/σ_max), the fraction of an online
// batch drawn from D_on. With σ_max ≤ 0 no uncertainty has been seen
// (σ̄ ≤ σ_max), so σ̄/σ_max is taken as 0 and λ = 1 rather than dividing by
// zero.
func Lambda(sigmaBar, sigmaMax, lambdaMin float64) float64 {
	if !(sigmaMax > 0) {
		return 1
	}
	return max(lambdaMin, 1-sigmaBar/sigmaMax)
}

// BCWeightAt is Eq. 6's schedule: w_BC = w_0·max(0, 1 − t/N_BC) at online
// step t (0 from step N_BC on).
func BCWeightAt(t int64, w0 float64, nBC int) float64 {
	if nBC < 1 {
		return 0
	}
	return w0 * max(0, 1-float64(t)/float64(nBC))
}
