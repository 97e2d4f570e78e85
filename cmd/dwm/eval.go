package main

import (
	"context"
	"fmt"
	"io"

	"github.com/dwm-rl/dwm/experiment"
)

func cmdEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", stderr)
	runRef := fs.String("run", "", "run name or directory")
	episodes := fs.Int("episodes", 10, "evaluation episodes")
	seed := fs.Uint64("seed", 12345, "evaluation seed")
	runsDir := fs.String("runs", "runs", "runs directory")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *runRef == "" {
		return fmt.Errorf("want --run RUN and no other arguments")
	}
	r, err := experiment.Evaluate(*runRef, *runsDir, *episodes, *seed)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "run %s, checkpoint at step %d, %d episodes: return %.1f ± %.1f",
		r.Name, r.Step, len(r.Episodes), r.Return, r.ReturnStd)
	if r.Reference != nil {
		fmt.Fprintf(stdout, ", normalized %.1f (reference: %s)", r.Normalized, r.Reference.Name)
	}
	if r.SuccessRate > 0 || r.SuccessSteps > 0 { // Adroit's rule is set even when no episode succeeded
		fmt.Fprintf(stdout, ", success %.0f%%", 100*r.SuccessRate)
	}
	fmt.Fprintln(stdout)
	return nil
}
