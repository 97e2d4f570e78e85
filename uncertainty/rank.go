package uncertainty

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Workspace holds the scratch buffers of Percentile, AUROC and Spearman so
// that repeated calls do not allocate once the buffers have grown to the
// input size. The zero value is ready to use. A Workspace is not safe for
// concurrent use; results never alias it.
type Workspace struct {
	sorted []float32
	pairs  []pair
	rx, ry []float64
}

type pair struct {
	v   float32
	pos int
}

func checkFinite(what string, x []float32) error {
	for i, v := range x {
		if math.IsNaN(float64(v)) {
			return fmt.Errorf("uncertainty: %s[%d] is NaN", what, i)
		}
	}
	return nil
}

// Percentile returns the p-th percentile (0 < p < 100) of x, interpolating
// linearly between the two nearest order statistics (NumPy's default
// "linear" method: position (n−1)·p/100 in the sorted values). BDWM's
// rollout threshold η is Percentile(σ_ep over the offline data, 90).
// It returns an error for p outside (0, 100), an empty x or a NaN in x.
func (w *Workspace) Percentile(x []float32, p float64) (float32, error) {
	if !(p > 0 && p < 100) {
		return 0, fmt.Errorf("uncertainty: percentile %v outside (0, 100)", p)
	}
	if len(x) == 0 {
		return 0, fmt.Errorf("uncertainty: percentile %v of no values", p)
	}
	if err := checkFinite("values", x); err != nil {
		return 0, err
	}
	w.sorted = append(w.sorted[:0], x...)
	slices.Sort(w.sorted)
	h := float64(len(x)-1) * p / 100
	lo := int(math.Floor(h))
	if lo >= len(x)-1 {
		return w.sorted[len(x)-1], nil
	}
	frac := h - float64(lo)
	a, b := float64(w.sorted[lo]), float64(w.sorted[lo+1])
	return float32(a + frac*(b-a)), nil
}

// Percentile is Workspace.Percentile with a fresh workspace.
func Percentile(x []float32, p float64) (float32, error) {
	var w Workspace
	return w.Percentile(x, p)
}

// RejectTo sets dst[i] to whether sigma[i] > eta (strictly: BDWM stops a
// rollout when σ_ep > η) and returns how many were set. It panics if
// len(dst) != len(sigma). A NaN sigma is rejected (it cannot be trusted).
func RejectTo(dst []bool, sigma []float32, eta float32) int {
	if len(dst) != len(sigma) {
		panic(fmt.Sprintf("uncertainty: RejectTo: len(dst) = %d, len(sigma) = %d", len(dst), len(sigma)))
	}
	n := 0
	for i, v := range sigma {
		r := v > eta || v != v
		dst[i] = r
		if r {
			n++
		}
	}
	return n
}

// ranksTo writes the 1-based ranks of x into dst, giving tied values the
// average of the ranks they span. It uses w.pairs as scratch.
func (w *Workspace) ranksTo(dst []float64, x []float32) {
	w.pairs = slices.Grow(w.pairs[:0], len(x))[:len(x)]
	for i, v := range x {
		w.pairs[i] = pair{v, i}
	}
	slices.SortFunc(w.pairs, func(a, b pair) int { return cmp.Compare(a.v, b.v) })
	for i := 0; i < len(w.pairs); {
		j := i + 1
		for j < len(w.pairs) && w.pairs[j].v == w.pairs[i].v {
			j++
		}
		r := float64(i+1+j) / 2 // mean of ranks i+1 … j
		for t := i; t < j; t++ {
			dst[w.pairs[t].pos] = r
		}
		i = j
	}
}

func grow(b []float64, n int) []float64 { return slices.Grow(b[:0], n)[:n] }

// AUROC returns the area under the ROC curve of scores for separating the
// positives (positive[i] true) from the negatives: the probability that a
// random positive scores higher than a random negative, ties counting one
// half (the Mann–Whitney U statistic divided by P·N, from average ranks).
// 1 is perfect separation, 0.5 chance. It returns an error if the lengths
// differ, a class is empty or a score is NaN.
func (w *Workspace) AUROC(scores []float32, positive []bool) (float64, error) {
	if len(scores) != len(positive) {
		return 0, fmt.Errorf("uncertainty: AUROC: %d scores but %d labels", len(scores), len(positive))
	}
	if err := checkFinite("scores", scores); err != nil {
		return 0, err
	}
	var nPos int
	for _, p := range positive {
		if p {
			nPos++
		}
	}
	nNeg := len(positive) - nPos
	if nPos == 0 || nNeg == 0 {
		return 0, fmt.Errorf("uncertainty: AUROC needs both classes, got %d positives and %d negatives", nPos, nNeg)
	}
	w.rx = grow(w.rx, len(scores))
	w.ranksTo(w.rx, scores)
	var sum float64
	for i, p := range positive {
		if p {
			sum += w.rx[i]
		}
	}
	P, N := float64(nPos), float64(nNeg)
	return (sum - P*(P+1)/2) / (P * N), nil
}

// AUROC is Workspace.AUROC with a fresh workspace.
func AUROC(scores []float32, positive []bool) (float64, error) {
	var w Workspace
	return w.AUROC(scores, positive)
}

// Spearman returns Spearman's rank correlation of x and y: the Pearson
// correlation of their ranks, tied values receiving the average of the ranks
// they span. It returns an error if the lengths differ, there are fewer than
// two pairs, a value is NaN, or either x or y is constant (its ranks have no
// spread, so the correlation is undefined).
func (w *Workspace) Spearman(x, y []float32) (float64, error) {
	if len(x) != len(y) {
		return 0, fmt.Errorf("uncertainty: Spearman: len(x) = %d, len(y) = %d", len(x), len(y))
	}
	if len(x) < 2 {
		return 0, fmt.Errorf("uncertainty: Spearman needs at least 2 pairs, got %d", len(x))
	}
	if err := checkFinite("x", x); err != nil {
		return 0, err
	}
	if err := checkFinite("y", y); err != nil {
		return 0, err
	}
	w.rx = grow(w.rx, len(x))
	w.ry = grow(w.ry, len(y))
	w.ranksTo(w.rx, x)
	w.ranksTo(w.ry, y)
	mean := float64(len(x)+1) / 2 // ranks 1…n always average (n+1)/2, ties included
	var sxy, sxx, syy float64
	for i := range w.rx {
		dx, dy := w.rx[i]-mean, w.ry[i]-mean
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 {
		return 0, fmt.Errorf("uncertainty: Spearman: x is constant, correlation undefined")
	}
	if syy == 0 {
		return 0, fmt.Errorf("uncertainty: Spearman: y is constant, correlation undefined")
	}
	return sxy / math.Sqrt(sxx*syy), nil
}

// Spearman is Workspace.Spearman with a fresh workspace.
func Spearman(x, y []float32) (float64, error) {
	var w Workspace
	return w.Spearman(x, y)
}
