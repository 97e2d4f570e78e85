package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/dwm-rl/dwm/report"
	"github.com/dwm-rl/dwm/track"
)

func storePathOf(store, runsDir string) string {
	if store != "" {
		return store
	}
	return filepath.Join(runsDir, "dwm.db")
}

func openStore(store, runsDir string) (*track.Store, error) {
	p := storePathOf(store, runsDir)
	if _, err := os.Stat(p); err != nil {
		return nil, fmt.Errorf("no run store at %s (train a run first, or pass --store)", p)
	}
	return track.Open(p)
}

func cmdRuns(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("runs", stderr)
	runsDir := fs.String("runs", "runs", "runs directory")
	storePath := fs.String("store", "", "run store (default <runs>/dwm.db)")
	filter := fs.String("filter", "", "run filter, e.g. 'sweep1__*,algo=iql,status=done'")
	csv := fs.Bool("csv", false, "export as CSV (export; the default)")
	jsonl := fs.Bool("jsonl", false, "export as JSON lines (export)")
	dry := fs.Bool("dry-run", false, "rm: list what would be removed")
	keep := fs.Bool("keep-files", false, "rm: keep the runs' directories (checkpoints, config) on disk")
	all := fs.Bool("all", false, "rm: allow removing every run")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return fmt.Errorf("want list, show RUN, rm RUN|--filter F, or export [--csv|--jsonl]")
	}
	s, err := openStore(*storePath, *runsDir)
	if err != nil {
		return err
	}
	defer s.Close()
	f, err := report.ParseFilter(*filter)
	if err != nil {
		return err
	}
	switch pos[0] {
	case "list":
		return report.ListRuns(stdout, s, f)
	case "show":
		if len(pos) != 2 {
			return fmt.Errorf("show wants one run name or id")
		}
		return report.ShowRun(stdout, s, pos[1])
	case "diff":
		if len(pos) != 3 {
			return fmt.Errorf("diff wants two run names or ids")
		}
		return report.WriteDiff(stdout, s, pos[1], pos[2])
	case "rm":
		if len(pos) == 2 {
			if f, err = report.ParseFilter("name=" + pos[1]); err != nil {
				return err
			}
		}
		_, err := report.RemoveRuns(stdout, s, f, report.RemoveOptions{DryRun: *dry, All: *all, KeepFiles: *keep})
		return err
	case "export":
		if *jsonl && *csv {
			return fmt.Errorf("export: choose one of --csv and --jsonl")
		}
		if *jsonl {
			return s.ExportJSONL(stdout, f)
		}
		return s.ExportCSV(stdout, f)
	}
	return fmt.Errorf("unknown runs verb %q: want list, show, diff, rm or export", pos[0])
}

func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("report", stderr)
	runsDir := fs.String("runs", "runs", "runs directory")
	storePath := fs.String("store", "", "run store (default <runs>/dwm.db)")
	filter := fs.String("filter", "", "run filter, e.g. 'sweep1__*,status=done'")
	out := fs.String("out", "reports", "output directory")
	metric := fs.String("metric", "", "learning-curve metric (default eval/normalized_return, else eval/return)")
	percent := fs.Float64("percent", 0, "X in steps-to-X% of the reference (default 90)")
	ref := fs.Float64("reference", 0, "reference score for steps-to-X% (default 100 on normalized scores)")
	ofBest := fs.Bool("of-best", false, "steps-to-X% of each task's best IQM over the methods (instead of --reference)")
	versus := fs.String("versus", "", "a method: add the probability that its runs end above each other method's (rliable's probability of improvement)")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	f, err := report.ParseFilter(*filter)
	if err != nil {
		return err
	}
	res, err := report.BuildFile(storePathOf(*storePath, *runsDir), f, *out,
		report.Options{Metric: *metric, Percent: *percent, Reference: *ref, OfBest: *ofBest, Versus: *versus})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "report of %d runs: %s, %s and %d figures\n", len(res.Runs), res.HTML, res.Markdown, len(res.Figures))
	return nil
}
