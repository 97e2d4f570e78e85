package dual

import (
	"fmt"

	"github.com/dwm-rl/dwm/diffusion"
	"github.com/dwm-rl/dwm/diffusion/denoiser"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// Distill progressively distils the planner's sampler (Salimans & Ho 2022)
// from its SampleSteps DDIM steps down to cfg.TargetSteps, halving per
// stage, on segments of the planner's dataset. cfg.TeacherSteps defaults to
// the planner's SampleSteps. The teacher is kept: Act still plans with it
// and ActDistilled plans with the student. It returns the stage reports or
// the configuration error (e.g. a target above the teacher's steps).
func (p *Planner) Distill(cfg diffusion.DistillConfig, s *rng.Stream) ([]diffusion.StageReport, error) {
	if cfg.TeacherSteps == 0 {
		cfg.TeacherSteps = p.cfg.SampleSteps
	}
	p.sync()
	d, err := diffusion.NewDistiller(p.pmodel, func() (diffusion.Denoiser, error) {
		return denoiser.NewTemporalUNet("planner", p.ch, 0, p.cfg.UNet, s.Child("student-init"))
	}, cfg)
	if err != nil {
		return nil, fmt.Errorf("dual planner distillation: %w", err)
	}
	student, reps, err := d.Run(p.Segment, s)
	if err != nil {
		return reps, fmt.Errorf("dual planner distillation: %w", err)
	}
	_, steps := d.Current()
	sm, err := student.NewSampler(diffusion.SamplerConfig{Steps: steps})
	if err != nil {
		return reps, fmt.Errorf("dual planner distillation: %w", err)
	}
	p.student, p.studentSampler, p.studentOpt = student, sm, nil
	return reps, nil
}

// DistilledSteps returns the distilled sampler's step count, 0 before
// Distill.
func (p *Planner) DistilledSteps() int {
	if p.studentSampler == nil {
		return 0
	}
	return len(p.studentSampler.Steps())
}

// ActDistilled is Act with the distilled few-step sampler. It is an error
// before Distill.
func (p *Planner) ActDistilled(act, next, obs *tensor.Mat, s *rng.Stream) error {
	if p.studentSampler == nil {
		return fmt.Errorf("dual planner: ActDistilled before Distill")
	}
	return p.actWith(p.studentSampler, act, next, obs, s)
}
