package report

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dwm-rl/dwm/internal/atomicfile"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/track"
)

// Output file names inside the output directory.
const (
	HTMLFile     = "report.html"
	MarkdownFile = "report.md"
)

// Result describes what Build computed and wrote.
type Result struct {
	// Metric is the learning-curve metric used.
	Metric string
	// Rows are the task × method rows, then one AllTasks row per method
	// when there are several tasks and the metric is a normalized score.
	Rows []Row
	// Runs summarizes every selected run.
	Runs []RunRow
	// Comparisons are P(Options.Versus > M) for every other method M
	// (empty without Versus).
	Comparisons []Comparison
	// HTML and Markdown are the paths of the page and the table; Figures the
	// paths of the PNG files.
	HTML, Markdown string
	Figures        []string
}

// BuildFile opens the store at storePath (which must exist) and runs Build.
// A file that is not a dwm store, or a store from a newer dwm, is an error
// naming the file.
func BuildFile(storePath string, f track.Filter, outDir string, opts Options) (*Result, error) {
	if _, err := os.Stat(storePath); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("report: store %s does not exist", storePath)
		}
		return nil, fmt.Errorf("report: %w", err)
	}
	s, err := track.Open(storePath)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	defer s.Close()
	return Build(s, f, outDir, opts)
}

// Build reads the runs of s matching f and writes into outDir (created if
// needed) a learning-curve PNG per task, an uncertainty PNG per task and
// uncertainty metric logged, MarkdownFile and the self-contained HTMLFile.
// Every file is written atomically. It returns an error if no run matches
// or none logged the metric.
func Build(s *track.Store, f track.Filter, outDir string, opts Options) (*Result, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	o := opts.withDefaults()
	runs, err := s.ListRuns(f)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("report: no runs match filter %q in store %s", FormatFilter(f), s.Path())
	}
	metric, err := chooseMetric(s, runs, o.Metric)
	if err != nil {
		return nil, err
	}
	extras := slices.DeleteFunc(slices.Clone(o.Uncertainty), func(m string) bool { return m == metric })
	var data []*runData
	for _, r := range runs {
		d, err := loadRun(s, r, metric, extras)
		if err != nil {
			return nil, fmt.Errorf("report: run %s: %w", r.Name, err)
		}
		data = append(data, d)
	}
	label(data)
	groups := groupRuns(data)

	res := &Result{Metric: metric}
	var methods []string
	for _, g := range groups {
		if !slices.Contains(methods, g.method) {
			methods = append(methods, g.method)
		}
	}
	slices.Sort(methods)
	colourOf := func(m string) int { return slices.Index(methods, m) }

	if o.OfBest {
		o.References = bestOfTasks(groups)
	}
	// Learning curves, rows, and one figure per task.
	var tasks []string
	bands := map[*group]band{}
	for _, g := range groups {
		if !slices.Contains(tasks, g.task) {
			tasks = append(tasks, g.task)
		}
		ser := make([][]point, len(g.runs))
		for i, r := range g.runs {
			ser[i] = r.main
		}
		b, err := aggregate(ser, o.Confidence, o.CurveResamples, o.MaxPoints, rng.Derive(o.Seed, "report", "curve", g.task, g.method))
		if err != nil {
			return nil, fmt.Errorf("report: %s %s: %w", g.task, g.method, err)
		}
		bands[g] = b
		row, err := summarize(g, metric, o)
		if err != nil {
			return nil, fmt.Errorf("report: %s %s: %w", g.task, g.method, err)
		}
		res.Rows = append(res.Rows, row)
	}
	if len(tasks) > 1 && isNormalized(metric) {
		agg, err := aggregateRows(groups, o)
		if err != nil {
			return nil, fmt.Errorf("report: aggregate over tasks: %w", err)
		}
		res.Rows = append(res.Rows, agg...)
	}
	for _, d := range data {
		res.Runs = append(res.Runs, runRow(d))
	}
	if o.Versus != "" {
		if res.Comparisons, err = compare(groups, o.Versus, methods, o); err != nil {
			return nil, err
		}
	}

	var figs []figureFile
	used := map[string]bool{}
	unique := func(name string) string { // distinct tasks may map to one file name
		base, n := strings.TrimSuffix(name, ".png"), 1
		for used[name] {
			n++
			name = fmt.Sprintf("%s-%d.png", base, n)
		}
		used[name] = true
		return name
	}
	for _, task := range tasks {
		var ss []series
		for _, g := range groups {
			if g.task != task {
				continue
			}
			s := series{name: g.method, colour: colour(colourOf(g.method)), band: bands[g]}
			for _, r := range g.runs {
				if r.hasSwitch && !slices.Contains(s.switches, r.switchX) {
					s.switches = append(s.switches, r.switchX)
				}
			}
			ss = append(ss, s)
		}
		conf := (&page{Confidence: o.Confidence}).conf()
		caption := fmt.Sprintf("%s: %s, IQM across seeds with %s stratified-bootstrap CI band", task, metric, conf)
		png, err := figure(fmt.Sprintf("%s (IQM, %s CI)", task, conf), "step", metric, ss, o)
		if err != nil {
			return nil, fmt.Errorf("report: figure for %s: %w", task, err)
		}
		figs = append(figs, figureFile{Task: task, Caption: caption, File: unique("curve_" + fileSafe(task) + ".png"), png: png})

		last := map[string][][]float64{}
		for _, g := range groups {
			if g.task == task {
				last[g.method] = [][]float64{lastScores(g)}
			}
		}
		if fig, err := profileFigure(task, last, methods, colourOf, metric, o, unique); err != nil {
			return nil, err
		} else if fig != nil {
			figs = append(figs, *fig)
		}

		for _, m := range extras {
			var us []series
			for _, g := range groups {
				if g.task != task {
					continue
				}
				var ser [][]point
				var switches []int64
				for _, r := range g.runs {
					if pts, ok := r.extra[m]; ok {
						ser = append(ser, pts)
						if r.hasSwitch && !slices.Contains(switches, r.switchX) {
							switches = append(switches, r.switchX)
						}
					}
				}
				if len(ser) == 0 {
					continue
				}
				b, err := aggregate(ser, o.Confidence, o.CurveResamples, o.MaxPoints, rng.Derive(o.Seed, "report", "curve", task, g.method, m))
				if err != nil {
					return nil, fmt.Errorf("report: %s %s %s: %w", task, g.method, m, err)
				}
				us = append(us, series{name: g.method, colour: colour(colourOf(g.method)), band: b, switches: switches})
			}
			if len(us) == 0 {
				continue
			}
			caption := fmt.Sprintf("%s: %s (%s) over time, IQM across seeds with %s CI band", task, prettyMetric(m), m, conf)
			png, err := figure(fmt.Sprintf("%s: %s (IQM, %s CI)", task, m, conf), "step", prettyMetric(m), us, o)
			if err != nil {
				return nil, fmt.Errorf("report: figure of %s for %s: %w", m, task, err)
			}
			figs = append(figs, figureFile{Task: task, Caption: caption, File: unique(fileSafe(m) + "_" + fileSafe(task) + ".png"), png: png})
		}
	}

	if len(tasks) > 1 && isNormalized(metric) {
		last := map[string][][]float64{}
		for _, g := range groups {
			last[g.method] = append(last[g.method], lastScores(g))
		}
		if fig, err := profileFigure(AllTasks, last, methods, colourOf, metric, o, unique); err != nil {
			return nil, err
		} else if fig != nil {
			figs = append(figs, *fig)
		}
	}

	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	for _, fg := range figs {
		path := filepath.Join(outDir, fg.File)
		if err := atomicfile.WriteBytes(path, fg.png); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		res.Figures = append(res.Figures, path)
		logf(o.Log, "report: wrote %s\n", path)
	}
	p := &page{
		Title: o.Title, Store: s.Path(), Filter: FormatFilter(f), Metric: metric, Runs: len(runs),
		Generated: time.Now().UTC().Format("2006-01-02 15:04 UTC"), Confidence: o.Confidence, Percent: o.Percent, OfBest: o.OfBest,
		DipSteps: o.DipSteps, Rows: res.Rows, RunRows: res.Runs, Figures: figs, Comparisons: res.Comparisons,
	}
	if p.Filter == "" {
		p.Filter = "(all runs)"
	}
	p.refHeader = commonReference(res.Rows)
	res.Markdown = filepath.Join(outDir, MarkdownFile)
	if err := atomicfile.Write(res.Markdown, func(w io.Writer) error { return writeMarkdown(w, p) }); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	logf(o.Log, "report: wrote %s\n", res.Markdown)
	res.HTML = filepath.Join(outDir, HTMLFile)
	pw, ph := int(o.Width*96+0.5), int(o.Height*96+0.5)
	if err := atomicfile.Write(res.HTML, func(w io.Writer) error { return writeHTML(w, p, pw, ph) }); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	logf(o.Log, "report: wrote %s\n", res.HTML)
	return res, nil
}

// chooseMetric returns want, or MetricNormalizedReturn if any run logged it,
// else MetricReturn; it is an error if no run logged the chosen metric.
func chooseMetric(s *track.Store, runs []track.Run, want string) (string, error) {
	has := map[string]bool{}
	for _, r := range runs {
		names, err := s.MetricNames(r.ID)
		if err != nil {
			return "", fmt.Errorf("report: %w", err)
		}
		for _, n := range names {
			has[n] = true
		}
	}
	if want != "" {
		if !has[want] {
			return "", fmt.Errorf("report: none of the %d selected runs in %s logged metric %s", len(runs), s.Path(), want)
		}
		return want, nil
	}
	for _, m := range []string{MetricNormalizedReturn, MetricReturn} {
		if has[m] {
			return m, nil
		}
	}
	return "", fmt.Errorf("report: none of the %d selected runs in %s logged %s or %s", len(runs), s.Path(), MetricNormalizedReturn, MetricReturn)
}

// bestOfTasks returns each task's best: the maximum over its groups' IQM
// curves (Options.OfBest). A task with no finite point has none.
func bestOfTasks(groups []*group) map[string]float64 {
	best := map[string]float64{}
	for _, g := range groups {
		_, mid := iqmCurve(g)
		for _, v := range mid {
			if b, ok := best[g.task]; finite(v) && (!ok || v > b) {
				best[g.task] = v
			}
		}
	}
	return best
}

// commonReference returns " of R" if every row with a reference has the same
// one, else "" (each cell then names its reference).
func commonReference(rows []Row) string {
	ref, n := 0.0, 0
	for _, r := range rows {
		if r.Task == AllTasks || !r.StepsTo.HasReference {
			continue
		}
		if n > 0 && r.StepsTo.Reference != ref {
			return ""
		}
		ref = r.StepsTo.Reference
		n++
	}
	if n == 0 {
		return ""
	}
	return " of " + fmtRef(ref)
}

// prettyMetric returns the symbol of a known uncertainty metric.
func prettyMetric(m string) string {
	switch m {
	case "uncertainty/sigma_ep":
		return "mean epistemic σ_ep"
	case "train/lambda":
		return "λ"
	case "train/w_bc":
		return "w_BC"
	}
	return m
}

// fileSafe maps s to letters, digits, '.', '-' and '_' for a file name.
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '-'
	}, s)
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format, args...)
	}
}
