package stats

import (
	"fmt"
	"math"
	"slices"

	"github.com/dwm-rl/dwm/rng"
)

// DefaultResamples is rliable's default number of bootstrap resamples
// (get_interval_estimates, reps=50000).
const DefaultResamples = 50000

// Interval is a point estimate with a confidence interval [Lo, Hi].
type Interval struct {
	Point, Lo, Hi float64
}

// Aggregate maps scores grouped by task (scores[t] holds one value per run of
// task t) to one number. It must not keep or modify its argument.
type Aggregate func(scores [][]float64) float64

// AggregateIQM pools every run of every task and returns their IQM, as
// rliable's aggregate_iqm does over its runs × tasks matrix.
func AggregateIQM(scores [][]float64) float64 {
	var n int
	for _, t := range scores {
		n += len(t)
	}
	pool := make([]float64, 0, n)
	for _, t := range scores {
		pool = append(pool, t...)
	}
	if n == 0 || hasNaN(pool) {
		return math.NaN()
	}
	slices.Sort(pool)
	return iqmSorted(pool)
}

// AggregateMean returns the mean over tasks of each task's mean over runs
// (rliable's aggregate_mean).
func AggregateMean(scores [][]float64) float64 {
	if len(scores) == 0 {
		return math.NaN()
	}
	var s float64
	for _, t := range scores {
		s += Mean(t)
	}
	return s / float64(len(scores))
}

// StratifiedBootstrapCI returns stat of scores (scores[t] holds one value per
// run of task t) with a percentile-bootstrap confidence interval of the given
// level (0.95 for 95%). Each of the resamples draws, independently for every
// task, as many runs as that task has, with replacement, from that task's
// runs only (stratified by task, as rliable's StratifiedBootstrap), and
// applies stat; Lo and Hi are the (1−confidence)/2 and (1+confidence)/2
// quantiles of the resampled statistics, interpolated as NumPy does. Draws
// come from s alone, so the same stream state gives the same interval.
//
// It returns an error if there are no tasks, a task has no runs, a score is
// NaN, resamples < 1, confidence is not in (0, 1), s is nil, or stat returns
// NaN for a resample.
func StratifiedBootstrapCI(scores [][]float64, stat Aggregate, resamples int, confidence float64, s *rng.Stream) (Interval, error) {
	if len(scores) == 0 {
		return Interval{}, fmt.Errorf("stats: bootstrap: no tasks")
	}
	for t, runs := range scores {
		if len(runs) == 0 {
			return Interval{}, fmt.Errorf("stats: bootstrap: task %d has no runs", t)
		}
		for r, v := range runs {
			if math.IsNaN(v) {
				return Interval{}, fmt.Errorf("stats: bootstrap: task %d run %d score is NaN", t, r)
			}
		}
	}
	if err := checkBootstrap(resamples, confidence, s); err != nil {
		return Interval{}, err
	}
	if stat == nil {
		return Interval{}, fmt.Errorf("stats: bootstrap: nil statistic")
	}
	iv := Interval{Point: stat(scores)}
	buf := resampleBuffers(scores)
	vals := make([]float64, resamples)
	for i := range vals {
		resample(buf, scores, s)
		v := stat(buf)
		if math.IsNaN(v) {
			return Interval{}, fmt.Errorf("stats: bootstrap: statistic is NaN on resample %d", i)
		}
		vals[i] = v
	}
	slices.Sort(vals)
	iv.Lo = quantileSorted(vals, (1-confidence)/2)
	iv.Hi = quantileSorted(vals, (1+confidence)/2)
	return iv, nil
}
