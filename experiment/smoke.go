package experiment

// SmokeSteps caps each phase of a smoke run (Smoke): enough for the loop's
// logging, evaluation and checkpoint periods to fire and for the
// offline→online switch to happen, in seconds.
const SmokeSteps = 40

// Smoke returns c shrunk for a smoke run — PyTorch Lightning's
// fast_dev_run, here for a whole benchmark configuration: every phase and
// every mechanism of the run happens once or twice (the world-model fit,
// η, imagination and its filter, the quality report, behaviour cloning,
// the switch and the online phase with its mixing, planner training,
// distillation and the Laplace refit, DAWM's generation, evaluations and
// checkpoints), with the run's own networks, data and settings, on budgets
// of a few dozen steps. It catches what a configuration would only hit
// hours into a benchmark (a bad override, a NaN metric at the first log, a
// failure at the switch) without its cost; its scores mean nothing.
//
// What it changes: each phase's budget is capped at SmokeSteps (a phase of
// 0 steps stays off), the loop's periods are set so that logging,
// evaluation (one episode) and checkpoints happen within them, batches are
// capped at 32 rows, and each algorithm's inner step counts (model fits,
// cloning, distillation stages, Laplace refits, generation) at a handful.
// Model caches are turned off, so a smoke run neither reads a real run's
// fitted model nor leaves one behind. Zero fields are taken as their
// (large) defaults and capped too. Smoke is applied before Resolve, so
// values derived from the budgets (IQL's schedule, DUAL's planner phase)
// follow the shrunk ones.
func Smoke(c Config) Config {
	c = c.WithDefaults()
	t := &c.Train
	for _, s := range []*int64{&t.OfflineSteps, &t.OnlineSteps} {
		if *s > SmokeSteps {
			*s = SmokeSteps
		}
	}
	t.LearningStarts = min(t.LearningStarts, SmokeSteps/4)
	t.EvalEvery, t.EvalEpisodes = SmokeSteps/2, 1
	t.CheckpointEvery, t.LogEvery = SmokeSteps/2, SmokeSteps/4
	t.NumericsEvery = SmokeSteps / 4
	capInt(&t.BatchSize, 32)

	switch c.Algo {
	case "bdwm", "mopo", "diamond":
		smokeBDWM(&c)
	case "dawm":
		smokeDAWM(&c)
	case "dual":
		smokeDual(&c)
	}
	return c
}

func smokeBDWM(c *Config) {
	b := &c.BDWM
	b.ModelCache = "off"
	capInt(&b.ModelSteps, 10)
	capInt(&b.Model.BatchSize, 32)
	capInt(&b.EtaSamples, 200)
	capInt(&b.RolloutBatch, 32)
	capInt(&b.RolloutEvery, SmokeSteps/2)
	b.ImagCapacity = 0 // its default follows the rollout batch
	capInt(&b.SigmaBatch, 32)
	capInt(&b.SigmaEvery, SmokeSteps/4)
	capInt(&b.SigmaMaxEpisodes, 1)
	capInt(&b.OfflineBCSteps, 10)
	capInt(&b.OfflineBCBatch, 32)
	capInt(&b.BCSteps, SmokeSteps/2)
	capInt(&b.ModelTrainEvery, SmokeSteps/2)
	capInt(&b.ModelTrainSteps, 2)
	capInt(&b.QualityEvery, SmokeSteps/2)
	capInt(&b.QualitySamples, 100)
}

func smokeDAWM(c *Config) {
	w := &c.DAWM
	w.Cache = "off"
	capInt(&w.ModelSteps, 10)
	capInt(&w.ModelBatch, 8)
	capInt(&w.IDMSteps, 10)
	if w.PerSequence < 1 {
		w.PerSequence = 1
	}
	w.Transitions = 64 * w.PerSequence
}

func smokeDual(c *Config) {
	d := &c.DUAL
	capInt(&d.Distill.Iters, 5)
	capInt(&d.Distill.Batch, 16)
	capInt(&d.Planner.Batch, 16)
	capInt(&d.ActorBatch, 16)
	capInt(&d.LaplaceRows, 128)
	if d.RefitEvery == 0 || d.RefitEvery > SmokeSteps/4 {
		d.RefitEvery = SmokeSteps / 4
	}
	if d.OfflineSteps > c.Train.OfflineSteps {
		d.OfflineSteps = c.Train.OfflineSteps
	}
}

// capInt sets *v to limit when it is 0 (a default, taken as large) or
// above limit.
func capInt(v *int, limit int) {
	if *v == 0 || *v > limit {
		*v = limit
	}
}
