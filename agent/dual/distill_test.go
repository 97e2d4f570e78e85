package dual

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/dwm-rl/dwm/datasets"
	"github.com/dwm-rl/dwm/diffusion"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

func TestDistillErrors(t *testing.T) {
	d, err := datasets.Load("pendulum-medium")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlanner(d, PlannerConfig{SampleSteps: 10}, rng.New(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.ActDistilled(tensor.New(1, 1), nil, tensor.New(1, 3), rng.New(2)); err == nil || !strings.Contains(err.Error(), "before Distill") {
		t.Errorf("ActDistilled before Distill: %v", err)
	}
	for _, tc := range []struct {
		cfg  diffusion.DistillConfig
		want string
	}{
		{diffusion.DistillConfig{TargetSteps: 20}, "TargetSteps = 20: must be in [1, TeacherSteps = 10)"},
		{diffusion.DistillConfig{TargetSteps: 3}, "power of two"},
	} {
		if _, err := p.Distill(tc.cfg, rng.New(3)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one containing %q", tc.cfg, err, tc.want)
		}
	}
}

// TestDistilledAgreesWithTeacher: the 5-step student's first actions, from
// the same initial noise as the 10-step teacher's, are much closer to the
// teacher's than two teacher plans from different noise are to each other.
func TestDistilledAgreesWithTeacher(t *testing.T) {
	p := sharedPlanner(t)
	start := time.Now()
	// Distill only adds the student: Act keeps using the teacher, so the
	// shared planner's other tests are unaffected.
	reps, err := p.Distill(diffusion.DistillConfig{TargetSteps: 5, Iters: 400, Batch: 32, Adam: optim.AdamConfig{LR: 5e-4}}, rng.New(20))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("distilled to %d steps in %v; %d stage(s)", p.DistilledSteps(), time.Since(start), len(reps))
	if p.DistilledSteps() != 5 {
		t.Fatalf("DistilledSteps = %d, want 5", p.DistilledSteps())
	}
	d := p.d
	const n = 512
	s := rng.New(21)
	obs := tensor.New(n, 3)
	for i := 0; i < n; i++ {
		copy(obs.Row(i), d.Obs(s.IntN(d.Len())))
	}
	teacher, teacher2, student := tensor.New(n, 1), tensor.New(n, 1), tensor.New(n, 1)
	if err := p.Act(teacher, nil, obs, rng.New(30)); err != nil {
		t.Fatal(err)
	}
	if err := p.Act(teacher2, nil, obs, rng.New(31)); err != nil {
		t.Fatal(err)
	}
	if err := p.ActDistilled(student, nil, obs, rng.New(30)); err != nil {
		t.Fatal(err)
	}
	var agree, spread, maxAbs float64
	for i := 0; i < n; i++ {
		a := float64(student.At(i, 0) - teacher.At(i, 0))
		b := float64(teacher2.At(i, 0) - teacher.At(i, 0))
		agree += a * a
		spread += b * b
		maxAbs = math.Max(maxAbs, math.Abs(a))
	}
	agree /= n
	spread /= n
	t.Logf("student vs teacher (same noise) action MSE %.4f (max |Δ| %.3f); teacher vs teacher (other noise) %.4f", agree, maxAbs, spread)
	if agree > distillBound*spread {
		t.Errorf("student–teacher MSE %.4f, want ≤ %v × the teacher's own noise spread %.4f", agree, distillBound, spread)
	}
}

// distillBound bounds the student–teacher action MSE relative to the
// teacher's own spread over noise. Measured (10 → 5 steps, 400 iterations
// of batch 32): MSE 0.0003, max |Δa| 0.10, against a spread of 0.142.
const distillBound = 0.02
