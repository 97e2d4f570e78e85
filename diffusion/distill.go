package diffusion

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// DistillConfig describes progressive distillation (Salimans & Ho 2022,
// Algorithm 2). Zero fields take the defaults listed on each field.
type DistillConfig struct {
	// TeacherSteps is the number of DDIM steps of the original teacher
	// (default T). It must divide T.
	TeacherSteps int
	// TargetSteps is the step count of the last student (default 4, a
	// "few-step" sampler; Salimans & Ho report little quality loss down to
	// 4–8 steps). TeacherSteps/TargetSteps must be a power of two ≥ 2.
	TargetSteps int
	// Iters is the number of optimiser steps per stage (default 2000).
	Iters int
	// Batch is the number of data rows per member and iteration (default
	// 256).
	Batch int
	// Adam configures each stage's optimiser; a zero LR means 1e-4
	// (Salimans & Ho's rate for their smaller datasets), decayed linearly
	// to 0 over each stage as they do.
	Adam optim.AdamConfig
	// Guidance is the classifier-free guidance weight applied to the
	// teacher's steps (default 0); the student learns the guided sampler
	// with its condition kept (Meng et al. 2023 distil guidance this way).
	Guidance float64
	// ClipX0 clips the teacher's x_0 predictions as SamplerConfig.ClipX0.
	ClipX0 float64
}

// WithDefaults returns c with every zero field set to its default for a
// schedule of T steps.
func (c DistillConfig) WithDefaults(T int) DistillConfig {
	if c.TeacherSteps == 0 {
		c.TeacherSteps = T
	}
	if c.TargetSteps == 0 {
		c.TargetSteps = 4 // few-step sampler (Salimans & Ho 2022, Fig. 4)
	}
	if c.Iters == 0 {
		c.Iters = 2000
	}
	if c.Batch == 0 {
		c.Batch = 256
	}
	if c.Adam.LR == 0 {
		c.Adam.LR = 1e-4 // Salimans & Ho 2022, Appendix
	}
	return c
}

// Validate reports the first invalid field for distilling teacher.
func (c DistillConfig) Validate(teacher *Model) error {
	c = c.WithDefaults(teacher.Sched.T)
	if teacher.Pred != V && teacher.Pred != X0 {
		return fmt.Errorf("progressive distillation needs a v- or x0-prediction model (Salimans & Ho 2022: ε-prediction breaks down at few steps); the teacher predicts %q", teacher.Pred)
	}
	if _, err := teacher.Sched.StridedSteps(c.TeacherSteps); err != nil {
		return fmt.Errorf("DistillConfig.TeacherSteps = %d: %w", c.TeacherSteps, err)
	}
	if c.TargetSteps < 1 || c.TargetSteps >= c.TeacherSteps {
		return fmt.Errorf("DistillConfig.TargetSteps = %d: must be in [1, TeacherSteps = %d)", c.TargetSteps, c.TeacherSteps)
	}
	if c.TeacherSteps%c.TargetSteps != 0 || !isPow2(c.TeacherSteps/c.TargetSteps) {
		return fmt.Errorf("DistillConfig.TargetSteps = %d: TeacherSteps/TargetSteps = %d/%d must be a power of two (each stage halves the steps)",
			c.TargetSteps, c.TeacherSteps, c.TargetSteps)
	}
	switch {
	case c.Iters < 1:
		return fmt.Errorf("DistillConfig.Iters = %d: must be ≥ 1", c.Iters)
	case c.Batch < 1:
		return fmt.Errorf("DistillConfig.Batch = %d: must be ≥ 1", c.Batch)
	case !(c.Guidance >= 0) || math.IsInf(c.Guidance, 0):
		return fmt.Errorf("DistillConfig.Guidance = %v: must be finite and ≥ 0", c.Guidance)
	case c.Guidance > 0 && teacher.Net.CondDim() == 0:
		return fmt.Errorf("DistillConfig.Guidance = %v: the teacher is unconditional", c.Guidance)
	case !(c.ClipX0 >= 0):
		return fmt.Errorf("DistillConfig.ClipX0 = %v: must be ≥ 0", c.ClipX0)
	}
	if err := c.Adam.Validate(); err != nil {
		return fmt.Errorf("DistillConfig.%w", err)
	}
	return nil
}

func isPow2(n int) bool { return n > 0 && n&(n-1) == 0 }

// DataFunc fills a batch of training data: x0 (K·Batch rows of Dim values,
// block k for member k) and cond (the matching conditions, nil for an
// unconditional model). Both are sized by the caller.
type DataFunc func(x0, cond *tensor.Mat, s *rng.Stream)

// StageReport summarises one distillation stage.
type StageReport struct {
	// TeacherSteps and StudentSteps are the stage's step counts
	// (StudentSteps = TeacherSteps/2).
	TeacherSteps, StudentSteps int
	// FirstLoss and LastLoss are the mean student loss over the first and
	// last tenth of the stage's iterations.
	FirstLoss, LastLoss float32
}

// Distiller runs progressive distillation stage by stage. The original
// teacher is never modified, so it stays available for comparison; each
// stage's student is initialised from its teacher and learns to match two
// of the teacher's deterministic DDIM steps in one (Salimans & Ho 2022,
// Algorithm 2):
//
//	z_t  = α_t x + σ_t ε,                      t = j·2T/N (student grid)
//	z_t' = DDIM_teacher(z_t,  t → t − T/N)
//	z_t''= DDIM_teacher(z_t', t − T/N → t − 2T/N)
//	x̃    = (z_t'' − (σ_t''/σ_t) z_t) / (α_t'' − (σ_t''/σ_t) α_t)   (x̃ = z_t'' when t'' = 0)
//	loss = ‖v̂_student(z_t) − ṽ‖²,  ṽ = α_t ε̃ − σ_t x̃,  ε̃ = (z_t − α_t x̃)/σ_t
//
// which is the x-space loss weighted by 1 + SNR_t ("SNR+1" weighting, one of
// the paper's choices). Students keep the teacher's parameterisation: a
// v-prediction student (the paper's recommendation) minimises the v-loss
// above, an x0-prediction student (Diffuser's parameterisation) the same
// loss in x-space, (1 + SNR_t)·‖x̂_student − x̃‖² = ‖x̂ − x̃‖²/σ_t². Known
// elements (Config.Known) are inpainted after each teacher step as the
// sampler does and excluded from the loss.
type Distiller struct {
	cfg      DistillConfig
	orig     *Model
	teacher  *Model
	student  *Model
	nets     [2]Denoiser
	next     int
	steps    int // current teacher's step count
	reports  []StageReport
	x0, cond tensor.Mat
	z, z1    tensor.Mat
	out, tgt tensor.Mat
	eps      tensor.Mat
	rowT     []int
	times    []float32
	keep     []float32
	keepZero []float32
	rowW     []float32
	outU     tensor.Mat
}

// NewDistiller prepares the distillation of teacher. newNet must return a
// fresh denoiser of the teacher's architecture (same parameter names and
// shapes); two are made and alternate as students. It returns the
// configuration error, if any (e.g. a target step count above the
// teacher's).
func NewDistiller(teacher *Model, newNet func() (Denoiser, error), cfg DistillConfig) (*Distiller, error) {
	if err := cfg.Validate(teacher); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults(teacher.Sched.T)
	d := &Distiller{cfg: cfg, orig: teacher, teacher: teacher, steps: cfg.TeacherSteps}
	tp := teacher.Net.Params()
	for i := range d.nets {
		n, err := newNet()
		if err != nil {
			return nil, fmt.Errorf("distill: new student network: %w", err)
		}
		np := n.Params()
		if len(np) != len(tp) {
			return nil, fmt.Errorf("distill: student network has %d parameters, the teacher %d", len(np), len(tp))
		}
		for j, p := range np {
			if p.Name != tp[j].Name || len(p.W) != len(tp[j].W) {
				return nil, fmt.Errorf("distill: student parameter %s (%d values) does not match the teacher's %s (%d values)", p.Name, len(p.W), tp[j].Name, len(tp[j].W))
			}
		}
		if n.Members() != teacher.Net.Members() || n.Dim() != teacher.Net.Dim() || n.CondDim() != teacher.Net.CondDim() {
			return nil, fmt.Errorf("distill: student network has %d members, Dim %d, CondDim %d; the teacher %d, %d, %d",
				n.Members(), n.Dim(), n.CondDim(), teacher.Net.Members(), teacher.Net.Dim(), teacher.Net.CondDim())
		}
		d.nets[i] = n
	}
	return d, nil
}

// Done reports whether the target step count has been reached.
func (d *Distiller) Done() bool { return d.steps <= d.cfg.TargetSteps }

// Steps returns the step count of the current teacher (after a stage: of the
// newest student).
func (d *Distiller) Steps() int { return d.steps }

// Original returns the original teacher.
func (d *Distiller) Original() *Model { return d.orig }

// Current returns the newest model (the last stage's student, or the
// original teacher before any stage) and its step count.
func (d *Distiller) Current() (*Model, int) { return d.teacher, d.steps }

// Reports returns the reports of the stages run so far.
func (d *Distiller) Reports() []StageReport { return d.reports }

// Run runs stages until the target step count and returns the final student
// and the stage reports.
func (d *Distiller) Run(data DataFunc, s *rng.Stream) (*Model, []StageReport, error) {
	for !d.Done() {
		if _, err := d.Stage(data, s); err != nil {
			return nil, d.reports, err
		}
	}
	m, _ := d.Current()
	return m, d.reports, nil
}

// Stage runs one stage: a student with half the current teacher's steps is
// initialised from the teacher and trained; it then becomes the teacher of
// the next stage. It returns an error if the target has been reached.
func (d *Distiller) Stage(data DataFunc, s *rng.Stream) (StageReport, error) {
	if d.Done() {
		return StageReport{}, fmt.Errorf("distill: already at the target of %d steps", d.cfg.TargetSteps)
	}
	tcfg := d.orig.Config()
	scfg := tcfg
	net := d.nets[d.next]
	d.next ^= 1
	nn.CopyParams(net.Params(), d.teacher.Net.Params())
	student, err := New(net, scfg)
	if err != nil {
		return StageReport{}, fmt.Errorf("distill: student model: %w", err)
	}
	d.student = student
	opt := optim.NewAdam(net.Params(), d.cfg.Adam)
	lr := optim.Linear{Start: opt.LR, End: 0, Steps: d.cfg.Iters}
	K, D, C := net.Members(), net.Dim(), net.CondDim()
	rows := K * d.cfg.Batch
	d.x0.Resize(rows, D)
	var cond *tensor.Mat
	if C > 0 {
		d.cond.Resize(rows, C)
		cond = &d.cond
	}
	rep := StageReport{TeacherSteps: d.steps, StudentSteps: d.steps / 2}
	tenth := max(1, d.cfg.Iters/10)
	var first, last float64
	for it := 0; it < d.cfg.Iters; it++ {
		opt.LR = lr.At(it)
		data(&d.x0, cond, s)
		nn.ZeroGrad(net.Params())
		loss := d.iter(&d.x0, cond, s)
		opt.Step()
		if it < tenth {
			first += float64(loss)
		}
		if it >= d.cfg.Iters-tenth {
			last += float64(loss)
		}
	}
	rep.FirstLoss = float32(first / float64(tenth))
	rep.LastLoss = float32(last / float64(tenth))
	d.teacher = student
	d.steps /= 2
	d.reports = append(d.reports, rep)
	return rep, nil
}

// iter computes one distillation loss and adds the student's gradients.
func (d *Distiller) iter(x0, cond *tensor.Mat, s *rng.Stream) float32 {
	sc := d.orig.Sched
	rows, D := x0.Rows, x0.Cols
	known := d.orig.cfg.Known
	half := d.steps / 2
	stride := sc.T / d.steps
	if cap(d.rowT) < rows {
		d.rowT = make([]int, rows)
		d.times = make([]float32, rows)
		d.keep = make([]float32, rows)
		d.keepZero = make([]float32, rows)
	}
	d.rowT, d.times = d.rowT[:rows], d.times[:rows]
	for i := range d.rowT {
		d.rowT[i] = (1 + s.IntN(half)) * 2 * stride
	}
	// Condition dropout as in the teacher's training, unless the teacher is
	// guided (the student then learns the guided map with the condition).
	var keep []float32
	if cond != nil && d.cfg.Guidance == 0 && d.orig.cfg.CondDrop > 0 {
		keep = d.keep[:rows]
		for i := range keep {
			keep[i] = 1
			if s.Float64() < d.orig.cfg.CondDrop {
				keep[i] = 0
			}
		}
	}
	d.eps.Resize(rows, D)
	s.FillNormal(d.eps.Data[:rows*D])
	d.z.Resize(rows, D)
	for i, t := range d.rowT {
		zr, xr := d.z.Row(i), x0.Row(i)
		sc.Q(zr, xr, d.eps.Row(i), t)
		for _, k := range known {
			zr[k] = xr[k]
		}
	}
	// Two teacher DDIM steps: z → z1 (t − stride) → z1 (t − 2·stride).
	d.z1.CopyFrom(&d.z)
	for h := 0; h < 2; h++ {
		for i, t := range d.rowT {
			d.times[i] = sc.Time(t - h*stride)
		}
		o := d.teacherOut(&d.z1, cond, keep)
		for i, t := range d.rowT {
			t0 := t - h*stride
			ddimRow(sc, d.teacher.Pred, d.z1.Row(i), o.Row(i), t0, t0-stride, float32(d.cfg.ClipX0))
			for _, k := range known {
				d.z1.Row(i)[k] = x0.Row(i)[k]
			}
		}
	}
	// Targets ṽ (or x̃ with row weights 1/σ_t² for an x0 student).
	d.tgt.Resize(rows, D)
	xStudent := d.student.Pred == X0
	if cap(d.rowW) < rows {
		d.rowW = make([]float32, rows)
	}
	d.rowW = d.rowW[:rows]
	for i, t := range d.rowT {
		tpp := t - 2*stride
		a, sg := sc.Alpha[t], sc.Sigma[t]
		zr, z2, tg := d.z.Row(i), d.z1.Row(i), d.tgt.Row(i)
		var r, den float64
		if tpp > 0 {
			r = sc.Sigma[tpp] / sg
			den = sc.Alpha[tpp] - r*a
		} else {
			den = 1
		}
		fr, fden := float32(r), float32(1/den)
		fa, fs, fis := float32(a), float32(sg), float32(1/sg)
		d.rowW[i] = float32(1 / (sg * sg))
		for j := range tg {
			xt := (z2[j] - fr*zr[j]) * fden
			if xStudent {
				tg[j] = xt
				continue
			}
			e := (zr[j] - fa*xt) * fis
			tg[j] = fa*e - fs*xt
		}
	}
	var rowW []float32
	if xStudent {
		rowW = d.rowW
	}
	for i, t := range d.rowT {
		d.times[i] = sc.Time(t)
	}
	out := d.student.Net.Forward(&d.z, d.times, cond, keep)
	loss := d.student.lossGradRows(out, &d.tgt, rowW)
	d.student.Net.Backward(&d.student.grad)
	return loss
}

// teacherOut evaluates the current teacher on z at d.times, with guidance if
// configured; the result is valid until the next call.
func (d *Distiller) teacherOut(z, cond *tensor.Mat, keep []float32) *tensor.Mat {
	net := d.teacher.Net
	w := float32(d.cfg.Guidance)
	if w == 0 {
		return net.Forward(z, d.times, cond, keep)
	}
	rows := z.Rows
	zero := d.keepZero[:rows]
	clear(zero)
	d.outU.CopyFrom(net.Forward(z, d.times, cond, zero))
	o := net.Forward(z, d.times, cond, nil)
	n := o.Len()
	od, ud := o.Data[:n], d.outU.Data[:n]
	for j := range od {
		od[j] = (1+w)*od[j] - w*ud[j]
	}
	return o
}

// ddimRow moves one row z from step t to tp with the deterministic DDIM
// update given the network output o (p-parameterised); o is overwritten.
func ddimRow(sc *Schedule, p Prediction, z, o []float32, t, tp int, clip float32) {
	a, sg := float32(sc.Alpha[t]), float32(sc.Sigma[t])
	p.Split(o, nil, o, z, a, sg)
	if clip > 0 {
		for j, v := range o {
			o[j] = min(max(v, -clip), clip)
		}
	}
	cx := math.Sqrt(1-sc.AlphaBar[tp]) / float64(sg)
	cx0 := sc.Alpha[tp] - cx*float64(a)
	fx, fx0 := float32(cx), float32(cx0)
	for j := range z {
		z[j] = fx0*o[j] + fx*z[j]
	}
}
