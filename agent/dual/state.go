package dual

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/diffusion"
	"github.com/dwm-rl/dwm/diffusion/denoiser"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/rng"
)

// prefixed returns views of params named prefix+name that share their
// values, so that agent.StateParts saves a network under the prefix DUAL
// gives it ("planner/net/…").
func prefixed(prefix string, params []*nn.Param) []*nn.Param {
	out := make([]*nn.Param, len(params))
	for i, p := range params {
		out[i] = &nn.Param{Name: prefix + p.Name, Shape: p.Shape, W: p.W}
	}
	return out
}

// tensorIndex maps tensor names to tensors.
func tensorIndex(ts []checkpoint.Tensor) map[string]checkpoint.Tensor {
	m := make(map[string]checkpoint.Tensor, len(ts))
	for _, t := range ts {
		m[t.Name] = t
	}
	return m
}

// together returns the tensors of parts as one list (without its random
// streams):
// DUAL's checkpoint keeps some counters and optimisers in its model part.
func together(parts *agent.StateParts) ([]checkpoint.Tensor, error) {
	model, optimizer, _, err := parts.State()
	return append(model, optimizer...), err
}

// setTogether restores parts from the tensors of ts that together saves,
// taken by name, and the random streams rngStates (exactly those of
// parts). It returns an error naming a missing or misshapen tensor or
// stream; parts are unchanged on error.
func setTogether(parts *agent.StateParts, ts map[string]checkpoint.Tensor, rngStates map[string][]byte) error {
	want, err := together(parts)
	if err != nil {
		return err
	}
	src := make([]checkpoint.Tensor, len(want))
	for i, w := range want {
		t, ok := ts[w.Name]
		if !ok {
			return fmt.Errorf("tensor %s missing", w.Name)
		}
		src[i] = t
	}
	return parts.SetState(nil, src, rngStates)
}

// parts tells agent.StateParts where the planner keeps its state: the
// trained network "planner/net/…", its EMA (the planning weights,
// "planner/…"), Adam's moments "planner/opt/…" and the EMA's update count.
func (p *Planner) parts(emaUpdates *int64) *agent.StateParts {
	return &agent.StateParts{
		Algorithm:  "DUAL planner",
		Model:      slices.Concat(prefixed("planner/net/", p.net.Params()), prefixed("planner/", p.ema.Params())),
		Optimizers: []agent.NamedOptimizer{{Prefix: "planner/opt/", Adam: p.opt}},
		Counters:   []agent.NamedCounter{{Name: "planner/ema/updates", V: emaUpdates}},
	}
}

// studentParts describes a distilled student: its network
// "planner/student/…", its sampling step count and, once FineTuneStep has
// made one, its optimiser "planner/student_opt/…".
func studentParts(params []*nn.Param, opt *optim.Adam, steps *int64) *agent.StateParts {
	s := &agent.StateParts{
		Algorithm: "DUAL planner student",
		Model:     prefixed("planner/student/", params),
		Counters:  []agent.NamedCounter{{Name: "planner/student/steps", V: steps}},
	}
	if opt != nil {
		s.Optimizers = []agent.NamedOptimizer{{Prefix: "planner/student_opt/", Adam: opt}}
	}
	return s
}

// state appends the planner's tensors (parts, then studentParts after
// Distill).
func (p *Planner) state(dst []checkpoint.Tensor) ([]checkpoint.Tensor, error) {
	n := p.ema.Updates()
	ts, err := together(p.parts(&n))
	if err != nil {
		return nil, err
	}
	dst = append(dst, ts...)
	if p.student != nil {
		steps := int64(p.DistilledSteps())
		if ts, err = together(studentParts(p.student.Net.Params(), p.studentOpt, &steps)); err != nil {
			return nil, err
		}
		dst = append(dst, ts...)
	}
	return dst, nil
}

// stageState checks that ts restores what state saved (a student only if
// one was saved) and returns the commit that restores it, which cannot
// fail; the planner is unchanged until the commit runs.
func (p *Planner) stageState(ts map[string]checkpoint.Tensor) (func(), error) {
	var n int64
	commit, err := stage(p.parts(&n), ts, nil)
	if err != nil {
		return nil, fmt.Errorf("dual planner: %w", err)
	}
	var (
		student *diffusion.Model
		sampler *diffusion.Sampler
		opt     *optim.Adam
	)
	// A student (after Distill) and its optimiser (after FineTuneStep) are
	// saved only once they exist: their step counters mark them, and a
	// tensor of theirs without its marker is a damaged checkpoint.
	for _, m := range []struct{ marker, prefix string }{
		{"planner/student/steps", "planner/student/"}, {"planner/student_opt/step", "planner/student_opt/"}} {
		if _, ok := ts[m.marker]; ok {
			continue
		}
		var found string
		for name := range ts {
			if strings.HasPrefix(name, m.prefix) && (found == "" || name < found) {
				found = name
			}
		}
		if found != "" {
			return nil, fmt.Errorf("dual planner: tensor %s missing (%s is present)", m.marker, found)
		}
	}
	if _, ok := ts["planner/student/steps"]; ok {
		net, err := denoiser.NewTemporalUNet("planner", p.ch, 0, p.cfg.UNet, rng.New(0))
		if err != nil {
			return nil, fmt.Errorf("dual planner: %w", err)
		}
		if _, ok := ts["planner/student_opt/step"]; ok {
			opt = optim.NewAdam(net.Params(), optim.AdamConfig{LR: p.cfg.LR})
		}
		var steps int64
		if err := setTogether(studentParts(net.Params(), opt, &steps), ts, nil); err != nil {
			return nil, fmt.Errorf("dual planner: %w", err)
		}
		if student, err = diffusion.New(net, p.pmodel.Config()); err != nil {
			return nil, fmt.Errorf("dual planner: %w", err)
		}
		if sampler, err = student.NewSampler(diffusion.SamplerConfig{Steps: int(steps)}); err != nil {
			return nil, fmt.Errorf("dual planner: student of %d steps: %w", steps, err)
		}
	}
	return func() {
		commit()
		p.ema.SetUpdates(n)
		p.stale = true
		p.student, p.studentSampler, p.studentOpt = student, sampler, opt
	}, nil
}

// stage checks that the tensors of ts (taken by name) and the random
// streams rngStates (exactly those of parts) restore parts, by restoring
// them into a scratch copy of parts: parts are unchanged. It returns the
// commit that copies the restored values into parts, which cannot fail.
// It panics if parts has a state normaliser (DUAL's parts have none).
func stage(parts *agent.StateParts, ts map[string]checkpoint.Tensor, rngStates map[string][]byte) (func(), error) {
	if parts.Norm != nil {
		panic("dual: stage of parts with a state normaliser")
	}
	clone := func(ps []*nn.Param) []*nn.Param {
		out := make([]*nn.Param, len(ps))
		for i, p := range ps {
			out[i] = &nn.Param{Name: p.Name, Shape: p.Shape, W: make([]float32, len(p.W))}
		}
		return out
	}
	scratch := &agent.StateParts{Algorithm: parts.Algorithm, Model: clone(parts.Model), Extra: clone(parts.Extra)}
	for _, o := range parts.Optimizers {
		scratch.Optimizers = append(scratch.Optimizers, agent.NamedOptimizer{Prefix: o.Prefix, Adam: optim.NewAdam(clone(o.Adam.Params()), optim.AdamConfig{})})
	}
	counters := make([]int64, len(parts.Counters))
	for i, c := range parts.Counters {
		scratch.Counters = append(scratch.Counters, agent.NamedCounter{Name: c.Name, V: &counters[i]})
	}
	weights := make([]float32, len(parts.Weights))
	for i, w := range parts.Weights {
		scratch.Weights = append(scratch.Weights, agent.NamedWeight{Name: w.Name, V: &weights[i]})
	}
	for _, st := range parts.Streams {
		scratch.Streams = append(scratch.Streams, agent.NamedStream{Name: st.Name, Stream: rng.New(0)})
	}
	if err := setTogether(scratch, ts, rngStates); err != nil {
		return nil, err
	}
	return func() {
		nn.CopyParams(parts.Model, scratch.Model)
		nn.CopyParams(parts.Extra, scratch.Extra)
		for i, o := range parts.Optimizers {
			step, moments := scratch.Optimizers[i].Adam.State()
			if err := o.Adam.SetState(step, moments); err != nil {
				panic("dual: commit of a staged optimiser: " + err.Error()) // the same shapes
			}
		}
		for i, c := range parts.Counters {
			*c.V = counters[i]
		}
		for i, w := range parts.Weights {
			*w.V = weights[i]
		}
		for i, st := range parts.Streams {
			b, err := scratch.Streams[i].Stream.State()
			if err == nil {
				err = st.Stream.SetState(b)
			}
			if err != nil {
				panic("dual: commit of a staged random stream: " + err.Error()) // a state just taken
			}
		}
	}, nil
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
