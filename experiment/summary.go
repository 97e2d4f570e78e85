package experiment

import (
	"fmt"
	"io"
	"math"

	"github.com/dwm-rl/dwm/eval/stats"
	"github.com/dwm-rl/dwm/rng"
)

// SeedSummary aggregates the runs of one config over seeds, as rliable
// recommends: mean ± std, IQM with a stratified bootstrap 95% CI, for the
// final ("last") and the best evaluation of each run, on the normalized
// score when a reference exists and on the raw return otherwise.
type SeedSummary struct {
	Metric     string // "normalized return" or "return"
	Runs       int
	Last, Best []float64
	LastMean   float64
	LastStd    float64
	LastIQM    stats.Interval
	BestIQM    stats.Interval
}

// SummarizeSeeds computes a SeedSummary of results (at least one
// evaluation each).
func SummarizeSeeds(results []Result) (SeedSummary, error) {
	s := SeedSummary{Metric: "normalized return"}
	for _, r := range results {
		if _, ok := r.Final(); !ok || r.Reference == nil {
			s.Metric = "return"
		}
	}
	for _, r := range results {
		f, ok := r.Final()
		if !ok {
			return s, fmt.Errorf("run %s has no evaluation", r.Name)
		}
		val := func(i int) float64 {
			if s.Metric == "return" {
				return r.Evaluations[i].Return
			}
			return r.Evaluations[i].Normalized
		}
		_ = f
		best := math.Inf(-1)
		for i := range r.Evaluations {
			best = max(best, val(i))
		}
		s.Last = append(s.Last, val(len(r.Evaluations)-1))
		s.Best = append(s.Best, best)
	}
	s.Runs = len(s.Last)
	s.LastMean, s.LastStd = stats.Mean(s.Last), stats.Std(s.Last)
	var err error
	if s.LastIQM, err = stats.StratifiedBootstrapCI([][]float64{s.Last}, stats.AggregateIQM, 10000, 0.95, rng.Derive(0, "summary", "last")); err != nil {
		return s, err
	}
	if s.BestIQM, err = stats.StratifiedBootstrapCI([][]float64{s.Best}, stats.AggregateIQM, 10000, 0.95, rng.Derive(0, "summary", "best")); err != nil {
		return s, err
	}
	return s, nil
}

// WriteSeedSummary prints the SeedSummary of results.
func WriteSeedSummary(w io.Writer, results []Result) {
	s, err := SummarizeSeeds(results)
	if err != nil {
		fmt.Fprintf(w, "no summary: %v\n", err)
		return
	}
	fmt.Fprintf(w, "%d seeds, %s:\n", s.Runs, s.Metric)
	fmt.Fprintf(w, "  last: mean %.1f ± %.1f (std), IQM %.1f [95%% CI %.1f, %.1f]\n", s.LastMean, s.LastStd, s.LastIQM.Point, s.LastIQM.Lo, s.LastIQM.Hi)
	fmt.Fprintf(w, "  best: IQM %.1f [95%% CI %.1f, %.1f]\n", s.BestIQM.Point, s.BestIQM.Lo, s.BestIQM.Hi)
}
