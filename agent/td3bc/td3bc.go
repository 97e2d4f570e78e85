// TD3+BC: TD3 with a behaviour-cloning actor regulariser.
//
// Paper: S. Fujimoto, S. S. Gu, "A Minimalist Approach to Offline
// Reinforcement Learning", NeurIPS 2021 (arXiv:2106.06860), Algorithm 1 and
// eq. 3. Reference implementation and defaults: CORL (Tarasov et al. 2022),
// algorithms/offline/td3_bc.py, itself a port of github.com/sfujim/TD3_BC.
//
// One update on a batch (s, a, r, s', d), states standardised by the agent's
// state normaliser, d = 1 only for a true terminal:
//
//	ε ~ clip(N(0, σ²), -c, c),  a' = clip(π̄(s') + ε, -1, 1)
//	y = r + γ(1-d)·min_k Q̄_k(s', a')
//	L_Q = Σ_k mean_i (Q_k(s_i, a_i) - y_i)²                       (critic step)
//
// and on every PolicyFreq-th update also
//
//	λ = α / mean_i |Q_1(s_i, π(s_i))|        (held constant: no gradient)
//	L_π = -λ·mean_i Q_1(s_i, π(s_i)) + mean_{i,j} (π(s_i)_j - a_ij)²  (actor step)
//	Q̄ ← (1-τ)Q̄ + τQ,   π̄ ← (1-τ)π̄ + τπ                          (Polyak)
//
// with σ = PolicyNoise, c = NoiseClip, α = Alpha. The BC term is PyTorch's
// F.mse_loss, a mean over the batch AND the action dimensions, as in CORL
// and the authors' code (the paper writes a sum over dimensions).
//
// Deviations and tricks, all deliberate:
//   - Twin critics are ONE ensemble network with K = 2 members (weights
//     [2, in, out]); the members are initialised independently and see the
//     same batch, exactly like CORL's critic_1 and critic_2 with their own
//     optimisers (Adam is per-parameter, so one optimiser over both is the
//     same thing).
//   - The actor loss uses member 1 only (CORL's critic_1), but the ensemble
//     evaluates both members on [s, π(s)]; member 2's output gets a zero
//     gradient. Only the cost differs.
//   - The critic gradients of the actor pass are cleared and never reach the
//     critic optimiser (CORL zeroes them at the next critic step).
//   - State normalisation (CORL's normalize=True, compute_mean_std with eps
//     1e-3 on the dataset's observations) happens inside the agent: Update
//     and Act take raw observations and standardise them with the normaliser
//     set by FitStateNorm or SetStateNorm (identity until then). CORL instead
//     rewrites the dataset and wraps the env; the networks see the same
//     numbers.
//   - Exploration for online interaction (Act with deterministic = false) is
//     TD3's: π(s) + N(0, ExplNoise²), clipped to [-1, 1]. CORL's TD3+BC script
//     is offline only and never uses its expl_noise = 0.1; dwm keeps it for
//     offline→online runs.
//   - The actions are in [-1, 1] (max_action = 1): env.Rescale maps them onto
//     the env's bounds, so policy noise and noise clip are CORL's values times
//     max_action = 1.
//   - Update metrics have the same names on every update: on critic-only
//     updates loss/actor, loss/bc and train/lambda repeat the values of the
//     last actor step (0 before the first); CORL logs nothing there.
//   - No epsilon guards λ: a batch whose Q values are all exactly 0 gives an
//     infinite λ, as in CORL (the training loop then reports divergence).

package td3bc

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

// Config holds TD3+BC's hyperparameters. Zero fields take the defaults listed
// on each field (applied by WithDefaults), which are CORL's
// (algorithms/offline/td3_bc.py TrainConfig and the networks there). Because
// zero means default, a Gamma, PolicyNoise or ExplNoise of exactly 0 cannot
// be requested (use a tiny value).
type Config struct {
	// Hidden lists the hidden-layer widths of the actor and of each critic.
	// Default [256, 256] (CORL Actor and Critic).
	Hidden []int `yaml:"hidden"`
	// Activation is the hidden activation: "relu", "tanh", "silu", "mish" or
	// "sigmoid". Default "relu" (CORL).
	Activation string `yaml:"activation"`
	// ActorLR and CriticLR are the Adam learning rates. Default 3e-4 each
	// (CORL: torch.optim.Adam(..., lr=3e-4)).
	ActorLR  float32 `yaml:"actor_lr"`
	CriticLR float32 `yaml:"critic_lr"`
	// Gamma is the discount γ. Default 0.99 (CORL discount).
	Gamma float32 `yaml:"gamma"`
	// Tau is the Polyak rate τ of the target networks. Default 0.005 (CORL).
	Tau float32 `yaml:"tau"`
	// BatchSize is the number of transitions the training loop should sample
	// per update; the agent accepts any batch size. Default 256 (CORL).
	BatchSize int `yaml:"batch_size"`
	// Alpha is α, the weight of the Q term against the BC term: λ =
	// α/mean|Q|. Default 2.5 (CORL alpha; paper section 5).
	Alpha float32 `yaml:"alpha"`
	// PolicyNoise is the standard deviation of the target policy smoothing
	// noise. Default 0.2 (CORL policy_noise).
	PolicyNoise float32 `yaml:"policy_noise"`
	// NoiseClip bounds the target policy smoothing noise. Default 0.5 (CORL
	// noise_clip).
	NoiseClip float32 `yaml:"noise_clip"`
	// PolicyFreq is the number of critic updates per actor and target
	// update. Default 2 (CORL policy_freq).
	PolicyFreq int `yaml:"policy_freq"`
	// ExplNoise is the standard deviation of the Gaussian exploration noise
	// of sampled actions. Default 0.1 (CORL expl_noise, from TD3).
	ExplNoise float32 `yaml:"expl_noise"`
	// NoStateNorm turns off state normalisation: FitStateNorm then leaves
	// the identity. Default false: CORL's normalize=True.
	NoStateNorm bool `yaml:"no_state_norm"`
}

// WithDefaults returns c with every zero field replaced by its default.
func (c Config) WithDefaults() Config {
	if len(c.Hidden) == 0 {
		c.Hidden = []int{256, 256} // CORL Actor/Critic: two hidden layers of 256
	}
	if c.Activation == "" {
		c.Activation = "relu" // CORL nn.ReLU
	}
	if c.ActorLR == 0 {
		c.ActorLR = 3e-4 // CORL actor_optimizer lr
	}
	if c.CriticLR == 0 {
		c.CriticLR = 3e-4 // CORL critic_{1,2}_optimizer lr
	}
	if c.Gamma == 0 {
		c.Gamma = 0.99 // CORL discount
	}
	if c.Tau == 0 {
		c.Tau = 0.005 // CORL tau
	}
	if c.BatchSize == 0 {
		c.BatchSize = 256 // CORL batch_size
	}
	if c.Alpha == 0 {
		c.Alpha = 2.5 // CORL alpha (paper: α = 2.5)
	}
	if c.PolicyNoise == 0 {
		c.PolicyNoise = 0.2 // CORL policy_noise
	}
	if c.NoiseClip == 0 {
		c.NoiseClip = 0.5 // CORL noise_clip
	}
	if c.PolicyFreq == 0 {
		c.PolicyFreq = 2 // CORL policy_freq
	}
	if c.ExplNoise == 0 {
		c.ExplNoise = 0.1 // CORL expl_noise
	}
	return c
}

func finite32(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

// Validate reports the first invalid field, naming it and its value. Zero
// fields are valid (they mean the default).
func (c Config) Validate() error {
	for i, h := range c.Hidden {
		if h <= 0 {
			return fmt.Errorf("td3bc.Config.Hidden[%d] = %d: must be positive", i, h)
		}
	}
	if _, err := parseActivation(c.Activation); err != nil {
		return fmt.Errorf("td3bc.Config.Activation = %q: %w", c.Activation, err)
	}
	for _, f := range []struct {
		name string
		v    float32
	}{{"ActorLR", c.ActorLR}, {"CriticLR", c.CriticLR}, {"Alpha", c.Alpha}, {"PolicyNoise", c.PolicyNoise},
		{"NoiseClip", c.NoiseClip}, {"ExplNoise", c.ExplNoise}} {
		if !finite32(f.v) || f.v < 0 {
			return fmt.Errorf("td3bc.Config.%s = %v: must be finite and ≥ 0", f.name, f.v)
		}
	}
	switch {
	case !finite32(c.Gamma) || c.Gamma < 0 || c.Gamma > 1:
		return fmt.Errorf("td3bc.Config.Gamma = %v: must be in [0, 1]", c.Gamma)
	case !finite32(c.Tau) || c.Tau < 0 || c.Tau > 1:
		return fmt.Errorf("td3bc.Config.Tau = %v: must be in [0, 1]", c.Tau)
	case c.BatchSize < 0:
		return fmt.Errorf("td3bc.Config.BatchSize = %d: must be ≥ 0", c.BatchSize)
	case c.PolicyFreq < 0:
		return fmt.Errorf("td3bc.Config.PolicyFreq = %d: must be ≥ 0", c.PolicyFreq)
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

// Agent is a TD3+BC agent. It is not safe for concurrent use.
type Agent struct {
	cfg            Config
	obsDim, actDim int

	actor, actorTarget   *nn.MLP // s → tanh(·) ∈ [-1, 1]^|A|
	critic, criticTarget *nn.MLP // K=2 ensemble, [s, a] → Q
	actorOpt, criticOpt  *optim.Adam
	actorParams          []*nn.Param
	criticParams         []*nn.Param
	actorTargetParams    []*nn.Param
	criticTargetParams   []*nn.Param

	// State normaliser: (s - mean)/std; identity (mean 0, std 1) until set.
	norm              *agent.ObsNorm
	agent.StateNormed // FitStateNorm, SetStateNorm, StateNorm over norm

	actStream *rng.Stream // exploration noise of Act/ActBatch
	updStream *rng.Stream // target policy smoothing noise
	updates   int64

	// held holds loss/actor, loss/bc and train/lambda of the last actor
	// step, reported on critic-only updates (float32 so that checkpoints
	// keep them exactly).
	held *nn.Param

	metrics []agent.Metric
	buf     buffers
}

// buffers holds every scratch matrix, so that Update and Act do not allocate
// once they have grown to the batch size.
type buffers struct {
	obs, next, act tensor.Mat // standardised states, batch actions (views)
	obsStore       tensor.Mat // storage of standardised states
	nextStore      tensor.Mat
	rew, done      []float32
	// critic target
	noise, nextAct, targetIn, targetQ, y tensor.Mat
	// critic step
	criticIn, dq tensor.Mat
	// actor step
	piIn, dqPi, dPi tensor.Mat
	// acting
	actIn, actInStore, actOut tensor.Mat
}

// Metric indices into Agent.metrics, in the order Update reports them.
const (
	mCriticLoss = iota
	mActorLoss
	mBCLoss
	mLambda
	mQMean
	numMetrics
)

var metricNames = [numMetrics]string{
	mCriticLoss: "loss/critic",  // Σ_k mean (Q_k - y)²
	mActorLoss:  "loss/actor",   // -λ·mean Q_1 + BC (last actor step)
	mBCLoss:     "loss/bc",      // mean (π(s) - a)² (last actor step)
	mLambda:     "train/lambda", // α/mean|Q_1(s, π(s))| (last actor step)
	mQMean:      "train/q_mean", // mean of Q_k(s, a) over members and batch
}

// New returns a TD3+BC agent for observations of obsDim and actions of
// actDim values, with networks initialised and random streams derived from
// seed. It returns an error if a dimension is not positive or cfg is
// invalid.
func New(obsDim, actDim int, cfg Config, seed uint64) (*Agent, error) {
	if obsDim <= 0 || actDim <= 0 {
		return nil, fmt.Errorf("td3bc.New: observation dimension %d and action dimension %d must be positive", obsDim, actDim)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	hidden, _ := parseActivation(cfg.Activation)
	sizes := func(in, out int) []int { return append(append([]int{in}, cfg.Hidden...), out) }

	a := &Agent{cfg: cfg, obsDim: obsDim, actDim: actDim}
	actorCfg := nn.MLPConfig{Sizes: sizes(obsDim, actDim), Hidden: hidden, Output: tensor.Tanh}
	a.actor = nn.NewMLP("actor", actorCfg, rng.Derive(seed, "td3bc", "init", "actor"))
	a.actor.NoInputGrad = true
	a.actorTarget = nn.NewMLP("actor_target", actorCfg, rng.Derive(seed, "td3bc", "init", "actor"))
	criticCfg := nn.MLPConfig{Sizes: sizes(obsDim+actDim, 1), Hidden: hidden}
	a.critic = nn.NewEnsembleMLP("critic", numCritics, criticCfg, rng.Derive(seed, "td3bc", "init", "critic"))
	a.criticTarget = nn.NewEnsembleMLP("critic_target", numCritics, criticCfg, rng.Derive(seed, "td3bc", "init", "critic"))

	a.actorParams, a.actorTargetParams = a.actor.Params(), a.actorTarget.Params()
	a.criticParams, a.criticTargetParams = a.critic.Params(), a.criticTarget.Params()
	nn.CopyParams(a.actorTargetParams, a.actorParams) // CORL: copy.deepcopy
	nn.CopyParams(a.criticTargetParams, a.criticParams)
	a.actorOpt = optim.NewAdam(a.actorParams, optim.AdamConfig{LR: cfg.ActorLR})
	a.criticOpt = optim.NewAdam(a.criticParams, optim.AdamConfig{LR: cfg.CriticLR})

	a.norm = agent.NewObsNorm(obsDim)
	a.StateNormed = agent.NewStateNormed(a.norm, "td3bc", cfg.NoStateNorm)
	a.held = nn.NewParam(heldName, 3)

	a.actStream = rng.Derive(seed, "td3bc", "act")
	a.updStream = rng.Derive(seed, "td3bc", "update")
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

// Params returns the trainable parameters: actor then critic (not the target
// networks, which follow by Polyak averaging).
func (a *Agent) Params() []*nn.Param {
	return append(append([]*nn.Param(nil), a.actorParams...), a.criticParams...)
}

// Update does one TD3+BC update on the batch b: a critic step and, on every
// PolicyFreq-th update, an actor step and the Polyak update of the target
// networks. It returns the metrics in a slice owned by the agent, valid
// until the next Update. It does not allocate once its buffers have grown
// to the batch size. It panics if the batch's dimensions do not match the
// agent's (a programmer error).
func (a *Agent) Update(b *replay.Batch) []agent.Metric {
	n := a.bindBatch(b)
	B := &a.buf

	// 1. Critic targets y from the target actor with clipped smoothing noise
	// and the target critics.
	a.updStream.FillNormal(B.noise.Resize(n, a.actDim).Values())
	a.criticTargets(n)

	// 2. Critic step on L_Q.
	criticLoss, qMean := a.criticLossGrad(n)
	a.criticOpt.Step()

	// 3. Delayed actor step on L_π (through the just-updated critic) and
	// Polyak updates of all target networks (CORL: total_it % policy_freq
	// == 0 with total_it counted from 1).
	a.updates++
	if a.updates%int64(a.cfg.PolicyFreq) == 0 {
		actorLoss, bc, lambda := a.actorLossGrad(n, -1)
		a.actorOpt.Step()
		nn.Polyak(a.criticTargetParams, a.criticParams, a.cfg.Tau)
		nn.Polyak(a.actorTargetParams, a.actorParams, a.cfg.Tau)
		a.held.W[0], a.held.W[1], a.held.W[2] = float32(actorLoss), float32(bc), float32(lambda)
	}

	m := a.metrics
	m[mCriticLoss].Value = criticLoss
	m[mActorLoss].Value = float64(a.held.W[0])
	m[mBCLoss].Value = float64(a.held.W[1])
	m[mLambda].Value = float64(a.held.W[2])
	m[mQMean].Value = qMean
	return m
}

// criticTargets sets buf.y to the TD3 targets
//
//	y_i = r_i + γ(1-d_i)·min_k Q̄_k(s'_i, clip(π̄(s'_i) + clip(σε_i, -c, c), -1, 1))
//
// with ε from buf.noise.
func (a *Agent) criticTargets(n int) {
	B := &a.buf
	a.actorTarget.Predict(&B.nextAct, &B.next)
	sigma, c := a.cfg.PolicyNoise, a.cfg.NoiseClip
	for i, e := range B.noise.Values() {
		B.nextAct.Data[i] = clamp(B.nextAct.Data[i]+clamp(sigma*e, -c, c), -1, 1)
	}
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
// members in one ensemble call (CORL: mse_loss(q1, y) + mse_loss(q2, y)),
// sets the critic gradients to ∇L_Q, and returns L_Q and the mean Q value.
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
	a.critic.NoInputGrad = true
	a.critic.Backward(&B.dq)
	return loss / float64(n), qSum / float64(K*n)
}

// actorLossGrad evaluates the actor loss
//
//	L_π = -λ·mean_i Q_1(s_i, π(s_i)) + mean_{i,j} (π(s_i)_j - a_ij)²,
//
// with λ = α/mean_i |Q_1(s_i, π(s_i))| treated as a constant (CORL's
// .detach()), or λ = lambda if lambda ≥ 0 (for gradient checks). It sets the
// actor gradients to ∇L_π, leaves the critic's at zero, and returns L_π, the
// BC term and λ.
func (a *Agent) actorLossGrad(n int, lambda float32) (loss, bc, lam float64) {
	B := &a.buf
	O, A, K := a.obsDim, a.actDim, numCritics
	pi := a.actor.Forward(&B.obs)

	// Q_1(s, π(s)): the ensemble evaluates both members; only member 1's
	// output carries a gradient.
	agent.FillStateAction(&B.piIn, &B.obs, pi, K)
	qPi := a.critic.Forward(&B.piIn)
	var absSum, qSum float64
	for i := 0; i < n; i++ {
		q := float64(qPi.Data[i])
		absSum += math.Abs(q)
		qSum += q
	}
	if lambda < 0 {
		lambda = a.cfg.Alpha / float32(absSum/float64(n))
	}
	B.dqPi.Resize(K*n, 1)
	for i := 0; i < n; i++ {
		B.dqPi.Data[i] = -lambda / float32(n)
		B.dqPi.Data[n+i] = 0
	}

	// dQ_1/dπ by back-propagating the critic to its input.
	a.critic.NoInputGrad, a.critic.NoParamGrad = false, true // dQ/dπ only
	dx := a.critic.Backward(&B.dqPi)
	a.critic.NoParamGrad = false

	// ∂L/∂π = -λ/n·dQ_1/dπ + 2(π - a)/(n·|A|).
	B.dPi.Resize(n, A)
	scale := 2 / float32(n*A)
	for i := 0; i < n; i++ {
		for j := 0; j < A; j++ {
			d := pi.Data[i*A+j] - B.act.Data[i*A+j]
			bc += float64(d) * float64(d)
			B.dPi.Data[i*A+j] = dx.Data[i*(O+A)+O+j] + scale*d
		}
	}
	nn.ZeroGrad(a.actorParams)
	a.actor.Backward(&B.dPi)
	bc /= float64(n * A)
	loss = -float64(lambda)*qSum/float64(n) + bc
	return loss, bc, float64(lambda)
}

// bindBatch standardises the batch's states into the agent's buffers, points
// the other views at b's slices, and returns the number of rows. It panics
// if the slices' lengths do not fit the agent's dimensions.
func (a *Agent) bindBatch(b *replay.Batch) int {
	n := agent.BatchRows("td3bc", b, a.obsDim, a.actDim)
	A := a.actDim
	B := &a.buf
	a.norm.Standardize(&B.obs, &B.obsStore, b.Obs, n)
	a.norm.Standardize(&B.next, &B.nextStore, b.NextObs, n)
	B.act = tensor.Mat{Rows: n, Cols: A, Data: b.Act}
	B.rew, B.done = b.Rew, b.Done
	return n
}

func clamp(x, lo, hi float32) float32 { return min(max(x, lo), hi) }

// Act writes the action for one raw observation into act: π(s) if
// deterministic, otherwise π(s) + N(0, ExplNoise²) clipped to [-1, 1], the
// noise drawn from the agent's acting stream. It does not allocate once its
// buffers have grown. It returns an error if a length is wrong.
func (a *Agent) Act(obs, act []float32, deterministic bool) error {
	if _, err := agent.ActRows("td3bc", obs, act, a.obsDim, a.actDim, true); err != nil {
		return err
	}
	a.act(1, obs, act, deterministic)
	return nil
}

// ActBatch is Act for a batch: obs holds B row-major observations and act
// receives B actions (B·|A| values). It returns an error if the lengths do
// not describe the same B ≥ 1 rows.
func (a *Agent) ActBatch(obs, act []float32, deterministic bool) error {
	n, err := agent.ActRows("td3bc", obs, act, a.obsDim, a.actDim, false)
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
	if !deterministic {
		sigma := a.cfg.ExplNoise
		for i := range out {
			out[i] = clamp(out[i]+sigma*a.actStream.NormFloat32(), -1, 1)
		}
	}
	copy(act, out)
	B.actIn = tensor.Mat{} // do not keep the caller's slice
}

// Policy returns the agent as an env.Policy (for episodes and evaluation),
// deterministic or exploring.
func (a *Agent) Policy(deterministic bool) env.Policy {
	return env.PolicyFunc(func(obs, act []float32) error { return a.Act(obs, act, deterministic) })
}
