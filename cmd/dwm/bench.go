package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/dwm-rl/dwm/bench"
)

// cmdBench runs `dwm bench [SUITE ...] [--out DIR] [--threads N]
// [--min-time D] [--repeats N] [--dims pendulum|hopper] [--seed S] [--only NAME],
// or `dwm bench --replot bench.json [--out DIR]`.
func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stderr)
	out := fs.String("out", "", "directory for bench.json and the plots")
	threads := fs.Int("threads", 0, "GOMAXPROCS during the run (default 2)")
	minTime := fs.Duration("min-time", 0, "least time of one repetition (default 300ms)")
	repeats := fs.Int("repeats", 0, "repetitions per figure, median reported (default 3)")
	dims := fs.String("dims", "", "dual suite sizes: pendulum (3/1, default) or hopper (11/3)")
	seed := fs.Uint64("seed", 0, "seed of the networks and the sampling noise")
	only := fs.String("only", "", "time only the figures whose name contains this")
	replot := fs.String("replot", "", "instead of measuring, print the table and write the plots (to --out) of this bench.json")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: dwm bench [%s ...] [flags]\n", strings.Join(bench.SuiteNames(), "|"))
		fs.PrintDefaults()
	}
	suites, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *replot != "" {
		rep, err := bench.ReadReport(*replot)
		if err != nil {
			return err
		}
		if err := bench.WriteTable(stdout, rep); err != nil {
			return err
		}
		if *out == "" {
			return nil
		}
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", *out, err)
		}
		return bench.WritePlots(*out, rep)
	}
	cfg := bench.Config{Suites: suites, Threads: *threads, MinTime: *minTime, Repeats: *repeats, Dims: *dims, Out: *out, Seed: *seed, Only: *only}
	if err := cfg.Validate(); err != nil {
		return err
	}
	start := time.Now()
	if _, err := bench.Run(ctx, cfg, stdout, stderr); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "bench: done in %v\n", time.Since(start).Round(time.Second))
	return nil
}
