package stats

import (
	"fmt"
	"math"
)

// Last returns the final value of a learning curve, or NaN if it is empty.
func Last(values []float64) float64 {
	if len(values) == 0 {
		return math.NaN()
	}
	return values[len(values)-1]
}

// Best returns the largest value of a learning curve and its index, ignoring
// NaN points (a diverged evaluation is never the best). It returns NaN and −1
// if there is no non-NaN value.
func Best(values []float64) (best float64, index int) {
	best, index = math.NaN(), -1
	for i, v := range values {
		if v == v && (index < 0 || v > best) {
			best, index = v, i
		}
	}
	return best, index
}

// MovingAverageTo writes into dst the trailing moving average of values over
// window points: dst[i] is the mean of values[max(0, i−window+1) … i]. A
// window ≤ 1 copies values. It panics if len(dst) != len(values).
func MovingAverageTo(dst, values []float64, window int) {
	if len(dst) != len(values) {
		panic(fmt.Sprintf("stats: MovingAverageTo: len(dst) = %d, len(values) = %d", len(dst), len(values)))
	}
	for i := range values {
		dst[i] = windowMean(values, i, window)
	}
}

// windowMean is the mean of values[max(0, i−window+1) … i] (window < 1 acts
// as 1). Summing each window afresh keeps a NaN from leaking past it.
func windowMean(values []float64, i, window int) float64 {
	lo := max(0, i-max(window, 1)+1)
	var s float64
	for _, v := range values[lo : i+1] {
		s += v
	}
	return s / float64(i+1-lo)
}

// StepsToReach returns the first evaluation step at which a learning curve
// reaches percent% of reference, that is the first i with
// smoothed[i] ≥ percent/100·reference, where smoothed is the trailing moving
// average of values over window points (window ≤ 1: no smoothing). It returns
// −1, false if the curve never reaches it. steps[i] is the step counter of
// evaluation i. It panics if len(steps) != len(values).
func StepsToReach(steps []int, values []float64, reference, percent float64, window int) (step int, ok bool) {
	if len(steps) != len(values) {
		panic(fmt.Sprintf("stats: StepsToReach: %d steps but %d values", len(steps), len(values)))
	}
	target := percent / 100 * reference
	for i := range values {
		if windowMean(values, i, window) >= target {
			return steps[i], true
		}
	}
	return -1, false
}

// TransitionDip returns the drop at the offline→online switch: the last
// offline evaluation (the last point with step ≤ switchStep) minus the
// minimum evaluation in the first k online steps (points with
// switchStep < step ≤ switchStep+k). A positive dip is a drop; a negative one
// means every early online evaluation stayed above the last offline one.
// NaN evaluations propagate. ok is false if there is no offline point or no
// online point in the window. steps must be increasing; it panics if
// len(steps) != len(values).
func TransitionDip(steps []int, values []float64, switchStep, k int) (dip float64, ok bool) {
	if len(steps) != len(values) {
		panic(fmt.Sprintf("stats: TransitionDip: %d steps but %d values", len(steps), len(values)))
	}
	last := -1
	minOnline := math.Inf(1)
	seen := false
	for i, st := range steps {
		switch {
		case st <= switchStep:
			last = i
		case st <= switchStep+k:
			v := values[i]
			if v != v {
				minOnline = v
			} else if !math.IsNaN(minOnline) {
				minOnline = min(minOnline, v)
			}
			seen = true
		}
	}
	if last < 0 || !seen {
		return math.NaN(), false
	}
	return values[last] - minOnline, true
}
