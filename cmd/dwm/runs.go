package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/dwm-rl/dwm/track"
)

func cmdRuns(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("runs", stderr)
	runsDir := fs.String("runs", "runs", "runs directory")
	storePath := fs.String("store", "", "run store (default <runs>/dwm.db)")
	csv := fs.Bool("csv", false, "export as CSV (export)")
	jsonl := fs.Bool("jsonl", false, "export as JSON lines (export)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return fmt.Errorf("want list, show RUN, rm RUN or export")
	}
	p := *storePath
	if p == "" {
		p = filepath.Join(*runsDir, "dwm.db")
	}
	if _, err := os.Stat(p); err != nil {
		return fmt.Errorf("no run store at %s (train a run first, or pass --store)", p)
	}
	s, err := track.Open(p)
	if err != nil {
		return err
	}
	defer s.Close()
	switch pos[0] {
	case "list":
		runs, err := s.ListRuns(track.Filter{})
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tALGO\tENV\tSEED\tSTATUS\tUPDATED")
		for _, r := range runs {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\n", r.ID, r.Name, r.Algo, r.Env, r.Seed, r.Status, r.Updated.Format("2006-01-02 15:04"))
		}
		return tw.Flush()
	case "show", "rm":
		if len(pos) != 2 {
			return fmt.Errorf("%s wants one run name", pos[0])
		}
		r, err := s.RunByName(pos[1])
		if err != nil {
			return err
		}
		if pos[0] == "rm" {
			if err := s.DeleteRun(r.ID); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "removed run %s from the store (its directory %s is kept)\n", r.Name, r.Dir)
			return nil
		}
		fmt.Fprintf(stdout, "run %s (id %d)\nalgo %s, env %s, seed %d, status %s\ndir %s\ncommit %s, host %s\nconfig %s\n",
			r.Name, r.ID, r.Algo, r.Env, r.Seed, r.Status, r.Dir, r.Provenance.GitCommit, r.Provenance.Host, r.Config)
		names, err := s.MetricNames(r.ID)
		if err != nil {
			return err
		}
		for _, n := range names {
			pts, err := s.Metrics(r.ID, n)
			if err != nil || len(pts) == 0 {
				continue
			}
			last := pts[len(pts)-1]
			fmt.Fprintf(stdout, "  %-28s %d points, last %.4g at step %d\n", n, len(pts), last.Value, last.Step)
		}
		return nil
	case "export":
		if *jsonl {
			return s.ExportJSONL(stdout, track.Filter{})
		}
		_ = csv
		return s.ExportCSV(stdout, track.Filter{})
	}
	return fmt.Errorf("unknown runs verb %q: want list, show, rm or export", pos[0])
}
