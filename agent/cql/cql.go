// Conservative Q-Learning, CQL(H) on SAC, in CORL's form, and its calibrated
// variant Cal-QL.
//
// Papers: A. Kumar, A. Zhou, G. Tucker, S. Levine, "Conservative Q-Learning
// for Offline Reinforcement Learning", NeurIPS 2020, arXiv:2006.04779,
// section 3 (the CQL(H) objective) and appendix F (the importance-sampled
// log-sum-exp); M. Nakamoto, Y. Zhai, A. Singh, M. S. Mark, Y. Ma, C. Finn,
// A. Kumar, S. Levine, "Cal-QL: Calibrated Offline RL Pre-Training for
// Efficient Online Fine-Tuning", NeurIPS 2023, arXiv:2303.05479, section 5.
// Code and defaults: CORL's algorithms/finetune/cql.py (ContinuousCQL) and
// algorithms/finetune/cal_ql.py (CalQL), which port young-geng/CQL and
// nakamotoo/Cal-QL.
//
// One update on a batch (s, a, r, s', d, MC), d = 1 only for a true terminal,
// with N = NumActions and T = Temp:
//
//	π(·|s) = tanh N(μ(s), σ(s)²),   log σ = clamp(m·raw(s) + o, -20, 2)    (m, o trainable)
//	ã ~ π(·|s):   L_α = -log α·mean_i (log π(ã_i|s_i) + H̄)
//	              L_π = mean_i (α·log π(ã_i|s_i) - min_k Q_k(s_i, ã_i))
//	a' ~ π(·|s'): y_i = r_i + γ(1-d_i)·min_k Q̄_k(s'_i, a'_i)         [- α·log π(a'_i|s'_i) with BackupEntropy]
//	per state, N actions of each kind: aᴿ_ij ~ U(-1, 1)^|A|, aᵖ_ij ~ π(·|s_i), aⁿ_ij ~ π(·|s'_i):
//	c_kij = [ Q_k(s_i, aᴿ_ij) - log 0.5^|A|,  Q_k(s_i, aⁿ_ij) - log π(aⁿ_ij|s'_i),  Q_k(s_i, aᵖ_ij) - log π(aᵖ_ij|s_i) ]
//	D_k   = mean_i clip(T·log Σ_j exp(c_kij/T) - Q_k(s_i, a_i), ClipDiffMin, ClipDiffMax)
//	L_Q   = Σ_k [ mean_i (Q_k(s_i, a_i) - y_i)² + α_cql·D_k ]
//	Q̄ ← (1-τ)·Q̄ + τ·Q
//
// Cal-QL (NewCalibrated; package calql) changes one thing: in c the
// policy-action values are lower-bounded by the Monte-Carlo return of the
// data's behaviour policy,
//
//	Q_k(s_i, aᵖ_ij) → max(Q_k(s_i, aᵖ_ij), MC_i),   Q_k(s_i, aⁿ_ij) → max(Q_k(s_i, aⁿ_ij), MC_i),
//
// so the conservative term stops pushing a policy's value down once it is
// below what the data already achieved. With Lagrange, α_cql·D_k becomes
// α'·α_cql·(D_k - gap) with α' = clamp(exp log α', 0, 10⁶), and log α' takes
// a step on L_α' = -½·Σ_k α'·α_cql·(D_k - gap).
//
// Deviations and tricks, all deliberate:
//   - Twin critics are ONE ensemble network with K = 2 members, as in
//     package sac.
//   - Every Q-value of the conservative term — the data action and N random,
//     N current-policy and N next-policy actions per state, 1+3N rows per
//     state — is computed by ONE forward of the ensemble over a stacked
//     batch, and its gradient by ONE backward. CORL makes six critic calls
//     for these.
//   - The actor runs once on s and once on s'; the N policy samples per
//     state are drawn from that one output. CORL runs the actor again on N
//     repeated copies of each observation, which gives the same distribution
//     at N times the cost.
//   - Every loss is computed from the parameters before the update, then
//     α, the actor, the critics (and α') step, as CORL's train(); package
//     sac instead updates the critic first.
//   - Gradients of the data action's Q-value come from both the TD and the
//     conservative term; the policy loss's gradient reaches the actor
//     through the critic (dQ/dã) and its critic gradients are discarded.
//   - max(Q, MC) passes its gradient to Q when Q ≥ MC and nowhere
//     otherwise. A row without a known MC (replay buffers that keep none
//     give -∞) is never bounded.
//   - Calibration stays on online and online episodes get their own MC
//     returns when they end (see calql.OnlineMC), as in the Cal-QL authors'
//     code; CORL's cal_ql.py turns calibration off at the offline→online
//     switch and stores MC 0 for online transitions.
//   - Not implemented, at CORL's defaults: bc_steps (0), alpha_multiplier
//     (1), target_update_period (1). State and reward normalisation are the
//     data pipeline's job.
//   - Actions are in [-1, 1] (env.Rescale maps them), which is what the
//     random-action density 0.5^|A| assumes.

package cql

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// Config holds CQL's hyperparameters. Zero fields take the defaults listed
// on each field (applied by WithDefaults), which are those of CORL's
// finetune/cql.py TrainConfig (cal_ql.py has the same); because zero means
// default, a value of exactly 0 cannot be requested for Gamma, Tau,
// TargetEntropy, Temp, TargetActionGap, ClipDiffMin, ClipDiffMax, LogStdMin,
// LogStdMax, LogStdOffset or LogStdMultiplier (use a tiny value). Every
// default is finite, so a resolved config survives JSON.
type Config struct {
	// Hidden lists the hidden-layer widths of each critic. Default [256, 256]
	// (CORL q_n_hidden_layers = 2 of width 256; its Adroit configs use 3,
	// AntMaze 5).
	Hidden []int `yaml:"hidden"`
	// ActorHidden lists the actor's hidden-layer widths. Default
	// [256, 256, 256] (CORL TanhGaussianPolicy).
	ActorHidden []int `yaml:"actor_hidden"`
	// Activation is the hidden activation: "relu", "tanh", "silu", "mish" or
	// "sigmoid". Default "relu" (CORL).
	Activation string `yaml:"activation"`
	// ActorLR is the actor's Adam learning rate. Default 3e-5 (CORL
	// policy_lr; 1e-4 in its AntMaze and Adroit configs).
	ActorLR float32 `yaml:"actor_lr"`
	// CriticLR is the critics' Adam learning rate, also used for log α'.
	// Default 3e-4 (CORL qf_lr).
	CriticLR float32 `yaml:"critic_lr"`
	// AlphaLR is the Adam learning rate of log α. Default ActorLR (CORL
	// optimises log α with policy_lr).
	AlphaLR float32 `yaml:"alpha_lr"`
	// Gamma is the discount γ. Default 0.99 (CORL discount).
	Gamma float32 `yaml:"gamma"`
	// Tau is the Polyak rate τ of the target critics. Default 5e-3 (CORL
	// soft_target_update_rate).
	Tau float32 `yaml:"tau"`
	// BatchSize is the number of transitions the training loop should sample
	// per update; the agent accepts any batch size. Default 256 (CORL).
	BatchSize int `yaml:"batch_size"`
	// InitAlpha is the initial entropy temperature α. Default 1 (CORL
	// log_alpha = Scalar(0.0)).
	InitAlpha float32 `yaml:"init_alpha"`
	// FixedAlpha keeps α at InitAlpha instead of tuning it (CORL
	// use_automatic_entropy_tuning = False, where α = alpha_multiplier = 1).
	FixedAlpha bool `yaml:"fixed_alpha"`
	// TargetEntropy is H̄, the entropy α tunes towards. Default -|A| (CORL
	// target_entropy = -prod(action shape)).
	TargetEntropy float32 `yaml:"target_entropy"`
	// BackupEntropy subtracts α·log π(a'|s') in the critic target. Default
	// off (CORL backup_entropy = False).
	BackupEntropy bool `yaml:"backup_entropy"`
	// CQLAlpha is α_cql, the weight of the conservative term offline.
	// Default 10 (CORL cql_alpha; 5 in its AntMaze configs, 1 in Adroit).
	CQLAlpha float32 `yaml:"cql_alpha"`
	// CQLAlphaOnline is α_cql from StartOnline on. Default CQLAlpha (CORL
	// cql_alpha_online, equal to cql_alpha in every CORL config).
	CQLAlphaOnline float32 `yaml:"cql_alpha_online"`
	// NumActions is N, the number of random, current-policy and
	// next-policy actions per state in the log-sum-exp. Default 10 (CORL
	// cql_n_actions).
	NumActions int `yaml:"num_actions"`
	// Temp is the log-sum-exp temperature T. Default 1 (CORL cql_temp).
	Temp float32 `yaml:"temp"`
	// NoImportanceSample drops the importance weights (the densities
	// 0.5^|A| and π) and puts the data action's Q-value into the
	// log-sum-exp instead (CORL cql_importance_sample = False). Default:
	// importance sampling on (CORL).
	NoImportanceSample bool `yaml:"no_importance_sample"`
	// Lagrange tunes α' so that the conservative gap D_k approaches
	// TargetActionGap (CORL cql_lagrange; off by default, on in its AntMaze
	// configs).
	Lagrange bool `yaml:"lagrange"`
	// TargetActionGap is the gap the Lagrange version aims at. Default -1
	// (CORL cql_target_action_gap; 0.8 in its AntMaze configs).
	TargetActionGap float32 `yaml:"target_action_gap"`
	// MaxTargetBackup takes, for the critic target, the best of N next
	// actions by min_k Q̄_k (CORL cql_max_target_backup; off by default, on
	// in its AntMaze and Adroit configs).
	MaxTargetBackup bool `yaml:"max_target_backup"`
	// ClipDiffMin and ClipDiffMax clip each state's conservative gap
	// before averaging; 0 means no bound on that side. Default none (CORL
	// cql_clip_diff_min/max = -∞, +∞; -200 and +∞ in its AntMaze and
	// Adroit configs).
	ClipDiffMin float32 `yaml:"clip_diff_min"`
	ClipDiffMax float32 `yaml:"clip_diff_max"`
	// LogStdMin and LogStdMax clamp the policy's log σ. Default -20 and 2
	// (CORL ReparameterizedTanhGaussian).
	LogStdMin float32 `yaml:"log_std_min"`
	LogStdMax float32 `yaml:"log_std_max"`
	// LogStdMultiplier and LogStdOffset are the initial values of the
	// trainable scalars m and o in log σ = m·raw + o. Default 1 and -1
	// (CORL TanhGaussianPolicy log_std_multiplier, log_std_offset).
	LogStdMultiplier float32 `yaml:"log_std_multiplier"`
	LogStdOffset     float32 `yaml:"log_std_offset"`
	// DefaultInit keeps PyTorch's default layer initialisation instead of
	// CORL's orthogonal one (orthogonal_init = True: every layer orthogonal
	// with gain √2, biases 0).
	DefaultInit bool `yaml:"default_init"`
}

// WithDefaults returns c with every zero field replaced by its default for
// an action space of actDim dimensions.
func (c Config) WithDefaults(actDim int) Config {
	if len(c.Hidden) == 0 {
		c.Hidden = []int{256, 256} // CORL q_n_hidden_layers = 2
	}
	if len(c.ActorHidden) == 0 {
		c.ActorHidden = []int{256, 256, 256} // CORL TanhGaussianPolicy
	}
	if c.Activation == "" {
		c.Activation = "relu" // CORL
	}
	if c.ActorLR == 0 {
		c.ActorLR = 3e-5 // CORL policy_lr
	}
	if c.CriticLR == 0 {
		c.CriticLR = 3e-4 // CORL qf_lr
	}
	if c.AlphaLR == 0 {
		c.AlphaLR = c.ActorLR // CORL: log α's Adam uses policy_lr
	}
	if c.Gamma == 0 {
		c.Gamma = 0.99 // CORL discount
	}
	if c.Tau == 0 {
		c.Tau = 5e-3 // CORL soft_target_update_rate
	}
	if c.BatchSize == 0 {
		c.BatchSize = 256 // CORL batch_size
	}
	if c.InitAlpha == 0 {
		c.InitAlpha = 1 // CORL log_alpha = Scalar(0.0)
	}
	if c.TargetEntropy == 0 {
		c.TargetEntropy = -float32(actDim) // CORL -prod(action shape)
	}
	if c.CQLAlpha == 0 {
		c.CQLAlpha = 10 // CORL cql_alpha
	}
	if c.CQLAlphaOnline == 0 {
		c.CQLAlphaOnline = c.CQLAlpha // CORL cql_alpha_online = cql_alpha
	}
	if c.NumActions == 0 {
		c.NumActions = 10 // CORL cql_n_actions
	}
	if c.Temp == 0 {
		c.Temp = 1 // CORL cql_temp
	}
	if c.TargetActionGap == 0 {
		c.TargetActionGap = -1 // CORL cql_target_action_gap
	}
	if c.LogStdMin == 0 {
		c.LogStdMin = -20 // CORL ReparameterizedTanhGaussian log_std_min
	}
	if c.LogStdMax == 0 {
		c.LogStdMax = 2 // CORL ReparameterizedTanhGaussian log_std_max
	}
	if c.LogStdMultiplier == 0 {
		c.LogStdMultiplier = 1 // CORL log_std_multiplier
	}
	if c.LogStdOffset == 0 {
		c.LogStdOffset = -1 // CORL log_std_offset
	}
	return c
}

func finite32(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

// Validate reports the first invalid field, naming it and its value. Zero
// fields are valid (they mean the default).
func (c Config) Validate() error {
	for _, h := range []struct {
		name  string
		sizes []int
	}{{"Hidden", c.Hidden}, {"ActorHidden", c.ActorHidden}} {
		for i, v := range h.sizes {
			if v <= 0 {
				return fmt.Errorf("cql.Config.%s[%d] = %d: must be positive", h.name, i, v)
			}
		}
	}
	if _, err := parseActivation(c.Activation); err != nil {
		return fmt.Errorf("cql.Config.Activation = %q: %w", c.Activation, err)
	}
	for _, f := range []struct {
		name string
		v    float32
	}{
		{"ActorLR", c.ActorLR}, {"CriticLR", c.CriticLR}, {"AlphaLR", c.AlphaLR}, {"InitAlpha", c.InitAlpha},
		{"CQLAlpha", c.CQLAlpha}, {"CQLAlphaOnline", c.CQLAlphaOnline}, {"Temp", c.Temp},
	} {
		if !finite32(f.v) || f.v < 0 {
			return fmt.Errorf("cql.Config.%s = %v: must be finite and ≥ 0", f.name, f.v)
		}
	}
	for _, f := range []struct {
		name string
		v    float32
	}{
		{"TargetEntropy", c.TargetEntropy}, {"TargetActionGap", c.TargetActionGap}, {"LogStdMin", c.LogStdMin},
		{"LogStdMax", c.LogStdMax}, {"LogStdMultiplier", c.LogStdMultiplier}, {"LogStdOffset", c.LogStdOffset},
	} {
		if !finite32(f.v) {
			return fmt.Errorf("cql.Config.%s = %v: must be finite", f.name, f.v)
		}
	}
	for _, f := range []struct {
		name string
		v    float32
	}{{"ClipDiffMin", c.ClipDiffMin}, {"ClipDiffMax", c.ClipDiffMax}} {
		if !finite32(f.v) {
			return fmt.Errorf("cql.Config.%s = %v: must be finite (0 means no bound)", f.name, f.v)
		}
	}
	switch {
	case !finite32(c.Gamma) || c.Gamma < 0 || c.Gamma > 1:
		return fmt.Errorf("cql.Config.Gamma = %v: must be in [0, 1]", c.Gamma)
	case !finite32(c.Tau) || c.Tau < 0 || c.Tau > 1:
		return fmt.Errorf("cql.Config.Tau = %v: must be in [0, 1]", c.Tau)
	case c.BatchSize < 0:
		return fmt.Errorf("cql.Config.BatchSize = %d: must be ≥ 0", c.BatchSize)
	case c.NumActions < 0:
		return fmt.Errorf("cql.Config.NumActions = %d: must be ≥ 0", c.NumActions)
	}
	d := c.WithDefaults(1)
	if d.LogStdMin >= d.LogStdMax {
		return fmt.Errorf("cql.Config.LogStdMin = %v: must be below LogStdMax = %v", d.LogStdMin, d.LogStdMax)
	}
	if c.ClipDiffMin != 0 && c.ClipDiffMax != 0 && c.ClipDiffMin >= c.ClipDiffMax {
		return fmt.Errorf("cql.Config.ClipDiffMin = %v: must be below ClipDiffMax = %v", c.ClipDiffMin, c.ClipDiffMax)
	}
	return nil
}

func parseActivation(s string) (tensor.Activation, error) {
	if s == "" {
		return tensor.ReLU, nil
	}
	return tensor.ParseActivation(s)
}

// numCritics is the number of critic ensemble members (twin critics).
const numCritics = 2

// maxAlphaPrime is the upper clamp of the Lagrange multiplier α' (CORL).
const maxAlphaPrime = 1e6

// Agent is a CQL or Cal-QL agent. It is not safe for concurrent use.
type Agent struct {
	cfg            Config
	name           string // "cql" or "calql": names random streams and state tensors
	calibrate      bool   // Cal-QL: bound policy-action Q-values by MC
	obsDim, actDim int

	actor                *nn.MLP   // s → [mean, raw log σ], 2|A| outputs
	logStdMul, logStdOff *nn.Param // trainable m and o of log σ = m·raw + o
	critic               *nn.MLP   // K=2 ensemble, [s, a] → Q
	criticTarget         *nn.MLP   // Polyak copy of critic
	logAlpha             *nn.Param
	logAlphaPrime        *nn.Param // nil unless Lagrange
	cqlAlpha             float32   // α_cql in use
	clipLo, clipHi       float64   // clip range of the gaps (±∞: none)

	actorOpt, criticOpt, alphaOpt, alphaPrimeOpt *optim.Adam
	actorParams, criticParams, targetParams      []*nn.Param

	actStream *rng.Stream // exploration noise of Act/ActBatch
	updStream *rng.Stream // sampling noise inside Update
	updates   int64

	metrics []agent.Metric
	buf     buffers
}

// buffers holds every scratch matrix, so that Update and Act do not allocate
// once they have grown to the batch size.
type buffers struct {
	// batch views (headers over the caller's slices)
	obs, act, next tensor.Mat
	rew, done, mc  []float32
	// policy on s (training pass) and on s' (prediction)
	actorOut                *tensor.Mat // the actor's training output on s (layer-owned)
	mean, logStd, preLogStd tensor.Mat
	nextOut, nextMean       tensor.Mat
	nextLogStd              tensor.Mat
	// actor step
	piNoise, piAct, piLogp     tensor.Mat
	piIn, dqPi, dAction, dLogp tensor.Mat
	dMean, dLogStd, dOut       tensor.Mat
	piDist                     nn.TanhGaussian
	// critic targets
	tgtNoise, tgtAct, tgtLogp tensor.Mat
	targetIn, targetQ, y      tensor.Mat
	tgtDist                   nn.TanhGaussian
	// conservative term
	repMean, repLogStd        tensor.Mat // N-times repeated policy rows
	curNoise, curAct, curLogp tensor.Mat // aᵖ ~ π(·|s)
	nxtNoise, nxtAct, nxtLogp tensor.Mat // aⁿ ~ π(·|s')
	randAct                   tensor.Mat // aᴿ ~ U(-1, 1)
	cqlDist                   nn.TanhGaussian
	criticIn, dq              tensor.Mat
	lse                       []float64 // one state's log-sum-exp arguments
	lseIdx                    []int     // their rows in the member's Q block (-1: bounded by MC)
	probe                     []float32 // tests only: policy-action values as they enter c
	// acting
	actIn, actOut, actMean      tensor.Mat
	actLogStd, actNoise, actAct tensor.Mat
	actDist                     nn.TanhGaussian
}

// Metric indices into Agent.metrics, in the order Update reports them.
const (
	mCriticLoss = iota
	mTDLoss
	mCQLLoss
	mActorLoss
	mAlphaLoss
	mAlphaPrimeLoss
	mAlpha
	mCQLWeight
	mCQLDiff
	mQData
	mQRandom
	mQPolicy
	mQNextPolicy
	mTargetQ
	mEntropy
	numMetrics
	mBoundPolicy     = numMetrics     // Cal-QL only
	mBoundNextPolicy = numMetrics + 1 // Cal-QL only
)

var metricNames = [numMetrics + 2]string{
	mCriticLoss:      "loss/critic",           // L_Q: TD + conservative terms of both members
	mTDLoss:          "loss/critic_td",        // Σ_k mean (Q_k - y)²
	mCQLLoss:         "loss/cql",              // Σ_k w·(D_k [- gap]), w = α_cql (·α')
	mActorLoss:       "loss/actor",            // L_π
	mAlphaLoss:       "loss/alpha",            // -log α·mean(log π + H̄)
	mAlphaPrimeLoss:  "loss/alpha_prime",      // L_α' (0 without Lagrange)
	mAlpha:           "train/alpha",           // α used by this update
	mCQLWeight:       "train/cql_weight",      // w = α_cql, or α'·α_cql with Lagrange
	mCQLDiff:         "train/cql_diff",        // mean_k D_k, the conservative gap
	mQData:           "train/q_data",          // mean Q_k(s, a) on the batch actions
	mQRandom:         "train/q_random",        // mean Q_k(s, aᴿ)
	mQPolicy:         "train/q_policy",        // mean Q_k(s, aᵖ), before calibration
	mQNextPolicy:     "train/q_next_policy",   // mean Q_k(s, aⁿ), before calibration
	mTargetQ:         "train/target_q",        // mean y
	mEntropy:         "train/entropy",         // -mean log π(ã|s)
	mBoundPolicy:     "train/bound_rate",      // Cal-QL: fraction of Q_k(s, aᵖ) below MC
	mBoundNextPolicy: "train/bound_rate_next", // Cal-QL: fraction of Q_k(s, aⁿ) below MC
}

// New returns a CQL agent for observations of obsDim and actions of actDim
// values, with networks initialised and random streams derived from seed. It
// returns an error if a dimension is not positive or cfg is invalid.
func New(obsDim, actDim int, cfg Config, seed uint64) (*Agent, error) {
	return newAgent("cql", false, obsDim, actDim, cfg, seed)
}

// NewCalibrated returns a Cal-QL agent: CQL whose conservative term
// lower-bounds the policy-action Q-values by each batch row's Monte-Carlo
// return (replay.Batch.MC), the one change of Cal-QL. Package calql is its
// documented entry point. Its random streams and state tensors are named
// "calql/…", so a Cal-QL checkpoint does not load into a CQL agent.
func NewCalibrated(obsDim, actDim int, cfg Config, seed uint64) (*Agent, error) {
	return newAgent("calql", true, obsDim, actDim, cfg, seed)
}

func newAgent(name string, calibrate bool, obsDim, actDim int, cfg Config, seed uint64) (*Agent, error) {
	if obsDim <= 0 || actDim <= 0 {
		return nil, fmt.Errorf("%s: observation dim %d and action dim %d must be positive", name, obsDim, actDim)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults(actDim)
	hidden, _ := parseActivation(cfg.Activation)
	sizes := func(in int, hid []int, out int) []int {
		return append(append([]int{in}, hid...), out)
	}
	a := &Agent{cfg: cfg, name: name, calibrate: calibrate, obsDim: obsDim, actDim: actDim, cqlAlpha: cfg.CQLAlpha,
		clipLo: math.Inf(-1), clipHi: math.Inf(1)}
	if cfg.ClipDiffMin != 0 {
		a.clipLo = float64(cfg.ClipDiffMin)
	}
	if cfg.ClipDiffMax != 0 {
		a.clipHi = float64(cfg.ClipDiffMax)
	}
	initStream := rng.Derive(seed, name, "init", "actor")
	a.actor = nn.NewMLP("actor", nn.MLPConfig{Sizes: sizes(obsDim, cfg.ActorHidden, 2*actDim), Hidden: hidden}, initStream)
	a.actor.NoInputGrad = true
	criticCfg := nn.MLPConfig{Sizes: sizes(obsDim+actDim, cfg.Hidden, 1), Hidden: hidden}
	criticStream := rng.Derive(seed, name, "init", "critic")
	a.critic = nn.NewEnsembleMLP("critic", numCritics, criticCfg, criticStream)
	if !cfg.DefaultInit {
		orthogonalInit(a.actor, math.Sqrt2, initStream)
		orthogonalInit(a.critic, math.Sqrt2, criticStream)
	}
	a.criticTarget = nn.NewEnsembleMLP("critic_target", numCritics, criticCfg, rng.New(0))
	nn.CopyParams(a.criticTarget.Params(), a.critic.Params())
	a.logStdMul = nn.NewParam("actor/log_std_multiplier", 1)
	a.logStdMul.W[0] = cfg.LogStdMultiplier
	a.logStdOff = nn.NewParam("actor/log_std_offset", 1)
	a.logStdOff.W[0] = cfg.LogStdOffset
	a.logAlpha = nn.NewParam("log_alpha", 1)
	a.logAlpha.W[0] = float32(math.Log(float64(cfg.InitAlpha)))

	a.actorParams = append(a.actor.Params(), a.logStdMul, a.logStdOff)
	a.criticParams, a.targetParams = a.critic.Params(), a.criticTarget.Params()
	a.actorOpt = optim.NewAdam(a.actorParams, optim.AdamConfig{LR: cfg.ActorLR})
	a.criticOpt = optim.NewAdam(a.criticParams, optim.AdamConfig{LR: cfg.CriticLR})
	a.alphaOpt = optim.NewAdam([]*nn.Param{a.logAlpha}, optim.AdamConfig{LR: cfg.AlphaLR})
	if cfg.Lagrange {
		a.logAlphaPrime = nn.NewParam("log_alpha_prime", 1)
		a.logAlphaPrime.W[0] = 1 // CORL log_alpha_prime = Scalar(1.0)
		a.alphaPrimeOpt = optim.NewAdam([]*nn.Param{a.logAlphaPrime}, optim.AdamConfig{LR: cfg.CriticLR})
	}

	a.actStream = rng.Derive(seed, name, "act")
	a.updStream = rng.Derive(seed, name, "update")
	n := numMetrics
	if calibrate {
		n += 2
	}
	a.metrics = make([]agent.Metric, n)
	for i := range a.metrics {
		a.metrics[i].Name = metricNames[i]
	}
	G := 3 * cfg.NumActions
	a.buf.lse = make([]float64, G+1)
	a.buf.lseIdx = make([]int, G+1)
	return a, nil
}

// Config returns the agent's configuration with defaults applied.
func (a *Agent) Config() Config { return a.cfg }

// Calibrated reports whether the agent is Cal-QL.
func (a *Agent) Calibrated() bool { return a.calibrate }

// ObsDim returns the observation dimension.
func (a *Agent) ObsDim() int { return a.obsDim }

// ActDim returns the action dimension.
func (a *Agent) ActDim() int { return a.actDim }

// Updates returns the number of updates done.
func (a *Agent) Updates() int64 { return a.updates }

// Alpha returns the current entropy temperature α.
func (a *Agent) Alpha() float32 {
	if a.cfg.FixedAlpha {
		return a.cfg.InitAlpha
	}
	return float32(math.Exp(float64(a.logAlpha.W[0])))
}

// CQLAlpha returns α_cql, the conservative term's weight in use.
func (a *Agent) CQLAlpha() float32 { return a.cqlAlpha }

// StartOnline switches α_cql to Config.CQLAlphaOnline, as CORL does when its
// loop reaches the online phase (call it from train.Hooks.OnSwitch). The
// value is part of the saved state.
func (a *Agent) StartOnline() { a.cqlAlpha = a.cfg.CQLAlphaOnline }

// alphaPrime returns the Lagrange multiplier α' = clamp(exp log α', 0, 10⁶),
// 1 without Lagrange.
func (a *Agent) alphaPrime() float32 {
	if a.logAlphaPrime == nil {
		return 1
	}
	return float32(min(math.Exp(float64(a.logAlphaPrime.W[0])), maxAlphaPrime))
}

// Params returns the trainable parameters: the actor (with m and o), the
// critics, log α unless α is fixed, and log α' with Lagrange (not the target
// critics, which follow by Polyak averaging).
func (a *Agent) Params() []*nn.Param {
	ps := append(append([]*nn.Param(nil), a.actorParams...), a.criticParams...)
	if !a.cfg.FixedAlpha {
		ps = append(ps, a.logAlpha)
	}
	if a.logAlphaPrime != nil {
		ps = append(ps, a.logAlphaPrime)
	}
	return ps
}

// Update does one CQL (or Cal-QL) update on the batch b: all losses from
// the current parameters, then the α, actor, critic (and α') steps and the
// Polyak update of the target critics. It returns the metrics in a slice
// owned by the agent, valid until the next Update. It does not allocate once
// its buffers have grown to the batch size. It panics if the batch's
// dimensions do not match the agent's, or if a Cal-QL batch has no MC
// column (programmer errors).
func (a *Agent) Update(b *replay.Batch) []agent.Metric {
	n := a.bindBatch(b)
	alpha := a.Alpha()

	// 0. Every random draw of the update; 1. the policy on s and s'.
	a.draw(n)
	a.policies()

	// 2. Actor loss L_π through the critic, and the α gradient.
	actorLoss, logpMean := a.actorLossGrad(n, alpha)
	alphaGrad := -(logpMean + float64(a.cfg.TargetEntropy))
	alphaLoss := float64(a.logAlpha.W[0]) * alphaGrad

	// 3. Critic targets y, the CQL action samples, and L_Q with both
	// members in one forward and one backward pass.
	targetMean := a.criticTargets(n, alpha)
	a.cqlSamples(n)
	alphaPrime := a.alphaPrime()
	cs := a.criticLossGrad(n, alphaPrime)

	// 4. α' gradient (Lagrange): ∂L_α'/∂log α' = -½·α'·α_cql·Σ_k (D_k - gap)
	// (zero where the clamp at 10⁶ holds).
	var alphaPrimeLoss float64
	if a.logAlphaPrime != nil {
		var s float64
		for k := range numCritics {
			s += cs.diffs[k] - float64(a.cfg.TargetActionGap)
		}
		alphaPrimeLoss = -0.5 * float64(alphaPrime) * float64(a.cqlAlpha) * s
		a.logAlphaPrime.G[0] = 0
		if alphaPrime < maxAlphaPrime {
			a.logAlphaPrime.G[0] = float32(alphaPrimeLoss)
		}
	}

	// 5. Steps on the gradients from the pre-update parameters, then Polyak.
	if !a.cfg.FixedAlpha {
		a.logAlpha.G[0] = float32(alphaGrad)
		a.alphaOpt.Step()
	}
	a.actorOpt.Step()
	a.criticOpt.Step()
	if a.alphaPrimeOpt != nil {
		a.alphaPrimeOpt.Step()
	}
	nn.Polyak(a.targetParams, a.criticParams, a.cfg.Tau)
	a.updates++

	m := a.metrics
	m[mCriticLoss].Value = cs.td + cs.cql
	m[mTDLoss].Value = cs.td
	m[mCQLLoss].Value = cs.cql
	m[mActorLoss].Value = actorLoss
	m[mAlphaLoss].Value = alphaLoss
	m[mAlphaPrimeLoss].Value = alphaPrimeLoss
	m[mAlpha].Value = float64(alpha)
	m[mCQLWeight].Value = float64(alphaPrime) * float64(a.cqlAlpha)
	m[mCQLDiff].Value = (cs.diffs[0] + cs.diffs[1]) / numCritics
	m[mQData].Value = cs.qData
	m[mQRandom].Value = cs.qRandom
	m[mQPolicy].Value = cs.qPolicy
	m[mQNextPolicy].Value = cs.qNext
	m[mTargetQ].Value = targetMean
	m[mEntropy].Value = -logpMean
	if a.calibrate {
		m[mBoundPolicy].Value = cs.boundPolicy
		m[mBoundNextPolicy].Value = cs.boundNext
	}
	return m
}

// draw makes every random draw of an update, in a fixed order: the noise
// of ã, of the target actions a' (N per state with MaxTargetBackup), of the
// CQL policy samples aᵖ and aⁿ, and the random actions aᴿ.
func (a *Agent) draw(n int) {
	B := &a.buf
	A, N := a.actDim, a.cfg.NumActions
	a.updStream.FillNormal(B.piNoise.Resize(n, A).Values())
	tgtRows := n
	if a.cfg.MaxTargetBackup {
		tgtRows = n * N
	}
	a.updStream.FillNormal(B.tgtNoise.Resize(tgtRows, A).Values())
	a.updStream.FillNormal(B.curNoise.Resize(n*N, A).Values())
	a.updStream.FillNormal(B.nxtNoise.Resize(n*N, A).Values())
	a.updStream.FillUniform(B.randAct.Resize(n*N, A).Values(), -1, 1)
}

// policies runs the actor on the batch: its training pass on s (kept for
// the actor's backward pass) and a prediction on s'.
func (a *Agent) policies() {
	B := &a.buf
	B.actorOut = a.actor.Forward(&B.obs)
	a.policyHead(&B.mean, &B.logStd, &B.preLogStd, B.actorOut)
	a.actor.Predict(&B.nextOut, &B.next)
	a.policyHead(&B.nextMean, &B.nextLogStd, nil, &B.nextOut)
}

// actorLossGrad evaluates the actor loss
//
//	L_π = mean_i (α·log π(ã_i|s_i) - min_k Q_k(s_i, ã_i)),
//
// ã_i = tanh(μ(s_i) + σ(s_i)·ε_i) with ε from buf.piNoise, sets the actor's
// gradients (m and o included) to ∇L_π, leaves the critic's gradients at
// zero, and returns L_π and mean log π(ã|s). It needs the actor's training
// pass on s (policyHead into buf.mean, buf.logStd, buf.preLogStd).
func (a *Agent) actorLossGrad(n int, alpha float32) (loss, logpMean float64) {
	B := &a.buf
	O, A, K := a.obsDim, a.actDim, numCritics
	invN := 1 / float32(n)
	B.piDist.Sample(&B.piAct, &B.piLogp, &B.mean, &B.logStd, &B.piNoise)

	// min_k Q_k(s, ã): the loss gradient -1/n goes to the member holding
	// the minimum.
	fillStateAction(&B.piIn, &B.obs, &B.piAct, K)
	qPi := a.critic.Forward(&B.piIn)
	B.dqPi.Resize(K*n, 1)
	B.dLogp.Resize(n, 1)
	var logpSum float64
	for i := 0; i < n; i++ {
		q0, q1 := qPi.Data[i], qPi.Data[n+i]
		minQ := q0
		B.dqPi.Data[i], B.dqPi.Data[n+i] = -invN, 0
		if q1 < q0 {
			minQ = q1
			B.dqPi.Data[i], B.dqPi.Data[n+i] = 0, -invN
		}
		lp := B.piLogp.Data[i]
		loss += float64(alpha*lp - minQ)
		logpSum += float64(lp)
		B.dLogp.Data[i] = alpha * invN
	}
	loss /= float64(n)

	// ∂L_π/∂ã: back-propagate to the critic's input and sum the members'
	// action columns (no critic gradients: NoParamGrad).
	a.critic.NoInputGrad, a.critic.NoParamGrad = false, true
	dx := a.critic.Backward(&B.dqPi)
	a.critic.NoParamGrad = false
	B.dAction.Resize(n, A)
	for i := 0; i < n; i++ {
		for j := 0; j < A; j++ {
			var s float32
			for k := 0; k < K; k++ {
				s += dx.Data[(k*n+i)*(O+A)+O+j]
			}
			B.dAction.Data[i*A+j] = s
		}
	}

	// Through the tanh-Gaussian to μ and log σ, then through
	// log σ = clamp(m·raw + o): ∂/∂raw = m·g, ∂/∂m = Σ raw·g, ∂/∂o = Σ g,
	// where g is ∂L/∂log σ inside the clamp's range and 0 outside.
	B.piDist.Backward(&B.dMean, &B.dLogStd, &B.dAction, &B.dLogp)
	nn.ZeroGrad(a.actorParams)
	raw := B.actorOut.Data
	mul := a.logStdMul.W[0]
	lo, hi := a.cfg.LogStdMin, a.cfg.LogStdMax
	B.dOut.Resize(n, 2*A)
	var gMul, gOff float64
	for i := 0; i < n; i++ {
		for j := 0; j < A; j++ {
			B.dOut.Data[i*2*A+j] = B.dMean.Data[i*A+j]
			g := B.dLogStd.Data[i*A+j]
			if p := B.preLogStd.Data[i*A+j]; p < lo || p > hi {
				g = 0
			}
			B.dOut.Data[i*2*A+A+j] = mul * g
			gMul += float64(g) * float64(raw[i*2*A+A+j])
			gOff += float64(g)
		}
	}
	a.logStdMul.G[0] = float32(gMul)
	a.logStdOff.G[0] = float32(gOff)
	a.actor.Backward(&B.dOut)
	return loss, logpSum / float64(n)
}

// criticTargets sets buf.y to the critic targets
//
//	y_i = r_i + γ(1-d_i)·v_i,   v_i = min_k Q̄_k(s'_i, a'_i) [- α·log π(a'_i|s'_i)],
//
// a'_i = tanh(μ(s'_i) + σ(s'_i)·ε_i) with ε from buf.tgtNoise; with
// MaxTargetBackup a'_i is the best of N such samples by min_k Q̄_k. It returns
// mean y.
func (a *Agent) criticTargets(n int, alpha float32) float64 {
	B := &a.buf
	K, N := numCritics, a.cfg.NumActions
	reps := 1
	if a.cfg.MaxTargetBackup {
		reps = N
	}
	repeatRows(&B.repMean, &B.nextMean, reps)
	repeatRows(&B.repLogStd, &B.nextLogStd, reps)
	B.tgtDist.Sample(&B.tgtAct, &B.tgtLogp, &B.repMean, &B.repLogStd, &B.tgtNoise)
	fillRepeatedStateAction(&B.targetIn, &B.next, &B.tgtAct, reps, K)
	a.criticTarget.Predict(&B.targetQ, &B.targetIn)
	m := n * reps
	B.y.Resize(n, 1)
	gamma := a.cfg.Gamma
	var sum float64
	for i := 0; i < n; i++ {
		best, bestJ := float32(math.Inf(-1)), 0
		for j := 0; j < reps; j++ {
			r := i*reps + j
			v := min(B.targetQ.Data[r], B.targetQ.Data[m+r])
			if v > best {
				best, bestJ = v, j
			}
		}
		if a.cfg.BackupEntropy {
			best -= alpha * B.tgtLogp.Data[i*reps+bestJ]
		}
		y := B.rew[i] + gamma*(1-B.done[i])*best
		B.y.Data[i] = y
		sum += float64(y)
	}
	return sum / float64(n)
}

// cqlSamples draws the conservative term's policy actions: N samples aᵖ of
// π(·|s_i) and N samples aⁿ of π(·|s'_i) per state (rows i·N+j), with their
// log-probabilities, from the policy outputs already computed.
func (a *Agent) cqlSamples(n int) {
	B := &a.buf
	N := a.cfg.NumActions
	repeatRows(&B.repMean, &B.mean, N)
	repeatRows(&B.repLogStd, &B.logStd, N)
	B.cqlDist.Sample(&B.curAct, &B.curLogp, &B.repMean, &B.repLogStd, &B.curNoise)
	repeatRows(&B.repMean, &B.nextMean, N)
	repeatRows(&B.repLogStd, &B.nextLogStd, N)
	B.cqlDist.Sample(&B.nxtAct, &B.nxtLogp, &B.repMean, &B.repLogStd, &B.nxtNoise)
}

// criticStats are the values of one critic loss evaluation.
type criticStats struct {
	td, cql                float64 // Σ_k mean (Q_k - y)², Σ_k w·(D_k [- gap])
	diffs                  [numCritics]float64
	qData, qRandom         float64
	qPolicy, qNext         float64
	boundPolicy, boundNext float64
}

// criticLossGrad evaluates L_Q = Σ_k [mean_i (Q_k(s_i, a_i) - y_i)² + w·D_k]
// with w = α'·α_cql, every Q-value of both members in one ensemble forward
// pass over the stacked rows (see fillCQLInput), sets the critic's gradients
// to ∇L_Q with one backward pass, and returns the loss's parts. It needs
// buf.y and the CQL samples.
func (a *Agent) criticLossGrad(n int, alphaPrime float32) criticStats {
	B := &a.buf
	K, N := numCritics, a.cfg.NumActions
	G := 1 + 3*N
	a.fillCQLInput(n)
	nn.ZeroGrad(a.criticParams)
	q := a.critic.Forward(&B.criticIn)
	B.dq.Resize(K*n*G, 1)
	clear(B.dq.Data[:K*n*G])
	w := alphaPrime * a.cqlAlpha
	invN := 1 / float32(n)
	var st criticStats
	for k := 0; k < K; k++ {
		qk := q.Data[k*n*G : (k+1)*n*G]
		dqk := B.dq.Data[k*n*G : (k+1)*n*G]
		for i := 0; i < n; i++ {
			d := qk[i*G] - B.y.Data[i]
			st.td += float64(d) * float64(d)
			st.qData += float64(qk[i*G])
			dqk[i*G] = 2 * d * invN
		}
		var probe []float32
		if B.probe != nil {
			probe = B.probe[k*n*2*N : (k+1)*n*2*N]
		}
		st.diffs[k] = a.conservative(dqk, qk, probe, n, w, &st)
		gap := float32(0)
		if a.logAlphaPrime != nil {
			gap = a.cfg.TargetActionGap
		}
		st.cql += float64(w) * (st.diffs[k] - float64(gap))
	}
	st.td /= float64(n)
	st.qData /= float64(K * n)
	pn := float64(K * n * N)
	st.qRandom /= pn
	st.qPolicy /= pn
	st.qNext /= pn
	st.boundPolicy /= pn
	st.boundNext /= pn
	a.critic.NoInputGrad = true // no dL/d[s, a] needed
	a.critic.Backward(&B.dq)
	return st
}

// conservative evaluates one member's conservative gap
//
//	D = mean_i clip(T·log Σ_j exp(c_ij/T) - Q(s_i, a_i), ClipDiffMin, ClipDiffMax)
//
// from the member's Q-values q (n states × 1+3N rows, fillCQLInput's layout)
// and ADDS w·∂D/∂q into dq: w/n·softmax_j(c_i/T) to each entry's Q-value
// (none for a value replaced by its MC bound) and -w/n to Q(s_i, a_i), for
// states whose gap is inside the clip range. It accumulates the Q-value
// statistics into st and, if probe is non-nil (n·2N values), writes the
// policy-action values as they enter c (after calibration), next-policy
// then current-policy, N each per state.
func (a *Agent) conservative(dq, q, probe []float32, n int, w float32, st *criticStats) float64 {
	B := &a.buf
	N := a.cfg.NumActions
	G := 1 + 3*N
	T := float64(a.cfg.Temp)
	is := !a.cfg.NoImportanceSample
	var logUniform float64 // -log 0.5^|A| = |A|·log 2
	if is {
		logUniform = float64(a.actDim) * math.Ln2
	}
	lo, hi := a.clipLo, a.clipHi
	g := float64(w) / float64(n)
	c, idx := B.lse, B.lseIdx
	var diffSum float64
	for i := 0; i < n; i++ {
		qi := q[i*G : (i+1)*G]
		bound := math.Inf(-1)
		if a.calibrate {
			bound = float64(B.mc[i])
		}
		m := 0
		for j := 0; j < N; j++ {
			v := float64(qi[1+j])
			st.qRandom += v
			c[m], idx[m] = v+logUniform, 1+j
			m++
		}
		if !is {
			c[m], idx[m] = float64(qi[0]), 0
			m++
		}
		for grp, logp := range [2][]float32{B.nxtLogp.Data[i*N : (i+1)*N], B.curLogp.Data[i*N : (i+1)*N]} {
			for j := 0; j < N; j++ {
				row := 1 + (1+grp)*N + j
				v := float64(qi[row])
				c[m], idx[m] = v, row
				if grp == 0 {
					st.qNext += v
				} else {
					st.qPolicy += v
				}
				if v < bound {
					c[m], idx[m] = bound, -1 // Cal-QL: max(Q, MC), no gradient to Q
					if grp == 0 {
						st.boundNext++
					} else {
						st.boundPolicy++
					}
				}
				if probe != nil {
					probe[i*2*N+grp*N+j] = float32(c[m])
				}
				if is {
					c[m] -= float64(logp[j])
				}
				m++
			}
		}
		mx := math.Inf(-1)
		for _, v := range c[:m] {
			mx = max(mx, v/T)
		}
		var s float64
		for _, v := range c[:m] {
			s += math.Exp(v/T - mx)
		}
		diff := T*(mx+math.Log(s)) - float64(qi[0])
		diffSum += min(max(diff, lo), hi)
		if diff < lo || diff > hi {
			continue // clipped: no gradient
		}
		for e, v := range c[:m] {
			if r := idx[e]; r >= 0 {
				dq[r+i*G] += float32(g * math.Exp(v/T-mx) / s)
			}
		}
		dq[i*G] -= float32(g)
	}
	return diffSum / float64(n)
}

// fillCQLInput sets buf.criticIn to the critic ensemble's input for every
// Q-value of the critic loss: per state i, 1+3N rows [s_i, a] with a the
// batch action, then N random actions aᴿ, N next-policy actions aⁿ and N
// current-policy actions aᵖ (rows i·(1+3N) + …), stacked once per member.
func (a *Agent) fillCQLInput(n int) {
	B := &a.buf
	O, A, N, K := a.obsDim, a.actDim, a.cfg.NumActions, numCritics
	G, W := 1+3*N, O+A
	B.criticIn.Resize(K*n*G, W)
	X := B.criticIn.Data
	for i := 0; i < n; i++ {
		s := B.obs.Data[i*O : (i+1)*O]
		base := i * G
		put := func(r int, act []float32) {
			row := X[(base+r)*W : (base+r+1)*W]
			copy(row[:O], s)
			copy(row[O:], act)
		}
		put(0, B.act.Data[i*A:(i+1)*A])
		for j := 0; j < N; j++ {
			k := (i*N + j) * A
			put(1+j, B.randAct.Data[k:k+A])
			put(1+N+j, B.nxtAct.Data[k:k+A])
			put(1+2*N+j, B.curAct.Data[k:k+A])
		}
	}
	for m := 1; m < K; m++ {
		copy(X[m*n*G*W:(m+1)*n*G*W], X[:n*G*W])
	}
}

// bindBatch points the batch views at b's slices and returns the number of
// rows. It panics if the slices' lengths do not fit the agent's dimensions
// or a Cal-QL batch lacks its MC column.
func (a *Agent) bindBatch(b *replay.Batch) int {
	n := agent.BatchRows(a.name, b, a.obsDim, a.actDim)
	O, A := a.obsDim, a.actDim
	if a.calibrate && len(b.MC) != n {
		panic(fmt.Sprintf("%s.Update: batch of %d rows has %d MC returns; Cal-QL needs one per row (replay.NewBatch with MC)", a.name, n, len(b.MC)))
	}
	B := &a.buf
	B.obs = tensor.Mat{Rows: n, Cols: O, Data: b.Obs}
	B.act = tensor.Mat{Rows: n, Cols: A, Data: b.Act}
	B.next = tensor.Mat{Rows: n, Cols: O, Data: b.NextObs}
	B.rew, B.done, B.mc = b.Rew, b.Done, b.MC
	return n
}

// policyHead splits the actor's output [mean | raw] (n×2|A|) into mean and
// log σ = clamp(m·raw + o, LogStdMin, LogStdMax) (each n×|A|) and, if pre is
// non-nil, sets it to m·raw + o before the clamp.
func (a *Agent) policyHead(mean, logStd, pre, out *tensor.Mat) {
	n, A := out.Rows, a.actDim
	mean.Resize(n, A)
	logStd.Resize(n, A)
	if pre != nil {
		pre.Resize(n, A)
	}
	mul, off := a.logStdMul.W[0], a.logStdOff.W[0]
	lo, hi := a.cfg.LogStdMin, a.cfg.LogStdMax
	for i := 0; i < n; i++ {
		row := out.Data[i*2*A : (i+1)*2*A]
		for j := 0; j < A; j++ {
			mean.Data[i*A+j] = row[j]
			p := mul*row[A+j] + off
			if pre != nil {
				pre.Data[i*A+j] = p
			}
			logStd.Data[i*A+j] = min(max(p, lo), hi)
		}
	}
}

// repeatRows sets dst to x with every row repeated r times in a row (row
// i·r+j is x's row i).
func repeatRows(dst, x *tensor.Mat, r int) {
	n, c := x.Rows, x.Cols
	dst.Resize(n*r, c)
	for i := 0; i < n; i++ {
		src := x.Data[i*c : (i+1)*c]
		for j := 0; j < r; j++ {
			copy(dst.Data[(i*r+j)*c:(i*r+j+1)*c], src)
		}
	}
}

// fillStateAction sets dst to k stacked copies of the rows [s_i, a_i].
func fillStateAction(dst, s, act *tensor.Mat, k int) { fillRepeatedStateAction(dst, s, act, 1, k) }

// fillRepeatedStateAction sets dst to k stacked copies of the rows
// [s_i, a_{i·r+j}] (act has r rows per row of s): the input of the k-member
// critic ensemble, every member fed the same batch.
func fillRepeatedStateAction(dst, s, act *tensor.Mat, r, k int) {
	n, O, A := s.Rows, s.Cols, act.Cols
	W := O + A
	rows := n * r
	dst.Resize(k*rows, W)
	for i := 0; i < n; i++ {
		for j := 0; j < r; j++ {
			row := dst.Data[(i*r+j)*W : (i*r+j+1)*W]
			copy(row[:O], s.Data[i*O:(i+1)*O])
			copy(row[O:], act.Data[(i*r+j)*A:(i*r+j+1)*A])
		}
	}
	for m := 1; m < k; m++ {
		copy(dst.Data[m*rows*W:(m+1)*rows*W], dst.Data[:rows*W])
	}
}

// Act writes the action for one observation into act: tanh of the policy
// mean if deterministic, otherwise a sample of the tanh-Gaussian policy
// drawn from the agent's acting stream. Actions are in [-1, 1]. It does not
// allocate once its buffers have grown. It returns an error if a length is
// wrong.
func (a *Agent) Act(obs, act []float32, deterministic bool) error {
	if _, err := agent.ActRows(a.name, obs, act, a.obsDim, a.actDim, true); err != nil {
		return err
	}
	a.act(1, obs, act, deterministic)
	return nil
}

// ActBatch is Act for a batch: obs holds B row-major observations and act
// receives B actions (B·|A| values). It returns an error if the lengths do
// not describe the same B ≥ 1 rows.
func (a *Agent) ActBatch(obs, act []float32, deterministic bool) error {
	n, err := agent.ActRows(a.name, obs, act, a.obsDim, a.actDim, false)
	if err != nil {
		return err
	}
	a.act(n, obs, act, deterministic)
	return nil
}

func (a *Agent) act(n int, obs, act []float32, deterministic bool) {
	B := &a.buf
	B.actIn = tensor.Mat{Rows: n, Cols: a.obsDim, Data: obs}
	a.actor.Predict(&B.actOut, &B.actIn)
	a.policyHead(&B.actMean, &B.actLogStd, nil, &B.actOut)
	if deterministic {
		nn.TanhMode(&B.actAct, &B.actMean)
	} else {
		B.actNoise.Resize(n, a.actDim)
		a.actStream.FillNormal(B.actNoise.Values())
		B.actDist.Sample(&B.actAct, nil, &B.actMean, &B.actLogStd, &B.actNoise)
	}
	copy(act, B.actAct.Values())
	B.actIn = tensor.Mat{} // do not keep the caller's slice
}

// Policy returns the agent as an env.Policy (for episodes and evaluation),
// deterministic or sampling.
func (a *Agent) Policy(deterministic bool) env.Policy {
	return env.PolicyFunc(func(obs, act []float32) error { return a.Act(obs, act, deterministic) })
}
