package dual

import (
	"fmt"
	"strings"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/dataset"
)

// basePrefix prefixes the critic agent's tensors and streams.
const basePrefix = "base/"

// parts tells agent.StateParts where the agent keeps its counters and
// random streams; flags stands for the 0/1 flags hasPred, distilled and
// online0 (setFlags stores them back).
func (a *Agent) parts(flags *[3]int64) *agent.StateParts {
	return &agent.StateParts{
		Algorithm: "DUAL",
		Counters: []agent.NamedCounter{
			{Name: "dual/updates", V: &a.updates},
			{Name: "dual/online_updates", V: &a.onlineUpdates},
			{Name: "dual/since_refit", V: &a.sinceRefit},
			{Name: "dual/has_pred", V: &flags[0]},
			{Name: "dual/distilled", V: &flags[1]},
			{Name: "dual/online", V: &flags[2]},
		},
		Streams: []agent.NamedStream{
			{Name: "dual/train", Stream: a.sTrain},
			{Name: "dual/actor", Stream: a.sActor},
			{Name: "dual/act", Stream: a.sAct},
			{Name: "dual/eval", Stream: a.sEval},
		},
	}
}

// flags returns the 0/1 flags of parts.
func (a *Agent) flags() [3]int64 { return [3]int64{b2i(a.hasPred), b2i(a.distilled), b2i(a.online0)} }

// setFlags stores the flags of parts.
func (a *Agent) setFlags(f [3]int64) {
	a.hasPred, a.distilled, a.online0 = f[0] != 0, f[1] != 0, f[2] != 0
}

func f32(name string, v []float32) checkpoint.Tensor {
	return checkpoint.Tensor{Name: name, Shape: []int{len(v)}, Data: append([]float32(nil), v...)}
}

func bools(name string, v []bool) checkpoint.Tensor {
	d := make([]float32, len(v))
	for i, b := range v {
		if b {
			d[i] = 1
		}
	}
	return checkpoint.Tensor{Name: name, Shape: []int{len(v)}, Data: d}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// State returns everything the agent needs to continue exactly:
//
//   - model: the critic agent's tensors under "base/", the planner's
//     ("planner/…": network, EMA, Adam, distilled student and its
//     optimiser), the MAP actor "dual/actor" and the sub-policies
//     "dual/subs" (float64, stored exactly as 24+24+16-bit pieces), the
//     Laplace rows "dual/ring/…", the online episodes "dual/online/…",
//     the shift state and the counters;
//   - optimizer: the critic agent's under "base/" and the actor's Adam
//     ("dual/actor_opt/…");
//   - rngStates: the critic agent's under "base/" and "dual/train",
//     "dual/actor", "dual/act", "dual/eval".
func (a *Agent) State() (model, optimizer []checkpoint.Tensor, rngStates map[string][]byte, err error) {
	bm, bo, br, err := a.critic.base.State()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("dual: critic state: %w", err)
	}
	for _, t := range bm {
		t.Name = basePrefix + t.Name
		model = append(model, t)
	}
	for _, t := range bo {
		t.Name = basePrefix + t.Name
		optimizer = append(optimizer, t)
	}
	if model, err = a.planner.state(model); err != nil {
		return nil, nil, nil, fmt.Errorf("dual: %w", err)
	}
	model = append(model, f64Tensor("dual/actor", a.actor.W))
	subs := make([]float64, 0, len(a.subs)*len(a.actor.W))
	for _, s := range a.subs {
		subs = append(subs, s.W...)
	}
	model = append(model, f64Tensor("dual/subs", subs), agent.CounterTensor("dual/subs_n", int64(len(a.subs))))
	var elbo []float32
	for _, d := range a.elbo {
		elbo = append(elbo, d...)
	}
	model = append(model, f32("dual/elbo_devs", elbo), agent.CounterTensor("dual/elbo_devs_n", int64(len(a.elbo))))
	r := &a.ring
	model = append(model, f32("dual/ring/feat", r.feat), f32("dual/ring/plan", r.plan), f32("dual/ring/act", r.act), f32("dual/ring/w", r.w),
		agent.CounterTensor("dual/ring/n", int64(r.n)), agent.CounterTensor("dual/ring/pos", int64(r.pos)))
	o := a.online
	model = append(model, f32("dual/online/obs", o.Observations), f32("dual/online/act", o.Actions), f32("dual/online/rew", o.Rewards),
		f32("dual/online/next", o.NextObservations), bools("dual/online/term", o.Terminals), bools("dual/online/trunc", o.Timeouts),
		agent.CounterTensor("dual/online/len", int64(o.Len())), agent.CounterTensor("dual/online/ep_start", int64(a.epStart)))
	model = append(model, f64Tensor("dual/shift", []float64{a.shift.err, a.damping, a.lastShift}), f32("dual/pred", a.pred))
	flags := a.flags()
	_, counters, rngStates, err := a.parts(&flags).State()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("dual: %w", err)
	}
	model = append(model, counters...)
	ao := &a.aopt
	optimizer = append(optimizer, agent.CounterTensor("dual/actor_opt/t", int64(ao.t)), f64Tensor("dual/actor_opt/m", ao.m), f64Tensor("dual/actor_opt/v", ao.v))
	for k, v := range br {
		rngStates[basePrefix+k] = v
	}
	return model, optimizer, rngStates, nil
}

// SetState restores a state saved by State (of an agent with the same
// configuration and dataset). It returns an error naming the first missing
// or misshapen part, and then the agent is unchanged: every part is parsed
// and checked (into staged values or scratch copies) before any is
// restored.
func (a *Agent) SetState(model, optimizer []checkpoint.Tensor, rngStates map[string][]byte) error {
	if err := a.setState(model, optimizer, rngStates); err != nil {
		return fmt.Errorf("dual: load state: %w", err)
	}
	return nil
}

func (a *Agent) setState(model, optimizer []checkpoint.Tensor, rngStates map[string][]byte) error {
	var bm, bo []checkpoint.Tensor
	for _, t := range model {
		if n, ok := strings.CutPrefix(t.Name, basePrefix); ok {
			t.Name = n
			bm = append(bm, t)
		}
	}
	for _, t := range optimizer {
		if n, ok := strings.CutPrefix(t.Name, basePrefix); ok {
			t.Name = n
			bo = append(bo, t)
		}
	}
	br, own := map[string][]byte{}, map[string][]byte{}
	for k, v := range rngStates {
		if n, ok := strings.CutPrefix(k, basePrefix); ok {
			br[n] = v
		} else {
			own[k] = v
		}
	}
	ts := tensorIndex(model)
	for _, t := range optimizer {
		ts[t.Name] = t
	}
	counter := func(name string) (int64, error) {
		t, ok := ts[name]
		if !ok {
			return 0, fmt.Errorf("tensor %s missing", name)
		}
		return agent.ParseCounter(t)
	}
	vec := func(name string, n int) ([]float32, error) {
		t, ok := ts[name]
		if !ok {
			return nil, fmt.Errorf("tensor %s missing", name)
		}
		if n >= 0 && len(t.Data) != n {
			return nil, fmt.Errorf("tensor %s has %d values, want %d", name, len(t.Data), n)
		}
		return t.Data, nil
	}

	// 1. Parse and check everything of DUAL's own into staged values and
	// scratch copies; nothing changes yet.
	var commits []func()
	if a.critic.qt != nil { // IQL's target critics, mirrored
		c, err := stage(&agent.StateParts{Algorithm: "DUAL target critic", Model: a.critic.qt.Params()}, tensorIndex(bm), nil)
		if err != nil {
			return err
		}
		commits = append(commits, c)
	}
	c, err := a.planner.stageState(ts)
	if err != nil {
		return err
	}
	commits = append(commits, c)
	P := len(a.actor.W)
	actor := make([]float64, P)
	if err := parseF64(ts, "dual/actor", actor); err != nil {
		return err
	}
	ns, err := counter("dual/subs_n")
	if err != nil {
		return err
	}
	flat := make([]float64, int(ns)*P)
	if err := parseF64(ts, "dual/subs", flat); err != nil {
		return err
	}
	var subs []*Actor
	for k := 0; k < int(ns); k++ {
		s := a.actor.Clone()
		copy(s.W, flat[k*P:(k+1)*P])
		subs = append(subs, s)
	}
	// ELBO-Laplace deviations (absent from checkpoints written before the
	// variant existed: none).
	var elbo [][]float32
	if _, ok := ts["dual/elbo_devs_n"]; ok {
		ne, err := counter("dual/elbo_devs_n")
		if err != nil {
			return err
		}
		if ne > 0 {
			flat, err := vec("dual/elbo_devs", -1)
			if err != nil {
				return err
			}
			per := (a.obsDim + a.actDim) * (a.cfg.Planner.UNet.Dim + 1)
			if len(flat) != int(ne)*per {
				return fmt.Errorf("tensor dual/elbo_devs: %d values for %d deviations of %d", len(flat), ne, per)
			}
			for k := 0; k < int(ne); k++ {
				elbo = append(elbo, append([]float32(nil), flat[k*per:(k+1)*per]...))
			}
		}
	}
	r := &a.ring
	rows := []struct {
		name     string
		dst, src []float32
	}{{name: "dual/ring/feat", dst: r.feat}, {name: "dual/ring/plan", dst: r.plan}, {name: "dual/ring/act", dst: r.act},
		{name: "dual/ring/w", dst: r.w}, {name: "dual/pred", dst: a.pred}}
	for i := range rows {
		if rows[i].src, err = vec(rows[i].name, len(rows[i].dst)); err != nil {
			return err
		}
	}
	rn, err := counter("dual/ring/n")
	if err != nil {
		return err
	}
	rp, err := counter("dual/ring/pos")
	if err != nil {
		return err
	}
	if rn > int64(len(r.w)) || rp >= int64(len(r.w)) {
		return fmt.Errorf("dual/ring: n = %d, pos = %d for %d rows", rn, rp, len(r.w))
	}
	// Online episodes.
	ln, err := counter("dual/online/len")
	if err != nil {
		return err
	}
	n := int(ln)
	O, A := a.obsDim, a.actDim
	obs, err := vec("dual/online/obs", n*O)
	if err != nil {
		return err
	}
	act, err := vec("dual/online/act", n*A)
	if err != nil {
		return err
	}
	rew, err := vec("dual/online/rew", n)
	if err != nil {
		return err
	}
	next, err := vec("dual/online/next", n*O)
	if err != nil {
		return err
	}
	term, err := vec("dual/online/term", n)
	if err != nil {
		return err
	}
	trunc, err := vec("dual/online/trunc", n)
	if err != nil {
		return err
	}
	online := dataset.New(O, A, n)
	for i := 0; i < n; i++ {
		online.Append(obs[i*O:(i+1)*O], act[i*A:(i+1)*A], rew[i], next[i*O:(i+1)*O], term[i] != 0, trunc[i] != 0)
	}
	es, err := counter("dual/online/ep_start")
	if err != nil {
		return err
	}
	sh := make([]float64, 3)
	if err := parseF64(ts, "dual/shift", sh); err != nil {
		return err
	}
	// Counters, flags and random streams.
	var flags [3]int64
	if c, err = stage(a.parts(&flags), ts, own); err != nil {
		return err
	}
	commits = append(commits, c)
	// Actor optimiser.
	at, err := counter("dual/actor_opt/t")
	if err != nil {
		return err
	}
	var am, av []float64
	if m, ok := ts["dual/actor_opt/m"]; ok && len(m.Data) > 0 {
		am, av = make([]float64, P), make([]float64, P)
		if err := parseF64(ts, "dual/actor_opt/m", am); err != nil {
			return err
		}
		if err := parseF64(ts, "dual/actor_opt/v", av); err != nil {
			return err
		}
	}

	// 2. The critic agent's state: its SetState checks everything before
	// it changes anything, so as the last check it keeps the whole restore
	// all or nothing.
	if err := a.critic.base.SetState(bm, bo, br); err != nil {
		return err
	}

	// 3. Commit: nothing below can fail.
	for _, c := range commits {
		c()
	}
	copy(a.actor.W, actor)
	a.subs, a.elbo = subs, elbo
	for _, row := range rows {
		copy(row.dst, row.src)
	}
	r.n, r.pos = int(rn), int(rp)
	a.online = online
	if err := a.planner.SetOnline(a.online, a.cfg.OnlineFraction); err != nil {
		panic("dual: " + err.Error()) // the agent's own widths and validated fraction
	}
	a.epStart = int(es)
	a.shift.err, a.damping, a.lastShift = sh[0], sh[1], sh[2]
	a.setFlags(flags)
	if a.online0 {
		a.critic.startOnline()
	}
	ao := &a.aopt
	ao.t = int(at)
	ao.m, ao.v, ao.g = nil, nil, nil
	if am != nil {
		ao.m, ao.v, ao.g = am, av, make([]float64, P)
	}
	return nil
}
