// Soft Actor-Critic with automatic entropy tuning.
//
// Paper: T. Haarnoja, A. Zhou, K. Hartikainen, G. Tucker, S. Ha, J. Tan,
// V. Kumar, H. Zhu, A. Gupta, P. Abbeel, S. Levine, "Soft Actor-Critic
// Algorithms and Applications", arXiv:1812.05905 (2018), Algorithm 1 and
// section 5 (automating entropy adjustment). Layout after CleanRL's
// sac_continuous_action.py; defaults are the paper's Table 1 unless a field
// says otherwise.
//
// One update on a batch (s, a, r, s', d), d = 1 only for a true terminal (a
// time-limit truncation keeps d = 0 and bootstraps):
//
//	a' ~ π(·|s'),  y = r + γ(1-d)·(min_k Q̄_k(s', a') - α·log π(a'|s'))
//	L_Q = Σ_k mean_i (Q_k(s_i, a_i) - y_i)²                      (critic step)
//	ã ~ π(·|s) reparameterised,
//	L_π = mean_i (α·log π(ã_i|s_i) - min_k Q_k(s_i, ã_i))
//	      + w_BC·mean_i KL(π_ref(·|s_i) ‖ π(·|s_i))               (actor step)
//	L_α = -mean_i log α·(log π(ã_i|s_i) + H̄)                     (α step)
//	Q̄ ← (1-τ)·Q̄ + τ·Q                                           (Polyak)
//
// Deviations and tricks, all deliberate:
//   - Twin critics are ONE ensemble network with K = 2 members (weights
//     [2, in, out]), so both run in one call; the members are initialised
//     independently and see the same batch, exactly like two separate
//     networks.
//   - The actor's mean and raw log σ are the two halves of one output layer
//     of 2|A| units (CleanRL has two heads on the same trunk: the same
//     function).
//   - log σ is squashed smoothly into [LogStdMin, LogStdMax] = [-5, 2] by
//     log σ = min + ½(max-min)(tanh(raw)+1), as CleanRL, instead of the
//     softlearning code's hard clip to [-20, 2].
//   - The critic loss is the sum of the two members' mean squared errors,
//     without the paper's ½ (CleanRL).
//   - The α loss is on log α (softlearning, Stable-Baselines3), not on α as
//     in CleanRL; α starts at 1 (log α = 0, softlearning and CleanRL).
//   - The actor and α are updated on every update, as in the paper (CleanRL
//     updates the actor every second step, twice).
//   - The updates run in sequence, critic → actor → α → target, so the actor
//     loss sees this step's updated critic (CleanRL's order); the paper's code
//     computes all losses from the same parameters.
//   - The α loss reuses log π(ã|s) from the actor step (softlearning) instead
//     of sampling again after the actor step (CleanRL).
//   - The actor-loss gradient reaches the actor through the critic: dQ/dã by
//     back-propagating the critic on [s, ã]; the critic parameter gradients
//     of that pass are cleared and never reach the critic's optimiser.
//   - Optional behaviour-cloning term (BDWM, eq. 6): w_BC times the KL from a
//     frozen reference policy π_ref (FreezeBCReference) to π, in closed form
//     between the pre-tanh diagonal Gaussians. tanh is a bijection, so this
//     equals the KL between the squashed policies. Weight 0 by default;
//     SetBCWeight anneals it.
//   - Actions are in [-1, 1]; mapping them onto an env's bounds is the env's
//     job (env.Rescale). There is no target actor (paper).

package sac

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

// Config holds SAC's hyperparameters. Zero fields take the defaults listed
// on each field (applied by WithDefaults); because zero means default, a
// Gamma, LogStdMin, LogStdMax or TargetEntropy of exactly 0 cannot be
// requested (use a tiny value).
type Config struct {
	// Hidden lists the hidden-layer widths of the actor and of each critic.
	// Default [256, 256] (paper Table 1; CleanRL).
	Hidden []int `yaml:"hidden"`
	// Activation is the hidden activation: "relu", "tanh", "silu", "mish"
	// or "sigmoid". Default "relu" (paper; CleanRL).
	Activation string `yaml:"activation"`
	// ActorLR, CriticLR and AlphaLR are the Adam learning rates of the actor,
	// the critics and log α. Default 3e-4 each (paper Table 1; CleanRL uses
	// 3e-4 for the actor and 1e-3 for the critics and α).
	ActorLR  float32 `yaml:"actor_lr"`
	CriticLR float32 `yaml:"critic_lr"`
	AlphaLR  float32 `yaml:"alpha_lr"`
	// Gamma is the discount γ. Default 0.99 (paper).
	Gamma float32 `yaml:"gamma"`
	// Tau is the Polyak rate τ of the target critics. Default 0.005 (paper).
	Tau float32 `yaml:"tau"`
	// BatchSize is the number of transitions the training loop should sample
	// per update; the agent itself accepts any batch size. Default 256
	// (paper).
	BatchSize int `yaml:"batch_size"`
	// InitAlpha is the initial entropy temperature α. Default 1 (log α = 0,
	// softlearning and CleanRL).
	InitAlpha float32 `yaml:"init_alpha"`
	// FixedAlpha keeps α at InitAlpha instead of tuning it (the paper's
	// first version, CleanRL's --autotune False with α = 0.2).
	FixedAlpha bool `yaml:"fixed_alpha"`
	// TargetEntropy is H̄, the entropy α tunes the policy towards. Default
	// -|A|, minus the action dimension (paper section 5).
	TargetEntropy float32 `yaml:"target_entropy"`
	// LogStdMin and LogStdMax bound the policy's log standard deviation
	// (smoothly, by tanh). Default -5 and 2 (CleanRL; softlearning clips to
	// [-20, 2]).
	LogStdMin float32 `yaml:"log_std_min"`
	LogStdMax float32 `yaml:"log_std_max"`
	// BCWeight is the initial weight w_BC of the behaviour-cloning KL term;
	// it has effect only once FreezeBCReference has set a reference policy.
	// Default 0 (no term).
	BCWeight float32 `yaml:"bc_weight"`
}

// WithDefaults returns c with every zero field replaced by its default for
// an action space of actDim dimensions.
func (c Config) WithDefaults(actDim int) Config {
	if len(c.Hidden) == 0 {
		c.Hidden = []int{256, 256} // paper Table 1
	}
	if c.Activation == "" {
		c.Activation = "relu" // paper Table 1
	}
	if c.ActorLR == 0 {
		c.ActorLR = 3e-4 // paper Table 1
	}
	if c.CriticLR == 0 {
		c.CriticLR = 3e-4 // paper Table 1
	}
	if c.AlphaLR == 0 {
		c.AlphaLR = 3e-4 // paper Table 1 (one learning rate for everything)
	}
	if c.Gamma == 0 {
		c.Gamma = 0.99 // paper Table 1
	}
	if c.Tau == 0 {
		c.Tau = 0.005 // paper Table 1
	}
	if c.BatchSize == 0 {
		c.BatchSize = 256 // paper Table 1
	}
	if c.InitAlpha == 0 {
		c.InitAlpha = 1 // softlearning and CleanRL: log α starts at 0
	}
	if c.TargetEntropy == 0 {
		c.TargetEntropy = -float32(actDim) // paper section 5: -dim(A)
	}
	if c.LogStdMin == 0 {
		c.LogStdMin = -5 // CleanRL LOG_STD_MIN
	}
	if c.LogStdMax == 0 {
		c.LogStdMax = 2 // CleanRL LOG_STD_MAX (softlearning too)
	}
	return c
}

func finite32(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

// Validate reports the first invalid field, naming it and its value. Zero
// fields are valid (they mean the default).
func (c Config) Validate() error {
	for i, h := range c.Hidden {
		if h <= 0 {
			return fmt.Errorf("sac.Config.Hidden[%d] = %d: must be positive", i, h)
		}
	}
	if _, err := parseActivation(c.Activation); err != nil {
		return fmt.Errorf("sac.Config.Activation = %q: %w", c.Activation, err)
	}
	for _, f := range []struct {
		name string
		v    float32
	}{{"ActorLR", c.ActorLR}, {"CriticLR", c.CriticLR}, {"AlphaLR", c.AlphaLR}, {"InitAlpha", c.InitAlpha}, {"BCWeight", c.BCWeight}} {
		if !finite32(f.v) || f.v < 0 {
			return fmt.Errorf("sac.Config.%s = %v: must be finite and ≥ 0", f.name, f.v)
		}
	}
	switch {
	case !finite32(c.Gamma) || c.Gamma < 0 || c.Gamma > 1:
		return fmt.Errorf("sac.Config.Gamma = %v: must be in [0, 1]", c.Gamma)
	case !finite32(c.Tau) || c.Tau < 0 || c.Tau > 1:
		return fmt.Errorf("sac.Config.Tau = %v: must be in [0, 1]", c.Tau)
	case c.BatchSize < 0:
		return fmt.Errorf("sac.Config.BatchSize = %d: must be ≥ 0", c.BatchSize)
	case !finite32(c.TargetEntropy):
		return fmt.Errorf("sac.Config.TargetEntropy = %v: must be finite", c.TargetEntropy)
	case !finite32(c.LogStdMin):
		return fmt.Errorf("sac.Config.LogStdMin = %v: must be finite", c.LogStdMin)
	case !finite32(c.LogStdMax):
		return fmt.Errorf("sac.Config.LogStdMax = %v: must be finite", c.LogStdMax)
	}
	d := c.WithDefaults(1)
	if d.LogStdMin >= d.LogStdMax {
		return fmt.Errorf("sac.Config.LogStdMin = %v: must be below LogStdMax = %v", d.LogStdMin, d.LogStdMax)
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

// ActorLossTerm is an extra term of the actor loss, added by algorithms built
// on SAC. Given the batch observations and the policy's pre-tanh Gaussian
// (mean and log σ after the log-std squash, each B×|A|), it returns the
// term's value (already averaged over the batch) and ADDS the term's
// gradients with respect to mean and logStd into dMean and dLogStd. It must
// not keep the matrices.
type ActorLossTerm func(obs, mean, logStd, dMean, dLogStd *tensor.Mat) float32

// Agent is a SAC agent. It is not safe for concurrent use.
type Agent struct {
	cfg            Config
	obsDim, actDim int

	actorCfg     nn.MLPConfig
	actor        *nn.MLP // s → [mean, raw log σ], 2|A| outputs
	critic       *nn.MLP // K=2 ensemble, [s, a] → Q
	criticTarget *nn.MLP // Polyak copy of critic
	logAlpha     *nn.Param
	bcRef        *nn.MLP // frozen reference policy (nil until FreezeBCReference)
	bcWeight     float32
	alphaFrozen  bool // FreezeAlpha: α is not learned for now

	actorOpt, criticOpt, alphaOpt *optim.Adam
	actorParams, criticParams     []*nn.Param
	targetParams                  []*nn.Param

	actStream *rng.Stream // exploration noise of Act/ActBatch
	updStream *rng.Stream // sampling noise inside Update
	updates   int64

	// ExtraActorLoss, if set, is added to the actor loss on every update
	// (see ActorLossTerm); its value is included in loss/actor.
	ExtraActorLoss ActorLossTerm

	metrics []agent.Metric
	buf     buffers
}

// buffers holds every scratch matrix, so that Update and Act do not allocate
// once they have grown to the batch size.
type buffers struct {
	// batch views (headers over the caller's slices)
	obs, act, next tensor.Mat
	rew, done      []float32
	// critic target
	nextOut, nextMean, nextLogStd, nextNoise, nextAct, nextLogp tensor.Mat
	targetIn, targetQ, y                                        tensor.Mat
	nextDist                                                    nn.TanhGaussian
	// critic step
	criticIn, dq tensor.Mat
	// actor step
	mean, logStd, dSquash, noise, piAct, piLogp tensor.Mat
	piIn, dqPi, dAction, dLogp, dMean, dLogStd  tensor.Mat
	dOut, refOut, refMean, refLogStd            tensor.Mat
	piDist                                      nn.TanhGaussian
	// acting
	actIn, actOut, actMean, actLogStd, actNoise, actAct tensor.Mat
	actDist                                             nn.TanhGaussian
}

// Metric indices into Agent.metrics, in the order Update reports them.
const (
	mCriticLoss = iota
	mActorLoss
	mAlphaLoss
	mAlpha
	mQMean
	mEntropy
	mBCKL
	numMetrics
)

var metricNames = [numMetrics]string{
	mCriticLoss: "loss/critic",  // Σ_k mean (Q_k - y)²
	mActorLoss:  "loss/actor",   // the whole actor loss (SAC + w_BC·KL + extra)
	mAlphaLoss:  "loss/alpha",   // -log α·mean(log π + H̄)
	mAlpha:      "train/alpha",  // α used by this update
	mQMean:      "train/q_mean", // mean of Q_k(s, a) over members and batch
	mEntropy:    "train/entropy",
	mBCKL:       "loss/bc_kl", // mean KL(π_ref ‖ π), unweighted; 0 without a reference
}

// New returns a SAC agent for observations of obsDim and actions of actDim
// values, with networks initialised and random streams derived from seed. It
// returns an error if a dimension is not positive or cfg is invalid.
func New(obsDim, actDim int, cfg Config, seed uint64) (*Agent, error) {
	if obsDim <= 0 || actDim <= 0 {
		return nil, fmt.Errorf("sac: observation dim %d and action dim %d must be positive", obsDim, actDim)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults(actDim)
	hidden, _ := parseActivation(cfg.Activation)

	sizes := func(in, out int) []int {
		return append(append([]int{in}, cfg.Hidden...), out)
	}
	a := &Agent{cfg: cfg, obsDim: obsDim, actDim: actDim, bcWeight: cfg.BCWeight}
	a.actorCfg = nn.MLPConfig{Sizes: sizes(obsDim, 2*actDim), Hidden: hidden}
	a.actor = nn.NewMLP("actor", a.actorCfg, rng.Derive(seed, "sac", "init", "actor"))
	a.actor.NoInputGrad = true
	criticCfg := nn.MLPConfig{Sizes: sizes(obsDim+actDim, 1), Hidden: hidden}
	a.critic = nn.NewEnsembleMLP("critic", numCritics, criticCfg, rng.Derive(seed, "sac", "init", "critic"))
	a.criticTarget = nn.NewEnsembleMLP("critic_target", numCritics, criticCfg, rng.Derive(seed, "sac", "init", "critic"))
	nn.CopyParams(a.criticTarget.Params(), a.critic.Params())
	a.logAlpha = nn.NewParam("log_alpha", 1)
	a.logAlpha.W[0] = float32(math.Log(float64(cfg.InitAlpha)))

	a.actorParams, a.criticParams, a.targetParams = a.actor.Params(), a.critic.Params(), a.criticTarget.Params()
	a.actorOpt = optim.NewAdam(a.actorParams, optim.AdamConfig{LR: cfg.ActorLR})
	a.criticOpt = optim.NewAdam(a.criticParams, optim.AdamConfig{LR: cfg.CriticLR})
	a.alphaOpt = optim.NewAdam([]*nn.Param{a.logAlpha}, optim.AdamConfig{LR: cfg.AlphaLR})

	a.actStream = rng.Derive(seed, "sac", "act")
	a.updStream = rng.Derive(seed, "sac", "update")
	a.metrics = make([]agent.Metric, numMetrics)
	for i, n := range metricNames {
		a.metrics[i].Name = n
	}
	return a, nil
}

// Config returns the agent's configuration with defaults applied.
func (a *Agent) Config() Config { return a.cfg }

// ObsDim returns the observation dimension; ActDim the action dimension.
func (a *Agent) ObsDim() int { return a.obsDim }

// ActDim returns the action dimension.
func (a *Agent) ActDim() int { return a.actDim }

// Updates returns the number of updates done.
func (a *Agent) Updates() int64 { return a.updates }

// Alpha returns the current entropy temperature α = exp(log α).
func (a *Agent) Alpha() float32 { return float32(math.Exp(float64(a.logAlpha.W[0]))) }

// Params returns the trainable parameters: actor, critic and, unless α is
// fixed, log α (not the target critic, which follows by Polyak averaging).
func (a *Agent) Params() []*nn.Param {
	ps := append(append([]*nn.Param(nil), a.actorParams...), a.criticParams...)
	if !a.cfg.FixedAlpha {
		ps = append(ps, a.logAlpha)
	}
	return ps
}

// FreezeAlpha stops (true) or resumes (false) learning the temperature α;
// a frozen α keeps its value. BDWM freezes it while its offline anchor
// holds the policy near the behaviour policy: the anchor, not the entropy
// target, sets the policy's spread then, and a learned α would only fall
// without end (to 10⁻¹³ over 100k hopper updates, measured), leaving no
// entropy regularization when the anchor is lifted online. The flag is not
// part of the agent's checkpoint: the caller sets it again on resume.
func (a *Agent) FreezeAlpha(frozen bool) { a.alphaFrozen = frozen }

// SetAlpha sets the temperature α (its log is the learned parameter; Adam's
// moments are kept). It returns an error unless alpha is finite and > 0.
func (a *Agent) SetAlpha(alpha float64) error {
	if !(alpha > 0) || math.IsInf(alpha, 0) {
		return fmt.Errorf("sac: α = %v: must be finite and > 0", alpha)
	}
	a.logAlpha.W[0] = float32(math.Log(alpha))
	return nil
}

// BCWeight returns the current weight w_BC of the behaviour-cloning term.
func (a *Agent) BCWeight() float32 { return a.bcWeight }

// SetBCWeight sets w_BC (BDWM anneals it linearly to 0). It panics if w is
// negative or not finite.
func (a *Agent) SetBCWeight(w float32) {
	if !finite32(w) || w < 0 {
		panic(fmt.Sprintf("sac.SetBCWeight(%v): weight must be finite and ≥ 0", w))
	}
	a.bcWeight = w
}

// FreezeBCReference copies the current actor into the frozen reference
// policy π_ref of the behaviour-cloning term (BDWM: "copy policy to
// π_offline" at the offline→online switch). The reference never trains.
func (a *Agent) FreezeBCReference() {
	if a.bcRef == nil {
		a.bcRef = a.newBCReference()
	}
	nn.CopyParams(a.bcRef.Params(), a.actorParams)
}

// CloneBehaviour takes one behaviour-cloning step on the actor with the
// batch's actions: an Adam step on the negative log-likelihood of
// u = atanh(a) (actions clipped to ±(1 − 10⁻⁶)) under the policy's pre-tanh
// Gaussian N(μ(s), σ(s)²),
//
//	L_BC = mean_i Σ_j [log σ_j(s_i) + (u_ij − μ_j(s_i))²/(2σ_j(s_i)²)]
//
// (the tanh Jacobian does not depend on the parameters and is left out),
// and returns L_BC. BDWM uses it to fit π_β before its offline phase. Only
// the actor and its optimizer change. It does not allocate once its
// buffers have grown; it panics on a batch of the wrong widths, as Update.
func (a *Agent) CloneBehaviour(b *replay.Batch) float64 {
	n := a.bindBatch(b)
	B := &a.buf
	A := a.actDim
	out := a.actor.Forward(&B.obs)
	a.splitPolicy(&B.mean, &B.logStd, &B.dSquash, out)
	B.dMean.Resize(n, A)
	B.dLogStd.Resize(n, A)
	const edge = 1 - 1e-6
	invN := 1 / float64(n)
	var loss float64
	for i := 0; i < n*A; i++ {
		act := min(max(float64(B.act.Data[i]), -edge), edge)
		u := math.Atanh(act)
		ls := float64(B.logStd.Data[i])
		iv := math.Exp(-2 * ls) // 1/σ²
		d := u - float64(B.mean.Data[i])
		loss += ls + 0.5*d*d*iv
		B.dMean.Data[i] = float32(-d * iv * invN)
		B.dLogStd.Data[i] = float32((1 - d*d*iv) * invN)
	}
	a.actorBackward(n)
	a.actorOpt.Step()
	return loss * invN
}

// HasBCReference reports whether a reference policy has been frozen.
func (a *Agent) HasBCReference() bool { return a.bcRef != nil }

// newBCReference returns a network shaped like the actor (its values are
// overwritten by the caller).
func (a *Agent) newBCReference() *nn.MLP {
	return nn.NewMLP("bc_reference", a.actorCfg, rng.New(0))
}

// Update does one SAC update on the batch b: critic step, actor step, α step
// and Polyak update of the target critics. It returns the metrics in a slice
// owned by the agent, valid until the next Update. It does not allocate once
// its buffers have grown to the batch size. It panics if the batch's
// dimensions do not match the agent's (a programmer error).
func (a *Agent) Update(b *replay.Batch) []agent.Metric {
	n := a.bindBatch(b)
	B := &a.buf
	alpha := a.Alpha() // this update's α, as in CleanRL (updated in step 4)

	// 1. Critic targets y from the target critics and a fresh a' ~ π(·|s').
	a.updStream.FillNormal(B.nextNoise.Resize(n, a.actDim).Values())
	a.criticTargets(n, alpha)

	// 2. Critic step on L_Q.
	criticLoss, qMean := a.criticLossGrad(n)
	a.criticOpt.Step()

	// 3. Actor step on L_π, through the just-updated critic.
	a.updStream.FillNormal(B.noise.Resize(n, a.actDim).Values())
	actorLoss, logpMean, bcKL := a.actorLossGrad(n, alpha)
	a.actorOpt.Step()

	// 4. α step: L_α = -log α·mean(log π(ã|s) + H̄), so ∂L_α/∂log α =
	// -(mean log π + H̄): α grows while the entropy -mean log π is below H̄.
	g := -(logpMean + float64(a.cfg.TargetEntropy))
	alphaLoss := float64(a.logAlpha.W[0]) * g
	if !a.cfg.FixedAlpha && !a.alphaFrozen {
		a.logAlpha.G[0] = float32(g)
		a.alphaOpt.Step()
	}

	// 5. Target critics: Q̄ ← (1-τ)Q̄ + τQ.
	nn.Polyak(a.targetParams, a.criticParams, a.cfg.Tau)
	a.updates++

	m := a.metrics
	m[mCriticLoss].Value = criticLoss
	m[mActorLoss].Value = actorLoss
	m[mAlphaLoss].Value = alphaLoss
	m[mAlpha].Value = float64(alpha)
	m[mQMean].Value = qMean
	m[mEntropy].Value = -logpMean
	m[mBCKL].Value = bcKL
	return m
}

// criticTargets sets buf.y to the soft Bellman targets
//
//	y_i = r_i + γ(1-d_i)·(min_k Q̄_k(s'_i, a'_i) - α·log π(a'_i|s'_i)),
//
// a'_i = tanh(μ(s'_i) + σ(s'_i)·ε_i) with ε from buf.nextNoise.
func (a *Agent) criticTargets(n int, alpha float32) {
	B := &a.buf
	a.actor.Predict(&B.nextOut, &B.next)
	a.splitPolicy(&B.nextMean, &B.nextLogStd, nil, &B.nextOut)
	B.nextDist.Sample(&B.nextAct, &B.nextLogp, &B.nextMean, &B.nextLogStd, &B.nextNoise)
	agent.FillStateAction(&B.targetIn, &B.next, &B.nextAct, numCritics)
	a.criticTarget.Predict(&B.targetQ, &B.targetIn)
	B.y.Resize(n, 1)
	gamma := a.cfg.Gamma
	for i := 0; i < n; i++ {
		minQ := min(B.targetQ.Data[i], B.targetQ.Data[n+i])
		B.y.Data[i] = B.rew[i] + gamma*(1-B.done[i])*(minQ-alpha*B.nextLogp.Data[i])
	}
}

// criticLossGrad evaluates L_Q = Σ_k mean_i (Q_k(s_i, a_i) - y_i)² with both
// members in one ensemble call, sets the critic gradients to ∇L_Q, and
// returns L_Q and the mean Q value.
func (a *Agent) criticLossGrad(n int) (loss, qMean float64) {
	B := &a.buf
	K := numCritics
	agent.FillStateAction(&B.criticIn, &B.obs, &B.act, K)
	nn.ZeroGrad(a.criticParams)
	q := a.critic.Forward(&B.criticIn)
	B.dq.Resize(K*n, 1)
	invN := 1 / float32(n)
	var qSum float64
	for k := 0; k < K; k++ {
		for i := 0; i < n; i++ {
			d := q.Data[k*n+i] - B.y.Data[i]
			loss += float64(d) * float64(d)
			qSum += float64(q.Data[k*n+i])
			B.dq.Data[k*n+i] = 2 * d * invN
		}
	}
	a.critic.NoInputGrad = true // no dL/d[s, a] needed
	a.critic.Backward(&B.dq)
	return loss / float64(n), qSum / float64(K*n)
}

// actorLossGrad evaluates the actor loss
//
//	L_π = mean_i (α·log π(ã_i|s_i) - min_k Q_k(s_i, ã_i)) + w_BC·mean_i KL(π_ref ‖ π) + extra,
//
// ã_i = tanh(μ(s_i) + σ(s_i)·ε_i) with ε from buf.noise, sets the actor
// gradients to ∇L_π (the critic's gradients are left at zero), and returns
// L_π, mean log π(ã|s) and the mean KL to the BC reference (0 without one).
func (a *Agent) actorLossGrad(n int, alpha float32) (loss, logpMean, bcKL float64) {
	B := &a.buf
	O, A, K := a.obsDim, a.actDim, numCritics
	invN := 1 / float32(n)
	out := a.actor.Forward(&B.obs)
	a.splitPolicy(&B.mean, &B.logStd, &B.dSquash, out)
	B.piDist.Sample(&B.piAct, &B.piLogp, &B.mean, &B.logStd, &B.noise)

	// min_k Q_k(s, ã): forward the critic on [s, ã]; the loss gradient -1/n
	// goes to the member holding the minimum.
	agent.FillStateAction(&B.piIn, &B.obs, &B.piAct, K)
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
		B.dLogp.Data[i] = alpha * invN // ∂L_π/∂log π_i
	}
	loss /= float64(n)

	// ∂L_π/∂ã = Σ_k ∂/∂ã of the critic pass: back-propagate to the critic's
	// input and sum the members' action columns.
	a.critic.NoInputGrad, a.critic.NoParamGrad = false, true // dQ/dã only
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

	// Through the tanh-Gaussian (reparameterised, noise fixed) to μ and log σ.
	B.piDist.Backward(&B.dMean, &B.dLogStd, &B.dAction, &B.dLogp)

	// Optional terms on the pre-tanh Gaussian: BC KL and an extra hook.
	if a.bcRef != nil {
		a.bcRef.Predict(&B.refOut, &B.obs)
		a.splitPolicy(&B.refMean, &B.refLogStd, nil, &B.refOut)
		bcKL = GaussianKL(&B.dMean, &B.dLogStd, &B.mean, &B.logStd, &B.refMean, &B.refLogStd, a.bcWeight)
		loss += float64(a.bcWeight) * bcKL
	}
	if a.ExtraActorLoss != nil {
		loss += float64(a.ExtraActorLoss(&B.obs, &B.mean, &B.logStd, &B.dMean, &B.dLogStd))
	}

	// Through the log-std squash into the actor's raw outputs, then the actor.
	a.actorBackward(n)
	return loss, logpSum / float64(n), bcKL
}

// bindBatch points the batch views at b's slices and returns the number of
// rows. It panics if the slices' lengths do not fit the agent's dimensions.
func (a *Agent) bindBatch(b *replay.Batch) int {
	n := agent.BatchRows("sac", b, a.obsDim, a.actDim)
	O, A := a.obsDim, a.actDim
	B := &a.buf
	B.obs = tensor.Mat{Rows: n, Cols: O, Data: b.Obs}
	B.act = tensor.Mat{Rows: n, Cols: A, Data: b.Act}
	B.next = tensor.Mat{Rows: n, Cols: O, Data: b.NextObs}
	B.rew, B.done = b.Rew, b.Done
	return n
}

// actorBackward sets the actor's gradients from buf.dMean and buf.dLogStd
// (n×|A| each): through the log-std squash (buf.dSquash) into the raw
// outputs [mean | raw log σ], then back through the actor.
func (a *Agent) actorBackward(n int) {
	B, A := &a.buf, a.actDim
	B.dOut.Resize(n, 2*A)
	for i := 0; i < n; i++ {
		for j := 0; j < A; j++ {
			B.dOut.Data[i*2*A+j] = B.dMean.Data[i*A+j]
			B.dOut.Data[i*2*A+A+j] = B.dLogStd.Data[i*A+j] * B.dSquash.Data[i*A+j]
		}
	}
	nn.ZeroGrad(a.actorParams)
	a.actor.Backward(&B.dOut)
}

// splitPolicy splits the actor's output [mean | raw log σ] (n×2|A|) into
// mean and log σ = min + ½(max-min)(tanh(raw)+1) (each n×|A|) and, if dSquash
// is non-nil, sets it to d log σ / d raw = ½(max-min)(1-tanh²(raw)).
func (a *Agent) splitPolicy(mean, logStd, dSquash, out *tensor.Mat) {
	n, A := out.Rows, a.actDim
	mean.Resize(n, A)
	logStd.Resize(n, A)
	if dSquash != nil {
		dSquash.Resize(n, A)
	}
	lo, half := a.cfg.LogStdMin, (a.cfg.LogStdMax-a.cfg.LogStdMin)/2
	for i := 0; i < n; i++ {
		row := out.Data[i*2*A : (i+1)*2*A]
		for j := 0; j < A; j++ {
			mean.Data[i*A+j] = row[j]
			t := float32(math.Tanh(float64(row[A+j])))
			logStd.Data[i*A+j] = lo + half*(t+1)
			if dSquash != nil {
				dSquash.Data[i*A+j] = half * (1 - t*t)
			}
		}
	}
}

// GaussianKL returns mean_i KL(N(refMean_i, σ_ref,i²) ‖ N(mean_i, σ_i²)) over
// the rows of diagonal Gaussians given by means and log standard deviations
// (each n×d), in closed form:
//
//	KL_i = Σ_j [log σ_j - log σ_ref,j + (σ_ref,j² + (μ_ref,j - μ_j)²)/(2σ_j²) - ½]
//
// and ADDS weight times its gradients with respect to mean and logStd into
// dMean and dLogStd (which must already have that shape):
//
//	∂KL/∂μ_j = (μ_j - μ_ref,j)/σ_j²,   ∂KL/∂log σ_j = 1 - (σ_ref,j² + (μ_ref,j - μ_j)²)/σ_j².
//
// The reference is held fixed. It panics if the shapes differ.
func GaussianKL(dMean, dLogStd, mean, logStd, refMean, refLogStd *tensor.Mat, weight float32) float64 {
	for _, m := range []*tensor.Mat{logStd, refMean, refLogStd, dMean, dLogStd} {
		if !tensor.SameShape(m, mean) {
			panic(fmt.Sprintf("sac.GaussianKL: shapes %s and %s differ", mean.Shape(), m.Shape()))
		}
	}
	n := mean.Rows
	if n == 0 {
		return 0
	}
	w := float64(weight) / float64(n)
	var kl float64
	for j := 0; j < mean.Len(); j++ {
		ls, lr := float64(logStd.Data[j]), float64(refLogStd.Data[j])
		diff := float64(mean.Data[j]) - float64(refMean.Data[j])
		iv := math.Exp(-2 * ls)                // 1/σ²
		r := (math.Exp(2*lr) + diff*diff) * iv // (σ_ref² + Δμ²)/σ²
		kl += ls - lr + 0.5*r - 0.5
		dMean.Data[j] += float32(w * diff * iv)
		dLogStd.Data[j] += float32(w * (1 - r))
	}
	return kl / float64(n)
}

// Act writes the action for one observation into act: tanh of the policy
// mean if deterministic, otherwise a sample of the tanh-Gaussian policy
// drawn from the agent's acting stream. Actions are in [-1, 1]. It does not
// allocate once its buffers have grown. It returns an error if a length is
// wrong.
func (a *Agent) Act(obs, act []float32, deterministic bool) error {
	if _, err := agent.ActRows("sac", obs, act, a.obsDim, a.actDim, true); err != nil {
		return err
	}
	a.act(1, obs, act, deterministic)
	return nil
}

// ActBatch is Act for a batch: obs holds B row-major observations and act
// receives B actions (B·|A| values). It returns an error if the lengths do
// not describe the same B ≥ 1 rows.
func (a *Agent) ActBatch(obs, act []float32, deterministic bool) error {
	n, err := agent.ActRows("sac", obs, act, a.obsDim, a.actDim, false)
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
	a.splitPolicy(&B.actMean, &B.actLogStd, nil, &B.actOut)
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
