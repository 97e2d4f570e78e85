package diffusion

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// Method names a sampler.
type Method string

// The samplers.
const (
	// DDIM is the sampler of Song, Meng & Ermon (2021, Eq. 12) on any
	// increasing subset of steps: deterministic for Eta = 0, equal to DDPM's
	// ancestral sampler for Eta = 1.
	DDIM Method = "ddim"
	// DDPM is the ancestral sampler of Ho et al. (2020, Algorithm 2). On a
	// subset of steps τ_1 < … < τ_n it uses the respaced betas
	// β'_i = 1 − ᾱ_{τ_i}/ᾱ_{τ_{i−1}} (Nichol & Dhariwal 2021).
	DDPM Method = "ddpm"
)

// SamplerConfig describes a sampler. Zero fields take the defaults listed on
// each field.
type SamplerConfig struct {
	// Method is DDIM (default) or DDPM.
	Method Method
	// Steps is the number of denoising steps, evenly strided (T/Steps,
	// 2T/Steps, …, T); default T. It must divide T.
	Steps int
	// Timesteps, if set, is the explicit increasing list of steps in
	// [1, T] to visit (from the last down to the first, then to 0); it
	// overrides Steps.
	Timesteps []int
	// Eta is DDIM's η ≥ 0 (default 0: deterministic).
	Eta float64
	// Guidance is the classifier-free guidance weight w ≥ −1 (default 0:
	// conditional model only): the output used is
	// (1+w)·f(x, c) − w·f(x, ∅) (Ho & Salimans 2022, Eq. 6), so w = −1
	// samples the unconditional model f(x, ∅). It needs a conditional
	// denoiser trained with CondDrop > 0.
	Guidance float64
	// ClipX0, if positive, clips the predicted x_0 to [−ClipX0, ClipX0] at
	// every step (Diffuser clips to [−1, 1] for normalised data).
	ClipX0 float64
	// LargeVariance makes DDPM use σ² = β (Ho et al.'s "fixed large")
	// instead of the posterior variance β̃ (default).
	LargeVariance bool
}

// WithDefaults returns c with every zero field set to its default for a
// schedule of T steps.
func (c SamplerConfig) WithDefaults(T int) SamplerConfig {
	if c.Method == "" {
		c.Method = DDIM // Song et al. 2021
	}
	if c.Steps == 0 && c.Timesteps == nil {
		c.Steps = T
	}
	return c
}

// steps validates c against sc and returns the visited steps (ascending).
func (c SamplerConfig) steps(sc *Schedule) ([]int, error) {
	c = c.WithDefaults(sc.T)
	if c.Method != DDIM && c.Method != DDPM {
		return nil, fmt.Errorf("SamplerConfig.Method = %q: want %q or %q", c.Method, DDIM, DDPM)
	}
	if !(c.Eta >= 0) || math.IsInf(c.Eta, 0) {
		return nil, fmt.Errorf("SamplerConfig.Eta = %v: must be finite and ≥ 0", c.Eta)
	}
	if !(c.Guidance >= -1) || math.IsInf(c.Guidance, 0) {
		return nil, fmt.Errorf("SamplerConfig.Guidance = %v: must be finite and ≥ −1", c.Guidance)
	}
	if !(c.ClipX0 >= 0) {
		return nil, fmt.Errorf("SamplerConfig.ClipX0 = %v: must be ≥ 0", c.ClipX0)
	}
	if c.Timesteps != nil {
		if err := sc.checkSteps(c.Timesteps); err != nil {
			return nil, fmt.Errorf("SamplerConfig.Timesteps: %w", err)
		}
		return append([]int(nil), c.Timesteps...), nil
	}
	st, err := sc.StridedSteps(c.Steps)
	if err != nil {
		return nil, fmt.Errorf("SamplerConfig.Steps = %d: %w", c.Steps, err)
	}
	return st, nil
}

// Validate reports the first invalid field for a model.
func (c SamplerConfig) Validate(m *Model) error {
	if _, err := c.steps(m.Sched); err != nil {
		return err
	}
	if c.Guidance != 0 && m.Net.CondDim() == 0 {
		return fmt.Errorf("SamplerConfig.Guidance = %v: the denoiser is unconditional", c.Guidance)
	}
	return nil
}

// Inpaint fixes some elements of every sample to known values (Diffuser's
// conditioning on the current state): after every denoising step, and in
// the initial noise, element Index[j] of each sample for condition b is set
// to Values[b, j].
type Inpaint struct {
	Index  []int
	Values *tensor.Mat // B × len(Index)
}

// Request is one batched sampling call: M samples from each of the K
// members for each of B conditions.
type Request struct {
	// Cond holds B conditions (B × CondDim), or is nil for an
	// unconditional denoiser.
	Cond *tensor.Mat
	// B is the number of inputs when Cond is nil (default 1).
	B int
	// M is the number of samples per condition and member (default 1).
	M int
	// Inpaint, if non-nil, fixes known elements.
	Inpaint *Inpaint
}

// Sampler draws samples from a Model with preallocated buffers: after the
// first call with a given request size, Sample allocates nothing. A Sampler
// is not safe for concurrent use.
type Sampler struct {
	m     *Model
	cfg   SamplerConfig
	steps []int

	x, xin, out, noise tensor.Mat
	og                 tensor.Mat // header over the guided output
	cond2              tensor.Mat
	keep2              []float32
}

// NewSampler returns a sampler for m, or the configuration error (naming the
// field and value, e.g. a step count that does not divide T).
func (m *Model) NewSampler(cfg SamplerConfig) (*Sampler, error) {
	if err := cfg.Validate(m); err != nil {
		return nil, err
	}
	st, _ := cfg.steps(m.Sched)
	return &Sampler{m: m, cfg: cfg.WithDefaults(m.Sched.T), steps: st}, nil
}

// Steps returns the visited steps in ascending order.
func (s *Sampler) Steps() []int { return s.steps }

// Config returns the sampler's configuration with defaults applied.
func (s *Sampler) Config() SamplerConfig { return s.cfg }

// Evals returns the number of network evaluations per row of one Sample
// call (steps, doubled by guidance).
func (s *Sampler) Evals() int {
	if s.cfg.Guidance != 0 && s.cfg.Guidance != -1 {
		return 2 * len(s.steps)
	}
	return len(s.steps)
}

func (s *Sampler) check(req *Request) (b, mm int, err error) {
	net := s.m.Net
	b = req.B
	if req.Cond != nil {
		b = req.Cond.Rows
	} else if b == 0 {
		b = 1
	}
	mm = req.M
	if mm == 0 {
		mm = 1
	}
	if b < 1 {
		return 0, 0, fmt.Errorf("diffusion: Request.B = %d: must be ≥ 1", req.B)
	}
	if mm < 1 {
		return 0, 0, fmt.Errorf("diffusion: Request.M = %d: must be ≥ 1", req.M)
	}
	if err := checkCond(net, req.Cond, -1); err != nil {
		return 0, 0, err
	}
	if p := req.Inpaint; p != nil {
		if p.Values == nil || p.Values.Rows != b || p.Values.Cols != len(p.Index) {
			shape := "nil"
			if p.Values != nil {
				shape = p.Values.Shape()
			}
			return 0, 0, fmt.Errorf("diffusion: Inpaint.Values is %s, want %d×%d (conditions × known indices)", shape, b, len(p.Index))
		}
		for i, k := range p.Index {
			if k < 0 || k >= net.Dim() {
				return 0, 0, fmt.Errorf("diffusion: Inpaint.Index[%d] = %d outside [0, %d)", i, k, net.Dim())
			}
		}
	}
	return b, mm, nil
}

// Sample sets dst (resized to (K·M·B)×Dim) to samples laid out [K, M, B]:
// row ((k·M)+m)·B+b is sample m of member k for condition b. It returns an
// error naming the offending value if the request does not fit the model
// (e.g. a condition of the wrong width).
func (s *Sampler) Sample(dst *tensor.Mat, req Request, st *rng.Stream) error {
	b, mm, err := s.check(&req)
	if err != nil {
		return err
	}
	net, sc := s.m.Net, s.m.Sched
	K, D := net.Members(), net.Dim()
	rows := K * mm * b
	guided := s.cfg.Guidance != 0 && s.cfg.Guidance != -1
	switch {
	case s.cfg.Guidance == -1:
		// Unconditional: every condition dropped.
		s.keepFor(b, 0)
		net.SetCond(req.Cond, s.keep2)
	case guided:
		s.cond2.Resize(2*b, req.Cond.Cols)
		copy(s.cond2.Data, req.Cond.Data[:req.Cond.Len()])
		copy(s.cond2.Data[req.Cond.Len():], req.Cond.Data[:req.Cond.Len()])
		s.keepFor(2*b, b)
		net.SetCond(&s.cond2, s.keep2)
	default:
		net.SetCond(req.Cond, nil)
	}
	x := dst
	x.Resize(rows, D)
	st.FillNormal(x.Data[:rows*D])
	inpaint(x, req.Inpaint, b)
	w := float32(s.cfg.Guidance)
	clip := float32(s.cfg.ClipX0)
	for i := len(s.steps) - 1; i >= 0; i-- {
		t := s.steps[i]
		tp := 0
		if i > 0 {
			tp = s.steps[i-1]
		}
		// Network output o, guided if asked, for every row of x.
		o := &s.out
		if guided {
			s.xin.Resize(2*rows, D)
			blk := b * D
			for r := 0; r < K*mm; r++ {
				src := x.Data[r*blk : (r+1)*blk]
				copy(s.xin.Data[2*r*blk:], src)
				copy(s.xin.Data[(2*r+1)*blk:], src)
			}
			net.Step(&s.out, &s.xin, sc.Time(t))
			for r := 0; r < K*mm; r++ {
				c := s.out.Data[2*r*blk : (2*r+1)*blk]
				u := s.out.Data[(2*r+1)*blk : (2*r+2)*blk]
				u = u[:len(c)]
				// Compact the guided output into the first rows*D values.
				dstG := s.out.Data[r*blk : (r+1)*blk]
				for j := range c {
					dstG[j] = (1+w)*c[j] - w*u[j]
				}
			}
			s.og = tensor.Mat{Rows: rows, Cols: D, Data: s.out.Data[:rows*D]}
			o = &s.og
		} else {
			net.Step(&s.out, x, sc.Time(t))
		}
		s.update(x, o, t, tp, clip, st)
		inpaint(x, req.Inpaint, b)
	}
	return nil
}

// keepFor sets s.keep2 to n flags, the first ones of them 1 and the rest 0.
func (s *Sampler) keepFor(n, ones int) {
	if cap(s.keep2) < n {
		s.keep2 = make([]float32, n)
	}
	s.keep2 = s.keep2[:n]
	for i := range s.keep2 {
		s.keep2[i] = 0
		if i < ones {
			s.keep2[i] = 1
		}
	}
}

// update moves x from step t to step tp given the network output o.
func (s *Sampler) update(x, o *tensor.Mat, t, tp int, clip float32, st *rng.Stream) {
	sc := s.m.Sched
	n := x.Len()
	xd, od := x.Data[:n], o.Data[:n]
	a, sg := float32(sc.Alpha[t]), float32(sc.Sigma[t])
	ab, abp := sc.AlphaBar[t], sc.AlphaBar[tp]
	// Overwrite o with x0 and keep ε implicit: ε = (x − a·x0)/sg.
	s.m.Pred.Split(od, nil, od, xd, a, sg)
	if clip > 0 {
		for j, v := range od {
			od[j] = min(max(v, -clip), clip)
		}
	}
	var cx0, cx, std float64 // x' = cx0·x0 + cx·x + std·z
	if s.cfg.Method == DDPM {
		bp := 1 - ab/abp
		cx0 = math.Sqrt(abp) * bp / (1 - ab)
		cx = math.Sqrt(1-bp) * (1 - abp) / (1 - ab)
		if tp > 0 {
			v := bp * (1 - abp) / (1 - ab)
			if s.cfg.LargeVariance {
				v = bp
			}
			std = math.Sqrt(v)
		}
	} else {
		var se float64
		if s.cfg.Eta > 0 && tp > 0 {
			se = s.cfg.Eta * math.Sqrt((1-abp)/(1-ab)*(1-ab/abp))
		}
		dir := math.Sqrt(max(1-abp-se*se, 0)) // coefficient of ε
		// x' = √ᾱ' x0 + dir·(x − a x0)/sg + se·z
		cx = dir / float64(sg)
		cx0 = math.Sqrt(abp) - cx*float64(a)
		std = se
	}
	fx0, fx := float32(cx0), float32(cx)
	if std > 0 {
		s.noise.Resize(x.Rows, x.Cols)
		nd := s.noise.Data[:n]
		st.FillNormal(nd)
		fs := float32(std)
		for j := range xd {
			xd[j] = fx0*od[j] + fx*xd[j] + fs*nd[j]
		}
		return
	}
	for j := range xd {
		xd[j] = fx0*od[j] + fx*xd[j]
	}
}

// inpaint sets the known elements of every row of x (layout [·, B]).
func inpaint(x *tensor.Mat, p *Inpaint, b int) {
	if p == nil {
		return
	}
	for r := 0; r < x.Rows; r++ {
		row := x.Row(r)
		vals := p.Values.Row(r % b)
		for j, k := range p.Index {
			row[k] = vals[j]
		}
	}
}
