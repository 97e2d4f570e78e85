package dual

import (
	"fmt"
	"math"
	"slices"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/diffusion"
	"github.com/dwm-rl/dwm/diffusion/denoiser"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/rng"
)

// paramTensors appends copies of params named prefix+name.
func paramTensors(dst []checkpoint.Tensor, prefix string, params []*nn.Param) []checkpoint.Tensor {
	for _, p := range params {
		dst = append(dst, checkpoint.Tensor{Name: prefix + p.Name, Shape: slices.Clone(p.Shape), Data: slices.Clone(p.W)})
	}
	return dst
}

// tensorIndex maps tensor names to tensors.
func tensorIndex(ts []checkpoint.Tensor) map[string]checkpoint.Tensor {
	m := make(map[string]checkpoint.Tensor, len(ts))
	for _, t := range ts {
		m[t.Name] = t
	}
	return m
}

// setParams copies the tensors prefix+name into params; it returns an error
// naming the first missing or misshapen one.
func setParams(ts map[string]checkpoint.Tensor, prefix string, params []*nn.Param) error {
	for _, p := range params {
		t, ok := ts[prefix+p.Name]
		if !ok {
			return fmt.Errorf("tensor %s missing", prefix+p.Name)
		}
		if len(t.Data) != len(p.W) {
			return fmt.Errorf("tensor %s has %d values, want %d", prefix+p.Name, len(t.Data), len(p.W))
		}
	}
	for _, p := range params {
		copy(p.W, ts[prefix+p.Name].Data)
	}
	return nil
}

// adamTensors appends an Adam optimiser's moments and step under prefix.
func adamTensors(dst []checkpoint.Tensor, prefix string, o *optim.Adam) []checkpoint.Tensor {
	step, ts := o.State()
	for _, p := range o.Params() {
		for _, key := range []string{"m/" + p.Name, "v/" + p.Name} {
			dst = append(dst, checkpoint.Tensor{Name: prefix + key, Shape: slices.Clone(ts[key].Shape), Data: slices.Clone(ts[key].Data)})
		}
	}
	return append(dst, agent.CounterTensor(prefix+"step", step))
}

// setAdam restores an optimiser saved by adamTensors.
func setAdam(ts map[string]checkpoint.Tensor, prefix string, o *optim.Adam) error {
	st, ok := ts[prefix+"step"]
	if !ok {
		return fmt.Errorf("tensor %sstep missing", prefix)
	}
	step, err := agent.ParseCounter(st)
	if err != nil {
		return err
	}
	m := make(map[string]nn.Tensor, 2*len(o.Params()))
	for _, p := range o.Params() {
		for _, key := range []string{"m/" + p.Name, "v/" + p.Name} {
			t, ok := ts[prefix+key]
			if !ok {
				return fmt.Errorf("tensor %s missing", prefix+key)
			}
			m[key] = nn.Tensor{Shape: t.Shape, Data: t.Data}
		}
	}
	return o.SetState(step, m)
}

// state appends the planner's tensors under "planner/": the trained
// network, its EMA (the planning weights), Adam's moments and, after
// Distill, the student network and its step count.
func (p *Planner) state(dst []checkpoint.Tensor) []checkpoint.Tensor {
	dst = paramTensors(dst, "planner/net/", p.net.Params())
	dst = paramTensors(dst, "planner/", p.ema.Params())
	dst = append(dst, agent.CounterTensor("planner/ema/updates", p.ema.Updates()))
	dst = adamTensors(dst, "planner/opt/", p.opt)
	if p.student != nil {
		dst = paramTensors(dst, "planner/student/", p.student.Net.Params())
		dst = append(dst, agent.CounterTensor("planner/student/steps", int64(p.DistilledSteps())))
		if p.studentOpt != nil {
			dst = adamTensors(dst, "planner/student_opt/", p.studentOpt)
		}
	}
	return dst
}

// setState restores what state saved (a student only if one was saved).
func (p *Planner) setState(ts map[string]checkpoint.Tensor) error {
	if err := setParams(ts, "planner/net/", p.net.Params()); err != nil {
		return fmt.Errorf("dual planner: %w", err)
	}
	if err := setParams(ts, "planner/", p.ema.Params()); err != nil {
		return fmt.Errorf("dual planner: %w", err)
	}
	u, ok := ts["planner/ema/updates"]
	if !ok {
		return fmt.Errorf("dual planner: tensor planner/ema/updates missing")
	}
	n, err := agent.ParseCounter(u)
	if err != nil {
		return fmt.Errorf("dual planner: %w", err)
	}
	p.ema.SetUpdates(n)
	if err := setAdam(ts, "planner/opt/", p.opt); err != nil {
		return fmt.Errorf("dual planner: %w", err)
	}
	p.stale = true
	p.student, p.studentSampler, p.studentOpt = nil, nil, nil
	st, ok := ts["planner/student/steps"]
	if !ok {
		return nil
	}
	steps, err := agent.ParseCounter(st)
	if err != nil {
		return fmt.Errorf("dual planner: %w", err)
	}
	net, err := denoiser.NewTemporalUNet("planner", p.ch, 0, p.cfg.UNet, rng.New(0))
	if err != nil {
		return fmt.Errorf("dual planner: %w", err)
	}
	if err := setParams(ts, "planner/student/", net.Params()); err != nil {
		return fmt.Errorf("dual planner: %w", err)
	}
	m, err := diffusion.New(net, p.pmodel.Config())
	if err != nil {
		return fmt.Errorf("dual planner: %w", err)
	}
	sm, err := m.NewSampler(diffusion.SamplerConfig{Steps: int(steps)})
	if err != nil {
		return fmt.Errorf("dual planner: student of %d steps: %w", steps, err)
	}
	p.student, p.studentSampler, p.studentOpt = m, sm, nil
	if _, ok := ts["planner/student_opt/step"]; ok {
		p.studentOpt = optim.NewAdam(net.Params(), optim.AdamConfig{LR: p.cfg.LR})
		if err := setAdam(ts, "planner/student_opt/", p.studentOpt); err != nil {
			return fmt.Errorf("dual planner: %w", err)
		}
	}
	return nil
}

// f64Tensor encodes float64 values exactly as float32 integers: each value
// as three pieces of 24, 24 and 16 bits of its IEEE bits (checkpoints
// hold float32 tensors only).
func f64Tensor(name string, v []float64) checkpoint.Tensor {
	d := make([]float32, 3*len(v))
	for i, x := range v {
		b := math.Float64bits(x)
		d[3*i], d[3*i+1], d[3*i+2] = float32(b>>40), float32((b>>16)&0xffffff), float32(b&0xffff)
	}
	return checkpoint.Tensor{Name: name, Shape: []int{len(v), 3}, Data: d}
}

// parseF64 decodes f64Tensor into dst (whose length must match).
func parseF64(ts map[string]checkpoint.Tensor, name string, dst []float64) error {
	t, ok := ts[name]
	if !ok {
		return fmt.Errorf("tensor %s missing", name)
	}
	if len(t.Data) != 3*len(dst) {
		return fmt.Errorf("tensor %s has %d values, want %d", name, len(t.Data), 3*len(dst))
	}
	for i := range dst {
		b := uint64(t.Data[3*i])<<40 | uint64(t.Data[3*i+1])<<16 | uint64(t.Data[3*i+2])
		dst[i] = math.Float64frombits(b)
	}
	return nil
}
