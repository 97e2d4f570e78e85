package dual

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/agent/calql"
	"github.com/dwm-rl/dwm/agent/iql"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/diffusion"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// Config holds DUAL's hyperparameters. Zero fields take the defaults listed
// on each field (WithDefaults).
type Config struct {
	// Critic is "iql" (default, the paper's Table 1), "calql" or "so2"
	// (Table 2).
	Critic string `yaml:"critic"`
	// IQL and CalQL configure the critic packages (their own defaults),
	// SO2 the SO2 critic (SO2Config).
	IQL   iql.Config   `yaml:"iql"`
	CalQL calql.Config `yaml:"calql"`
	SO2   SO2Config    `yaml:"so2"`
	// Planner configures the trajectory planner (PlannerConfig defaults).
	Planner PlannerConfig `yaml:"planner"`
	// Distill configures progressive distillation.
	Distill DistillSettings `yaml:"distill"`
	// PriorPrecision is λ of the last-layer Laplace prior (default 1,
	// Daxberger et al. 2021's starting value). Negative or non-finite values
	// are errors (0 means the default).
	PriorPrecision float64 `yaml:"prior_precision"`
	// Hessian is "ggn" (default) or "exact" (see HessianKind).
	Hessian HessianKind `yaml:"hessian"`
	// Samples is N, the Monte-Carlo sub-policies of Eq. 7 (default 10).
	Samples int `yaml:"samples"`
	// ShiftWeight is κ of Eq. 8 (default 0.5, the paper's; NoShiftAware
	// is the κ = 0 ablation).
	ShiftWeight float64 `yaml:"shift_weight"`
	// Beta is the inverse temperature of the advantage weights exp(β·A) of
	// Eq. 5 (default 3, IQL's MuJoCo value); MaxWeight clips them (default
	// 100, IQL).
	Beta      float64 `yaml:"beta"`
	MaxWeight float64 `yaml:"max_weight"`
	// ActorLR is Adam's rate for the actor's last layer (default 3e-4,
	// IQL's actor rate).
	ActorLR float64 `yaml:"actor_lr"`
	// ActorBatch is the number of rows of each update's batch used for the
	// actor step, each needing a plan (default 64: dwm's choice, a quarter
	// of the critic's 256 rows, for 2 cores).
	ActorBatch int `yaml:"actor_batch"`
	// LaplaceRows is the number of the most recent actor rows the Laplace
	// precision sums over (default 2048: dwm's choice; the paper sums over
	// the replay buffer).
	LaplaceRows int `yaml:"laplace_rows"`
	// RefitEvery is the number of online updates between Laplace refits
	// and new sub-policies (default 1000: dwm's choice).
	RefitEvery int64 `yaml:"refit_every"`
	// PlannerFraction is the share of the offline updates that train the
	// planner (Alg. 1 lines 3–4); distillation follows, then the actor
	// trains for the remaining updates (default 0.5: dwm's choice). The
	// critic trains on every update.
	PlannerFraction float64 `yaml:"planner_fraction"`
	// OfflineSteps is the run's number of offline updates, which places
	// the switch from planner to actor training (experiment fills it from
	// train.offline_steps). 0: the planner trains on every offline update
	// and distillation and the actor's first fit happen at the switch to
	// online.
	OfflineSteps int64 `yaml:"offline_steps"`
	// OnlineFraction is the share of each online planner batch drawn from
	// the online episodes (default 0.5, Cal-QL's symmetric sampling).
	OnlineFraction float64 `yaml:"online_fraction"`

	// Ablations of Table 4 (all off by default).
	// NoPlanner takes the actor's mean from the critic package's own MLP
	// actor (IQL's or Cal-QL's deterministic action) instead of the
	// planner's first action; the planner still provides ŝ' for Eq. 8.
	NoPlanner bool `yaml:"no_planner"`
	// NoDistill plans with the undistilled teacher.
	NoDistill bool `yaml:"no_distill"`
	// NoEpistemic samples from the MAP actor alone (no Laplace).
	NoEpistemic bool `yaml:"no_epistemic"`
	// NoShiftAware drops Eq. 8's extra variance (κ = 0).
	NoShiftAware bool `yaml:"no_shift_aware"`

	// Uncertainty selects the epistemic sub-policies of Eq. 7 (Fig. 3(c)'s
	// variants): "laplace" (default, Eq. 6: last-layer Laplace under the
	// actor loss), "latent" (N samples of the planner's initial noise per
	// state) or "elbo_laplace" (last-layer Laplace of the planner's
	// denoiser under Eq. 3, Remark 3.3). The variants need the planner
	// (not no_planner) and epistemic sampling (not no_epistemic).
	Uncertainty string `yaml:"uncertainty"`
	// Policy is "dual" (default) or "diffuser": Diffuser as a
	// planner-policy baseline (PolicyDiffuser), which ignores the critic,
	// the actor, distillation, the posterior and Eq. 8.
	Policy string `yaml:"policy"`
}

// DistillSettings configures progressive distillation of the planner
// (diffusion.DistillConfig's fields that DUAL exposes).
type DistillSettings struct {
	// TargetSteps is the distilled sampler's step count (default 5: the
	// planner's 20 steps halved twice, a "few-step" sampler of Salimans &
	// Ho 2022). Planner.SampleSteps/TargetSteps must be a power of two ≥ 2.
	TargetSteps int `yaml:"target_steps"`
	// Iters is the number of optimiser steps per stage (default 2000,
	// diffusion.DistillConfig's).
	Iters int `yaml:"iters"`
	// Batch is the segments per iteration (default 256,
	// diffusion.DistillConfig's).
	Batch int `yaml:"batch"`
	// LR is the stage optimiser's rate (default 1e-4, Salimans & Ho).
	LR float32 `yaml:"lr"`
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.Critic == "" {
		c.Critic = CriticIQL
	}
	c.Planner = c.Planner.WithDefaults()
	if c.Distill.TargetSteps == 0 {
		c.Distill.TargetSteps = 5 // 20 → 10 → 5 (Salimans & Ho 2022)
	}
	if c.Distill.Iters == 0 {
		c.Distill.Iters = 2000 // diffusion.DistillConfig
	}
	if c.Distill.Batch == 0 {
		c.Distill.Batch = 256 // diffusion.DistillConfig
	}
	if c.Distill.LR == 0 {
		c.Distill.LR = 1e-4 // Salimans & Ho 2022
	}
	if c.PriorPrecision == 0 {
		c.PriorPrecision = 1 // Daxberger et al. 2021
	}
	if c.Hessian == "" {
		c.Hessian = GGN
	}
	if c.Samples == 0 {
		c.Samples = 10
	}
	if c.ShiftWeight == 0 {
		c.ShiftWeight = DefaultShiftWeight // the paper's κ
	}
	if c.Beta == 0 {
		c.Beta = 3 // IQL, MuJoCo
	}
	if c.MaxWeight == 0 {
		c.MaxWeight = 100 // IQL
	}
	if c.ActorLR == 0 {
		c.ActorLR = 3e-4 // IQL actor rate
	}
	if c.ActorBatch == 0 {
		c.ActorBatch = 64
	}
	if c.LaplaceRows == 0 {
		c.LaplaceRows = 2048
	}
	if c.RefitEvery == 0 {
		c.RefitEvery = 1000
	}
	if c.PlannerFraction == 0 {
		c.PlannerFraction = 0.5
	}
	if c.OnlineFraction == 0 {
		c.OnlineFraction = 0.5 // Cal-QL's symmetric sampling
	}
	if c.Uncertainty == "" {
		c.Uncertainty = UncertaintyLaplace // the paper's Eq. 6
	}
	if c.Policy == "" {
		c.Policy = PolicyDUAL
	}
	return c
}

// Gamma returns the critic's discount γ (with its package's default).
func (c Config) Gamma() float64 {
	switch c.Critic {
	case CriticCalQL:
		return c.CalQL.Gamma()
	case CriticSO2:
		return float64(c.SO2.WithDefaults().Gamma)
	}
	return float64(c.IQL.WithDefaults().Gamma)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Validate reports the first invalid field, naming it and its value.
func (c Config) Validate() error {
	if c.Critic != "" && c.Critic != CriticIQL && c.Critic != CriticCalQL && c.Critic != CriticSO2 {
		return fmt.Errorf("dual.critic = %q: want %q, %q or %q", c.Critic, CriticIQL, CriticCalQL, CriticSO2)
	}
	if c.Planner.Horizon != 0 && c.Planner.Horizon < 2 {
		return fmt.Errorf("dual.planner.horizon = %d: must be ≥ 2 (the transition model reads the second row)", c.Planner.Horizon)
	}
	if err := c.Planner.Validate(); err != nil {
		return fmt.Errorf("dual.planner: %w", err)
	}
	if c.PriorPrecision < 0 || !finite(c.PriorPrecision) {
		return fmt.Errorf("dual.prior_precision = %v: must be finite and > 0", c.PriorPrecision)
	}
	switch c.Uncertainty {
	case "", UncertaintyLaplace:
	case UncertaintyLatent, UncertaintyELBO:
		switch {
		case c.NoPlanner:
			return fmt.Errorf("dual.uncertainty = %q needs the planner: it conflicts with no_planner", c.Uncertainty)
		case c.NoEpistemic:
			return fmt.Errorf("dual.uncertainty = %q conflicts with no_epistemic (which drops epistemic sampling)", c.Uncertainty)
		}
	default:
		return fmt.Errorf("dual.uncertainty = %q: want %q, %q or %q", c.Uncertainty, UncertaintyLaplace, UncertaintyLatent, UncertaintyELBO)
	}
	switch c.Policy {
	case "", PolicyDUAL:
	case PolicyDiffuser:
		switch {
		case c.NoPlanner:
			return fmt.Errorf("dual.policy = %q is the planner: it conflicts with no_planner", c.Policy)
		case c.Uncertainty != "" && c.Uncertainty != UncertaintyLaplace:
			return fmt.Errorf("dual.policy = %q has no sub-policies: dual.uncertainty = %q does not apply", c.Policy, c.Uncertainty)
		}
	default:
		return fmt.Errorf("dual.policy = %q: want %q or %q", c.Policy, PolicyDUAL, PolicyDiffuser)
	}
	d := c.WithDefaults()
	teacher := d.Planner.SampleSteps
	switch t := d.Distill.TargetSteps; {
	case c.NoDistill || c.Policy == PolicyDiffuser:
		// No distillation: the target is unused.
	case t < 1 || t > teacher:
		return fmt.Errorf("dual.distill.target_steps = %d: must be in [1, %d], the teacher's steps (planner.sample_steps)", t, teacher)
	case t == teacher:
		return fmt.Errorf("dual.distill.target_steps = %d equals the teacher's steps: nothing to distil (set no_distill)", t)
	case teacher%t != 0 || !powerOfTwo(teacher/t):
		return fmt.Errorf("dual.distill.target_steps = %d: planner.sample_steps/target_steps = %d/%d must be a power of two", t, teacher, t)
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"distill.iters", c.Distill.Iters}, {"distill.batch", c.Distill.Batch}, {"samples", c.Samples},
		{"actor_batch", c.ActorBatch}, {"laplace_rows", c.LaplaceRows}} {
		if f.v < 0 {
			return fmt.Errorf("dual.%s = %d: must be ≥ 1", f.name, f.v)
		}
	}
	if c.RefitEvery < 0 || c.OfflineSteps < 0 {
		return fmt.Errorf("dual.refit_every = %d, offline_steps = %d: must be ≥ 0", c.RefitEvery, c.OfflineSteps)
	}
	if d.Hessian != GGN && d.Hessian != Exact {
		return fmt.Errorf("dual.hessian = %q: want %q or %q", c.Hessian, GGN, Exact)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"shift_weight", c.ShiftWeight}, {"beta", c.Beta}, {"max_weight", c.MaxWeight}, {"actor_lr", c.ActorLR},
		{"distill.lr", float64(c.Distill.LR)}} {
		if f.v < 0 || !finite(f.v) {
			return fmt.Errorf("dual.%s = %v: must be finite and ≥ 0", f.name, f.v)
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"planner_fraction", c.PlannerFraction}, {"online_fraction", c.OnlineFraction}} {
		if !(f.v >= 0 && f.v <= 1) {
			return fmt.Errorf("dual.%s = %v: must be in [0, 1]", f.name, f.v)
		}
	}
	switch c.Critic {
	case CriticCalQL:
		if err := c.CalQL.Validate(); err != nil {
			return fmt.Errorf("dual.calql: %w", err)
		}
	case CriticSO2:
		if err := c.SO2.Validate(); err != nil {
			return err
		}
	default:
		if err := c.IQL.Validate(); err != nil {
			return fmt.Errorf("dual.iql: %w", err)
		}
	}
	return nil
}

func powerOfTwo(n int) bool { return n >= 1 && n&(n-1) == 0 }

// Agent is DUAL as a train.Agent: the critic package's agent (IQL or
// Cal-QL), the planner, the actor's last layer and its Laplace
// sub-policies. Offline updates train the critic on every update, the
// planner on the first PlannerFraction of them, then distil it once and
// train the actor (Eq. 5) with the critic's advantages. The first online
// action (or OnSwitch) fits the Laplace posterior (Eq. 6); online actions
// are drawn from the sub-policies' aggregate (Eq. 7) widened by the shift
// term (Eq. 8, fed by AfterEnvStep). Online updates also fine-tune the
// acting planner on offline and online segments and refit the posterior
// every RefitEvery updates. Not safe for concurrent use.
type Agent struct {
	cfg            Config
	obsDim, actDim int
	critic         *critic
	planner        *Planner
	data           *dataset.Dataset

	actor *Actor
	aopt  ActorOptimizer
	subs  []*Actor // Eq. 7's sub-policies (nil until the first fit)
	// elbo holds the ELBO-Laplace variant's last-layer deviations of the
	// planner (nil until the first fit or for the other variants).
	elbo  [][]float32
	shift ShiftAware
	low   []float32
	high  []float32

	// Online episodes for the planner (SetOnline) and the row where the
	// current one began.
	online  *dataset.Dataset
	epStart int
	// The planner's prediction ŝ' for the last online action.
	pred      []float32
	hasPred   bool
	lastShift float64

	// ring holds the last LaplaceRows actor rows (φ, μ_base, a, w).
	ring ring

	updates, onlineUpdates, sinceRefit int64
	distilled, online0                 bool
	damping                            float64

	sTrain, sActor, sAct, sEval *rng.Stream

	metrics []agent.Metric
	buf     struct {
		obs, act, feat, plan, next, mean, vari tensor.Mat
		plans                                  tensor.Mat
		adv, w                                 []float32
	}
}

type ring struct {
	feat, plan, act []float32
	w               []float32
	n, pos          int
}

// New returns a DUAL agent for the offline dataset d (actions in [-1, 1])
// with observations of obsDim and actions of actDim values, every random
// stream derived from seed. It returns an error if cfg is invalid or d does
// not fit the dimensions.
func New(d *dataset.Dataset, obsDim, actDim int, cfg Config, seed uint64) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if d == nil {
		return nil, fmt.Errorf("dual: an offline dataset is required (the planner is fitted on it)")
	}
	if d.ObsDim != obsDim || d.ActDim != actDim {
		return nil, fmt.Errorf("dual: dataset is %d/%d wide, agent %d/%d", d.ObsDim, d.ActDim, obsDim, actDim)
	}
	a := &Agent{cfg: cfg, obsDim: obsDim, actDim: actDim, data: d,
		sTrain: rng.Derive(seed, "dual", "train"), sActor: rng.Derive(seed, "dual", "actor"),
		sAct: rng.Derive(seed, "dual", "act"), sEval: rng.Derive(seed, "dual", "eval")}
	var err error
	if a.critic, err = newCritic(cfg.Critic, obsDim, actDim, cfg.IQL, cfg.CalQL, cfg.SO2, seed); err != nil {
		return nil, err
	}
	if a.planner, err = NewPlanner(d, cfg.Planner, rng.Derive(seed, "dual", "planner-init")); err != nil {
		return nil, fmt.Errorf("dual: %w", err)
	}
	a.online = dataset.New(obsDim, actDim, 0)
	if err := a.planner.SetOnline(a.online, cfg.OnlineFraction); err != nil {
		return nil, fmt.Errorf("dual: %w", err)
	}
	a.actor = NewActor(actDim, obsDim)
	a.aopt.LR = cfg.ActorLR
	a.shift.Kappa = cfg.ShiftWeight
	if cfg.NoShiftAware {
		a.shift.Kappa = 0
	}
	a.low, a.high = make([]float32, actDim), make([]float32, actDim)
	for j := range a.low {
		a.low[j], a.high[j] = -1, 1
	}
	a.pred = make([]float32, obsDim)
	L := cfg.LaplaceRows
	a.ring = ring{feat: make([]float32, L*obsDim), plan: make([]float32, L*actDim), act: make([]float32, L*actDim), w: make([]float32, L)}
	return a, nil
}

// Config returns the configuration with defaults applied.
func (a *Agent) Config() Config { return a.cfg }

// Planner returns the agent's planner.
func (a *Agent) Planner() *Planner { return a.planner }

// Actor returns the MAP actor (the last layer Ŵ).
func (a *Agent) Actor() *Actor { return a.actor }

// SubPolicies returns the current Laplace sub-policies (nil before the
// first fit or with NoEpistemic).
func (a *Agent) SubPolicies() []*Actor { return a.subs }

// ShiftError returns ‖ŝ' − s'‖² of the last online transition.
func (a *Agent) ShiftError() float64 { return a.lastShift }

// ShiftVariance returns Eq. 8's extra sampling variance for the next
// action: κ times the last transition's error, 0 at an episode's start.
func (a *Agent) ShiftVariance() float64 { return a.shift.Variance() }

// Damping returns the largest δ the last Laplace fit added to a
// non-positive-definite precision block (0 when none was needed).
func (a *Agent) Damping() float64 { return a.damping }

// FitStateNorm fits the critic's state normaliser (IQL's) on the offline
// observations; the planner normalises with its own statistics of d.
func (a *Agent) FitStateNorm(obs []float32) error { return a.critic.FitStateNorm(obs) }

// Params returns the critic agent's and the planner network's trainable
// parameters (for numerics checks).
func (a *Agent) Params() []*nn.Param {
	return append(append([]*nn.Param(nil), a.critic.base.Params()...), a.planner.net.Params()...)
}

// plannerSteps is the number of offline updates that train the planner.
func (a *Agent) plannerSteps() int64 {
	if a.cfg.OfflineSteps == 0 {
		return math.MaxInt64
	}
	return int64(math.Ceil(a.cfg.PlannerFraction * float64(a.cfg.OfflineSteps)))
}

// updateDiffuser is Update for PolicyDiffuser: one planner step (Eq. 3),
// on the offline segments offline and fine-tuning online; no critic.
func (a *Agent) updateDiffuser() ([]agent.Metric, error) {
	loss, err := a.planner.FineTuneStep(a.sTrain)
	if err != nil {
		return nil, err
	}
	a.metrics = append(a.metrics[:0], agent.Metric{Name: metricPlannerLoss, Value: float64(loss)})
	a.updates++
	if a.online0 {
		a.onlineUpdates++
		a.metrics = append(a.metrics, agent.Metric{Name: metricShift, Value: a.lastShift})
	}
	return a.metrics, nil
}

// prepare distils the planner once (unless NoDistill or PolicyDiffuser).
func (a *Agent) prepare() error {
	if a.distilled || a.cfg.NoDistill || a.cfg.Policy == PolicyDiffuser {
		a.distilled = true
		return nil
	}
	dc := diffusion.DistillConfig{TargetSteps: a.cfg.Distill.TargetSteps, Iters: a.cfg.Distill.Iters,
		Batch: a.cfg.Distill.Batch, Adam: optim.AdamConfig{LR: a.cfg.Distill.LR}}
	if _, err := a.planner.Distill(dc, a.sTrain.Child("distill")); err != nil {
		return fmt.Errorf("dual: %w", err)
	}
	a.distilled = true
	return nil
}

// plan runs the acting planner: the student after distillation, else the
// teacher.
func (a *Agent) plan(act, next, obs *tensor.Mat, s *rng.Stream) error {
	if a.planner.student != nil && !a.cfg.NoDistill && a.cfg.Policy != PolicyDiffuser {
		return a.planner.ActDistilled(act, next, obs, s)
	}
	return a.planner.Act(act, next, obs, s)
}

// baseMean writes μ_base(s) into a.buf.plan for the rows of obs (and ŝ'
// into next if not nil): the planner's first action, or the critic
// package's actor mean with NoPlanner.
func (a *Agent) baseMean(obs, next *tensor.Mat, s *rng.Stream) error {
	n := obs.Rows
	a.buf.plan.Resize(n, a.actDim)
	if !a.cfg.NoPlanner {
		return a.plan(&a.buf.plan, next, obs, s)
	}
	if next != nil {
		scratch := tensor.New(n, a.actDim)
		if err := a.plan(scratch, next, obs, s); err != nil {
			return err
		}
	}
	return a.critic.base.ActBatch(obs.Data[:n*a.obsDim], a.buf.plan.Data[:n*a.actDim], true)
}

// Metric names Update reports after the critic's.
const (
	metricPlannerLoss = "loss/planner"
	metricActorLoss   = "loss/dual_actor"
	metricWeight      = "train/dual_weight_mean"
	metricShift       = "uncertainty/shift_error"
	metricDamping     = "uncertainty/laplace_damping"
)

// Update does one DUAL update on b (see Agent). It panics if b's widths do
// not match (a programmer error); an internal failure (a planner or
// distillation error) is reported as a NaN "loss/dual_error: …" metric, which the
// loop rejects.
func (a *Agent) Update(b *replay.Batch) []agent.Metric {
	m, err := a.update(b)
	if err != nil {
		return append(a.metrics[:0], agent.Metric{Name: "loss/dual_error: " + err.Error(), Value: math.NaN()})
	}
	return m
}

func (a *Agent) update(b *replay.Batch) ([]agent.Metric, error) {
	if a.cfg.Policy == PolicyDiffuser {
		return a.updateDiffuser()
	}
	base := a.critic.update(b)
	a.metrics = append(a.metrics[:0], base...)
	var plannerLoss float32
	var err error
	training := !a.online0 && a.updates < a.plannerSteps()
	switch {
	case training:
		if plannerLoss, err = a.planner.TrainStep(a.sTrain); err != nil {
			return nil, err
		}
	case a.online0:
		if plannerLoss, err = a.planner.FineTuneStep(a.sTrain); err != nil {
			return nil, err
		}
	}
	a.metrics = append(a.metrics, agent.Metric{Name: metricPlannerLoss, Value: float64(plannerLoss)})
	if !training {
		if err := a.prepare(); err != nil {
			return nil, err
		}
		loss, w, err := a.actorStep(b)
		if err != nil {
			return nil, err
		}
		a.metrics = append(a.metrics, agent.Metric{Name: metricActorLoss, Value: loss}, agent.Metric{Name: metricWeight, Value: w})
	}
	a.updates++
	if a.online0 {
		a.onlineUpdates++
		a.sinceRefit++
		if a.sinceRefit >= a.cfg.RefitEvery {
			if err := a.refit(); err != nil {
				return nil, err
			}
		}
		a.metrics = append(a.metrics, agent.Metric{Name: metricShift, Value: a.lastShift},
			agent.Metric{Name: metricDamping, Value: a.damping})
	}
	return a.metrics, nil
}

// actorStep takes one Adam step of Eq. 5 on the first ActorBatch rows of
// b, with weights from the critic's advantages, and keeps the rows for
// the Laplace fit. It returns the loss and the mean weight.
func (a *Agent) actorStep(b *replay.Batch) (float64, float64, error) {
	n := min(a.cfg.ActorBatch, b.Len())
	O, A := a.obsDim, a.actDim
	B := &a.buf
	B.obs.Resize(n, O)
	copy(B.obs.Data, b.Obs[:n*O])
	B.act.Resize(n, A)
	copy(B.act.Data, b.Act[:n*A])
	if err := a.baseMean(&B.obs, nil, a.sActor); err != nil {
		return 0, 0, err
	}
	B.feat.Resize(n, O)
	if err := a.planner.Features(&B.feat, &B.obs); err != nil {
		return 0, 0, err
	}
	B.adv = append(B.adv[:0], make([]float32, n)...)
	B.w = append(B.w[:0], make([]float32, n)...)
	if err := a.critic.advantages(B.adv, b.Obs, b.Act, n); err != nil {
		return 0, 0, err
	}
	AdvantageWeights(B.w, B.adv, a.cfg.Beta, a.cfg.MaxWeight)
	batch := Batch{Feat: &B.feat, Plan: &B.plan, Act: &B.act, Weight: B.w}
	loss, err := a.aopt.Step(a.actor, batch, 0)
	if err != nil {
		return 0, 0, err
	}
	var wm float64
	r := &a.ring
	L := len(r.w)
	for i := 0; i < n; i++ {
		copy(r.feat[r.pos*O:(r.pos+1)*O], B.feat.Row(i))
		copy(r.plan[r.pos*A:(r.pos+1)*A], B.plan.Row(i))
		copy(r.act[r.pos*A:(r.pos+1)*A], B.act.Row(i))
		r.w[r.pos] = B.w[i]
		r.pos = (r.pos + 1) % L
		r.n = min(r.n+1, L)
		wm += float64(B.w[i])
	}
	return loss, wm / float64(n), nil
}

// refit forms the Laplace posterior (Eq. 6) at the current MAP actor on the
// kept rows and draws new sub-policies (Eq. 7).
func (a *Agent) refit() error {
	a.sinceRefit = 0
	switch {
	case a.cfg.Policy == PolicyDiffuser || a.cfg.Uncertainty == UncertaintyLatent:
		return nil
	case a.cfg.Uncertainty == UncertaintyELBO:
		l, err := a.planner.FitELBOLaplace(a.cfg.LaplaceRows, a.cfg.PriorPrecision, a.sActor)
		if err != nil {
			return fmt.Errorf("dual: %w", err)
		}
		_, a.damping = l.Damped()
		a.elbo = l.Sample(a.cfg.Samples, a.sActor)
		return nil
	}
	if a.cfg.NoEpistemic || a.ring.n == 0 {
		a.subs = nil
		return nil
	}
	n, O, A := a.ring.n, a.obsDim, a.actDim
	b := Batch{Feat: &tensor.Mat{Rows: n, Cols: O, Data: a.ring.feat[:n*O]}, Plan: &tensor.Mat{Rows: n, Cols: A, Data: a.ring.plan[:n*A]},
		Act: &tensor.Mat{Rows: n, Cols: A, Data: a.ring.act[:n*A]}, Weight: a.ring.w[:n]}
	l, err := NewLaplace(a.actor, b, LaplaceConfig{PriorPrecision: a.cfg.PriorPrecision, Hessian: a.cfg.Hessian, Samples: a.cfg.Samples})
	if err != nil {
		return fmt.Errorf("dual: %w", err)
	}
	_, a.damping = l.Damped()
	a.subs = l.Sample(a.sActor)
	return nil
}

// actDiffuser writes the planner's first actions (PolicyDiffuser): the
// teacher plans from the states in a.buf.obs with stream s; with next set
// (exploring) ŝ' is kept for the shift metric.
func (a *Agent) actDiffuser(n int, act []float32, next *tensor.Mat, s *rng.Stream) error {
	B := &a.buf
	B.plan.Resize(n, a.actDim)
	if err := a.planner.Act(&B.plan, next, &B.obs, s); err != nil {
		return err
	}
	for i, m := range B.plan.Data[:n*a.actDim] {
		act[i] = min(max(m, -1), 1)
	}
	if next != nil && n == 1 {
		copy(a.pred, B.next.Row(0))
		a.hasPred = true
	}
	return nil
}

// StartOnline runs at the offline→online switch: it distils the planner
// and fits the first posterior if the offline phase has not, and switches
// the critic (Cal-QL's α) and the planner to online fine-tuning.
func (a *Agent) StartOnline() error {
	if a.online0 {
		return nil
	}
	if err := a.prepare(); err != nil {
		return err
	}
	a.online0 = true
	a.critic.startOnline()
	return a.refit()
}

// AfterEnvStep records an online transition: the shift error of Eq. 8
// between the planner's predicted next state and the observed one, and the
// transition itself for the planner's online segments.
func (a *Agent) AfterEnvStep(obs, act []float32, reward float32, next []float32, terminated, truncated bool) error {
	if a.hasPred {
		if err := a.shift.Observe(a.pred, next); err != nil {
			return err
		}
		a.lastShift = a.shift.Error()
		a.hasPred = false
	}
	a.online.Append(obs, act, reward, next, terminated, truncated)
	if terminated || truncated {
		a.planner.AddOnlineEpisode(a.epStart, a.online.Len())
		a.epStart = a.online.Len()
		a.shift.Reset()
	}
	return nil
}

// Act writes one action for obs: with deterministic set the MAP actor's
// mean; otherwise a draw of Eq. 8 (the sub-policies' aggregate, Eq. 7,
// widened by κ‖ŝ' − s'‖²), clipped to [-1, 1]. It returns an error for
// wrong lengths or a planner failure.
func (a *Agent) Act(obs, act []float32, deterministic bool) error {
	if _, err := agent.ActRows("dual", obs, act, a.obsDim, a.actDim, true); err != nil {
		return err
	}
	return a.act(1, obs, act, deterministic)
}

// ActBatch is Act for B row-major observations.
func (a *Agent) ActBatch(obs, act []float32, deterministic bool) error {
	n, err := agent.ActRows("dual", obs, act, a.obsDim, a.actDim, false)
	if err != nil {
		return err
	}
	return a.act(n, obs, act, deterministic)
}

func (a *Agent) act(n int, obs, act []float32, deterministic bool) error {
	O, A := a.obsDim, a.actDim
	B := &a.buf
	if !deterministic && !a.online0 {
		if err := a.StartOnline(); err != nil {
			return err
		}
	}
	B.obs.Resize(n, O)
	copy(B.obs.Data, obs[:n*O])
	s := a.sAct
	var next *tensor.Mat
	if deterministic {
		s = a.sEval
	} else {
		B.next.Resize(n, O)
		next = &B.next
	}
	if a.cfg.Policy == PolicyDiffuser {
		return a.actDiffuser(n, act, next, s)
	}
	latent := !deterministic && a.cfg.Uncertainty == UncertaintyLatent
	if latent {
		// Sample 0 of the N latents plays μ_plan's part for ŝ'.
		B.plans.Resize(a.cfg.Samples*n, A)
		if err := a.planner.ActSamples(&B.plans, next, &B.obs, a.cfg.Samples, s); err != nil {
			return err
		}
	} else if err := a.baseMean(&B.obs, next, s); err != nil {
		return err
	}
	elbo := !deterministic && a.cfg.Uncertainty == UncertaintyELBO && a.elbo != nil
	if elbo {
		B.plans.Resize(len(a.elbo)*n, A)
		if err := a.planner.ActPerturbed(&B.plans, &B.obs, a.elbo, s); err != nil {
			return err
		}
	}
	B.feat.Resize(n, O)
	if err := a.planner.Features(&B.feat, &B.obs); err != nil {
		return err
	}
	B.mean.Resize(n, A)
	B.vari.Resize(n, A)
	if latent || elbo {
		AggregatePlans(&B.mean, &B.vari, a.actor, &B.feat, &B.plans)
	} else {
		subs := a.subs
		if deterministic || subs == nil {
			subs = []*Actor{a.actor}
		}
		Aggregate(&B.mean, &B.vari, subs, &B.feat, &B.plan)
	}
	if deterministic {
		for i, m := range B.mean.Data[:n*A] {
			act[i] = min(max(m, -1), 1)
		}
		return nil
	}
	out := tensor.Mat{Rows: n, Cols: A, Data: act}
	SampleActions(&out, &B.mean, &B.vari, a.shift.Variance(), a.low, a.high, a.sAct)
	if n == 1 {
		copy(a.pred, B.next.Row(0))
		a.hasPred = true
	}
	return nil
}
