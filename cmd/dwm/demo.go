package main

import (
	"context"
	"io"

	"github.com/dwm-rl/dwm/experiment"
)

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	runsDir := fs.String("runs", "runs", "runs directory")
	quiet := fs.Bool("quiet", false, "no progress bars")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	return experiment.Demo(ctx, *runsDir, stdout, *quiet)
}
