package dataset

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Reference holds the returns of a random and an expert policy on a task,
// the endpoints of the normalized score.
type Reference struct {
	Random, Expert float64
}

// NormalizedScore returns D4RL's normalized score of a return:
// 100·(ret − Random)/(Expert − Random). It returns NaN if Expert == Random.
func NormalizedScore(ret float64, ref Reference) float64 {
	if ref.Expert == ref.Random {
		return math.NaN()
	}
	return 100 * (ret - ref.Random) / (ref.Expert - ref.Random)
}

// Summary describes a sample of numbers. All fields are zero when N is 0.
type Summary struct {
	N                           int
	Min, Max, Mean, Std, Median float64
}

func summarize(x []float64) Summary {
	if len(x) == 0 {
		return Summary{}
	}
	s := Summary{N: len(x), Min: math.Inf(1), Max: math.Inf(-1)}
	var sum float64
	for _, v := range x {
		s.Min = min(s.Min, v)
		s.Max = max(s.Max, v)
		sum += v
	}
	s.Mean = sum / float64(len(x))
	var ss float64
	for _, v := range x {
		ss += (v - s.Mean) * (v - s.Mean)
	}
	s.Std = math.Sqrt(ss / float64(len(x)))
	y := slices.Clone(x)
	slices.Sort(y)
	if m := len(y) / 2; len(y)%2 == 1 {
		s.Median = y[m]
	} else {
		s.Median = (y[m-1] + y[m]) / 2
	}
	return s
}

// String formats the summary on one line.
func (s Summary) String() string {
	if s.N == 0 {
		return "n=0"
	}
	return fmt.Sprintf("n=%d min %.4g median %.4g mean %.4g max %.4g std %.4g", s.N, s.Min, s.Median, s.Mean, s.Max, s.Std)
}

// Histogram counts values in equal-width bins: bin k holds values in
// [Edges[k], Edges[k+1]), the last bin also its upper edge.
type Histogram struct {
	Edges  []float64
	Counts []int
}

func histogram(x []float64, bins int) Histogram {
	if len(x) == 0 {
		return Histogram{}
	}
	lo, hi := slices.Min(x), slices.Max(x)
	if lo == hi {
		bins = 1
	}
	h := Histogram{Edges: make([]float64, bins+1), Counts: make([]int, bins)}
	w := (hi - lo) / float64(bins)
	for k := range h.Edges {
		h.Edges[k] = lo + float64(k)*w
	}
	h.Edges[bins] = hi
	for _, v := range x {
		k := bins - 1
		if w > 0 {
			k = min(int((v-lo)/w), bins-1)
		}
		h.Counts[k]++
	}
	return h
}

// String draws the histogram as text, one bin a line, with bars of '#'
// scaled to the largest count (40 characters wide).
func (h Histogram) String() string {
	if len(h.Counts) == 0 {
		return "  (empty)\n"
	}
	most := slices.Max(h.Counts)
	var b strings.Builder
	for k, c := range h.Counts {
		bar := 0
		if most > 0 {
			bar = (c*40 + most - 1) / most
		}
		closer := ")"
		if k == len(h.Counts)-1 {
			closer = "]"
		}
		fmt.Fprintf(&b, "  [%11.4g, %11.4g%s %-40s %d\n", h.Edges[k], h.Edges[k+1], closer, strings.Repeat("#", bar), c)
	}
	return b.String()
}

// StatsOptions configures Dataset.Stats.
type StatsOptions struct {
	// Bins is the number of histogram bins of episode returns (0: 10).
	Bins int
	// Reference, when set, adds normalized scores of the episode returns.
	Reference *Reference
}

// Stats describes a dataset for inspection.
type Stats struct {
	Transitions, Episodes int
	ObsDim, ActDim        int
	// Terminals and Timeouts count the rows with each flag.
	Terminals, Timeouts int
	// EpisodeLengths and Returns summarize the episodes (undiscounted).
	EpisodeLengths, Returns Summary
	// ReturnHistogram bins the episode returns.
	ReturnHistogram Histogram
	// Normalized summarizes NormalizedScore of the episode returns; set
	// only when StatsOptions.Reference is.
	Normalized *Summary
	// Rewards summarizes the per-step rewards.
	Rewards Summary
	// ObsMin, ObsMax, ActMin, ActMax are per-dimension extremes over the
	// finite values (NaN when a dimension has none).
	ObsMin, ObsMax, ActMin, ActMax []float32
	// NonFinite counts NaN and ±Inf values per key; FirstNonFinite names the
	// first one found ("" when there are none).
	NonFinite      map[string]int
	FirstNonFinite string
	// Discontinuities counts rows inside an episode whose next observation
	// differs from the following row's observation: a sign of a missing
	// episode boundary.
	Discontinuities int
}

// Stats computes inspection statistics. Unlike Validate it accepts NaN and
// ±Inf values (counting them) and rows with both end flags; it returns an
// error only if the columns' lengths disagree.
func (d *Dataset) Stats(opt StatsOptions) (Stats, error) {
	if err := d.checkShape(); err != nil {
		return Stats{}, err
	}
	bins := opt.Bins
	if bins <= 0 {
		bins = 10
	}
	n := d.Len()
	s := Stats{Transitions: n, ObsDim: d.ObsDim, ActDim: d.ActDim, NonFinite: map[string]int{}}
	for i := range n {
		if d.Terminals[i] {
			s.Terminals++
		}
		if d.Timeouts[i] {
			s.Timeouts++
		}
	}
	eps := d.Episodes()
	s.Episodes = len(eps)
	lens := make([]float64, len(eps))
	rets := make([]float64, len(eps))
	for k, e := range eps {
		lens[k] = float64(e.Len())
		rets[k] = e.Return()
		for i := e.Start; i < e.End-1; i++ {
			if !slices.Equal(d.NextObs(i), d.Obs(i+1)) {
				s.Discontinuities++
			}
		}
	}
	s.EpisodeLengths = summarize(lens)
	s.Returns = summarize(rets)
	s.ReturnHistogram = histogram(finite(rets), bins)
	if opt.Reference != nil {
		norm := make([]float64, len(rets))
		for k, r := range rets {
			norm[k] = NormalizedScore(r, *opt.Reference)
		}
		ns := summarize(norm)
		s.Normalized = &ns
	}
	rews := make([]float64, n)
	for i, r := range d.Rewards {
		rews[i] = float64(r)
	}
	s.Rewards = summarize(rews)
	s.ObsMin, s.ObsMax = columnRange(d.Observations, d.ObsDim)
	s.ActMin, s.ActMax = columnRange(d.Actions, d.ActDim)
	for _, c := range []struct {
		key  string
		data []float32
		dim  int
	}{
		{"observations", d.Observations, d.ObsDim},
		{"actions", d.Actions, d.ActDim},
		{"rewards", d.Rewards, 0},
		{"next_observations", d.NextObservations, d.ObsDim},
	} {
		for _, v := range c.data {
			if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
				s.NonFinite[c.key]++
			}
		}
		if err := checkFinite(c.key, c.data, c.dim); err != nil && s.FirstNonFinite == "" {
			s.FirstNonFinite = err.Error()
		}
	}
	return s, nil
}

func finite(x []float64) []float64 {
	out := make([]float64, 0, len(x))
	for _, v := range x {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out = append(out, v)
		}
	}
	return out
}

// columnRange returns the per-dimension min and max of the finite values of
// a [rows×dim] matrix (NaN where a dimension has none).
func columnRange(x []float32, dim int) (lo, hi []float32) {
	lo, hi = make([]float32, dim), make([]float32, dim)
	nan := float32(math.NaN())
	for j := range dim {
		lo[j], hi[j] = nan, nan
	}
	for i, v := range x {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		j := i % dim
		if lo[j] != lo[j] || v < lo[j] {
			lo[j] = v
		}
		if hi[j] != hi[j] || v > hi[j] {
			hi[j] = v
		}
	}
	return lo, hi
}

// String formats the statistics as a multi-line text report.
func (s Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "transitions %d, episodes %d, obs_dim %d, act_dim %d\n", s.Transitions, s.Episodes, s.ObsDim, s.ActDim)
	fmt.Fprintf(&b, "terminals %d, timeouts %d, discontinuities %d\n", s.Terminals, s.Timeouts, s.Discontinuities)
	fmt.Fprintf(&b, "episode length: %v\n", s.EpisodeLengths)
	fmt.Fprintf(&b, "reward: %v\n", s.Rewards)
	fmt.Fprintf(&b, "episode return: %v\n", s.Returns)
	if s.Normalized != nil {
		fmt.Fprintf(&b, "normalized score: %v\n", *s.Normalized)
	}
	b.WriteString(s.ReturnHistogram.String())
	fmt.Fprintf(&b, "observation min %s\n", fmtVec(s.ObsMin))
	fmt.Fprintf(&b, "observation max %s\n", fmtVec(s.ObsMax))
	fmt.Fprintf(&b, "action min %s\n", fmtVec(s.ActMin))
	fmt.Fprintf(&b, "action max %s\n", fmtVec(s.ActMax))
	if s.FirstNonFinite == "" {
		b.WriteString("non-finite values: none\n")
	} else {
		fmt.Fprintf(&b, "non-finite values: %v (first: %s)\n", s.NonFinite, s.FirstNonFinite)
	}
	return b.String()
}

func fmtVec(v []float32) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.4g", x)
	}
	return "[" + strings.Join(parts, " ") + "]"
}
