package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/dwm-rl/dwm/envs"
)

func cmdEnvs(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("envs", stderr)
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSOURCE\tOBS\tACT\tLIMIT\tDT\tRANDOM\tEXPERT\tPARAMETERS")
	for _, in := range envs.List() {
		if in.Err != nil {
			fmt.Fprintf(tw, "%s\t%s\tunavailable: %v\n", in.ID, in.Source, in.Err)
			continue
		}
		rnd, exp := "-", "-"
		if r, ok := envs.ReferenceFor(in.ID); ok {
			rnd, exp = fmt.Sprintf("%.1f", r.Random), fmt.Sprintf("%.1f", r.Expert)
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%v\t%d\t%g\t%s\t%s\t%s\n", in.ID, in.Source, in.Obs, in.Act, in.MaxSteps, in.DT, rnd, exp, in.Params)
	}
	return tw.Flush()
}
