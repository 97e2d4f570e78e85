package report

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/dwm-rl/dwm/eval/stats"
	"github.com/dwm-rl/dwm/rng"
)

// Comparison is the probability that a run of Method ends higher than a
// run of Other on the same task (last evaluations), averaged over the
// tasks both methods ran: rliable's probability of improvement, with a
// stratified, independent bootstrap CI. Above 0.5 favours Method; a CI
// that excludes 0.5 is a statistically meaningful improvement (Agarwal et
// al. 2021 suggest also asking for P > 0.75 before calling it large).
type Comparison struct {
	Method, Other string
	// Tasks are the tasks both methods have runs with a finite last score
	// on.
	Tasks []string
	P     stats.Interval
	// Runs and OtherRuns count the runs compared.
	Runs, OtherRuns int
}

// lastScores returns the finite last scores of g's runs.
func lastScores(g *group) []float64 {
	var out []float64
	for _, r := range g.runs {
		_, vs := split(r.main)
		if v := stats.Last(vs); finite(v) {
			out = append(out, v)
		}
	}
	return out
}

// compare returns P(versus > M) for every other method M that shares a
// task with versus, methods in order. It returns an error if versus is
// not a method of the report.
func compare(groups []*group, versus string, methods []string, o Options) ([]Comparison, error) {
	if !slices.Contains(methods, versus) {
		return nil, fmt.Errorf("report: versus %q: no such method among the selected runs (%s)", versus, strings.Join(methods, ", "))
	}
	last := map[[2]string][]float64{} // (task, method) → last scores
	var tasks []string
	for _, g := range groups {
		last[[2]string{g.task, g.method}] = lastScores(g)
		if !slices.Contains(tasks, g.task) {
			tasks = append(tasks, g.task)
		}
	}
	var out []Comparison
	for _, m := range methods {
		if m == versus {
			continue
		}
		c := Comparison{Method: versus, Other: m}
		var x, y [][]float64
		for _, t := range tasks {
			a, b := last[[2]string{t, versus}], last[[2]string{t, m}]
			if len(a) == 0 || len(b) == 0 {
				continue
			}
			c.Tasks = append(c.Tasks, t)
			x, y = append(x, a), append(y, b)
			c.Runs += len(a)
			c.OtherRuns += len(b)
		}
		if len(c.Tasks) == 0 {
			continue
		}
		iv, err := stats.ProbabilityOfImprovementCI(x, y, o.Resamples, o.Confidence, rng.Derive(o.Seed, "report", "improvement", versus, m))
		if err != nil {
			return nil, fmt.Errorf("report: P(%s > %s): %w", versus, m, err)
		}
		c.P = iv
		out = append(out, c)
	}
	return out, nil
}

// profileSteps is the number of thresholds τ of a performance profile.
const profileSteps = 101

// profiles returns one series per method of the groups given (all on one
// task, or one group per method and task for a pooled profile: scores[t]
// per task): the fraction of runs whose last score exceeds τ, on a grid of
// τ over the range of every last score, with a stratified-bootstrap CI
// band. Methods without a finite last score are left out.
func profiles(byMethod map[string][][]float64, methods []string, colourOf func(string) int, o Options, key ...string) ([]series, error) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, tasks := range byMethod {
		for _, t := range tasks {
			for _, v := range t {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	if math.IsInf(lo, 0) {
		return nil, nil
	}
	if hi == lo {
		lo, hi = lo-1, hi+1
	}
	taus := make([]float64, profileSteps)
	for i := range taus {
		taus[i] = lo + (hi-lo)*float64(i)/float64(profileSteps-1)
	}
	// Start just below the lowest score so the curves start at 1.
	taus[0] = math.Nextafter(lo, math.Inf(-1))
	var ss []series
	for _, m := range methods {
		scores := slices.DeleteFunc(slices.Clone(byMethod[m]), func(t []float64) bool { return len(t) == 0 })
		if len(scores) == 0 {
			continue
		}
		ivs, err := stats.ScoreDistributionCI(scores, taus, o.CurveResamples, o.Confidence,
			rng.Derive(o.Seed, append([]string{"report", "profile", m}, key...)...))
		if err != nil {
			return nil, fmt.Errorf("profile of %s: %w", m, err)
		}
		b := band{xs: slices.Clone(taus)}
		for _, iv := range ivs {
			b.mid, b.lo, b.hi = append(b.mid, iv.Point), append(b.lo, iv.Lo), append(b.hi, iv.Hi)
			b.n = append(b.n, len(scores))
		}
		ss = append(ss, series{name: m, colour: colour(colourOf(m)), band: b})
	}
	return ss, nil
}

// fmtComparison formats P with its CI; with one run of each method per
// task the bootstrap has nothing to resample, and the cell says so rather
// than show a zero-width interval.
func fmtComparison(c Comparison) string {
	if c.Runs == len(c.Tasks) && c.OtherRuns == len(c.Tasks) {
		return fmt.Sprintf("%.2f (one run of each per task: no interval)", c.P.Point)
	}
	return fmt.Sprintf("%.2f [%.2f, %.2f]", c.P.Point, c.P.Lo, c.P.Hi)
}

// profileFigure draws the performance profile of last scores (byMethod[m]
// holds one slice of last scores per task) for task (AllTasks: pooled over
// the tasks, bootstrap stratified by task); nil if no method has a score.
func profileFigure(task string, byMethod map[string][][]float64, methods []string, colourOf func(string) int, metric string, o Options, unique func(string) string) (*figureFile, error) {
	ss, err := profiles(byMethod, methods, colourOf, o, task)
	if err != nil {
		return nil, fmt.Errorf("report: %s: %w", task, err)
	}
	if len(ss) == 0 {
		return nil, nil
	}
	conf := (&page{Confidence: o.Confidence}).conf()
	what := "runs"
	if task == AllTasks {
		what = "runs of every task"
	}
	caption := fmt.Sprintf("%s: performance profile, the fraction of %s whose last %s exceeds τ, with a %s stratified-bootstrap CI band (a curve above another everywhere dominates it)", task, what, metric, conf)
	png, err := figure(fmt.Sprintf("%s: profile of last scores (%s CI)", task, conf), "τ (last "+metric+")", "fraction of runs with last score > τ", ss, o)
	if err != nil {
		return nil, fmt.Errorf("report: profile figure for %s: %w", task, err)
	}
	return &figureFile{Task: task, Caption: caption, File: unique("profile_" + fileSafe(task) + ".png"), png: png}, nil
}
