package bench

import (
	"context"
	"fmt"
	"strings"

	"github.com/dwm-rl/dwm/agent/diffql"
	"github.com/dwm-rl/dwm/agent/dual"
	"github.com/dwm-rl/dwm/agent/iql"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/datasets"
	"github.com/dwm-rl/dwm/diffusion"
	"github.com/dwm-rl/dwm/diffusion/denoiser"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// The dual suite's configurations. DUAL's planner is the package's default
// (horizon 8, U-Net Dim 16, Mults 1, 2, Groups 4) with T = 16 diffusion
// steps instead of 20, so that progressive distillation can halve the
// teacher's 16 steps down to 4, 2 and 1 (each stage halves; 20 only reaches
// 10 and 5). Diffuser is the planner at Diffuser's locomotion size (horizon
// 32, U-Net Dim 32, Mults 1, 2, 4, 8, Groups 8, T = 20; Janner et al.
// 2022), acting with Eq. 4's first action and no actor.
const (
	dualT            = 16
	diffuserHorizon  = 32
	diffuserT        = 20
	diffuserDistil   = 5 // D-Diffuser: 20 → 10 → 5
	laplaceSamples   = 10
	throughputBatch  = 256
	laplaceDataRows  = 64
	dualDistillIters = 1 // latency does not depend on the weights
)

// dualStudentSteps are the distilled step counts timed ("1–4 steps").
var dualStudentSteps = []int{4, 2, 1}

func dualPlannerConfig(steps int) dual.PlannerConfig {
	return dual.PlannerConfig{DiffusionSteps: dualT, SampleSteps: steps}
}

func diffuserConfig(steps int) dual.PlannerConfig {
	return dual.PlannerConfig{Horizon: diffuserHorizon, DiffusionSteps: diffuserT, SampleSteps: steps,
		UNet: denoiser.UNetConfig{Dim: 32, Mults: []int{1, 2, 4, 8}, Groups: 8}}
}

// dualData returns the dataset whose shapes the dual suite uses.
func dualData(dims string, seed uint64) (*dataset.Dataset, error) {
	if dims == "pendulum" {
		d, err := datasets.Load("pendulum-medium")
		if err != nil {
			return nil, fmt.Errorf("load pendulum-medium: %w", err)
		}
		return d, nil
	}
	// hopper: 11 observations, 3 actions; 10 synthetic episodes of 200 steps.
	const obs, act, ep, n = 11, 3, 200, 2000
	s := rng.Derive(seed, "bench", "dual", "data")
	d := dataset.New(obs, act, n)
	d.Observations = d.Observations[:n*obs]
	d.NextObservations = d.NextObservations[:n*obs]
	d.Actions = d.Actions[:n*act]
	d.Rewards = d.Rewards[:n]
	d.Terminals = d.Terminals[:n]
	d.Timeouts = d.Timeouts[:n]
	s.FillNormal(d.Observations)
	s.FillNormal(d.NextObservations)
	s.FillUniform(d.Actions, -1, 1)
	s.FillNormal(d.Rewards)
	for i := ep - 1; i < n; i += ep {
		d.Timeouts[i] = true
	}
	return d, nil
}

// dualActor is DUAL's acting path for B states: the planner's first action
// (Eq. 4, distilled or not) and predicted next state, the features, the
// aggregate of the Laplace sub-policies (Eq. 7) and the shift-aware sample
// (Eq. 8).
type dualActor struct {
	p         *dual.Planner
	distilled bool
	subs      []*dual.Actor
	shift     dual.ShiftAware
	low, high []float32
	s         *rng.Stream

	plan, next, feat, mean, vari, act *tensor.Mat
}

func newDualActor(p *dual.Planner, d *dataset.Dataset, distilled bool, batch int, s *rng.Stream) (*dualActor, error) {
	O, A := d.ObsDim, d.ActDim
	// A Laplace posterior over the (zero) actor head, formed on dataset
	// rows, gives the sub-policies; their values do not change the cost.
	n := min(laplaceDataRows, d.Len())
	b := dual.Batch{Feat: tensor.New(n, O), Plan: tensor.New(n, A), Act: tensor.New(n, A), Weight: make([]float32, n)}
	obs := tensor.New(n, O)
	for i := 0; i < n; i++ {
		copy(obs.Row(i), d.Obs(i))
		copy(b.Act.Row(i), d.Act(i))
		copy(b.Plan.Row(i), d.Act(i))
		b.Weight[i] = 1
	}
	if err := p.Features(b.Feat, obs); err != nil {
		return nil, err
	}
	lp, err := dual.NewLaplace(dual.NewActor(A, O), b, dual.LaplaceConfig{PriorPrecision: 1, Samples: laplaceSamples})
	if err != nil {
		return nil, err
	}
	a := &dualActor{p: p, distilled: distilled, subs: lp.Sample(s.Child("laplace")), shift: dual.ShiftAware{Kappa: dual.DefaultShiftWeight},
		low: make([]float32, A), high: make([]float32, A), s: s,
		plan: tensor.New(batch, A), next: tensor.New(batch, O), feat: tensor.New(batch, O),
		mean: tensor.New(batch, A), vari: tensor.New(batch, A), act: tensor.New(batch, A)}
	for j := range a.low {
		a.low[j], a.high[j] = -1, 1
	}
	return a, nil
}

// step acts for the B states obs.
func (a *dualActor) step(obs *tensor.Mat) error {
	var err error
	if a.distilled {
		err = a.p.ActDistilled(a.plan, a.next, obs, a.s)
	} else {
		err = a.p.Act(a.plan, a.next, obs, a.s)
	}
	if err != nil {
		return err
	}
	if err := a.p.Features(a.feat, obs); err != nil {
		return err
	}
	dual.Aggregate(a.mean, a.vari, a.subs, a.feat, a.plan)
	if err := a.shift.Observe(a.next.Row(0), obs.Row(0)); err != nil {
		return err
	}
	dual.SampleActions(a.act, a.mean, a.vari, a.shift.Variance(), a.low, a.high, a.s)
	return nil
}

// states returns batch dataset observations (cycling) as a matrix.
func states(d *dataset.Dataset, batch int) *tensor.Mat {
	m := tensor.New(batch, d.ObsDim)
	for i := 0; i < batch; i++ {
		copy(m.Row(i), d.Obs((i*97)%d.Len()))
	}
	return m
}

func distill(p *dual.Planner, target int, s *rng.Stream) error {
	_, err := p.Distill(diffusion.DistillConfig{TargetSteps: target, Iters: dualDistillIters, Batch: 4,
		Adam: optim.AdamConfig{LR: 1e-4}}, s)
	return err
}

// runDual times DUAL, its ablation without distillation, Diffuser,
// Diffusion-QL and IQL's actor, then the steps-vs-latency series.
func runDual(ctx context.Context, r *runner) error {
	d, err := dualData(r.cfg.Dims, r.cfg.Seed)
	if err != nil {
		return err
	}
	O, A := d.ObsDim, d.ActDim
	s := rng.Derive(r.cfg.Seed, "bench", "dual")
	batches := []int{1, throughputBatch}
	obsFor := map[int]*tensor.Mat{1: states(d, 1), throughputBatch: states(d, throughputBatch)}
	timeDual := func(name string, p *dual.Planner, distilled bool, steps int, note string, bs []int) error {
		for _, b := range bs {
			a, err := newDualActor(p, d, distilled, b, s.Child(name))
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			obs := obsFor[b]
			if err := r.measure(ctx, name, b, steps, 0, note, func() error { return a.step(obs) }); err != nil {
				return err
			}
		}
		return nil
	}

	// DUAL: the teacher and its distilled students.
	p, err := dual.NewPlanner(d, dualPlannerConfig(dualT), s.Child("planner"))
	if err != nil {
		return err
	}
	pc := p.Config()
	r.rep.Networks = append(r.rep.Networks, Network{Name: "dual", Kind: "temporal-unet", ObsDim: O, ActDim: A,
		Horizon: pc.Horizon, Dim: pc.UNet.Dim, Mults: pc.UNet.Mults, Kernel: pc.UNet.WithDefaults().Kernel, Groups: pc.UNet.Groups,
		DiffusionSteps: dualT, SampleSteps: append([]int{dualT}, dualStudentSteps...), Prediction: "x0", Schedule: "cosine",
		LaplaceSamples: laplaceSamples,
		Note:           "DDIM (eta 0), first state inpainted; then Eq. 7 aggregate of the Laplace sub-policies over features = normalised state, Eq. 8 sample"})
	for _, st := range dualStudentSteps {
		if err := distill(p, st, s.Child(fmt.Sprint("distill", st))); err != nil {
			return fmt.Errorf("distil DUAL's planner to %d steps: %w", st, err)
		}
		if got := p.DistilledSteps(); got != st {
			return fmt.Errorf("distilled planner has %d steps, want %d", got, st)
		}
		if err := timeDual(fmt.Sprintf("dual actor (distilled, %d steps)", st), p, true, st, "Eq. 4 student + Eq. 7 + Eq. 8", batches); err != nil {
			return err
		}
	}
	if err := timeDual(fmt.Sprintf("dual w/o distillation (%d steps)", dualT), p, false, dualT, "Eq. 4 teacher + Eq. 7 + Eq. 8", batches); err != nil {
		return err
	}

	// The DUAL agent itself (dual.Agent.ActBatch) with its default
	// configuration (planner T = 20, distilled to 5 steps), and its
	// w/o-distillation ablation: the same path as above, through the
	// agent's API.
	if err := timeAgent(ctx, r, d, batches, obsFor); err != nil {
		return err
	}

	// Diffuser and D-Diffuser: the planner's first action, no actor.
	df, err := dual.NewPlanner(d, diffuserConfig(diffuserT), s.Child("diffuser"))
	if err != nil {
		return err
	}
	dc := df.Config()
	r.rep.Networks = append(r.rep.Networks, Network{Name: "diffuser", Kind: "temporal-unet", ObsDim: O, ActDim: A,
		Horizon: dc.Horizon, Dim: dc.UNet.Dim, Mults: dc.UNet.Mults, Kernel: dc.UNet.WithDefaults().Kernel, Groups: dc.UNet.Groups,
		DiffusionSteps: diffuserT, SampleSteps: []int{diffuserT, diffuserDistil}, Prediction: "x0", Schedule: "cosine",
		Note: "DDIM (eta 0), first state inpainted; the first action is the policy (no actor)"})
	if err := distill(df, diffuserDistil, s.Child("distill-diffuser")); err != nil {
		return fmt.Errorf("distil Diffuser: %w", err)
	}
	for _, b := range batches {
		plan, obs := tensor.New(b, A), obsFor[b]
		st := s.Child("diffuser-act")
		if err := r.measure(ctx, fmt.Sprintf("diffuser (%d steps)", diffuserT), b, diffuserT, 0, "Eq. 4 planner only", func() error {
			return df.Act(plan, nil, obs, st)
		}); err != nil {
			return err
		}
		if err := r.measure(ctx, fmt.Sprintf("d-diffuser (distilled, %d steps)", diffuserDistil), b, diffuserDistil, 0, "Eq. 4 student only", func() error {
			return df.ActDistilled(plan, nil, obs, st)
		}); err != nil {
			return err
		}
	}

	// Diffusion-QL: the reference's sample_action (50 candidates) and a
	// single chain; IQL's Gaussian actor as the non-diffusion reference.
	dq := diffql.Config{}.WithDefaults()
	r.rep.Networks = append(r.rep.Networks, Network{Name: "diff-ql", Kind: "mlp-denoiser", ObsDim: O, ActDim: A,
		Hidden: dq.Hidden, Activation: "mish", TimeDim: dq.TimeDim, DiffusionSteps: dq.Steps, SampleSteps: []int{dq.Steps},
		Prediction: "eps", Schedule: "vp",
		Note: fmt.Sprintf("DDPM, x0 clipped to ±1; %d candidates per state scored by a twin critic (hidden %v, mish), one drawn by softmax", dq.Candidates, dq.Hidden)})
	ic := iql.Config{}.WithDefaults()
	r.rep.Networks = append(r.rep.Networks, Network{Name: "iql", Kind: "mlp", ObsDim: O, ActDim: A, Hidden: ic.Hidden, Activation: "relu",
		Note: "tanh mean, state-independent log std, one Gaussian sample"})
	for _, v := range []struct {
		name  string
		cands int
	}{{fmt.Sprintf("diff-ql (%d steps, %d candidates)", dq.Steps, dq.Candidates), dq.Candidates}, {fmt.Sprintf("diff-ql (%d steps, 1 sample)", dq.Steps), 1}} {
		ag, err := diffql.New(O, A, diffql.Config{Candidates: v.cands}, r.cfg.Seed)
		if err != nil {
			return err
		}
		for _, b := range batches {
			obs, act := obsFor[b].Values(), make([]float32, b*A)
			if err := r.measure(ctx, v.name, b, dq.Steps, 0, "ActBatch, sampling", func() error { return ag.ActBatch(obs, act, false) }); err != nil {
				return err
			}
		}
	}
	ia, err := iql.New(O, A, iql.Config{}, r.cfg.Seed)
	if err != nil {
		return err
	}
	for _, b := range batches {
		obs, act := obsFor[b].Values(), make([]float32, b*A)
		if err := r.measure(ctx, "iql gaussian actor", b, 0, 0, "ActBatch, sampling", func() error { return ia.ActBatch(obs, act, false) }); err != nil {
			return err
		}
	}

	// Fig. 2(a)-style series at batch 1: latency against denoising steps.
	// A sampler's cost depends only on its step count, so the series uses
	// planners sampling with the given number of steps.
	r.series = "DUAL actor (planner H8)"
	for _, st := range []int{1, 2, 4, 8, 16} {
		ps, err := dual.NewPlanner(d, dualPlannerConfig(st), s.Child(fmt.Sprint("series", st)))
		if err != nil {
			return err
		}
		if err := timeDual(fmt.Sprintf("series: dual actor, %d steps", st), ps, false, st, "", batches[:1]); err != nil {
			return err
		}
	}
	r.series = "Diffuser (H32)"
	for _, st := range []int{1, 2, 5, 10, 20} {
		ps, err := dual.NewPlanner(d, diffuserConfig(st), s.Child(fmt.Sprint("series-diffuser", st)))
		if err != nil {
			return err
		}
		plan, obs, sr := tensor.New(1, A), obsFor[1], s.Child("series-diffuser-act")
		if err := r.measure(ctx, fmt.Sprintf("series: diffuser, %d steps", st), 1, st, 0, "", func() error { return ps.Act(plan, nil, obs, sr) }); err != nil {
			return err
		}
	}
	r.series = fmt.Sprintf("Diff-QL (%d candidates)", dq.Candidates)
	for _, st := range []int{1, 2, 5, 10, 20} {
		ag, err := diffql.New(O, A, diffql.Config{Steps: st}, r.cfg.Seed)
		if err != nil {
			return err
		}
		obs, act := obsFor[1].Values(), make([]float32, A)
		if err := r.measure(ctx, fmt.Sprintf("series: diff-ql, %d steps", st), 1, st, 0, "", func() error { return ag.ActBatch(obs, act, false) }); err != nil {
			return err
		}
	}
	r.series = ""
	return nil
}

// newAgent returns a DUAL agent with its default networks, briefly updated
// and switched online (distillation with one-iteration stages, the first
// Laplace fit), ready to act.
func newAgent(d *dataset.Dataset, noDistill bool, seed uint64) (*dual.Agent, error) {
	cfg := dual.Config{Distill: dual.DistillSettings{Iters: dualDistillIters, Batch: 4}, OfflineSteps: 2, ActorBatch: 4, NoDistill: noDistill}
	a, err := dual.New(d, d.ObsDim, d.ActDim, cfg, seed)
	if err != nil {
		return nil, err
	}
	buf, err := replay.FromDataset(d, 0, nil)
	if err != nil {
		return nil, err
	}
	b := replay.NewBatch(8, d.ObsDim, d.ActDim, true)
	s := rng.Derive(seed, "bench", "dual-agent")
	for range 2 {
		buf.SampleRows(s, b, 0, b.Len())
		a.Update(b)
	}
	if err := a.StartOnline(); err != nil {
		return nil, err
	}
	return a, nil
}

// timeAgent times dual.Agent.ActBatch (sampling) with and without
// distillation and describes the agent's planner in the report.
func timeAgent(ctx context.Context, r *runner, d *dataset.Dataset, batches []int, obsFor map[int]*tensor.Mat) error {
	def := dual.Config{}.WithDefaults()
	pc := def.Planner
	r.rep.Networks = append(r.rep.Networks, Network{Name: "dual-agent", Kind: "temporal-unet", ObsDim: d.ObsDim, ActDim: d.ActDim,
		Horizon: pc.Horizon, Dim: pc.UNet.Dim, Mults: pc.UNet.Mults, Kernel: pc.UNet.WithDefaults().Kernel, Groups: pc.UNet.Groups,
		DiffusionSteps: pc.DiffusionSteps, SampleSteps: []int{pc.SampleSteps, def.Distill.TargetSteps}, Prediction: "x0", Schedule: "cosine",
		LaplaceSamples: def.Samples, Note: "dual.Agent with its defaults: the same acting path as network dual, T = 20"})
	for _, v := range []struct {
		name      string
		noDistill bool
		steps     int
	}{
		{fmt.Sprintf("dual agent (default, distilled %d steps)", def.Distill.TargetSteps), false, def.Distill.TargetSteps},
		{fmt.Sprintf("dual agent w/o distillation (%d steps)", pc.SampleSteps), true, pc.SampleSteps},
	} {
		if r.cfg.Only != "" && !strings.Contains(v.name, r.cfg.Only) {
			continue // building the agent distils its planner: skip it too
		}
		a, err := newAgent(d, v.noDistill, r.cfg.Seed)
		if err != nil {
			return fmt.Errorf("%s: %w", v.name, err)
		}
		for _, b := range batches {
			obs, act := obsFor[b].Values(), make([]float32, b*d.ActDim)
			if err := r.measure(ctx, v.name, b, v.steps, 0, "dual.Agent.ActBatch, sampling", func() error { return a.ActBatch(obs, act, false) }); err != nil {
				return err
			}
		}
	}
	return nil
}
