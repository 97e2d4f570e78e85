// Advantage-Weighted Actor-Critic.
//
// Paper: A. Nair, A. Gupta, M. Dalal, S. Levine, "AWAC: Accelerating Online
// Reinforcement Learning with Offline Datasets", arXiv:2006.09359 (2020),
// Algorithm 1, eqs. 3-4. Reference implementation and defaults: CORL
// (Tarasov et al. 2022), algorithms/finetune/awac.py.
//
// One update on a batch (s, a, r, s', d), states standardised by the agent's
// state normaliser, d = 1 only for a true terminal. The policy is
// π(·|s) = N(μ(s), diag σ²) with an unbounded mean μ(s) = MLP(s) and a
// state-independent log σ (a parameter vector, initialised to 0, clamped to
// [LogStdMin, LogStdMax]); a sample is clip(μ + σ·ε, -1, 1).
//
//	a' = clip(μ(s') + σ·ε', -1, 1)
//	y = r + γ(1-d)·min_k Q̄_k(s', a')
//	L_Q = Σ_k mean_i (Q_k(s_i, a_i) - y_i)²                          (critic step)
//	ã = clip(μ(s) + σ·ε, -1, 1)
//	u = min_k Q_k(s, a) - min_k Q_k(s, ã)        (the just-updated critics)
//	w = min(exp(u/λ), W_max)                                   (no gradient)
//	L_π = mean_i w_i·(-Σ_j log N(a_ij; μ_j(s_i), σ_j²))               (actor step)
//	Q̄ ← (1-τ)·Q̄ + τ·Q                                                (Polyak)
//
// with λ = Lambda and W_max = MaxExpAdv.
//
// Deviations and tricks, all deliberate:
//   - Twin critics are ONE ensemble network with K = 2 members (weights
//     [2, in, out]), initialised independently and fed the same batch,
//     exactly like CORL's critic_1 and critic_2 with their own optimisers
//     (Adam is per-parameter, so one optimiser over both is the same).
//   - The actor step's four critic values (both members at [s, a] and at
//     [s, ã]) come from one ensemble call on stacked inputs.
//   - State normalisation (CORL's awac.py always normalises states with
//     compute_mean_std(eps=1e-3) on the dataset's observations) happens inside
//     the agent: Update and Act take raw observations and standardise them
//     with the normaliser set by FitStateNorm or SetStateNorm (identity until
//     then). CORL rewrites the dataset and wraps the env; the networks see
//     the same numbers. NoStateNorm turns it off (CORL has no switch).
//   - The deterministic action (evaluation) is μ(s) clipped to [-1, 1]; CORL
//     passes the unclipped mean to the env, whose action bounds clip it.
//   - Exploration (Act with deterministic = false) samples the policy and
//     clips to [-1, 1], as CORL's online loop (actor.forward).
//   - The clamp of log σ passes gradient only inside [LogStdMin, LogStdMax],
//     like torch.clamp.
//   - λ is CORL's finetune default 1; its offline MuJoCo configs use 1/3,
//     its AntMaze and Adroit configs 0.1.

package awac

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

// Config holds AWAC's hyperparameters. Zero fields take the defaults listed
// on each field (applied by WithDefaults), which are CORL's
// (algorithms/finetune/awac.py TrainConfig and the Actor, Critic and
// AdvantageWeightedActorCritic defaults). Because zero means default, a
// Gamma, LogStdMin or LogStdMax of exactly 0 cannot be requested (use a tiny
// value).
type Config struct {
	// Hidden lists the hidden-layer widths of the actor and of each critic.
	// Default [256, 256, 256] (CORL Actor and Critic: three hidden layers of
	// hidden_dim = 256).
	Hidden []int `yaml:"hidden"`
	// Activation is the hidden activation: "relu", "tanh", "silu", "mish" or
	// "sigmoid". Default "relu" (CORL).
	Activation string `yaml:"activation"`
	// ActorLR and CriticLR are the Adam learning rates. Default 3e-4 each
	// (CORL learning_rate).
	ActorLR  float32 `yaml:"actor_lr"`
	CriticLR float32 `yaml:"critic_lr"`
	// Gamma is the discount γ. Default 0.99 (CORL gamma).
	Gamma float32 `yaml:"gamma"`
	// Tau is the Polyak rate τ of the target critics. Default 0.005 (CORL
	// tau).
	Tau float32 `yaml:"tau"`
	// BatchSize is the number of transitions the training loop should sample
	// per update; the agent accepts any batch size. Default 256 (CORL).
	BatchSize int `yaml:"batch_size"`
	// Lambda is the temperature λ of the advantage weights exp(u/λ).
	// Default 1 (CORL awac_lambda in finetune/awac.py).
	Lambda float32 `yaml:"lambda"`
	// MaxExpAdv caps the advantage weights. Default 100 (CORL exp_adv_max).
	MaxExpAdv float32 `yaml:"max_exp_adv"`
	// LogStdMin and LogStdMax clamp the policy's log σ. Default -20 and 2
	// (CORL Actor min_log_std, max_log_std).
	LogStdMin float32 `yaml:"log_std_min"`
	LogStdMax float32 `yaml:"log_std_max"`
	// NoStateNorm turns off state normalisation: FitStateNorm then leaves
	// the identity. Default false (CORL always normalises).
	NoStateNorm bool `yaml:"no_state_norm"`
}

// WithDefaults returns c with every zero field replaced by its default.
func (c Config) WithDefaults() Config {
	if len(c.Hidden) == 0 {
		c.Hidden = []int{256, 256, 256} // CORL Actor/Critic: 3 hidden layers of 256
	}
	if c.Activation == "" {
		c.Activation = "relu" // CORL nn.ReLU
	}
	if c.ActorLR == 0 {
		c.ActorLR = 3e-4 // CORL learning_rate
	}
	if c.CriticLR == 0 {
		c.CriticLR = 3e-4 // CORL learning_rate
	}
	if c.Gamma == 0 {
		c.Gamma = 0.99 // CORL gamma
	}
	if c.Tau == 0 {
		c.Tau = 0.005 // CORL tau
	}
	if c.BatchSize == 0 {
		c.BatchSize = 256 // CORL batch_size
	}
	if c.Lambda == 0 {
		c.Lambda = 1 // CORL awac_lambda (finetune default)
	}
	if c.MaxExpAdv == 0 {
		c.MaxExpAdv = 100 // CORL exp_adv_max
	}
	if c.LogStdMin == 0 {
		c.LogStdMin = -20 // CORL min_log_std
	}
	if c.LogStdMax == 0 {
		c.LogStdMax = 2 // CORL max_log_std
	}
	return c
}

func finite32(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

// Validate reports the first invalid field, naming it and its value. Zero
// fields are valid (they mean the default).
func (c Config) Validate() error {
	for i, h := range c.Hidden {
		if h <= 0 {
			return fmt.Errorf("awac.Config.Hidden[%d] = %d: must be positive", i, h)
		}
	}
	if _, err := parseActivation(c.Activation); err != nil {
		return fmt.Errorf("awac.Config.Activation = %q: %w", c.Activation, err)
	}
	for _, f := range []struct {
		name string
		v    float32
	}{{"ActorLR", c.ActorLR}, {"CriticLR", c.CriticLR}, {"Lambda", c.Lambda}, {"MaxExpAdv", c.MaxExpAdv}} {
		if !finite32(f.v) || f.v < 0 {
			return fmt.Errorf("awac.Config.%s = %v: must be finite and ≥ 0", f.name, f.v)
		}
	}
	switch {
	case !finite32(c.Gamma) || c.Gamma < 0 || c.Gamma > 1:
		return fmt.Errorf("awac.Config.Gamma = %v: must be in [0, 1]", c.Gamma)
	case !finite32(c.Tau) || c.Tau < 0 || c.Tau > 1:
		return fmt.Errorf("awac.Config.Tau = %v: must be in [0, 1]", c.Tau)
	case c.BatchSize < 0:
		return fmt.Errorf("awac.Config.BatchSize = %d: must be ≥ 0", c.BatchSize)
	case !finite32(c.LogStdMin):
		return fmt.Errorf("awac.Config.LogStdMin = %v: must be finite", c.LogStdMin)
	case !finite32(c.LogStdMax):
		return fmt.Errorf("awac.Config.LogStdMax = %v: must be finite", c.LogStdMax)
	}
	if d := c.WithDefaults(); d.LogStdMin > d.LogStdMax {
		return fmt.Errorf("awac.Config.LogStdMin = %v: must not exceed LogStdMax = %v", d.LogStdMin, d.LogStdMax)
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

// Agent is an AWAC agent. It is not safe for concurrent use.
type Agent struct {
	cfg            Config
	obsDim, actDim int

	actor        *nn.MLP   // s → μ(s), unbounded
	logStd       *nn.Param // state-independent log σ
	critic       *nn.MLP   // K=2 ensemble, [s, a] → Q
	criticTarget *nn.MLP   // Polyak copy of critic

	actorOpt, criticOpt       *optim.Adam
	actorParams, criticParams []*nn.Param
	targetParams              []*nn.Param

	// State normaliser: (s - mean)/std; identity (mean 0, std 1) until set.
	norm              *agent.ObsNorm
	agent.StateNormed // FitStateNorm, SetStateNorm, StateNorm over norm

	actStream *rng.Stream // exploration noise of Act/ActBatch
	updStream *rng.Stream // policy samples inside Update
	updates   int64

	metrics []agent.Metric
	buf     buffers
}

// buffers holds every scratch matrix, so that Update and Act do not allocate
// once they have grown to the batch size.
type buffers struct {
	obs, next, act      tensor.Mat // standardised states, batch actions (views)
	obsStore, nextStore tensor.Mat
	rew, done           []float32
	// critic target
	nextNoise, nextAct, targetIn, targetQ, y tensor.Mat
	// critic step
	criticIn, dq tensor.Mat
	// actor step
	piNoise, piAct, advIn, advQ, adv, weight, dMean tensor.Mat
	// acting
	actIn, actInStore, actOut tensor.Mat
}

// Metric indices into Agent.metrics, in the order Update reports them.
const (
	mCriticLoss = iota
	mActorLoss
	mQMean
	mAdvMean
	mWeightMean
	mLogStdMean
	numMetrics
)

var metricNames = [numMetrics]string{
	mCriticLoss: "loss/critic",       // Σ_k mean (Q_k - y)²
	mActorLoss:  "loss/actor",        // mean w·(-log π(a|s))
	mQMean:      "train/q_mean",      // mean of Q_k(s, a) over members and batch
	mAdvMean:    "train/adv_mean",    // mean u = min_k Q_k(s, a) - min_k Q_k(s, ã)
	mWeightMean: "train/weight_mean", // mean min(exp(u/λ), W_max)
	mLogStdMean: "train/log_std",     // mean clamped log σ
}

// New returns an AWAC agent for observations of obsDim and actions of actDim
// values, with networks initialised and random streams derived from seed.
// It returns an error if a dimension is not positive or cfg is invalid.
func New(obsDim, actDim int, cfg Config, seed uint64) (*Agent, error) {
	if obsDim <= 0 || actDim <= 0 {
		return nil, fmt.Errorf("awac.New: observation dimension %d and action dimension %d must be positive", obsDim, actDim)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	hidden, _ := parseActivation(cfg.Activation)
	sizes := func(in, out int) []int { return append(append([]int{in}, cfg.Hidden...), out) }

	a := &Agent{cfg: cfg, obsDim: obsDim, actDim: actDim}
	a.actor = nn.NewMLP("actor", nn.MLPConfig{Sizes: sizes(obsDim, actDim), Hidden: hidden}, rng.Derive(seed, "awac", "init", "actor"))
	a.actor.NoInputGrad = true
	a.logStd = nn.NewParam("actor/log_std", actDim) // CORL: torch.zeros(action_dim)
	a.actorParams = append(a.actor.Params(), a.logStd)
	criticCfg := nn.MLPConfig{Sizes: sizes(obsDim+actDim, 1), Hidden: hidden}
	a.critic = nn.NewEnsembleMLP("critic", numCritics, criticCfg, rng.Derive(seed, "awac", "init", "critic"))
	a.critic.NoInputGrad = true
	a.criticTarget = nn.NewEnsembleMLP("critic_target", numCritics, criticCfg, rng.Derive(seed, "awac", "init", "critic"))

	a.criticParams, a.targetParams = a.critic.Params(), a.criticTarget.Params()
	nn.CopyParams(a.targetParams, a.criticParams) // CORL: deepcopy
	a.actorOpt = optim.NewAdam(a.actorParams, optim.AdamConfig{LR: cfg.ActorLR})
	a.criticOpt = optim.NewAdam(a.criticParams, optim.AdamConfig{LR: cfg.CriticLR})

	a.norm = agent.NewObsNorm(obsDim)
	a.StateNormed = agent.NewStateNormed(a.norm, "awac", cfg.NoStateNorm)

	a.actStream = rng.Derive(seed, "awac", "act")
	a.updStream = rng.Derive(seed, "awac", "update")
	a.metrics = make([]agent.Metric, numMetrics)
	for i, n := range metricNames {
		a.metrics[i].Name = n
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

// Params returns the trainable parameters: actor (with log σ) and critic
// (not the target critic, which follows by Polyak averaging).
func (a *Agent) Params() []*nn.Param {
	return append(append([]*nn.Param(nil), a.actorParams...), a.criticParams...)
}

// Update does one AWAC update on the batch b: critic step, actor step and
// Polyak update of the target critics. It returns the metrics in a slice
// owned by the agent, valid until the next Update. It does not allocate once
// its buffers have grown to the batch size. It panics if the batch's
// dimensions do not match the agent's (a programmer error).
func (a *Agent) Update(b *replay.Batch) []agent.Metric {
	n := a.bindBatch(b)
	B := &a.buf

	// 1. Critic targets from the target critics and a' ~ π(·|s').
	a.updStream.FillNormal(B.nextNoise.Resize(n, a.actDim).Values())
	a.criticTargets(n)

	// 2. Critic step on L_Q.
	criticLoss, qMean := a.criticLossGrad(n)
	a.criticOpt.Step()

	// 3. Advantage weights from the just-updated critics and ã ~ π(·|s),
	// then the actor step on the weighted log-likelihood.
	a.updStream.FillNormal(B.piNoise.Resize(n, a.actDim).Values())
	advMean, weightMean := a.advantageWeights(n)
	actorLoss := a.actorLossGrad(n)
	a.actorOpt.Step()

	// 4. Target critics: Q̄ ← (1-τ)Q̄ + τQ.
	nn.Polyak(a.targetParams, a.criticParams, a.cfg.Tau)
	a.updates++

	m := a.metrics
	m[mCriticLoss].Value = criticLoss
	m[mActorLoss].Value = actorLoss
	m[mQMean].Value = qMean
	m[mAdvMean].Value = advMean
	m[mWeightMean].Value = weightMean
	var s float64
	for _, v := range a.logStd.W {
		s += float64(clamp(v, a.cfg.LogStdMin, a.cfg.LogStdMax))
	}
	m[mLogStdMean].Value = s / float64(a.actDim)
	return m
}

// samplePolicy sets act to clip(μ(s) + σ·noise, -1, 1) for the standardised
// states s, by the actor's inference path (no gradient is needed through a
// sample in AWAC).
func (a *Agent) samplePolicy(act, s, noise *tensor.Mat) {
	a.actor.Predict(act, s)
	A := a.actDim
	lo, hi := a.cfg.LogStdMin, a.cfg.LogStdMax
	for j := 0; j < A; j++ {
		sigma := float32(math.Exp(float64(clamp(a.logStd.W[j], lo, hi))))
		for i := j; i < act.Len(); i += A {
			act.Data[i] = clamp(act.Data[i]+sigma*noise.Data[i], -1, 1)
		}
	}
}

// criticTargets sets buf.y to y_i = r_i + γ(1-d_i)·min_k Q̄_k(s'_i, a'_i),
// a'_i a policy sample with the noise in buf.nextNoise.
func (a *Agent) criticTargets(n int) {
	B := &a.buf
	a.samplePolicy(&B.nextAct, &B.next, &B.nextNoise)
	agent.FillStateAction(&B.targetIn, &B.next, &B.nextAct, numCritics)
	a.criticTarget.Predict(&B.targetQ, &B.targetIn)
	B.y.Resize(n, 1)
	gamma := a.cfg.Gamma
	for i := 0; i < n; i++ {
		minQ := min(B.targetQ.Data[i], B.targetQ.Data[n+i])
		B.y.Data[i] = B.rew[i] + gamma*(1-B.done[i])*minQ
	}
}

// criticLossGrad evaluates L_Q = Σ_k mean_i (Q_k(s_i, a_i) - y_i)² with both
// members in one ensemble call (CORL: q1_loss + q2_loss), sets the critic
// gradients to ∇L_Q, and returns L_Q and the mean Q value.
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
	a.critic.Backward(&B.dq)
	return loss / float64(n), qSum / float64(K*n)
}

// advantageWeights sets buf.adv to u_i = min_k Q_k(s_i, a_i) - min_k
// Q_k(s_i, ã_i) and buf.weight to w_i = min(exp(u_i/λ), W_max), ã_i a policy
// sample with the noise in buf.piNoise, and returns the means of u and w.
// Each member's block of the ensemble input is [s, a] stacked on [s, ã], so
// one call gives all four values.
func (a *Agent) advantageWeights(n int) (advMean, weightMean float64) {
	B := &a.buf
	O, A, K := a.obsDim, a.actDim, numCritics
	a.samplePolicy(&B.piAct, &B.obs, &B.piNoise)
	W := O + A
	B.advIn.Resize(K*2*n, W)
	block := B.advIn.Data[:2*n*W]
	for i := 0; i < n; i++ {
		s := B.obs.Data[i*O : (i+1)*O]
		r, p := block[i*W:(i+1)*W], block[(n+i)*W:(n+i+1)*W]
		copy(r[:O], s)
		copy(r[O:], B.act.Data[i*A:(i+1)*A])
		copy(p[:O], s)
		copy(p[O:], B.piAct.Data[i*A:(i+1)*A])
	}
	for k := 1; k < K; k++ {
		copy(B.advIn.Data[k*2*n*W:(k+1)*2*n*W], block)
	}
	a.critic.Predict(&B.advQ, &B.advIn)
	B.adv.Resize(n, 1)
	B.weight.Resize(n, 1)
	q := B.advQ.Data // member k: rows [k·2n, k·2n+n) at [s, a], then n rows at [s, ã]
	invLambda, wMax := 1/float64(a.cfg.Lambda), a.cfg.MaxExpAdv
	for i := 0; i < n; i++ {
		qData := min(q[i], q[2*n+i])
		qPi := min(q[n+i], q[3*n+i])
		u := qData - qPi
		w := min(float32(math.Exp(float64(u)*invLambda)), wMax)
		B.adv.Data[i], B.weight.Data[i] = u, w
		advMean += float64(u)
		weightMean += float64(w)
	}
	return advMean / float64(n), weightMean / float64(n)
}

// actorLossGrad evaluates the advantage-weighted negative log-likelihood of
// the batch actions with the weights in buf.weight held fixed,
//
//	L_π = mean_i w_i·Σ_j [½z_ij² + log σ_j + ½log 2π],   z = (a - μ(s))/σ,
//
// with log σ = clamp(log_std, LogStdMin, LogStdMax), sets the actor's
// gradients (MLP and log_std) to ∇L_π and returns L_π.
func (a *Agent) actorLossGrad(n int) float64 {
	B := &a.buf
	A := a.actDim
	nn.ZeroGrad(a.actorParams)
	mu := a.actor.Forward(&B.obs)
	B.dMean.Resize(n, A)
	const halfLog2Pi = 0.91893853320467274178 // ½log 2π
	lo, hi := a.cfg.LogStdMin, a.cfg.LogStdMax
	invN := 1 / float32(n)
	var loss float64
	for j := 0; j < A; j++ {
		ls := clamp(a.logStd.W[j], lo, hi)
		iv := float32(math.Exp(-2 * float64(ls))) // 1/σ²
		var dls float64
		for i := 0; i < n; i++ {
			w := B.weight.Data[i]
			d := B.act.Data[i*A+j] - mu.Data[i*A+j]
			z2 := d * d * iv
			loss += float64(w) * (0.5*float64(z2) + float64(ls) + halfLog2Pi)
			B.dMean.Data[i*A+j] = -w * d * iv * invN // ∂/∂μ of w·(½z² + …)/n
			dls += float64(w * (1 - z2))             // ∂/∂log σ of w·(½z² + log σ)
		}
		if a.logStd.W[j] >= lo && a.logStd.W[j] <= hi {
			a.logStd.G[j] = float32(dls) * invN
		}
	}
	a.actor.Backward(&B.dMean)
	return loss / float64(n)
}

// bindBatch standardises the batch's states into the agent's buffers, points
// the other views at b's slices, and returns the number of rows. It panics
// if the slices' lengths do not fit the agent's dimensions.
func (a *Agent) bindBatch(b *replay.Batch) int {
	n := agent.BatchRows("awac", b, a.obsDim, a.actDim)
	A := a.actDim
	B := &a.buf
	a.norm.Standardize(&B.obs, &B.obsStore, b.Obs, n)
	a.norm.Standardize(&B.next, &B.nextStore, b.NextObs, n)
	B.act = tensor.Mat{Rows: n, Cols: A, Data: b.Act}
	B.rew, B.done = b.Rew, b.Done
	return n
}

func clamp(x, lo, hi float32) float32 { return min(max(x, lo), hi) }

// Act writes the action for one raw observation into act: the policy mean
// μ(s) clipped to [-1, 1] if deterministic, otherwise a sample of N(μ(s), σ²)
// clipped to [-1, 1] drawn from the agent's acting stream. It does not
// allocate once its buffers have grown. It returns an error if a length is
// wrong.
func (a *Agent) Act(obs, act []float32, deterministic bool) error {
	if _, err := agent.ActRows("awac", obs, act, a.obsDim, a.actDim, true); err != nil {
		return err
	}
	a.act(1, obs, act, deterministic)
	return nil
}

// ActBatch is Act for a batch: obs holds B row-major observations and act
// receives B actions (B·|A| values). It returns an error if the lengths do
// not describe the same B ≥ 1 rows.
func (a *Agent) ActBatch(obs, act []float32, deterministic bool) error {
	n, err := agent.ActRows("awac", obs, act, a.obsDim, a.actDim, false)
	if err != nil {
		return err
	}
	a.act(n, obs, act, deterministic)
	return nil
}

func (a *Agent) act(n int, obs, act []float32, deterministic bool) {
	B := &a.buf
	a.norm.Standardize(&B.actIn, &B.actInStore, obs, n)
	a.actor.Predict(&B.actOut, &B.actIn)
	out := B.actOut.Values()
	A := a.actDim
	for i := range out {
		if !deterministic {
			sigma := float32(math.Exp(float64(clamp(a.logStd.W[i%A], a.cfg.LogStdMin, a.cfg.LogStdMax))))
			out[i] += sigma * a.actStream.NormFloat32()
		}
		out[i] = clamp(out[i], -1, 1)
	}
	copy(act, out)
	B.actIn = tensor.Mat{} // do not keep the caller's slice
}

// Policy returns the agent as an env.Policy (for episodes and evaluation),
// deterministic or sampling.
func (a *Agent) Policy(deterministic bool) env.Policy {
	return env.PolicyFunc(func(obs, act []float32) error { return a.Act(obs, act, deterministic) })
}
