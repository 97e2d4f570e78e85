package dual

import (
	"fmt"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/agent/calql"
	"github.com/dwm-rl/dwm/agent/cql"
	"github.com/dwm-rl/dwm/agent/iql"
	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// The critics DUAL's actor can be trained with (the paper's Tables 1–2).
const (
	// CriticIQL is IQL (Kostrikov et al. 2022): advantages A = min_k Q_k(s,
	// a) − V(s) from its expectile value network (the default).
	CriticIQL = "iql"
	// CriticCalQL is Cal-QL (Nakamoto et al. 2023): advantages A =
	// min_k Q_k(s, a) − min_k Q_k(s, π(s)), π(s) its actor's mean.
	CriticCalQL = "calql"
)

// baseAgent is what DUAL needs from a critic package's agent: the loop's
// agent interface (its Update trains the critic and the package's own
// actor, whose deterministic action is the "w/o planner" mean) and its
// parameters by name.
type baseAgent interface {
	Act(obs, act []float32, deterministic bool) error
	ActBatch(obs, act []float32, deterministic bool) error
	Update(b *replay.Batch) []agent.Metric
	State() (model, optimizer []checkpoint.Tensor, rngStates map[string][]byte, err error)
	SetState(model, optimizer []checkpoint.Tensor, rngStates map[string][]byte) error
	Params() []*nn.Param
}

// critic wraps an iql or calql agent. The packages keep their networks
// private, so the critic holds networks of the same shapes and names and
// copies the agent's current values into them (Params by name) before it
// evaluates advantages: the networks and losses are the packages' own.
//
// IQL's advantages use the target critics, as IQL's own actor step does:
// iql.Agent.Params leaves the targets out, so the critic keeps a mirror of
// them, initialised like IQL's (a copy of the critics) and moved by the same
// Polyak step after every update (restored from IQL's saved
// "critic_target/…" tensors by SetState).
type critic struct {
	kind           string
	base           baseAgent
	so2            *so2Agent  // nil unless SO2
	iqlAgent       *iql.Agent // nil for Cal-QL
	obsDim, actDim int

	q     *nn.MLP // twin critics, "critic/…"
	qt    *nn.MLP // IQL: mirror of its target critics (nil for Cal-QL)
	tau   float32
	v     *nn.MLP // IQL's value network, "value/…" (nil for Cal-QL)
	local []*nn.Param
	src   []*nn.Param

	obs, in, qOut, vOut, piAct tensor.Mat
	qPi                        []float32
}

func newCritic(kind string, obsDim, actDim int, iqlCfg iql.Config, calCfg calql.Config, so2Cfg SO2Config, seed uint64) (*critic, error) {
	c := &critic{kind: kind, obsDim: obsDim, actDim: actDim}
	if kind == CriticSO2 {
		a, err := newSO2(obsDim, actDim, so2Cfg, seed)
		if err != nil {
			return nil, fmt.Errorf("dual critic: %w", err)
		}
		c.base, c.so2 = a, a
		return c, nil
	}
	var hidden []int
	var actName string
	switch kind {
	case CriticIQL:
		a, err := iql.New(obsDim, actDim, iqlCfg, seed)
		if err != nil {
			return nil, fmt.Errorf("dual critic: %w", err)
		}
		c.base, c.iqlAgent = a, a
		hidden, actName = a.Config().Hidden, a.Config().Activation
	case CriticCalQL:
		a, err := calql.New(obsDim, actDim, calCfg, seed)
		if err != nil {
			return nil, fmt.Errorf("dual critic: %w", err)
		}
		c.base = a
		hidden, actName = a.Config().Hidden, a.Config().Activation
	default:
		return nil, fmt.Errorf("dual critic %q: want %q, %q or %q", kind, CriticIQL, CriticCalQL, CriticSO2)
	}
	act, err := tensor.ParseActivation(actName)
	if err != nil {
		return nil, fmt.Errorf("dual critic: activation %q: %w", actName, err)
	}
	sizes := func(in int) []int { return append(append([]int{in}, hidden...), 1) }
	c.q = nn.NewEnsembleMLP("critic", 2, nn.MLPConfig{Sizes: sizes(obsDim + actDim), Hidden: act}, rng.New(0))
	c.local = c.q.Params()
	if kind == CriticIQL {
		c.v = nn.NewMLP("value", nn.MLPConfig{Sizes: sizes(obsDim), Hidden: act}, rng.New(0))
		c.local = append(c.local, c.v.Params()...)
		c.qt = nn.NewEnsembleMLP("critic_target", 2, nn.MLPConfig{Sizes: sizes(obsDim + actDim), Hidden: act}, rng.New(0))
		c.tau = c.iqlAgent.Config().Tau
	}
	byName := map[string]*nn.Param{}
	for _, p := range c.base.Params() {
		byName[p.Name] = p
	}
	for _, p := range c.local {
		s, ok := byName[p.Name]
		if !ok || len(s.W) != len(p.W) {
			return nil, fmt.Errorf("dual critic: %s agent has no parameter %s of %d values", kind, p.Name, len(p.W))
		}
		c.src = append(c.src, s)
	}
	if c.qt != nil {
		nn.CopyParams(c.qt.Params(), c.src[:len(c.q.Params())]) // IQL: target = copy of the critics
	}
	return c, nil
}

// update does the critic agent's update and moves the target mirror.
func (c *critic) update(b *replay.Batch) []agent.Metric {
	m := c.base.Update(b)
	if c.qt != nil {
		nn.Polyak(c.qt.Params(), c.src[:len(c.q.Params())], c.tau)
	}
	return m
}

// FitStateNorm fits IQL's state normaliser (Cal-QL has none).
func (c *critic) FitStateNorm(obs []float32) error {
	if c.iqlAgent != nil {
		return c.iqlAgent.FitStateNorm(obs)
	}
	return nil
}

// advantages writes A(s_i, a_i) for n rows of raw observations and actions
// into dst.
func (c *critic) advantages(dst []float32, obs, act []float32, n int) error {
	if c.so2 != nil {
		c.so2.advantages(dst, obs, act, n)
		return nil
	}
	nn.CopyParams(c.local, c.src)
	O, A := c.obsDim, c.actDim
	c.obs.Resize(n, O)
	copy(c.obs.Data, obs[:n*O])
	if c.iqlAgent != nil {
		norm := c.iqlAgent.StateNorm()
		for i := 0; i < n; i++ {
			r := c.obs.Data[i*O : (i+1)*O]
			for j := range r {
				r[j] = (r[j] - norm.Mean[j]) / norm.Std[j]
			}
		}
	}
	q := func(dst []float32, a []float32) {
		W := O + A
		c.in.Resize(2*n, W)
		for i := 0; i < n; i++ {
			row := c.in.Data[i*W : (i+1)*W]
			copy(row[:O], c.obs.Data[i*O:(i+1)*O])
			copy(row[O:], a[i*A:(i+1)*A])
		}
		copy(c.in.Data[n*W:], c.in.Data[:n*W])
		net := c.q
		if c.qt != nil {
			net = c.qt
		}
		net.Predict(&c.qOut, &c.in)
		for i := 0; i < n; i++ {
			dst[i] = min(c.qOut.Data[i], c.qOut.Data[n+i])
		}
	}
	q(dst, act)
	if c.v != nil {
		c.v.Predict(&c.vOut, &c.obs)
		for i := 0; i < n; i++ {
			dst[i] -= c.vOut.Data[i]
		}
		return nil
	}
	// Cal-QL: the baseline is the value of its own policy's mean action.
	c.piAct.Resize(n, A)
	if err := c.base.ActBatch(obs[:n*O], c.piAct.Data[:n*A], true); err != nil {
		return err
	}
	c.qPi = append(c.qPi[:0], make([]float32, n)...)
	q(c.qPi, c.piAct.Data)
	for i, v := range c.qPi {
		dst[i] -= v
	}
	return nil
}

// startOnline switches Cal-QL's α_cql to its online value and SO2 to its
// online update-to-data ratio.
func (c *critic) startOnline() {
	if c.so2 != nil {
		c.so2.online = true
	}
	if a, ok := c.base.(*cql.Agent); ok {
		a.StartOnline()
	}
}
