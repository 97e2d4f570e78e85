package dual

import (
	"testing"

	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/datasets"
	"github.com/dwm-rl/dwm/diffusion"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/replay"
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

// hopperLike returns a dataset of hopper's widths (11 observations, 3
// actions) with 1000-step episodes of random rows: update costs depend on
// the shapes only.
func hopperLike(rows int) *dataset.Dataset {
	const O, A = 11, 3
	d := dataset.New(O, A, rows)
	s := rng.New(7)
	obs, act, next := make([]float32, O), make([]float32, A), make([]float32, O)
	for i := range rows {
		for j := range obs {
			obs[j], next[j] = float32(s.NormFloat64()), float32(s.NormFloat64())
		}
		for j := range act {
			act[j] = float32(2*s.Float64() - 1)
		}
		d.Append(obs, act, float32(s.Float64()), next, false, (i+1)%1000 == 0)
	}
	return d
}

// BenchmarkUpdate measures one DUAL update at hopper's widths with the
// default configuration and the IQL critic's 256-row batches, in the three
// regimes of a run (the cost model of a Table 4 run): "planner" (offline,
// the planner trains: critic + one planner step), "actor" (offline after
// distillation: critic + ActorBatch plans with the 5-step student + one
// actor step) and "online" (critic + planner fine-tuning + actor, with a
// Laplace refit every RefitEvery updates amortised over them).
func BenchmarkUpdate(b *testing.B) {
	d := hopperLike(20000)
	buf, err := replay.FromDataset(d, 0, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, regime := range []string{"planner", "actor", "online"} {
		b.Run(regime, func(b *testing.B) {
			// A short distillation: its cost is paid once per run, not per update.
			cfg := Config{OfflineSteps: 4, Distill: DistillSettings{Iters: 1, Batch: 4}}
			if regime == "planner" {
				cfg.OfflineSteps = 0 // the planner trains on every offline update
			}
			a, err := New(d, 11, 3, cfg, 1)
			if err != nil {
				b.Fatal(err)
			}
			batch := replay.NewBatch(256, 11, 3, true)
			s := rng.New(2)
			step := func() {
				buf.SampleRows(s, batch, 0, batch.Len())
				for _, m := range a.Update(batch) {
					if m.Value != m.Value {
						b.Fatalf("%s = NaN", m.Name)
					}
				}
			}
			for range 4 {
				step() // past the planner phase and distillation
			}
			if regime == "online" {
				if err := a.StartOnline(); err != nil {
					b.Fatal(err)
				}
				obs, act, next := append([]float32(nil), d.Obs(0)...), make([]float32, 3), append([]float32(nil), d.NextObs(0)...)
				for i := range 300 { // online episodes for the planner's fine-tuning segments
					if err := a.AfterEnvStep(obs, act, 1, next, false, (i+1)%100 == 0); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ResetTimer()
			for b.Loop() {
				step()
			}
		})
	}
}
