// Implicit Q-Learning.
//
// Paper: I. Kostrikov, A. Nair, S. Levine, "Offline Reinforcement Learning
// with Implicit Q-Learning", ICLR 2022 (arXiv:2110.06169), Algorithm 1,
// eqs. 5-7. Reference implementation and defaults: CORL (Tarasov et al.
// 2022), algorithms/finetune/iql.py (the offline→online script), a port of
// github.com/gwthomas/IQL-PyTorch.
//
// One update on a batch (s, a, r, s', d), states standardised by the agent's
// state normaliser, d = 1 only for a true terminal:
//
//	v' = V(s')                                     (before this update's V step)
//	q̂ = min_k Q̄_k(s, a),  u = q̂ - V(s)
//	L_V = mean_i |τ - 1(u_i < 0)|·u_i²                        (value step, eq. 5)
//	y = r + γ(1-d)·v'
//	L_Q = ½·Σ_k mean_i (Q_k(s_i, a_i) - y_i)²                 (critic step, eq. 6)
//	Q̄ ← (1-τ_p)·Q̄ + τ_p·Q                                     (Polyak)
//	w = min(exp(β·u), W_max)                  (u from the value step, no gradient)
//	L_π = mean_i w_i·(-Σ_j log N(a_ij; μ_j(s_i), σ_j²))       (actor step, eq. 7)
//
// with τ = Expectile, β = Beta, W_max = MaxExpAdv, τ_p = Tau. The policy is
// CORL's GaussianPolicy: mean μ(s) = tanh(MLP(s)) and a state-independent
// log σ (a parameter vector, initialised to 0, clamped to [LogStdMin,
// LogStdMax] where used). With Deterministic set it is CORL's
// DeterministicPolicy, a = tanh(MLP(s)), and the actor loss is
// mean_i w_i·Σ_j (a(s_i)_j - a_ij)². The actor's learning rate follows
// CORL's CosineAnnealingLR(T_max = ScheduleSteps), stepped once per update:
// update t (from 0) uses lr·(1 + cos(π·t/T_max))/2.
//
// Deviations and tricks, all deliberate:
//   - Twin critics are ONE ensemble network with K = 2 members (weights
//     [2, in, out]), initialised independently and fed the same batch,
//     exactly like CORL's TwinQ with its q1 and q2.
//   - The critic loss is ½ the sum of the members' mean squared errors:
//     CORL's sum(mse_loss(q, y) for q in qs)/len(qs) (AWAC and TD3+BC sum).
//   - The cosine schedule is PyTorch's, which is periodic: past T_max the
//     learning rate rises again. CORL sets T_max to the number of offline
//     updates, so during online fine-tuning the actor's rate climbs back
//     from 0 towards lr; dwm keeps that, and ActorSchedule "constant" turns
//     the schedule off. (The IQL paper's own code decays once and stays.)
//   - State normalisation (CORL's normalize=True, compute_mean_std with eps
//     1e-3 on the dataset's observations) happens inside the agent: Update
//     and Act take raw observations and standardise them with the normaliser
//     set by FitStateNorm or SetStateNorm (identity until then). CORL
//     rewrites the dataset and wraps the env; the networks see the same
//     numbers. CORL's normalize_reward (default false in the finetune
//     script) is a property of the data, not of the agent, and is not here.
//   - No actor dropout (CORL's default actor_dropout = 0; the adroit configs
//     set 0.1).
//   - Exploration (Act with deterministic = false): a sample of the Gaussian
//     policy clipped to [-1, 1] (CORL); for the deterministic actor, a(s) +
//     clip(N(0, ExplNoise²), ±NoiseClip), clipped to [-1, 1] (CORL). The
//     deterministic action is μ(s), already in (-1, 1).
//   - The clamp of log σ passes gradient only inside [LogStdMin, LogStdMax],
//     like torch.clamp.

package iql

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

// Config holds IQL's hyperparameters. Zero fields take the defaults listed on
// each field (applied by WithDefaults), which are CORL's
// (algorithms/finetune/iql.py TrainConfig and module constants). Because zero
// means default, a Gamma, Expectile, Beta, ExplNoise, LogStdMin or LogStdMax
// of exactly 0 cannot be requested (use a tiny value).
type Config struct {
	// Hidden lists the hidden-layer widths of the actor, each critic and the
	// value network. Default [256, 256] (CORL hidden_dim = 256, n_hidden = 2).
	Hidden []int `yaml:"hidden"`
	// Activation is the hidden activation: "relu", "tanh", "silu", "mish" or
	// "sigmoid". Default "relu" (CORL MLP).
	Activation string `yaml:"activation"`
	// ActorLR, CriticLR and ValueLR are the Adam learning rates of the
	// actor, the critics and V. Default 3e-4 each (CORL actor_lr, qf_lr,
	// vf_lr).
	ActorLR  float32 `yaml:"actor_lr"`
	CriticLR float32 `yaml:"critic_lr"`
	ValueLR  float32 `yaml:"value_lr"`
	// Gamma is the discount γ. Default 0.99 (CORL discount).
	Gamma float32 `yaml:"gamma"`
	// Tau is the Polyak rate of the target critics. Default 0.005 (CORL tau).
	Tau float32 `yaml:"tau"`
	// BatchSize is the number of transitions the training loop should sample
	// per update; the agent accepts any batch size. Default 256 (CORL).
	BatchSize int `yaml:"batch_size"`
	// Expectile is τ of the expectile loss of V, in (0, 1). Default 0.7
	// (CORL iql_tau; paper, MuJoCo).
	Expectile float32 `yaml:"expectile"`
	// Beta is the inverse temperature β of the advantage weights. Default 3
	// (CORL beta; paper, MuJoCo).
	Beta float32 `yaml:"beta"`
	// MaxExpAdv caps the advantage weights exp(β·u). Default 100 (CORL
	// EXP_ADV_MAX).
	MaxExpAdv float32 `yaml:"max_exp_adv"`
	// Deterministic selects CORL's DeterministicPolicy instead of the
	// Gaussian one. Default false (CORL iql_deterministic).
	Deterministic bool `yaml:"deterministic"`
	// LogStdMin and LogStdMax clamp the Gaussian policy's log σ. Default -20
	// and 2 (CORL LOG_STD_MIN, LOG_STD_MAX).
	LogStdMin float32 `yaml:"log_std_min"`
	LogStdMax float32 `yaml:"log_std_max"`
	// ExplNoise and NoiseClip shape the exploration noise of the
	// deterministic actor. Default 0.03 and 0.5 (CORL expl_noise,
	// noise_clip).
	ExplNoise float32 `yaml:"expl_noise"`
	NoiseClip float32 `yaml:"noise_clip"`
	// ActorSchedule is the actor's learning-rate schedule: "cosine" (CORL's
	// CosineAnnealingLR) or "constant". Default "cosine".
	ActorSchedule string `yaml:"actor_schedule"`
	// ScheduleSteps is the cosine schedule's T_max in updates. Default
	// 1,000,000 (CORL: max_steps = offline_iterations = 1e6); set it to the
	// run's number of offline updates.
	ScheduleSteps int64 `yaml:"schedule_steps"`
	// NoStateNorm turns off state normalisation: FitStateNorm then leaves
	// the identity. Default false: CORL's normalize=True.
	NoStateNorm bool `yaml:"no_state_norm"`
}

// WithDefaults returns c with every zero field replaced by its default.
func (c Config) WithDefaults() Config {
	if len(c.Hidden) == 0 {
		c.Hidden = []int{256, 256} // CORL hidden_dim 256, n_hidden 2
	}
	if c.Activation == "" {
		c.Activation = "relu" // CORL MLP activation_fn nn.ReLU
	}
	if c.ActorLR == 0 {
		c.ActorLR = 3e-4 // CORL actor_lr
	}
	if c.CriticLR == 0 {
		c.CriticLR = 3e-4 // CORL qf_lr
	}
	if c.ValueLR == 0 {
		c.ValueLR = 3e-4 // CORL vf_lr
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
	if c.Expectile == 0 {
		c.Expectile = 0.7 // CORL iql_tau
	}
	if c.Beta == 0 {
		c.Beta = 3 // CORL beta
	}
	if c.MaxExpAdv == 0 {
		c.MaxExpAdv = 100 // CORL EXP_ADV_MAX
	}
	if c.LogStdMin == 0 {
		c.LogStdMin = -20 // CORL LOG_STD_MIN
	}
	if c.LogStdMax == 0 {
		c.LogStdMax = 2 // CORL LOG_STD_MAX
	}
	if c.ExplNoise == 0 {
		c.ExplNoise = 0.03 // CORL expl_noise
	}
	if c.NoiseClip == 0 {
		c.NoiseClip = 0.5 // CORL noise_clip
	}
	if c.ActorSchedule == "" {
		c.ActorSchedule = "cosine" // CORL CosineAnnealingLR on the actor
	}
	if c.ScheduleSteps == 0 {
		c.ScheduleSteps = 1_000_000 // CORL max_steps = offline_iterations
	}
	return c
}

func finite32(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

// Validate reports the first invalid field, naming it and its value. Zero
// fields are valid (they mean the default).
func (c Config) Validate() error {
	for i, h := range c.Hidden {
		if h <= 0 {
			return fmt.Errorf("iql.Config.Hidden[%d] = %d: must be positive", i, h)
		}
	}
	if _, err := parseActivation(c.Activation); err != nil {
		return fmt.Errorf("iql.Config.Activation = %q: %w", c.Activation, err)
	}
	for _, f := range []struct {
		name string
		v    float32
	}{{"ActorLR", c.ActorLR}, {"CriticLR", c.CriticLR}, {"ValueLR", c.ValueLR}, {"Beta", c.Beta},
		{"MaxExpAdv", c.MaxExpAdv}, {"ExplNoise", c.ExplNoise}, {"NoiseClip", c.NoiseClip}} {
		if !finite32(f.v) || f.v < 0 {
			return fmt.Errorf("iql.Config.%s = %v: must be finite and ≥ 0", f.name, f.v)
		}
	}
	switch {
	case !finite32(c.Gamma) || c.Gamma < 0 || c.Gamma > 1:
		return fmt.Errorf("iql.Config.Gamma = %v: must be in [0, 1]", c.Gamma)
	case !finite32(c.Tau) || c.Tau < 0 || c.Tau > 1:
		return fmt.Errorf("iql.Config.Tau = %v: must be in [0, 1]", c.Tau)
	case !finite32(c.Expectile) || c.Expectile < 0 || c.Expectile >= 1:
		return fmt.Errorf("iql.Config.Expectile = %v: must be in (0, 1)", c.Expectile)
	case c.BatchSize < 0:
		return fmt.Errorf("iql.Config.BatchSize = %d: must be ≥ 0", c.BatchSize)
	case !finite32(c.LogStdMin):
		return fmt.Errorf("iql.Config.LogStdMin = %v: must be finite", c.LogStdMin)
	case !finite32(c.LogStdMax):
		return fmt.Errorf("iql.Config.LogStdMax = %v: must be finite", c.LogStdMax)
	case c.ActorSchedule != "" && c.ActorSchedule != "cosine" && c.ActorSchedule != "constant":
		return fmt.Errorf("iql.Config.ActorSchedule = %q: want cosine or constant", c.ActorSchedule)
	case c.ScheduleSteps < 0:
		return fmt.Errorf("iql.Config.ScheduleSteps = %d: must be ≥ 0", c.ScheduleSteps)
	}
	if d := c.WithDefaults(); d.LogStdMin > d.LogStdMax {
		return fmt.Errorf("iql.Config.LogStdMin = %v: must not exceed LogStdMax = %v", d.LogStdMin, d.LogStdMax)
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

// Agent is an IQL agent. It is not safe for concurrent use.
type Agent struct {
	cfg            Config
	obsDim, actDim int

	actor        *nn.MLP   // s → μ(s) = tanh(·) ∈ (-1, 1)^|A|
	logStd       *nn.Param // state-independent log σ (Gaussian policy only)
	critic       *nn.MLP   // K=2 ensemble, [s, a] → Q
	criticTarget *nn.MLP   // Polyak copy of critic
	value        *nn.MLP   // s → V(s)

	actorOpt, criticOpt, valueOpt *optim.Adam
	actorParams, criticParams     []*nn.Param
	targetParams, valueParams     []*nn.Param

	// State normaliser: (s - mean)/std; identity (mean 0, std 1) until set.
	norm              *agent.ObsNorm
	agent.StateNormed // FitStateNorm, SetStateNorm, StateNorm over norm

	actStream *rng.Stream // exploration noise of Act/ActBatch
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
	// value step
	nextV, criticIn, targetQ, qHat, adv, dv tensor.Mat
	// critic step
	y, dq tensor.Mat
	// actor step
	weight, dMean tensor.Mat
	// acting
	actIn, actInStore, actOut tensor.Mat
}

// Metric indices into Agent.metrics, in the order Update reports them.
const (
	mValueLoss = iota
	mCriticLoss
	mActorLoss
	mVMean
	mQMean
	mAdvMean
	mWeightMean
	mActorLR
	mLogStdMean
	numMetrics
)

var metricNames = [numMetrics]string{
	mValueLoss:  "loss/value",        // mean |τ - 1(u<0)|·u²
	mCriticLoss: "loss/critic",       // ½Σ_k mean (Q_k - y)²
	mActorLoss:  "loss/actor",        // mean w·(-log π(a|s)), or w·|a(s) - a|²
	mVMean:      "train/v_mean",      // mean V(s) before the value step
	mQMean:      "train/q_mean",      // mean of Q_k(s, a) over members and batch
	mAdvMean:    "train/adv_mean",    // mean u = min_k Q̄_k(s, a) - V(s)
	mWeightMean: "train/weight_mean", // mean min(exp(β·u), W_max)
	mActorLR:    "train/actor_lr",    // the actor's learning rate this update
	mLogStdMean: "train/log_std",     // mean clamped log σ (Gaussian only)
}

// New returns an IQL agent for observations of obsDim and actions of actDim
// values, with networks initialised and the acting stream derived from
// seed. It returns an error if a dimension is not positive or cfg is
// invalid.
func New(obsDim, actDim int, cfg Config, seed uint64) (*Agent, error) {
	if obsDim <= 0 || actDim <= 0 {
		return nil, fmt.Errorf("iql.New: observation dimension %d and action dimension %d must be positive", obsDim, actDim)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	hidden, _ := parseActivation(cfg.Activation)
	sizes := func(in, out int) []int { return append(append([]int{in}, cfg.Hidden...), out) }

	a := &Agent{cfg: cfg, obsDim: obsDim, actDim: actDim}
	a.actor = nn.NewMLP("actor", nn.MLPConfig{Sizes: sizes(obsDim, actDim), Hidden: hidden, Output: tensor.Tanh},
		rng.Derive(seed, "iql", "init", "actor"))
	a.actor.NoInputGrad = true
	a.actorParams = a.actor.Params()
	if !cfg.Deterministic {
		a.logStd = nn.NewParam("actor/log_std", actDim) // CORL: torch.zeros(act_dim)
		a.actorParams = append(a.actorParams, a.logStd)
	}
	criticCfg := nn.MLPConfig{Sizes: sizes(obsDim+actDim, 1), Hidden: hidden}
	a.critic = nn.NewEnsembleMLP("critic", numCritics, criticCfg, rng.Derive(seed, "iql", "init", "critic"))
	a.critic.NoInputGrad = true
	a.criticTarget = nn.NewEnsembleMLP("critic_target", numCritics, criticCfg, rng.Derive(seed, "iql", "init", "critic"))
	a.value = nn.NewMLP("value", nn.MLPConfig{Sizes: sizes(obsDim, 1), Hidden: hidden}, rng.Derive(seed, "iql", "init", "value"))
	a.value.NoInputGrad = true

	a.criticParams, a.targetParams, a.valueParams = a.critic.Params(), a.criticTarget.Params(), a.value.Params()
	nn.CopyParams(a.targetParams, a.criticParams) // CORL: copy.deepcopy
	a.actorOpt = optim.NewAdam(a.actorParams, optim.AdamConfig{LR: cfg.ActorLR})
	a.criticOpt = optim.NewAdam(a.criticParams, optim.AdamConfig{LR: cfg.CriticLR})
	a.valueOpt = optim.NewAdam(a.valueParams, optim.AdamConfig{LR: cfg.ValueLR})

	a.norm = agent.NewObsNorm(obsDim)
	a.StateNormed = agent.NewStateNormed(a.norm, "iql", cfg.NoStateNorm)

	a.actStream = rng.Derive(seed, "iql", "act")
	n := numMetrics
	if cfg.Deterministic {
		n-- // no log σ
	}
	a.metrics = make([]agent.Metric, n)
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

// Params returns the trainable parameters: actor (with log σ), critic and
// value network (not the target critic, which follows by Polyak averaging).
func (a *Agent) Params() []*nn.Param {
	return append(append(append([]*nn.Param(nil), a.actorParams...), a.criticParams...), a.valueParams...)
}

// ActorLR returns the actor's learning rate at update t (counted from 0):
// lr·(1 + cos(π·t/T_max))/2 with the cosine schedule, lr otherwise.
func (a *Agent) ActorLR(t int64) float32 {
	if a.cfg.ActorSchedule != "cosine" {
		return a.cfg.ActorLR
	}
	// PyTorch's CosineAnnealingLR (eta_min = 0) in closed form; the phase is
	// reduced modulo 2·T_max in integers so that float64 stays exact.
	T := a.cfg.ScheduleSteps
	phase := float64(t%(2*T)) / float64(T)
	return float32(float64(a.cfg.ActorLR) * (1 + math.Cos(math.Pi*phase)) / 2)
}

// Update does one IQL update on the batch b: value step, critic step, Polyak
// update of the target critics, actor step. It returns the metrics in a
// slice owned by the agent, valid until the next Update. It does not
// allocate once its buffers have grown to the batch size. It panics if the
// batch's dimensions do not match the agent's (a programmer error).
func (a *Agent) Update(b *replay.Batch) []agent.Metric {
	n := a.bindBatch(b)
	B := &a.buf

	// 1. v' = V(s') with the value network as it is before its step (CORL
	// computes next_v first).
	a.value.Predict(&B.nextV, &B.next)

	// 2. Value step on the expectile loss; buf.adv keeps u = q̂ - V(s).
	a.targetQ(n)
	valueLoss, vMean := a.valueLossGrad(n)
	a.valueOpt.Step()

	// 3. Critic step towards y = r + γ(1-d)v', then the target critics.
	criticLoss, qMean := a.criticLossGrad(n)
	a.criticOpt.Step()
	nn.Polyak(a.targetParams, a.criticParams, a.cfg.Tau)

	// 4. Actor step on the advantage-weighted log-likelihood, at this
	// update's scheduled learning rate.
	lr := a.ActorLR(a.updates)
	a.advantageWeights(n)
	actorLoss := a.actorLossGrad(n)
	a.actorOpt.LR = lr
	a.actorOpt.Step()
	a.updates++

	m := a.metrics
	m[mValueLoss].Value = valueLoss
	m[mCriticLoss].Value = criticLoss
	m[mActorLoss].Value = actorLoss
	m[mVMean].Value = vMean
	m[mQMean].Value = qMean
	var adv, w float64
	for i := 0; i < n; i++ {
		adv += float64(B.adv.Data[i])
		w += float64(B.weight.Data[i])
	}
	m[mAdvMean].Value = adv / float64(n)
	m[mWeightMean].Value = w / float64(n)
	m[mActorLR].Value = float64(lr)
	if a.logStd != nil {
		var s float64
		for _, v := range a.logStd.W {
			s += float64(clamp(v, a.cfg.LogStdMin, a.cfg.LogStdMax))
		}
		m[mLogStdMean].Value = s / float64(a.actDim)
	}
	return m
}

// targetQ sets buf.qHat to q̂_i = min_k Q̄_k(s_i, a_i) from the target
// critics (CORL: q_target(observations, actions), the min of its twins).
func (a *Agent) targetQ(n int) {
	B := &a.buf
	agent.FillStateAction(&B.criticIn, &B.obs, &B.act, numCritics)
	a.criticTarget.Predict(&B.targetQ, &B.criticIn)
	B.qHat.Resize(n, 1)
	for i := 0; i < n; i++ {
		B.qHat.Data[i] = min(B.targetQ.Data[i], B.targetQ.Data[n+i])
	}
}

// valueLossGrad evaluates the expectile loss
//
//	L_V = mean_i |τ - 1(u_i < 0)|·u_i²,   u_i = q̂_i - V(s_i),
//
// sets the value network's gradients to ∇L_V (∂L_V/∂V(s_i) =
// -2|τ - 1(u_i < 0)|·u_i/n), stores u in buf.adv, and returns L_V and the
// mean V(s).
func (a *Agent) valueLossGrad(n int) (loss, vMean float64) {
	B := &a.buf
	nn.ZeroGrad(a.valueParams)
	v := a.value.Forward(&B.obs)
	B.adv.Resize(n, 1)
	B.dv.Resize(n, 1)
	tau := a.cfg.Expectile
	invN := 1 / float32(n)
	for i := 0; i < n; i++ {
		u := B.qHat.Data[i] - v.Data[i]
		w := tau
		if u < 0 {
			w = 1 - tau
		}
		B.adv.Data[i] = u
		loss += float64(w) * float64(u) * float64(u)
		vMean += float64(v.Data[i])
		B.dv.Data[i] = -2 * w * u * invN
	}
	a.value.Backward(&B.dv)
	return loss / float64(n), vMean / float64(n)
}

// criticLossGrad evaluates L_Q = ½Σ_k mean_i (Q_k(s_i, a_i) - y_i)² with
// y_i = r_i + γ(1-d_i)·v'_i, both members in one ensemble call, sets the
// critic gradients to ∇L_Q, and returns L_Q and the mean Q value.
func (a *Agent) criticLossGrad(n int) (loss, qMean float64) {
	B := &a.buf
	K := numCritics
	B.y.Resize(n, 1)
	gamma := a.cfg.Gamma
	for i := 0; i < n; i++ {
		B.y.Data[i] = B.rew[i] + gamma*(1-B.done[i])*B.nextV.Data[i]
	}
	// buf.criticIn still holds the K copies of [s, a] from targetQ.
	nn.ZeroGrad(a.criticParams)
	q := a.critic.Forward(&B.criticIn)
	B.dq.Resize(K*n, 1)
	scale := 2 / float32(K*n)
	var qSum float64
	for k := 0; k < K; k++ {
		for i := 0; i < n; i++ {
			d := q.Data[k*n+i] - B.y.Data[i]
			loss += float64(d) * float64(d)
			qSum += float64(q.Data[k*n+i])
			B.dq.Data[k*n+i] = scale * d
		}
	}
	a.critic.Backward(&B.dq)
	return loss / float64(K*n), qSum / float64(K*n)
}

// advantageWeights sets buf.weight to w_i = min(exp(β·u_i), W_max) from the
// u of the value step.
func (a *Agent) advantageWeights(n int) {
	B := &a.buf
	B.weight.Resize(n, 1)
	beta, wMax := float64(a.cfg.Beta), a.cfg.MaxExpAdv
	for i := 0; i < n; i++ {
		B.weight.Data[i] = min(float32(math.Exp(beta*float64(B.adv.Data[i]))), wMax)
	}
}

// actorLossGrad evaluates the advantage-weighted regression loss with the
// weights in buf.weight held fixed,
//
//	Gaussian:       L_π = mean_i w_i·Σ_j [½z_ij² + log σ_j + ½log 2π],  z = (a - μ(s))/σ
//	deterministic:  L_π = mean_i w_i·Σ_j (μ(s_i)_j - a_ij)²,
//
// with log σ = clamp(log_std, LogStdMin, LogStdMax), sets the actor's
// gradients (MLP and log_std) to ∇L_π and returns L_π.
func (a *Agent) actorLossGrad(n int) float64 {
	B := &a.buf
	A := a.actDim
	nn.ZeroGrad(a.actorParams)
	mu := a.actor.Forward(&B.obs)
	B.dMean.Resize(n, A)
	var loss float64
	invN := 1 / float32(n)
	if a.logStd == nil {
		for i := 0; i < n; i++ {
			w := B.weight.Data[i]
			for j := 0; j < A; j++ {
				d := mu.Data[i*A+j] - B.act.Data[i*A+j]
				loss += float64(w) * float64(d) * float64(d)
				B.dMean.Data[i*A+j] = 2 * w * d * invN
			}
		}
	} else {
		const halfLog2Pi = 0.91893853320467274178 // ½log 2π
		lo, hi := a.cfg.LogStdMin, a.cfg.LogStdMax
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
	}
	a.actor.Backward(&B.dMean)
	return loss / float64(n)
}

// bindBatch standardises the batch's states into the agent's buffers, points
// the other views at b's slices, and returns the number of rows. It panics
// if the slices' lengths do not fit the agent's dimensions.
func (a *Agent) bindBatch(b *replay.Batch) int {
	n := agent.BatchRows("iql", b, a.obsDim, a.actDim)
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
// μ(s) if deterministic; otherwise a sample of N(μ(s), σ²) clipped to
// [-1, 1] (Gaussian policy) or μ(s) + clip(N(0, ExplNoise²), ±NoiseClip)
// clipped to [-1, 1] (deterministic policy), drawn from the agent's acting
// stream. It does not allocate once its buffers have grown. It returns an
// error if a length is wrong.
func (a *Agent) Act(obs, act []float32, deterministic bool) error {
	if _, err := agent.ActRows("iql", obs, act, a.obsDim, a.actDim, true); err != nil {
		return err
	}
	a.act(1, obs, act, deterministic)
	return nil
}

// ActBatch is Act for a batch: obs holds B row-major observations and act
// receives B actions (B·|A| values). It returns an error if the lengths do
// not describe the same B ≥ 1 rows.
func (a *Agent) ActBatch(obs, act []float32, deterministic bool) error {
	n, err := agent.ActRows("iql", obs, act, a.obsDim, a.actDim, false)
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
	switch {
	case deterministic:
	case a.logStd != nil:
		A := a.actDim
		for i := range out {
			sigma := float32(math.Exp(float64(clamp(a.logStd.W[i%A], a.cfg.LogStdMin, a.cfg.LogStdMax))))
			out[i] = clamp(out[i]+sigma*a.actStream.NormFloat32(), -1, 1)
		}
	default:
		sigma, c := a.cfg.ExplNoise, a.cfg.NoiseClip
		for i := range out {
			out[i] = clamp(out[i]+clamp(sigma*a.actStream.NormFloat32(), -c, c), -1, 1)
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
