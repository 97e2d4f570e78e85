// Diffusion-QL.
//
// Paper: Z. Wang, J. J. Hunt, M. Zhou, "Diffusion Policies as an Expressive
// Policy Class for Offline Reinforcement Learning", ICLR 2023
// (arXiv:2208.06193), Algorithm 1, eqs. 1-4. Reference implementation and
// defaults: github.com/Zhendong-Wang/Diffusion-Policies-for-Offline-RL
// (agents/ql_diffusion.py, agents/diffusion.py, agents/model.py, main.py's
// hyperparameters for the D4RL locomotion datasets).
//
// The policy π_θ(a | s) is a conditional DDPM over actions with T steps
// (VP schedule) and an ε-network ε_θ(a_t, t, s). One update on a batch
// (s, a, r, s', d), d = 1 only for a true terminal:
//
//	a'  ∼ π_θ̄(· | s')       (the EMA actor θ̄, T reverse steps)
//	y   = r + γ(1−d)·min_k Q̄_k(s', a')
//	L_Q = Σ_k mean_i (Q_k(s_i, a_i) − y_i)²                          (critic step)
//	L_bc = E_{t∼U{1..T}, ε∼N(0,I)} ‖ε − ε_θ(√ᾱ_t a + √(1−ᾱ_t) ε, t, s)‖²   (eq. 2, mean over elements)
//	â   = a_0 of the reverse chain a_T ∼ N(0, I),
//	      a_{t−1} = c₀(t)·clip(x̂₀(a_t, t), ±1) + c₁(t)·a_t + σ̃_t z    (x̂₀ = (a_t − √(1−ᾱ_t) ε_θ)/√ᾱ_t)
//	L_q = −mean_i Q_k(s_i, â_i) / mean_i |Q_{k'}(s_i, â_i)|           (k random, k' the other; denominator held fixed)
//	L_π = L_bc + η·L_q                                                (actor step, eq. 3; gradient through all T steps)
//	Q̄ ← (1−τ)·Q̄ + τ·Q;   θ̄ ← 0.995·θ̄ + 0.005·θ every 5 updates from update 1000
//
// with c₀ = √ᾱ_{t−1}β_t/(1−ᾱ_t), c₁ = √(1−β_t)(1−ᾱ_{t−1})/(1−ᾱ_t) and σ̃_t²
// = β_t(1−ᾱ_{t−1})/(1−ᾱ_t) (DDPM's posterior, zero noise at the last step).
// Both gradients are clipped to norm GradNorm before Adam. Acting (the
// reference's sample_action): Candidates actions are sampled per state and
// one is drawn with probability softmax(min_k Q̄_k(s, a)).
//
// Reused from dwm's diffusion core: the VP schedule (diffusion.VP), the
// ε-loss (diffusion.Model.Loss) and the DDPM sampler for acting and for
// the target actions (diffusion.Sampler). The reverse chain with gradients
// (for L_q) is written out in qLossGrad because the core's sampler does not
// back-propagate.
//
// Deviations, all deliberate:
//   - Times enter the ε-network as 1000·t/T through dwm's sinusoidal
//     embedding (denoiser.Sinusoidal) instead of the integer step index;
//     the embedding MLP is the reference's (16 → 32 → 16, Mish).
//   - The learning rate is constant (the reference's main.py leaves
//     lr_decay off unless --lr_decay is passed).
//   - Deterministic acting (evaluation in dwm's loop) runs the reverse
//     chain without noise from a_T = 0, so the same state always gives the
//     same action; the reference has only the sampled sample_action.
//   - Updates make no allocation and draw all randomness (t, ε, chain noise,
//     the critic picked for L_q) from one seeded stream "diffql/update".
//   - No state or reward normalisation (the reference uses D4RL's raw
//     locomotion data, reward_tune "no").

package diffql

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/diffusion"
	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// Config holds Diffusion-QL's hyperparameters. Zero fields take the defaults
// listed on each field (WithDefaults): the reference's settings for
// hopper-medium-v2 (main.py's hyperparameters table and argument defaults;
// lr, eta and gn are the same for every medium locomotion dataset except
// walker2d-medium's gn = 1.0).
type Config struct {
	// Hidden lists the hidden widths of the ε-network and of each critic.
	// Default [256, 256, 256] (agents/model.py MLP, ql_diffusion.py Critic).
	Hidden []int `yaml:"hidden"`
	// TimeDim is the width E of the time embedding. Default 16 (model.py
	// t_dim).
	TimeDim int `yaml:"time_dim"`
	// Steps is the number of diffusion steps T. Default 5 (main.py --T).
	Steps int `yaml:"steps"`
	// BetaMin and BetaMax are the VP schedule's β(0) and β(1). Default 0.1
	// and 10 (helpers.py vp_beta_schedule b_min, b_max).
	BetaMin float64 `yaml:"beta_min"`
	BetaMax float64 `yaml:"beta_max"`
	// ActorLR and CriticLR are Adam's learning rates. Default 3e-4 each
	// (main.py lr for the locomotion datasets; the critic's is fixed at
	// 3e-4 in ql_diffusion.py).
	ActorLR  float32 `yaml:"actor_lr"`
	CriticLR float32 `yaml:"critic_lr"`
	// Gamma is the discount. Default 0.99 (main.py --discount).
	Gamma float32 `yaml:"gamma"`
	// Tau is the Polyak rate of the target critics. Default 0.005 (main.py
	// --tau).
	Tau float32 `yaml:"tau"`
	// Eta is η, the weight of the Q-loss. Default 1.0 (main.py, every
	// locomotion dataset).
	Eta float32 `yaml:"eta"`
	// GradNorm is the gradient-norm clip of both actor and critic. Default
	// 9.0 (main.py gn for hopper-medium-v2); negative turns clipping off.
	GradNorm float32 `yaml:"grad_norm"`
	// EMADecay, EMAStart and EMAEvery drive the EMA actor that samples the
	// target actions: θ̄ ← d·θ̄ + (1−d)·θ every EMAEvery updates once
	// EMAStart updates were done. Default 0.995, 1000, 5 (ql_diffusion.py
	// ema_decay, step_start_ema, update_ema_every).
	EMADecay float32 `yaml:"ema_decay"`
	EMAStart int64   `yaml:"ema_start"`
	EMAEvery int64   `yaml:"ema_every"`
	// Candidates is the number of actions sampled per state when acting,
	// one drawn by softmax of the target critics' min. Default 50
	// (ql_diffusion.py sample_action).
	Candidates int `yaml:"candidates"`
	// BatchSize is the number of transitions the training loop should
	// sample per update. Default 256 (main.py --batch_size).
	BatchSize int `yaml:"batch_size"`
}

// WithDefaults returns c with every zero field replaced by its default.
func (c Config) WithDefaults() Config {
	if len(c.Hidden) == 0 {
		c.Hidden = []int{256, 256, 256} // model.py MLP, ql_diffusion.py Critic
	}
	if c.TimeDim == 0 {
		c.TimeDim = 16 // model.py t_dim
	}
	if c.Steps == 0 {
		c.Steps = 5 // main.py --T
	}
	if c.BetaMin == 0 {
		c.BetaMin = 0.1 // helpers.py vp_beta_schedule
	}
	if c.BetaMax == 0 {
		c.BetaMax = 10 // helpers.py vp_beta_schedule
	}
	if c.ActorLR == 0 {
		c.ActorLR = 3e-4 // main.py hyperparameters, locomotion
	}
	if c.CriticLR == 0 {
		c.CriticLR = 3e-4 // ql_diffusion.py critic optimizer
	}
	if c.Gamma == 0 {
		c.Gamma = 0.99 // main.py --discount
	}
	if c.Tau == 0 {
		c.Tau = 0.005 // main.py --tau
	}
	if c.Eta == 0 {
		c.Eta = 1 // main.py hyperparameters, locomotion
	}
	if c.GradNorm == 0 {
		c.GradNorm = 9 // main.py hyperparameters, hopper-medium-v2
	}
	if c.EMADecay == 0 {
		c.EMADecay = 0.995 // ql_diffusion.py ema_decay
	}
	if c.EMAStart == 0 {
		c.EMAStart = 1000 // ql_diffusion.py step_start_ema
	}
	if c.EMAEvery == 0 {
		c.EMAEvery = 5 // ql_diffusion.py update_ema_every
	}
	if c.Candidates == 0 {
		c.Candidates = 50 // ql_diffusion.py sample_action
	}
	if c.BatchSize == 0 {
		c.BatchSize = 256 // main.py --batch_size
	}
	return c
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Validate reports the first invalid field, naming it and its value. Zero
// fields are valid (they mean the default).
func (c Config) Validate() error {
	for i, h := range c.Hidden {
		if h <= 0 {
			return fmt.Errorf("diffql.Config.Hidden[%d] = %d: must be positive", i, h)
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"ActorLR", float64(c.ActorLR)}, {"CriticLR", float64(c.CriticLR)}, {"Eta", float64(c.Eta)},
		{"BetaMin", c.BetaMin}, {"BetaMax", c.BetaMax}} {
		if !finite(f.v) || f.v < 0 {
			return fmt.Errorf("diffql.Config.%s = %v: must be finite and ≥ 0", f.name, f.v)
		}
	}
	switch {
	case c.TimeDim < 0 || c.TimeDim%2 != 0 || (c.TimeDim > 0 && c.TimeDim < 4):
		return fmt.Errorf("diffql.Config.TimeDim = %d: must be even and ≥ 4", c.TimeDim)
	case c.Steps < 0:
		return fmt.Errorf("diffql.Config.Steps = %d: must be ≥ 1", c.Steps)
	case !finite(float64(c.Gamma)) || c.Gamma < 0 || c.Gamma > 1:
		return fmt.Errorf("diffql.Config.Gamma = %v: must be in [0, 1]", c.Gamma)
	case !finite(float64(c.Tau)) || c.Tau < 0 || c.Tau > 1:
		return fmt.Errorf("diffql.Config.Tau = %v: must be in [0, 1]", c.Tau)
	case !finite(float64(c.GradNorm)):
		return fmt.Errorf("diffql.Config.GradNorm = %v: must be finite", c.GradNorm)
	case !finite(float64(c.EMADecay)) || c.EMADecay < 0 || c.EMADecay >= 1:
		return fmt.Errorf("diffql.Config.EMADecay = %v: must be in (0, 1)", c.EMADecay)
	case c.EMAStart < 0:
		return fmt.Errorf("diffql.Config.EMAStart = %d: must be ≥ 0", c.EMAStart)
	case c.EMAEvery < 0:
		return fmt.Errorf("diffql.Config.EMAEvery = %d: must be ≥ 1", c.EMAEvery)
	case c.Candidates < 0:
		return fmt.Errorf("diffql.Config.Candidates = %d: must be ≥ 1", c.Candidates)
	case c.BatchSize < 0:
		return fmt.Errorf("diffql.Config.BatchSize = %d: must be ≥ 0", c.BatchSize)
	}
	if d := c.WithDefaults(); d.BetaMin > d.BetaMax {
		return fmt.Errorf("diffql.Config.BetaMin = %v: must not exceed BetaMax = %v", d.BetaMin, d.BetaMax)
	}
	return nil
}

// numCritics is the number of critic ensemble members (twin critics).
const numCritics = 2

// Agent is a Diffusion-QL agent. It is not safe for concurrent use.
type Agent struct {
	cfg            Config
	obsDim, actDim int

	actor, ema   *epsNet
	model        *diffusion.Model   // around actor: the ε-loss
	emaModel     *diffusion.Model   // around ema
	actSampler   *diffusion.Sampler // actor, DDPM, x̂₀ clipped to ±1
	emaSampler   *diffusion.Sampler
	sched        *diffusion.Schedule
	critic       *nn.MLP // K = 2 ensemble, [s, a] → Q (Mish)
	criticTarget *nn.MLP

	actorParams, emaParams, criticParams, targetParams []*nn.Param
	actorOpt, criticOpt                                *optim.Adam

	actStream, updStream *rng.Stream
	updates              int64

	metrics []agent.Metric
	buf     buffers
}

// buffers holds every scratch matrix, so that Update and Act do not
// allocate once they have grown to the batch size.
type buffers struct {
	obs, next, act   tensor.Mat // views of the batch
	rew, done        []float32
	nextAct, in, tq  tensor.Mat
	y, dq            tensor.Mat
	xs, x0s          []tensor.Mat // the chain's a_t (t = 1…T) and unclipped x̂₀
	x, eps, g, gx0   tensor.Mat
	qIn, qOut, dqNew tensor.Mat
	actObs, cand     tensor.Mat
	candQIn, candQ   tensor.Mat
	k                int     // the critic member of the last L_q
	lambda           float64 // its fixed denominator
}

// Metric indices, in the order Update reports them.
const (
	mCriticLoss = iota
	mBCLoss
	mQLoss
	mActorLoss
	mQMean
	mTargetMean
	mActorGradNorm
	mCriticGradNorm
	numMetrics
)

var metricNames = [numMetrics]string{
	mCriticLoss:     "loss/critic",            // Σ_k mean (Q_k − y)²
	mBCLoss:         "loss/bc",                // the ε-loss of eq. 2
	mQLoss:          "loss/q",                 // −mean Q_k(s, â)/mean |Q_k'(s, â)|
	mActorLoss:      "loss/actor",             // L_bc + η·L_q
	mQMean:          "train/q_mean",           // mean Q_k(s, a) over members and batch
	mTargetMean:     "train/target_q_mean",    // mean y
	mActorGradNorm:  "train/actor_grad_norm",  // before clipping
	mCriticGradNorm: "train/critic_grad_norm", // before clipping
}

// New returns a Diffusion-QL agent for observations of obsDim and actions of
// actDim values, networks initialised and streams derived from seed. It
// returns an error if a dimension is not positive or cfg is invalid.
func New(obsDim, actDim int, cfg Config, seed uint64) (*Agent, error) {
	if obsDim <= 0 || actDim <= 0 {
		return nil, fmt.Errorf("diffql.New: observation dimension %d and action dimension %d must be positive", obsDim, actDim)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	a := &Agent{cfg: cfg, obsDim: obsDim, actDim: actDim}
	a.actor = newEpsNet("actor", actDim, obsDim, cfg, rng.Derive(seed, "diffql", "init", "actor"))
	a.ema = newEpsNet("ema_actor", actDim, obsDim, cfg, rng.Derive(seed, "diffql", "init", "actor"))
	a.actorParams, a.emaParams = a.actor.Params(), a.ema.Params()
	nn.CopyParams(a.emaParams, a.actorParams) // reference: copy.deepcopy(self.actor)

	mc := diffusion.Config{Schedule: diffusion.ScheduleConfig{Kind: diffusion.VP, Steps: cfg.Steps, BetaMin: cfg.BetaMin, BetaMax: cfg.BetaMax},
		Prediction: diffusion.Eps}
	var err error
	if a.model, err = diffusion.New(a.actor, mc); err != nil {
		return nil, fmt.Errorf("diffql.New: %w", err)
	}
	if a.emaModel, err = diffusion.New(a.ema, mc); err != nil {
		return nil, fmt.Errorf("diffql.New: %w", err)
	}
	sc := diffusion.SamplerConfig{Method: diffusion.DDPM, ClipX0: 1} // reference: clip_denoised, max_action 1
	if a.actSampler, err = a.model.NewSampler(sc); err != nil {
		return nil, fmt.Errorf("diffql.New: %w", err)
	}
	if a.emaSampler, err = a.emaModel.NewSampler(sc); err != nil {
		return nil, fmt.Errorf("diffql.New: %w", err)
	}
	a.sched = a.model.Sched

	criticCfg := nn.MLPConfig{Sizes: append(append([]int{obsDim + actDim}, cfg.Hidden...), 1), Hidden: tensor.Mish}
	a.critic = nn.NewEnsembleMLP("critic", numCritics, criticCfg, rng.Derive(seed, "diffql", "init", "critic"))
	a.criticTarget = nn.NewEnsembleMLP("critic_target", numCritics, criticCfg, rng.Derive(seed, "diffql", "init", "critic"))
	a.criticParams, a.targetParams = a.critic.Params(), a.criticTarget.Params()
	nn.CopyParams(a.targetParams, a.criticParams)
	a.actorOpt = optim.NewAdam(a.actorParams, optim.AdamConfig{LR: cfg.ActorLR})
	a.criticOpt = optim.NewAdam(a.criticParams, optim.AdamConfig{LR: cfg.CriticLR})

	a.actStream = rng.Derive(seed, "diffql", "act")
	a.updStream = rng.Derive(seed, "diffql", "update")
	a.buf.xs = make([]tensor.Mat, cfg.Steps+1)
	a.buf.x0s = make([]tensor.Mat, cfg.Steps+1)
	a.metrics = make([]agent.Metric, numMetrics)
	for i := range a.metrics {
		a.metrics[i].Name = metricNames[i]
	}
	return a, nil
}

// Config returns the agent's configuration with defaults applied.
func (a *Agent) Config() Config { return a.cfg }

// ObsDim returns the observation dimension.
func (a *Agent) ObsDim() int { return a.obsDim }

// ActDim returns the action dimension.
func (a *Agent) ActDim() int { return a.actDim }

// Updates returns the number of updates done.
func (a *Agent) Updates() int64 { return a.updates }

// Params returns the trainable parameters: the ε-network and the critics
// (not the EMA actor and target critics, which follow by averaging).
func (a *Agent) Params() []*nn.Param {
	return append(append([]*nn.Param(nil), a.actorParams...), a.criticParams...)
}

// Update does one Diffusion-QL update on b: critic step, actor step (ε-loss
// plus η times the Q-loss through the sampling chain), EMA actor and target
// critics. It returns the metrics in a slice owned by the agent, valid until
// the next Update. It does not allocate once its buffers have grown. It
// panics if the batch's dimensions do not match the agent's (a programmer
// error).
func (a *Agent) Update(b *replay.Batch) []agent.Metric {
	n := a.bindBatch(b)
	B := &a.buf
	cfg := a.cfg

	// 1. Critic step towards y = r + γ(1−d)·min_k Q̄_k(s', a'), a' from the EMA actor.
	if err := a.emaSampler.Sample(&B.nextAct, diffusion.Request{Cond: &B.next}, a.updStream); err != nil {
		panic("diffql.Update: " + err.Error()) // shapes were checked by bindBatch
	}
	clampAll(B.nextAct.Values())
	agent.FillStateAction(&B.in, &B.next, &B.nextAct, numCritics)
	a.criticTarget.Predict(&B.tq, &B.in)
	B.y.Resize(n, 1)
	var yMean float64
	for i := 0; i < n; i++ {
		q := min(B.tq.Data[i], B.tq.Data[n+i])
		B.y.Data[i] = B.rew[i] + (1-B.done[i])*cfg.Gamma*q
		yMean += float64(B.y.Data[i])
	}
	agent.FillStateAction(&B.in, &B.obs, &B.act, numCritics)
	nn.ZeroGrad(a.criticParams)
	a.critic.NoInputGrad = true
	q := a.critic.Forward(&B.in)
	B.dq.Resize(numCritics*n, 1)
	var criticLoss, qMean float64
	for k := 0; k < numCritics; k++ {
		for i := 0; i < n; i++ {
			d := q.Data[k*n+i] - B.y.Data[i]
			criticLoss += float64(d) * float64(d) / float64(n)
			qMean += float64(q.Data[k*n+i])
			B.dq.Data[k*n+i] = 2 * d / float32(n) // Σ_k of per-member means
		}
	}
	a.critic.Backward(&B.dq)
	criticNorm := a.clip(a.criticParams)
	a.criticOpt.Step()

	// 2. Actor step on L_bc + η·L_q.
	nn.ZeroGrad(a.actorParams)
	bc, _, err := a.model.Loss(&B.act, &B.obs, a.updStream)
	if err != nil {
		panic("diffql.Update: " + err.Error())
	}
	ql := a.qLossGrad(n)
	actorNorm := a.clip(a.actorParams)
	a.actorOpt.Step()

	// 3. EMA actor and target critics (reference order: EMA check before
	// the step counter moves).
	if a.updates%cfg.EMAEvery == 0 && a.updates >= cfg.EMAStart {
		nn.Polyak(a.emaParams, a.actorParams, 1-cfg.EMADecay)
	}
	nn.Polyak(a.targetParams, a.criticParams, cfg.Tau)
	a.updates++

	m := a.metrics
	m[mCriticLoss].Value = criticLoss
	m[mBCLoss].Value = float64(bc)
	m[mQLoss].Value = ql
	m[mActorLoss].Value = float64(bc) + float64(cfg.Eta)*ql
	m[mQMean].Value = qMean / float64(numCritics*n)
	m[mTargetMean].Value = yMean / float64(n)
	m[mActorGradNorm].Value = float64(actorNorm)
	m[mCriticGradNorm].Value = float64(criticNorm)
	return m
}

// clip clips the gradient norm of ps to GradNorm (if positive) and returns
// the norm before clipping.
func (a *Agent) clip(ps []*nn.Param) float32 {
	if a.cfg.GradNorm > 0 {
		return nn.ClipGradNorm(ps, a.cfg.GradNorm)
	}
	return nn.GradNorm(ps)
}

// coefs returns DDPM's reverse-step coefficients from step t to t−1:
// a_{t−1} = c0·x̂₀ + c1·a_t + std·z.
func (a *Agent) coefs(t int) (c0, c1, std float32) {
	sc := a.sched
	ab, abp := sc.AlphaBar[t], sc.AlphaBar[t-1]
	beta := 1 - ab/abp
	c0 = float32(math.Sqrt(abp) * beta / (1 - ab))
	c1 = float32(math.Sqrt(1-beta) * (1 - abp) / (1 - ab))
	if t > 1 {
		std = float32(math.Sqrt(beta * (1 - abp) / (1 - ab)))
	}
	return c0, c1, std
}

// chain runs the reverse process for the states obs into buf.x (n×A): from
// a_T ∼ N(0, I) with noise if s is non-nil, else from a_T = 0 without noise.
// With keep it stores each a_t and unclipped x̂₀ for qLossGrad.
func (a *Agent) chain(obs *tensor.Mat, s *rng.Stream, keep bool) {
	B := &a.buf
	n, A := obs.Rows, a.actDim
	B.x.Resize(n, A)
	x := B.x.Values()
	if s != nil {
		s.FillNormal(x)
	} else {
		clear(x)
	}
	a.actor.SetCond(obs, nil)
	for t := a.sched.T; t >= 1; t-- {
		if keep {
			B.xs[t].Resize(n, A)
			copy(B.xs[t].Data, x)
		}
		a.actor.Step(&B.eps, &B.x, a.sched.Time(t))
		al, sg := float32(a.sched.Alpha[t]), float32(a.sched.Sigma[t])
		c0, c1, std := a.coefs(t)
		e := B.eps.Values()
		if keep {
			B.x0s[t].Resize(n, A)
		}
		for j, xv := range x {
			x0 := (xv - sg*e[j]) / al
			if keep {
				B.x0s[t].Data[j] = x0
			}
			x0 = min(max(x0, -1), 1)
			v := c0*x0 + c1*xv
			if std > 0 && s != nil {
				v += std * s.NormFloat32()
			}
			x[j] = v
		}
	}
	clampAll(x)
}

// qLossGrad samples â through the reverse chain with the current actor,
// evaluates L_q = −mean_i Q_k(s_i, â_i)/mean_i |Q_k'(s_i, â_i)| (k drawn
// uniformly, the denominator held fixed), and adds η·∇_θ L_q to the actor's
// gradients by back-propagating through every step of the chain. It
// returns L_q.
func (a *Agent) qLossGrad(n int) float64 {
	B := &a.buf
	A, S := a.actDim, a.obsDim
	a.chain(&B.obs, a.updStream, true)
	agent.FillStateAction(&B.qIn, &B.obs, &B.x, numCritics)
	a.critic.NoInputGrad = false
	qo := a.critic.Forward(&B.qIn)
	k := 0
	if a.updStream.Float64() > 0.5 { // reference: np.random.uniform() > 0.5 picks q1
		k = 1
	}
	ko := 1 - k
	var qk, qAbs float64
	for i := 0; i < n; i++ {
		qk += float64(qo.Data[k*n+i])
		qAbs += math.Abs(float64(qo.Data[ko*n+i]))
	}
	lambda := qAbs / float64(n)
	if lambda == 0 {
		lambda = 1e-8 // an all-zero critic: keep the gradient finite
	}
	loss := -qk / float64(n) / lambda
	B.k, B.lambda = k, lambda
	B.dqNew.Resize(numCritics*n, 1)
	clear(B.dqNew.Data[:numCritics*n])
	g := float32(-float64(a.cfg.Eta) / (float64(n) * lambda))
	for i := 0; i < n; i++ {
		B.dqNew.Data[k*n+i] = g
	}
	a.critic.NoParamGrad = true // dQ/dâ only
	din := a.critic.Backward(&B.dqNew)
	a.critic.NoInputGrad, a.critic.NoParamGrad = true, false
	// dL/dâ, then back through the chain: g holds dL/da_{t−1}.
	B.g.Resize(n, A)
	for i := 0; i < n; i++ {
		copy(B.g.Row(i), din.Row(k*n + i)[S:S+A])
	}
	// The final clamp of â passes gradient where |â| ≤ 1, which holds: â = clip(x̂₀).
	gd := B.g.Values()
	for t := 1; t <= a.sched.T; t++ {
		al, sg := float32(a.sched.Alpha[t]), float32(a.sched.Sigma[t])
		c0, c1, _ := a.coefs(t)
		B.gx0.Resize(n, A)
		gx := B.gx0.Values()
		x0 := B.x0s[t].Values()
		for j := range gx {
			if x0[j] >= -1 && x0[j] <= 1 {
				gx[j] = c0 * gd[j] // through clip(x̂₀)
			} else {
				gx[j] = 0
			}
		}
		// x̂₀ = (a_t − σ ε̂)/α: ∂/∂ε̂ = −σ/α, ∂/∂a_t = 1/α (direct path).
		for j := range gx {
			gd[j] = c1*gd[j] + gx[j]/al
			gx[j] *= -sg / al
		}
		a.actor.Forward(&B.xs[t], a.actor.timesFor(n, a.sched.Time(t)), &B.obs, nil)
		a.actor.Backward(&B.gx0)
		din := a.actor.din
		for i := 0; i < n; i++ {
			row := din.Row(i)[:A]
			gr := gd[i*A : (i+1)*A]
			for j := range gr {
				gr[j] += row[j]
			}
		}
	}
	return loss
}

func clampAll(x []float32) {
	for j, v := range x {
		x[j] = min(max(v, -1), 1)
	}
}

// bindBatch points the agent's views at the batch and returns its rows. It
// panics if the slices' lengths do not fit the agent's dimensions.
func (a *Agent) bindBatch(b *replay.Batch) int {
	n := agent.BatchRows("diffql", b, a.obsDim, a.actDim)
	O, A := a.obsDim, a.actDim
	B := &a.buf
	B.obs = tensor.Mat{Rows: n, Cols: O, Data: b.Obs}
	B.next = tensor.Mat{Rows: n, Cols: O, Data: b.NextObs}
	B.act = tensor.Mat{Rows: n, Cols: A, Data: b.Act}
	B.rew, B.done = b.Rew, b.Done
	return n
}

// Act writes the action for one observation into act: with deterministic,
// the noise-free reverse chain from a_T = 0; otherwise the reference's
// sample_action (Candidates samples, one drawn by softmax of min_k Q̄_k). It
// does not allocate once its buffers have grown. It returns an error if a
// length is wrong.
func (a *Agent) Act(obs, act []float32, deterministic bool) error {
	if _, err := agent.ActRows("diffql", obs, act, a.obsDim, a.actDim, true); err != nil {
		return err
	}
	return a.act(1, obs, act, deterministic)
}

// ActBatch is Act for B row-major observations; act receives B actions. It
// returns an error if the lengths do not describe the same B ≥ 1 rows.
func (a *Agent) ActBatch(obs, act []float32, deterministic bool) error {
	n, err := agent.ActRows("diffql", obs, act, a.obsDim, a.actDim, false)
	if err != nil {
		return err
	}
	return a.act(n, obs, act, deterministic)
}

func (a *Agent) act(n int, obs, act []float32, deterministic bool) error {
	B := &a.buf
	A := a.actDim
	B.actObs.Resize(n, a.obsDim)
	copy(B.actObs.Data, obs)
	if deterministic {
		a.chain(&B.actObs, nil, false)
		copy(act, B.x.Values())
		return nil
	}
	M := a.cfg.Candidates
	if err := a.actSampler.Sample(&B.cand, diffusion.Request{Cond: &B.actObs, M: M}, a.actStream); err != nil {
		return fmt.Errorf("diffql: act: %w", err)
	}
	clampAll(B.cand.Values())
	// Rows m·n + i are candidate m for state i; score them with min_k Q̄_k.
	S := a.obsDim
	W := S + A
	rows := M * n
	B.candQIn.Resize(numCritics*rows, W)
	for r := 0; r < rows; r++ {
		row := B.candQIn.Row(r)
		copy(row[:S], B.actObs.Row(r%n))
		copy(row[S:], B.cand.Row(r))
	}
	copy(B.candQIn.Data[rows*W:2*rows*W], B.candQIn.Data[:rows*W])
	a.criticTarget.Predict(&B.candQ, &B.candQIn)
	q := B.candQ.Data
	for i := 0; i < n; i++ {
		mx := math.Inf(-1)
		for m := 0; m < M; m++ {
			r := m*n + i
			mx = math.Max(mx, float64(min(q[r], q[rows+r])))
		}
		var z float64
		for m := 0; m < M; m++ {
			r := m*n + i
			z += math.Exp(float64(min(q[r], q[rows+r])) - mx)
		}
		u := a.actStream.Float64() * z
		pick := M - 1
		for m := 0; m < M; m++ {
			r := m*n + i
			u -= math.Exp(float64(min(q[r], q[rows+r])) - mx)
			if u < 0 {
				pick = m
				break
			}
		}
		copy(act[i*A:(i+1)*A], B.cand.Row(pick*n+i))
	}
	return nil
}

// Policy returns the agent as an env.Policy, deterministic or sampling.
func (a *Agent) Policy(deterministic bool) env.Policy {
	return env.PolicyFunc(func(obs, act []float32) error { return a.Act(obs, act, deterministic) })
}
