package stats

import (
	"fmt"
	"math"
	"slices"

	"github.com/dwm-rl/dwm/rng"
)

// The rest of rliable's toolbox (Agarwal et al. 2021, section 4): the
// median and the optimality gap as aggregates, the probability that one
// method improves on another, and performance profiles (run-score
// distributions). Scores are grouped by task as everywhere in this package:
// scores[t] holds one value per run of task t.

// AggregateMedian returns the median over tasks of each task's mean over
// runs (rliable's aggregate_median). It is NaN when there are no tasks or a
// score is NaN.
func AggregateMedian(scores [][]float64) float64 {
	if len(scores) == 0 {
		return math.NaN()
	}
	means := make([]float64, len(scores))
	for t, runs := range scores {
		means[t] = Mean(runs)
	}
	if hasNaN(means) {
		return math.NaN()
	}
	slices.Sort(means)
	return quantileSorted(means, 0.5)
}

// OptimalityGap returns the aggregate γ − mean(min(score, γ)) over every run
// of every task (rliable's aggregate_optimality_gap): how far the runs fall
// short of the target γ, with scores above it counting as γ (100 for D4RL
// normalized scores, the expert). Lower is better.
func OptimalityGap(gamma float64) Aggregate {
	return func(scores [][]float64) float64 {
		var sum float64
		var n int
		for _, runs := range scores {
			for _, v := range runs {
				if math.IsNaN(v) {
					return math.NaN()
				}
				sum += min(v, gamma)
				n++
			}
		}
		if n == 0 {
			return math.NaN()
		}
		return gamma - sum/float64(n)
	}
}

// ProbabilityOfImprovement returns P(X > Y): the probability that a run of
// method X scores higher than a run of method Y on the same task, averaged
// over tasks, ties counting one half (rliable's probability_of_improvement:
// the Mann–Whitney U statistic of each task divided by n_x·n_y). x[t] and
// y[t] hold the runs of the two methods on task t; the tasks must pair up
// and none may be empty. P(X > Y) + P(Y > X) = 1. It returns an error for
// mismatched or empty tasks and NaN scores.
func ProbabilityOfImprovement(x, y [][]float64) (float64, error) {
	if err := checkPaired(x, y); err != nil {
		return math.NaN(), err
	}
	return poi(x, y), nil
}

func checkPaired(x, y [][]float64) error {
	if len(x) == 0 || len(x) != len(y) {
		return fmt.Errorf("stats: probability of improvement: %d tasks for X and %d for Y; want the same tasks, at least one", len(x), len(y))
	}
	for t := range x {
		if len(x[t]) == 0 || len(y[t]) == 0 {
			return fmt.Errorf("stats: probability of improvement: task %d has %d runs of X and %d of Y; want at least one of each", t, len(x[t]), len(y[t]))
		}
		if hasNaN(x[t]) || hasNaN(y[t]) {
			return fmt.Errorf("stats: probability of improvement: task %d has a NaN score", t)
		}
	}
	return nil
}

// poi is ProbabilityOfImprovement on checked input.
func poi(x, y [][]float64) float64 {
	var sum float64
	for t := range x {
		var u float64
		for _, a := range x[t] {
			for _, b := range y[t] {
				switch {
				case a > b:
					u++
				case a == b:
					u += 0.5
				}
			}
		}
		sum += u / float64(len(x[t])*len(y[t]))
	}
	return sum / float64(len(x))
}

// ProbabilityOfImprovementCI returns P(X > Y) with a percentile-bootstrap
// confidence interval of the given level. Each resample draws, for every
// task, the runs of X and, independently, the runs of Y with replacement
// from that task's own runs (rliable's StratifiedIndependentBootstrap: the
// two methods' runs are independent samples). Draws come from s alone. The
// errors are ProbabilityOfImprovement's and StratifiedBootstrapCI's.
func ProbabilityOfImprovementCI(x, y [][]float64, resamples int, confidence float64, s *rng.Stream) (Interval, error) {
	if err := checkPaired(x, y); err != nil {
		return Interval{}, err
	}
	if err := checkBootstrap(resamples, confidence, s); err != nil {
		return Interval{}, err
	}
	iv := Interval{Point: poi(x, y)}
	bx, by := resampleBuffers(x), resampleBuffers(y)
	vals := make([]float64, resamples)
	for i := range vals {
		resample(bx, x, s)
		resample(by, y, s)
		vals[i] = poi(bx, by)
	}
	slices.Sort(vals)
	iv.Lo = quantileSorted(vals, (1-confidence)/2)
	iv.Hi = quantileSorted(vals, (1+confidence)/2)
	return iv, nil
}

// ScoreDistribution returns a performance profile: for each threshold τ of
// taus, the fraction of all runs (of all tasks) whose score exceeds τ
// (rliable's run-score distribution; each task weighs by its number of
// runs). A curve that lies above another everywhere is stochastically
// dominant. NaN scores count as not exceeding any τ.
func ScoreDistribution(scores [][]float64, taus []float64) []float64 {
	out := make([]float64, len(taus))
	scoreDistributionTo(out, scores, taus)
	return out
}

func scoreDistributionTo(dst []float64, scores [][]float64, taus []float64) {
	var n int
	for _, runs := range scores {
		n += len(runs)
	}
	for i, tau := range taus {
		var above int
		for _, runs := range scores {
			for _, v := range runs {
				if v > tau {
					above++
				}
			}
		}
		dst[i] = math.NaN()
		if n > 0 {
			dst[i] = float64(above) / float64(n)
		}
	}
}

// ScoreDistributionCI returns ScoreDistribution with a pointwise stratified
// bootstrap confidence band: for each τ an Interval whose Point is the
// fraction of runs above τ. The errors are StratifiedBootstrapCI's.
func ScoreDistributionCI(scores [][]float64, taus []float64, resamples int, confidence float64, s *rng.Stream) ([]Interval, error) {
	if len(scores) == 0 {
		return nil, fmt.Errorf("stats: score distribution: no tasks")
	}
	for t, runs := range scores {
		if len(runs) == 0 {
			return nil, fmt.Errorf("stats: score distribution: task %d has no runs", t)
		}
	}
	if err := checkBootstrap(resamples, confidence, s); err != nil {
		return nil, err
	}
	out := make([]Interval, len(taus))
	point := ScoreDistribution(scores, taus)
	vals := make([][]float64, len(taus))
	for i := range vals {
		vals[i] = make([]float64, resamples)
	}
	buf := resampleBuffers(scores)
	frac := make([]float64, len(taus))
	for r := 0; r < resamples; r++ {
		resample(buf, scores, s)
		scoreDistributionTo(frac, buf, taus)
		for i, f := range frac {
			vals[i][r] = f
		}
	}
	for i := range out {
		slices.Sort(vals[i])
		out[i] = Interval{Point: point[i], Lo: quantileSorted(vals[i], (1-confidence)/2), Hi: quantileSorted(vals[i], (1+confidence)/2)}
	}
	return out, nil
}

func checkBootstrap(resamples int, confidence float64, s *rng.Stream) error {
	switch {
	case resamples < 1:
		return fmt.Errorf("stats: bootstrap: resamples = %d, need >= 1", resamples)
	case !(confidence > 0 && confidence < 1):
		return fmt.Errorf("stats: bootstrap: confidence %v outside (0, 1)", confidence)
	case s == nil:
		return fmt.Errorf("stats: bootstrap: nil random stream")
	}
	return nil
}

func resampleBuffers(scores [][]float64) [][]float64 {
	buf := make([][]float64, len(scores))
	for t, runs := range scores {
		buf[t] = make([]float64, len(runs))
	}
	return buf
}

// resample fills buf[t] with len(scores[t]) draws with replacement from
// scores[t], for every task t.
func resample(buf, scores [][]float64, s *rng.Stream) {
	for t, runs := range scores {
		b := buf[t]
		for j := range b {
			b[j] = runs[s.IntN(len(runs))]
		}
	}
}
