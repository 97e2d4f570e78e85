package report

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/dwm-rl/dwm/eval/stats"
	"github.com/dwm-rl/dwm/track"
)

// Metric names the report reads by default.
const (
	// MetricNormalizedReturn is the D4RL normalized score of an evaluation
	// (0 random, 100 expert); preferred when any selected run logged it.
	MetricNormalizedReturn = "eval/normalized_return"
	// MetricReturn is the raw evaluation return, the fallback.
	MetricReturn = "eval/return"
)

// DefaultUncertaintyMetrics are the metrics plotted over time when a run
// logged them: the mean epistemic uncertainty of imagined transitions, the
// Lagrange multiplier λ and the behaviour-cloning weight w_BC.
var DefaultUncertaintyMetrics = []string{"uncertainty/sigma_ep", "train/lambda", "train/w_bc"}

// Options configures Build. The zero value gives the defaults; Validate names
// a bad field.
type Options struct {
	// Metric is the learning-curve metric. Empty means MetricNormalizedReturn
	// if any selected run logged it, else MetricReturn.
	Metric string
	// Reference is the score "X% of" refers to for every task without an
	// entry in References. Zero means 100 when the metric is a normalized
	// score (the D4RL expert score by definition, Fu et al. 2020) and no
	// reference otherwise (steps-to-X is then not reported).
	Reference float64
	// References gives a reference per task (see the package comment),
	// overriding Reference.
	References map[string]float64
	// OfBest measures steps-to-X% against each task's best: the highest
	// point of any method's IQM curve on that task (BDWM's "steps to 90%
	// of the best"), in place of Reference and References. It is what
	// compares sample efficiency when no method nears the expert score.
	OfBest bool
	// Percent is X in "steps to X% of the reference". Zero means 90.
	Percent float64
	// Window is the trailing moving-average window (in evaluations) applied
	// before testing the threshold. Zero means 1 (no smoothing).
	Window int
	// DipSteps is the length, in steps after the switch, of the window in
	// which the transition dip looks for the worst online evaluation. Zero
	// means a tenth of the run's online span, widened to include at least
	// the first online evaluation.
	DipSteps int64
	// Confidence is the level of every confidence interval. Zero means 0.95.
	Confidence float64
	// Resamples is the number of bootstrap resamples for table cells. Zero
	// means stats.DefaultResamples (rliable's default).
	Resamples int
	// CurveResamples is the number of bootstrap resamples per step for the
	// bands of curves. Zero means 2000 (a band needs less precision than a
	// table cell, and there is one bootstrap per plotted step).
	CurveResamples int
	// MaxPoints caps the points of a plotted curve: a metric logged at more
	// distinct steps (every update, say) is averaged into MaxPoints equal
	// step bins per run before aggregating. Zero means 200 (finer than a
	// 6.5-inch figure shows). Tables use the raw evaluations.
	MaxPoints int
	// Versus, if set, names a method: the report adds the probability that
	// a run of it ends above a run of each other method on the same task
	// (rliable's probability of improvement, Comparison).
	Versus string
	// Seed seeds the bootstrap; the same seed gives the same intervals.
	Seed uint64
	// Uncertainty lists the metrics plotted over time when present. Nil
	// means DefaultUncertaintyMetrics; an empty non-nil slice plots none.
	Uncertainty []string
	// Title heads the HTML page and the Markdown file. Empty means
	// "dwm report".
	Title string
	// Width and Height are a figure's size in inches at 96 dpi. Zero means
	// 6.5 × 4.
	Width, Height float64
	// Log receives one line per file written; nil means silent.
	Log io.Writer
}

// Validate reports an option a user could set wrongly, naming the field.
func (o Options) Validate() error {
	if o.Metric != "" {
		if err := track.ValidateMetricName(o.Metric); err != nil {
			return fmt.Errorf("report: Options.Metric: %w", err)
		}
	}
	if math.IsNaN(o.Reference) || math.IsInf(o.Reference, 0) {
		return fmt.Errorf("report: Options.Reference %v is not finite", o.Reference)
	}
	for task, ref := range o.References {
		if math.IsNaN(ref) || math.IsInf(ref, 0) {
			return fmt.Errorf("report: Options.References[%q] %v is not finite", task, ref)
		}
	}
	if o.OfBest && (o.Reference != 0 || len(o.References) > 0) {
		return fmt.Errorf("report: Options.OfBest measures against each task's best; Options.Reference %v and References %v would be ignored: set one or the other", o.Reference, o.References)
	}
	if !(o.Percent >= 0) || math.IsInf(o.Percent, 0) {
		return fmt.Errorf("report: Options.Percent %v: want a finite value ≥ 0", o.Percent)
	}
	if o.Window < 0 {
		return fmt.Errorf("report: Options.Window %d is negative", o.Window)
	}
	if o.DipSteps < 0 {
		return fmt.Errorf("report: Options.DipSteps %d is negative", o.DipSteps)
	}
	if o.Confidence != 0 && !(o.Confidence > 0 && o.Confidence < 1) {
		return fmt.Errorf("report: Options.Confidence %v outside (0, 1)", o.Confidence)
	}
	if o.Resamples < 0 {
		return fmt.Errorf("report: Options.Resamples %d is negative", o.Resamples)
	}
	if o.MaxPoints < 0 || o.MaxPoints == 1 {
		return fmt.Errorf("report: Options.MaxPoints %d: want 0 (default) or at least 2", o.MaxPoints)
	}
	if o.CurveResamples < 0 {
		return fmt.Errorf("report: Options.CurveResamples %d is negative", o.CurveResamples)
	}
	for _, m := range o.Uncertainty {
		if err := track.ValidateMetricName(m); err != nil {
			return fmt.Errorf("report: Options.Uncertainty: %w", err)
		}
	}
	if o.Width < 0 || o.Height < 0 || (o.Width > 0 && o.Width < 1) || (o.Height > 0 && o.Height < 1) || o.Width > 40 || o.Height > 40 {
		return fmt.Errorf("report: Options.Width × Height %v × %v: want 1 to 40 inches (0 for the default)", o.Width, o.Height)
	}
	return nil
}

// withDefaults applies every default in one place (Metric and Reference
// depend on the data and are resolved in Build).
func (o Options) withDefaults() Options {
	if o.Percent == 0 {
		o.Percent = 90
	}
	if o.Window == 0 {
		o.Window = 1
	}
	if o.Confidence == 0 {
		o.Confidence = 0.95
	}
	if o.Resamples == 0 {
		o.Resamples = stats.DefaultResamples
	}
	if o.CurveResamples == 0 {
		o.CurveResamples = 2000
	}
	if o.MaxPoints == 0 {
		o.MaxPoints = 200
	}
	if o.Uncertainty == nil {
		o.Uncertainty = DefaultUncertaintyMetrics
	}
	if o.Title == "" {
		o.Title = "dwm report"
	}
	if o.Width == 0 {
		o.Width = 6.5
	}
	if o.Height == 0 {
		o.Height = 4
	}
	return o
}

// isNormalized reports whether metric is a normalized score (its reference
// defaults to 100).
func isNormalized(metric string) bool {
	return strings.Contains(metric, "normalized")
}

// reference returns the reference for task under o, and whether there is one.
func (o Options) reference(task, metric string) (float64, bool) {
	if r, ok := o.References[task]; ok || o.OfBest {
		return r, ok
	}
	if o.Reference != 0 {
		return o.Reference, true
	}
	if isNormalized(metric) {
		return 100, true
	}
	return 0, false
}
