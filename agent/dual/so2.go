package dual

import (
	"fmt"
	"math"
	"slices"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// CriticSO2 is SO2 (Zhang et al. 2024): an ensemble of N critics trained
// towards min_k Q̄_k(s', ã') with the target action perturbed by clipped
// Gaussian noise (TD3's target smoothing, "perturbed value update"), with
// several critic updates per online step (a high update-to-data ratio).
const CriticSO2 = "so2"

// SO2Config holds the SO2 critic's hyperparameters. Zero fields take the
// defaults listed.
type SO2Config struct {
	// Members is N, the critic ensemble's size (default 10, SO2's).
	Members int `yaml:"members"`
	// Hidden lists each critic's and the actor's hidden widths (default
	// [256, 256], CORL).
	Hidden []int `yaml:"hidden"`
	// LR is Adam's rate for critics and actor (default 3e-4, CORL).
	LR float32 `yaml:"lr"`
	// Gamma is γ (default 0.99) and Tau the Polyak rate (default 0.005).
	Gamma float32 `yaml:"gamma"`
	Tau   float32 `yaml:"tau"`
	// Noise and NoiseClip shape the target-action noise clip(N(0, σ²), ±c)
	// (defaults 0.2 and 0.5, TD3's policy smoothing, which SO2 uses).
	Noise     float32 `yaml:"noise"`
	NoiseClip float32 `yaml:"noise_clip"`
	// UTD is the number of critic updates per online update (default 10,
	// SO2's "increased frequency"); offline updates take one.
	UTD int `yaml:"utd"`
	// Alpha is TD3+BC's α of the critic's own deterministic actor (the
	// target policy), λ = α / mean|Q| (default 2.5, Fujimoto & Gu 2021).
	Alpha float32 `yaml:"alpha"`
}

// WithDefaults returns c with every zero field set to its default.
func (c SO2Config) WithDefaults() SO2Config {
	if c.Members == 0 {
		c.Members = 10 // SO2
	}
	if len(c.Hidden) == 0 {
		c.Hidden = []int{256, 256} // CORL
	}
	if c.LR == 0 {
		c.LR = 3e-4 // CORL
	}
	if c.Gamma == 0 {
		c.Gamma = 0.99
	}
	if c.Tau == 0 {
		c.Tau = 0.005
	}
	if c.Noise == 0 {
		c.Noise = 0.2 // TD3
	}
	if c.NoiseClip == 0 {
		c.NoiseClip = 0.5 // TD3
	}
	if c.UTD == 0 {
		c.UTD = 10 // SO2
	}
	if c.Alpha == 0 {
		c.Alpha = 2.5 // TD3+BC
	}
	return c
}

// Validate reports the first invalid field.
func (c SO2Config) Validate() error {
	if c.Members < 0 || c.Members == 1 {
		return fmt.Errorf("dual.so2.members = %d: must be ≥ 2", c.Members)
	}
	for i, h := range c.Hidden {
		if h <= 0 {
			return fmt.Errorf("dual.so2.hidden[%d] = %d: must be positive", i, h)
		}
	}
	if c.UTD < 0 {
		return fmt.Errorf("dual.so2.utd = %d: must be ≥ 1", c.UTD)
	}
	for _, f := range []struct {
		name string
		v    float32
	}{{"lr", c.LR}, {"noise", c.Noise}, {"noise_clip", c.NoiseClip}, {"alpha", c.Alpha}} {
		if f.v < 0 || !finite(float64(f.v)) {
			return fmt.Errorf("dual.so2.%s = %v: must be finite and ≥ 0", f.name, f.v)
		}
	}
	if !(c.Gamma >= 0 && c.Gamma <= 1) || !(c.Tau >= 0 && c.Tau <= 1) {
		return fmt.Errorf("dual.so2.gamma = %v, tau = %v: must be in [0, 1]", c.Gamma, c.Tau)
	}
	return nil
}

// so2Agent is the SO2 critic with its deterministic target actor (TD3+BC's
// actor: tanh MLP, loss −λ·mean_k Q_k(s, π(s)) + ‖π(s) − a‖²).
type so2Agent struct {
	cfg            SO2Config
	obsDim, actDim int
	critic, target *nn.MLP
	actor, actorT  *nn.MLP
	copt, aopt     *optim.Adam
	s              *rng.Stream
	online         bool
	updates        int64
	metrics        []agent.Metric

	in, y, dq, dA, piT, pi tensor.Mat
}

func newSO2(obsDim, actDim int, cfg SO2Config, seed uint64) (*so2Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	sizes := func(in, out int) []int { return append(append([]int{in}, cfg.Hidden...), out) }
	a := &so2Agent{cfg: cfg, obsDim: obsDim, actDim: actDim, s: rng.Derive(seed, "so2", "update")}
	cc := nn.MLPConfig{Sizes: sizes(obsDim+actDim, 1), Hidden: tensor.ReLU}
	a.critic = nn.NewEnsembleMLP("so2/critic", cfg.Members, cc, rng.Derive(seed, "so2", "init", "critic"))
	a.target = nn.NewEnsembleMLP("so2/critic_target", cfg.Members, cc, rng.New(0))
	nn.CopyParams(a.target.Params(), a.critic.Params())
	ac := nn.MLPConfig{Sizes: sizes(obsDim, actDim), Hidden: tensor.ReLU, Output: tensor.Tanh}
	a.actor = nn.NewMLP("so2/actor", ac, rng.Derive(seed, "so2", "init", "actor"))
	a.actor.NoInputGrad = true
	a.actorT = nn.NewMLP("so2/actor_target", ac, rng.New(0))
	nn.CopyParams(a.actorT.Params(), a.actor.Params())
	a.copt = optim.NewAdam(a.critic.Params(), optim.AdamConfig{LR: cfg.LR})
	a.aopt = optim.NewAdam(a.actor.Params(), optim.AdamConfig{LR: cfg.LR})
	return a, nil
}

// stack fills a.in with K copies of the rows [s_i, act_i]
// (agent.FillStateAction).
func (a *so2Agent) stack(obs, act []float32, n int) {
	s := tensor.Mat{Rows: n, Cols: a.obsDim, Data: obs[:n*a.obsDim]}
	x := tensor.Mat{Rows: n, Cols: a.actDim, Data: act[:n*a.actDim]}
	agent.FillStateAction(&a.in, &s, &x, a.cfg.Members)
}

// Update does SO2's critic updates (UTD of them online, one offline) and
// one actor step on b.
func (a *so2Agent) Update(b *replay.Batch) []agent.Metric {
	n, O, A, K := b.Len(), a.obsDim, a.actDim, a.cfg.Members
	utd := 1
	if a.online {
		utd = a.cfg.UTD
	}
	var closs, qmean float64
	for range utd {
		// Target: ã' = clip(π̄(s') + clip(σz, ±c), ±1), y = r + γ(1−d) min_k Q̄_k(s', ã').
		a.actorT.Predict(&a.piT, &tensor.Mat{Rows: n, Cols: O, Data: b.NextObs[:n*O]})
		for i := range a.piT.Data[:n*A] {
			z := min(max(a.cfg.Noise*a.s.NormFloat32(), -a.cfg.NoiseClip), a.cfg.NoiseClip)
			a.piT.Data[i] = min(max(a.piT.Data[i]+z, -1), 1)
		}
		a.stack(b.NextObs, a.piT.Data, n)
		var qt tensor.Mat
		a.target.Predict(&qt, &a.in)
		a.y.Resize(n, 1)
		for i := 0; i < n; i++ {
			m := float32(math.Inf(1))
			for k := 0; k < K; k++ {
				m = min(m, qt.Data[k*n+i])
			}
			a.y.Data[i] = b.Rew[i] + a.cfg.Gamma*(1-b.Done[i])*m
		}
		// Critic step on Σ_k mean_i (Q_k − y)².
		a.stack(b.Obs, b.Act, n)
		nn.ZeroGrad(a.critic.Params())
		q := a.critic.Forward(&a.in)
		a.dq.Resize(K*n, 1)
		closs, qmean = 0, 0
		for k := 0; k < K; k++ {
			for i := 0; i < n; i++ {
				d := q.Data[k*n+i] - a.y.Data[i]
				closs += float64(d * d)
				qmean += float64(q.Data[k*n+i])
				a.dq.Data[k*n+i] = 2 * d / float32(n)
			}
		}
		a.critic.NoInputGrad = true
		a.critic.Backward(&a.dq)
		a.copt.Step()
		nn.Polyak(a.target.Params(), a.critic.Params(), a.cfg.Tau)
	}
	// Actor step (TD3+BC): −λ mean_i mean_k Q_k(s, π(s)) + mean_i ‖π(s) − a‖².
	nn.ZeroGrad(a.actor.Params())
	pi := a.actor.Forward(&tensor.Mat{Rows: n, Cols: O, Data: b.Obs[:n*O]})
	a.stack(b.Obs, pi.Data, n)
	q := a.critic.Forward(&a.in)
	var absQ float64
	for _, v := range q.Data[:K*n] {
		absQ += math.Abs(float64(v))
	}
	lambda := float64(a.cfg.Alpha) / max(absQ/float64(K*n), 1e-6)
	a.dq.Resize(K*n, 1)
	for i := range a.dq.Data[:K*n] {
		a.dq.Data[i] = float32(-lambda / float64(K*n))
	}
	a.critic.NoInputGrad, a.critic.NoParamGrad = false, true // dQ/da only
	dx := a.critic.Backward(&a.dq)
	a.critic.NoParamGrad = false
	a.dA.Resize(n, A)
	var aloss float64
	W := O + A
	for i := 0; i < n; i++ {
		for j := 0; j < A; j++ {
			var g float32
			for k := 0; k < K; k++ {
				g += dx.Data[(k*n+i)*W+O+j]
			}
			d := pi.Data[i*A+j] - b.Act[i*A+j]
			aloss += float64(d * d)
			a.dA.Data[i*A+j] = g + 2*d/float32(n)
		}
	}
	a.actor.Backward(&a.dA)
	a.aopt.Step()
	nn.Polyak(a.actorT.Params(), a.actor.Params(), a.cfg.Tau)
	a.updates++
	a.metrics = append(a.metrics[:0],
		agent.Metric{Name: "loss/critic", Value: closs / float64(K*n)},
		agent.Metric{Name: "loss/actor", Value: aloss/float64(n) - lambda*qmean/float64(K*n)},
		agent.Metric{Name: "train/q_mean", Value: qmean / float64(K*n)})
	return a.metrics
}

// advantages writes A = mean_k Q_k(s, a) − mean_k Q_k(s, π(s)).
func (a *so2Agent) advantages(dst, obs, act []float32, n int) {
	K := a.cfg.Members
	var q tensor.Mat
	a.stack(obs, act, n)
	a.critic.Predict(&q, &a.in)
	for i := 0; i < n; i++ {
		var s float32
		for k := 0; k < K; k++ {
			s += q.Data[k*n+i]
		}
		dst[i] = s / float32(K)
	}
	a.actor.Predict(&a.pi, &tensor.Mat{Rows: n, Cols: a.obsDim, Data: obs[:n*a.obsDim]})
	a.stack(obs, a.pi.Data, n)
	a.critic.Predict(&q, &a.in)
	for i := 0; i < n; i++ {
		var s float32
		for k := 0; k < K; k++ {
			s += q.Data[k*n+i]
		}
		dst[i] -= s / float32(K)
	}
}

func (a *so2Agent) Act(obs, act []float32, deterministic bool) error {
	return a.ActBatch(obs, act, deterministic)
}

// ActBatch writes π(s) (the critic's target actor's mean; DUAL asks only
// for deterministic actions, its "w/o planner" mean).
func (a *so2Agent) ActBatch(obs, act []float32, _ bool) error {
	n := len(obs) / a.obsDim
	if n == 0 || len(obs) != n*a.obsDim || len(act) != n*a.actDim {
		return fmt.Errorf("dual so2: act batch: %d observation and %d action values", len(obs), len(act))
	}
	a.actor.Predict(&a.pi, &tensor.Mat{Rows: n, Cols: a.obsDim, Data: obs})
	copy(act, a.pi.Data[:n*a.actDim])
	return nil
}

func (a *so2Agent) Params() []*nn.Param {
	return slices.Concat(a.critic.Params(), a.actor.Params())
}

// parts tells agent.StateParts where the SO2 critic agent keeps its state;
// online stands for the flag a.online.
func (a *so2Agent) parts(online *int64) *agent.StateParts {
	return &agent.StateParts{
		Algorithm: "SO2",
		Model:     slices.Concat(a.critic.Params(), a.target.Params(), a.actor.Params(), a.actorT.Params()),
		Optimizers: []agent.NamedOptimizer{
			{Prefix: "so2/opt/critic/", Adam: a.copt},
			{Prefix: "so2/opt/actor/", Adam: a.aopt},
		},
		Counters: []agent.NamedCounter{{Name: "so2/updates", V: &a.updates}, {Name: "so2/online", V: online}},
		Streams:  []agent.NamedStream{{Name: "so2/update", Stream: a.s}},
	}
}

// so2ModelCounters counts the counters at the end of parts' optimizer
// tensors that SO2 keeps in its model part.
const so2ModelCounters = 2

// State returns the networks and the counters "so2/updates" and
// "so2/online" as the model part, the two optimisers' moments and steps as
// the optimizer part, and the update stream "so2/update".
func (a *so2Agent) State() (model, optimizer []checkpoint.Tensor, rngStates map[string][]byte, err error) {
	online := b2i(a.online)
	model, optimizer, rngStates, err = a.parts(&online).State()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("so2: %w", err)
	}
	k := len(optimizer) - so2ModelCounters
	return append(model, optimizer[k:]...), optimizer[:k], rngStates, nil
}

// SetState restores a state saved by State; the agent is unchanged on
// error.
func (a *so2Agent) SetState(model, optimizer []checkpoint.Tensor, rngStates map[string][]byte) error {
	var online int64
	if err := a.parts(&online).SetState(nil, slices.Concat(model, optimizer), rngStates); err != nil {
		return fmt.Errorf("so2: %w", err)
	}
	a.online = online != 0
	return nil
}
