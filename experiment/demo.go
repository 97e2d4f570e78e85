package experiment

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/dwm-rl/dwm/config"
	"github.com/dwm-rl/dwm/envs"
	"github.com/dwm-rl/dwm/train"
)

// demoOverrides size BDWM for a few minutes on 2 cores (measured: 3.5
// CPU-minutes for the whole run): a 2000-step world-model fit, imagination
// from 200 start states every 500 steps, BC annealed over the first 2000
// online steps. Everything else is the paper's and dwm's defaults.
var demoOverrides = []string{
	"bdwm.model_steps=2000", "bdwm.rollout_batch=200", "bdwm.rollout_every=500",
	"bdwm.eta_samples=2000", "bdwm.quality_samples=500", "bdwm.bc_steps=2000",
	"train.eval_every=1000",
}

// DemoConfig is the main job on the small embedded default: BDWM on the
// embedded pendulum-medium dataset, 5000 offline updates then 5000 online
// steps.
func DemoConfig(runsDir string) (Config, error) {
	c := Config{Algo: "bdwm", Env: "pendulum", Dataset: "pendulum-medium", RunsDir: runsDir}
	c.Train.OfflineSteps, c.Train.OnlineSteps = 5000, 5000
	for _, o := range demoOverrides {
		if err := config.Set(&c, o); err != nil {
			return c, err
		}
	}
	return c.WithDefaults(), nil
}

// Demo runs DemoConfig and prints what it reached against the reference. A
// run stopped by ctx's cancellation prints how to continue it and returns
// an error wrapping train.ErrInterrupted.
func Demo(ctx context.Context, runsDir string, out io.Writer, quiet bool) error {
	c, err := DemoConfig(runsDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(runsDir, 0o755); err != nil {
		return err
	}
	fmt.Fprintf(out, "dwm demo: BDWM on the embedded %s dataset (%s), %d offline updates then %d online steps, seed %d; runs in %s\n",
		c.Dataset, c.Env, c.Train.OfflineSteps, c.Train.OnlineSteps, c.Seed, filepath.Clean(runsDir))
	res, err := Run(ctx, c, Options{Out: out, Quiet: quiet})
	if err != nil {
		return err
	}
	if !res.Done {
		fmt.Fprintf(out, "interrupted; continue with: dwm train --resume %s --runs %s\n", res.Name, runsDir)
		return fmt.Errorf("demo run %s: %w", res.Name, train.ErrInterrupted)
	}
	f, ok := res.Final()
	if !ok {
		return fmt.Errorf("demo run %s made no evaluation", res.Name)
	}
	var offline *float64
	for _, e := range res.Evaluations {
		if e.Phase == "offline" {
			v := e.Normalized
			offline = &v
		}
	}
	fmt.Fprintf(out, "\nresult: final evaluation return %.1f over %d episodes\n", f.Return, len(f.Episodes))
	if ref := res.Reference; ref != nil {
		fmt.Fprintf(out, "normalized score (reference: %s; random %.1f = 0, expert %.1f = 100):\n", ref.Name, ref.Random, ref.Expert)
		d, err := LoadDataset(c.Dataset)
		if err == nil {
			var sum float64
			rets := d.EpisodeReturns()
			for _, r := range rets {
				sum += r
			}
			fmt.Fprintf(out, "  behaviour data (pendulum-medium)  %6.1f\n", 100*(sum/float64(len(rets))-ref.Random)/(ref.Expert-ref.Random))
		}
		if offline != nil {
			fmt.Fprintf(out, "  BDWM after the offline phase      %6.1f\n", *offline)
		}
		fmt.Fprintf(out, "  BDWM after the online phase       %6.1f\n", f.Normalized)
	}
	if r, ok := envs.ReferenceFor(c.Env); ok {
		fmt.Fprintf(out, "(the expert reference is dwm's energy-shaping + LQR controller, measured over %d episodes)\n", r.Episodes)
	}
	fmt.Fprintf(out, "inspect it: dwm runs show %s --runs %s; report: dwm report --runs %s\n", res.Name, runsDir, runsDir)
	return nil
}
