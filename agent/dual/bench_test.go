package dual

import (
	"github.com/dwm-rl/dwm/replay"
	"testing"

	"github.com/dwm-rl/dwm/datasets"
	"github.com/dwm-rl/dwm/diffusion"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// BenchmarkPlannerAct measures one action at batch 1 (latency per action,
// Table 4's column) with the 10-step teacher and the 5-step distilled
// student of the test configuration (weights untrained: latency does not
// depend on them).
func BenchmarkPlannerAct(b *testing.B) {
	d, err := datasets.Load("pendulum-medium")
	if err != nil {
		b.Fatal(err)
	}
	p, err := NewPlanner(d, PlannerConfig{Horizon: 4, SampleSteps: 10}, rng.New(1))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := p.Distill(diffusion.DistillConfig{TargetSteps: 5, Iters: 1, Batch: 4, Adam: optim.AdamConfig{LR: 1e-4}}, rng.New(2)); err != nil {
		b.Fatal(err)
	}
	obs, act, next := tensor.New(1, 3), tensor.New(1, 1), tensor.New(1, 3)
	copy(obs.Row(0), d.Obs(0))
	s := rng.New(3)
	b.Run("teacher-10", func(b *testing.B) {
		for b.Loop() {
			if err := p.Act(act, next, obs, s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("distilled-5", func(b *testing.B) {
		for b.Loop() {
			if err := p.ActDistilled(act, next, obs, s); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAggregate measures Eq. 7 for one state with 10 sub-policies.
func BenchmarkAggregate(b *testing.B) {
	a := NewActor(1, 3)
	batch := Batch{Feat: tensor.New(1, 3), Plan: tensor.New(1, 1), Act: tensor.New(1, 1), Weight: []float32{1}}
	l, err := NewLaplace(a, batch, LaplaceConfig{PriorPrecision: 1})
	if err != nil {
		b.Fatal(err)
	}
	subs := l.Sample(rng.New(1))
	mean, v := tensor.New(1, 1), tensor.New(1, 1)
	for b.Loop() {
		Aggregate(mean, v, subs, batch.Feat, batch.Plan)
	}
}

// BenchmarkAgentAct measures one online action of the whole agent at batch
// 1 (Table 4's latency): the distilled planner's first action and ŝ', the
// aggregate of 10 Laplace sub-policies (Eq. 7) and the shift-aware draw
// (Eq. 8); "teacher" is the w/o-distillation ablation, "latent" and
// "elbo_laplace" the Fig. 3(c) variants (distilled, N = 10), "diffuser"
// the planner-policy baseline (teacher). Untrained weights.
func BenchmarkAgentAct(b *testing.B) {
	d, err := datasets.Load("pendulum-medium")
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name                string
		nd                  bool
		uncertainty, policy string
	}{{"distilled", false, "", ""}, {"teacher", true, "", ""}, {"latent", false, UncertaintyLatent, ""},
		{"elbo_laplace", false, UncertaintyELBO, ""}, {"diffuser", false, "", PolicyDiffuser}} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := Config{Planner: PlannerConfig{Horizon: 8, DiffusionSteps: 20}, Distill: DistillSettings{Iters: 1, Batch: 4},
				OfflineSteps: 2, ActorBatch: 4, NoDistill: tc.nd, Uncertainty: tc.uncertainty, Policy: tc.policy, LaplaceRows: 64}
			a, err := New(d, 3, 1, cfg, 1)
			if err != nil {
				b.Fatal(err)
			}
			buf, err := replay.FromDataset(d, 0, nil)
			if err != nil {
				b.Fatal(err)
			}
			batch := replay.NewBatch(8, 3, 1, true)
			s := rng.New(2)
			for range 2 {
				buf.SampleRows(s, batch, 0, batch.Len())
				a.Update(batch)
			}
			if err := a.StartOnline(); err != nil {
				b.Fatal(err)
			}
			obs, act := append([]float32(nil), d.Obs(0)...), make([]float32, 1)
			b.ResetTimer()
			for b.Loop() {
				if err := a.Act(obs, act, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
