package experiment

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// DemoConfig is the main job on the small embedded default: SAC learning
// Pendulum online for 15k steps. (It becomes BDWM on the embedded Pendulum
// dataset once the world model lands.)
func DemoConfig(runsDir string) Config {
	c := Default("sac", "pendulum")
	c.RunsDir = runsDir
	c.Train.OnlineSteps = 15000
	c.Train.LearningStarts = 1000
	c.Train.EvalEvery = 2500
	return c.WithDefaults()
}

// Demo runs DemoConfig and prints what it reached against the reference.
func Demo(ctx context.Context, runsDir string, out io.Writer, quiet bool) error {
	c := DemoConfig(runsDir)
	if err := os.MkdirAll(runsDir, 0o755); err != nil {
		return err
	}
	fmt.Fprintf(out, "dwm demo: SAC on %s for %d steps (seed %d); runs in %s\n", c.Env, c.Train.OnlineSteps, c.Seed, filepath.Clean(runsDir))
	res, err := Run(ctx, c, Options{Out: out, Quiet: quiet})
	if err != nil {
		return err
	}
	if res.Interrupted {
		fmt.Fprintf(out, "interrupted; continue with: dwm train --resume %s --runs %s\n", res.Name, runsDir)
		return nil
	}
	f, ok := res.Final()
	if !ok {
		return fmt.Errorf("demo run %s made no evaluation", res.Name)
	}
	fmt.Fprintf(out, "\nresult: final evaluation return %.1f over %d episodes\n", f.Return, len(f.Episodes))
	if ref := res.Reference; ref != nil {
		fmt.Fprintf(out, "reference (%s): random policy %.1f, expert controller %.1f → normalized score %.1f\n",
			ref.Name, ref.Random, ref.Expert, f.Normalized)
	}
	fmt.Fprintf(out, "published SAC on Gymnasium Pendulum-v1 settles around -150 to -200 (a return above -200 counts as solved here)\n")
	if f.Return >= -200 {
		fmt.Fprintln(out, "verdict: solved")
	} else {
		fmt.Fprintln(out, "verdict: not solved within the demo budget")
	}
	fmt.Fprintf(out, "inspect it: dwm runs show %s --runs %s\n", res.Name, runsDir)
	return nil
}
