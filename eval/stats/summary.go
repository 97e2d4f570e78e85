package stats

import (
	"fmt"
	"math"
	"slices"
)

// Mean returns the arithmetic mean of x, or NaN if x is empty.
func Mean(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// Std returns the sample standard deviation of x, with the n−1 (Bessel)
// denominator, or NaN if x has fewer than two values. (NumPy's np.std, which
// CORL's tables use, divides by n; multiply by √((n−1)/n) to compare.)
func Std(x []float64) float64 {
	if len(x) < 2 {
		return math.NaN()
	}
	m := Mean(x)
	var s float64
	for _, v := range x {
		d := v - m
		s += d * d
	}
	return math.Sqrt(s / float64(len(x)-1))
}

// hasNaN reports whether x contains a NaN.
func hasNaN(x []float64) bool {
	for _, v := range x {
		if v != v {
			return true
		}
	}
	return false
}

// IQM returns the interquartile mean of x: the mean of the middle 50% of the
// sorted values, where the values straddling the 25% and 75% quantile
// positions count with the fraction of them that lies inside. Precisely, with
// the sorted values each occupying a unit interval [i, i+1) of [0, n), IQM is
// the average of the values over [n/4, 3n/4). For n a multiple of 4 this is
// SciPy's trim_mean(x, 0.25), which rliable uses; for other n, TrimmedMean
// gives SciPy's integer-cut variant. It returns NaN if x is empty or contains
// NaN, and does not modify x.
func IQM(x []float64) float64 {
	if len(x) == 0 || hasNaN(x) {
		return math.NaN()
	}
	s := slices.Clone(x)
	slices.Sort(s)
	return iqmSorted(s)
}

// iqmSorted is IQM of already sorted, NaN-free, non-empty values.
func iqmSorted(s []float64) float64 {
	n := float64(len(s))
	lo, hi := n/4, 3*n/4
	var sum float64
	for i, v := range s {
		a, b := math.Max(float64(i), lo), math.Min(float64(i+1), hi)
		if b > a {
			sum += (b - a) * v
		}
	}
	return sum / (hi - lo)
}

// TrimmedMean returns SciPy's trim_mean(x, proportion): the mean after
// removing ⌊proportion·n⌋ values from each end of the sorted x. It returns NaN
// if x is empty or contains NaN, and an error if proportion is not in
// [0, 0.5) or removes every value.
func TrimmedMean(x []float64, proportion float64) (float64, error) {
	if !(proportion >= 0 && proportion < 0.5) {
		return 0, fmt.Errorf("stats: trimmed mean proportion %v outside [0, 0.5)", proportion)
	}
	if len(x) == 0 || hasNaN(x) {
		return math.NaN(), nil
	}
	cut := int(proportion * float64(len(x)))
	if 2*cut >= len(x) {
		return 0, fmt.Errorf("stats: trimmed mean proportion %v removes all %d values", proportion, len(x))
	}
	s := slices.Clone(x)
	slices.Sort(s)
	return Mean(s[cut : len(s)-cut]), nil
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1) of x, interpolating linearly
// between order statistics at position (n−1)·q (NumPy's default), or NaN if x
// is empty or contains NaN. It panics if q is outside [0, 1].
func Quantile(x []float64, q float64) float64 {
	if !(q >= 0 && q <= 1) {
		panic(fmt.Sprintf("stats: quantile %v outside [0, 1]", q))
	}
	if len(x) == 0 || hasNaN(x) {
		return math.NaN()
	}
	s := slices.Clone(x)
	slices.Sort(s)
	return quantileSorted(s, q)
}

func quantileSorted(s []float64, q float64) float64 {
	h := float64(len(s)-1) * q
	lo := int(math.Floor(h))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}

// NormalizedScore returns the D4RL normalized score 100·(r − random)/(expert −
// random): 0 at a random policy's return, 100 at an expert's. It returns an
// error if expert equals random or any argument is NaN or infinite.
func NormalizedScore(r, random, expert float64) (float64, error) {
	for _, v := range [...]struct {
		name string
		v    float64
	}{{"return", r}, {"random reference", random}, {"expert reference", expert}} {
		if math.IsNaN(v.v) || math.IsInf(v.v, 0) {
			return 0, fmt.Errorf("stats: normalized score: %s is %v", v.name, v.v)
		}
	}
	if expert == random {
		return 0, fmt.Errorf("stats: normalized score: expert reference %v equals random reference", expert)
	}
	return 100 * (r - random) / (expert - random), nil
}
