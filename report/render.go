package report

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// figureFile is one written figure.
type figureFile struct {
	Task, Caption, File string
	png                 []byte
}

// page is what the Markdown and HTML writers render.
type page struct {
	Title, Store, Filter, Metric, Generated string
	Runs                                    int
	Confidence                              float64
	Percent                                 float64
	OfBest                                  bool   // steps-to-X% of each task's best
	refHeader                               string // "of 100" if one reference, else ""
	DipSteps                                int64
	Rows                                    []Row
	RunRows                                 []RunRow
	Figures                                 []figureFile
	Comparisons                             []Comparison
}

// aggregateRows returns the rows with rliable's other aggregates.
func (p *page) aggregateRows() []Row {
	var out []Row
	for _, r := range p.Rows {
		if r.Aggregates != nil {
			out = append(out, r)
		}
	}
	return out
}

func (p *page) aggregateHeader() []string {
	return []string{"Method", "Runs", "IQM [" + p.conf() + " CI]", "Median", "Mean", "Optimality gap (γ = 100)"}
}

func aggregateCells(r Row) []string {
	a := r.Aggregates
	return []string{r.Method, strconv.Itoa(r.Runs), fmtCell(r.Last), fmtCell(a.Median), fmtCell(a.Mean), fmtCell(a.OptimalityGap)}
}

func (p *page) aggregateNote() string {
	return fmt.Sprintf("Over every task, of each run's last %s (rliable's aggregate metrics, Agarwal et al. 2021): the IQM of all runs, the median and the mean of the tasks' means, and the optimality gap, how far the runs fall short of 100 on average (scores above count as 100; lower is better); %s stratified-bootstrap CIs.", p.Metric, p.conf())
}

func comparisonHeader(p *page) []string {
	return []string{"P(X > Y)", "X", "Y", "Tasks", "Runs of X, Y", "P [" + p.conf() + " CI]"}
}

func comparisonCells(c Comparison) []string {
	return []string{fmt.Sprintf("P(%s > %s)", c.Method, c.Other), c.Method, c.Other, strings.Join(c.Tasks, ", "),
		fmt.Sprintf("%d, %d", c.Runs, c.OtherRuns), fmtComparison(c)}
}

// comparisonNote explains the comparisons table.
func (p *page) comparisonNote() string {
	return fmt.Sprintf("Probability of improvement (Agarwal et al. 2021): the chance that a run of X ends (last evaluation of %s) above a run of Y on the same task, averaged over the tasks both ran; ties count one half; %s CI from a bootstrap that resamples each method's runs independently within each task. 0.5 is a tie; a CI that excludes 0.5 is a meaningful difference.", p.Metric, p.conf())
}

func (p *page) conf() string { return strconv.FormatFloat(100*p.Confidence, 'f', -1, 64) + "%" }

func fmtCell(c Cell) string {
	if !c.OK() {
		if c.Missing > 0 {
			return fmt.Sprintf("— (0/%d finite)", c.Missing)
		}
		return "—"
	}
	s := fmt.Sprintf("%s [%s, %s]", fmtNum(c.Point), fmtNum(c.Lo), fmtNum(c.Hi))
	if c.Missing > 0 {
		s += fmt.Sprintf(" (%d/%d finite)", c.N, c.N+c.Missing)
	}
	return s
}

// referenceName says what steps-to-X% is measured against.
func (p *page) referenceName() string {
	if p.OfBest {
		return "the task's best (the highest point of any method's IQM curve on it)"
	}
	return "the reference"
}

func (p *page) fmtSteps(r Row) string {
	s := r.StepsTo
	if r.Task == AllTasks {
		return ""
	}
	if !s.HasReference {
		return "— (no reference)"
	}
	ref := ""
	if p.refHeader == "" {
		ref = " of " + fmtRef(s.Reference)
	}
	seeds := fmt.Sprintf(" (%d/%d seeds)", s.SeedsReached, s.Seeds)
	if !s.Reached {
		return "not reached" + ref + seeds
	}
	return strconv.FormatInt(s.Step, 10) + ref + seeds
}

func fmtDip(r Row) string {
	if r.Task == AllTasks {
		return ""
	}
	return fmtCell(r.Dip)
}

func fmtSwitch(r Row) string {
	if len(r.Switches) == 0 {
		return "—"
	}
	parts := make([]string, len(r.Switches))
	for i, s := range r.Switches {
		parts[i] = strconv.FormatInt(s, 10)
	}
	return strings.Join(parts, ", ")
}

func fmtRunSwitch(r RunRow) string {
	if !r.HasSwitch {
		return "—"
	}
	return strconv.FormatInt(r.Switch, 10)
}

// legend explains the table's columns.
func (p *page) legend() []string {
	dip := "the first tenth of the online phase"
	if p.DipSteps > 0 {
		dip = fmt.Sprintf("the first %d online steps", p.DipSteps)
	}
	l := []string{
		fmt.Sprintf("Last: each seed's final evaluation of %s; IQM across seeds with a stratified-bootstrap %s CI [low, high]; \"k/n finite\": only k of n runs have a finite value.", p.Metric, p.conf()),
		fmt.Sprintf("Best: each seed's best evaluation (maximum over its evaluations, so optimistically biased); IQM and %s CI across seeds.", p.conf()),
		fmt.Sprintf("Steps to %s%%%s: first step at which the IQM curve reaches %s%% of %s; in brackets, how many seeds reach it on their own.",
			fmtParam(p.Percent), p.refHeader, fmtParam(p.Percent), p.referenceName()),
		fmt.Sprintf("Dip: last offline evaluation minus the worst evaluation in %s after the switch (positive = a drop); IQM and %s CI across seeds.", dip, p.conf()),
	}
	for _, r := range p.Rows {
		if r.Task == AllTasks {
			l = append(l, fmt.Sprintf("%s rows pool every run of every task (bootstrap stratified by task).", AllTasks))
			break
		}
	}
	return l
}

func (p *page) header() []string {
	return []string{"Task", "Method", "Runs", "Last: IQM [" + p.conf() + " CI]", "Best: IQM [" + p.conf() + " CI]",
		"Steps to " + fmtParam(p.Percent) + "%" + p.refHeader, "Dip: IQM [" + p.conf() + " CI]", "Switch step", "Train time/run (median)"}
}

func (p *page) cells(r Row) []string {
	t := fmtTrainTime(r.TrainTime)
	if r.Task == AllTasks {
		t = ""
	}
	return []string{r.Task, r.Method, strconv.Itoa(r.Runs), fmtCell(r.Last), fmtCell(r.Best), p.fmtSteps(r), fmtDip(r), fmtSwitch(r), t}
}

// fmtTrainTime writes a training time to the minute ("—" if unknown).
func fmtTrainTime(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	if d < time.Minute {
		return d.Round(time.Second).String()
	}
	return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
}

var runHeader = []string{"Run", "Task", "Method", "Seed", "Status", "Evals", "Last", "Best", "Switch step", "Train time"}

// forks reports whether any run of the page was branched from another
// (then the runs table has a "Fork of" column).
func (p *page) forks() bool {
	for _, r := range p.RunRows {
		if r.ForkOf != "" {
			return true
		}
	}
	return false
}

func (p *page) runHeader() []string {
	if p.forks() {
		return append(append([]string(nil), runHeader...), "Fork of")
	}
	return append([]string(nil), runHeader...)
}

func (p *page) runCells(r RunRow) []string {
	c := []string{r.Name, r.Task, r.Method, strconv.FormatInt(r.Seed, 10), r.Status, strconv.Itoa(r.Evals),
		fmtNum(r.Last), fmtNum(r.Best), fmtRunSwitch(r), fmtTrainTime(r.TrainTime)}
	if p.forks() {
		c = append(c, cmp.Or(r.ForkOf, "—"))
	}
	return c
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

func mdRow(w io.Writer, cells []string) {
	for i := range cells {
		cells[i] = mdEscape(cells[i])
	}
	fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
}

// writeMarkdown writes the page as Markdown; figures are linked by file name.
func writeMarkdown(w io.Writer, p *page) error {
	fmt.Fprintf(w, "# %s\n\n", mdEscape(p.Title))
	fmt.Fprintf(w, "Store `%s`, filter `%s`, %d runs, metric `%s`, generated %s.\n\n", p.Store, p.Filter, p.Runs, p.Metric, p.Generated)
	fmt.Fprintf(w, "## Results\n\n")
	h := p.header()
	mdRow(w, h)
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(h)))
	for _, r := range p.Rows {
		mdRow(w, p.cells(r))
	}
	fmt.Fprintln(w)
	for _, l := range p.legend() {
		fmt.Fprintf(w, "- %s\n", l)
	}
	if rows := p.aggregateRows(); len(rows) > 0 {
		fmt.Fprintf(w, "\n## Aggregates over tasks\n\n")
		h := p.aggregateHeader()
		mdRow(w, h)
		fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(h)))
		for _, r := range rows {
			mdRow(w, aggregateCells(r))
		}
		fmt.Fprintf(w, "\n%s\n", p.aggregateNote())
	}
	if len(p.Comparisons) > 0 {
		fmt.Fprintf(w, "\n## Probability of improvement\n\n")
		h := comparisonHeader(p)
		mdRow(w, h)
		fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(h)))
		for _, c := range p.Comparisons {
			mdRow(w, comparisonCells(c))
		}
		fmt.Fprintf(w, "\n%s\n", p.comparisonNote())
	}
	fmt.Fprintf(w, "\n## Figures\n\n")
	task := ""
	for _, f := range p.Figures {
		if f.Task != task {
			task = f.Task
			fmt.Fprintf(w, "### %s\n\n", mdEscape(task))
		}
		fmt.Fprintf(w, "![%s](%s)\n\n", mdEscape(f.Caption), f.File)
	}
	fmt.Fprintf(w, "## Runs\n\n")
	mdRow(w, p.runHeader())
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(p.runHeader())))
	for _, r := range p.RunRows {
		mdRow(w, p.runCells(r))
	}
	_, err := fmt.Fprintln(w)
	return err
}

// htmlPage is the self-contained page: inline CSS, figures as data URIs,
// no script and no reference to anything outside the file.
var htmlPage = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem auto; max-width: 84rem; padding: 0 1rem; color: #1b1f24; background: #fff; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid #0072b2; padding-bottom: .2rem; margin-top: 2rem; }
h3 { font-size: 1.05rem; margin-top: 1.5rem; }
.meta { color: #57606a; font-size: .9rem; }
.meta code { background: #f0f3f6; padding: 0 .25rem; border-radius: 3px; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .88rem; }
th, td { border: 1px solid #d0d7de; padding: .3rem .55rem; text-align: left; vertical-align: top; }
th { background: #e8f1f8; }
tbody tr:nth-child(even) { background: #f6f8fa; }
tr.all td { font-weight: 600; background: #fff5e6; }
td { white-space: nowrap; }
td.num { font-variant-numeric: tabular-nums; }
.scroll { overflow-x: auto; }
ul.legend { font-size: .85rem; color: #3b434b; }
figure { display: inline-block; margin: .5rem 1rem .5rem 0; }
figure img { max-width: 100%; border: 1px solid #d0d7de; }
figcaption { font-size: .85rem; color: #57606a; }
details { margin-top: 1rem; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="meta">Store <code>{{.Store}}</code>, filter <code>{{.Filter}}</code>, {{.Runs}} runs, metric <code>{{.Metric}}</code>, generated {{.Generated}}.</p>
<h2>Results</h2>
<div class="scroll"><table id="results">
<thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr{{if .All}} class="all"{{end}}>{{range $i, $c := .Cells}}<td{{if ge $i 2}} class="num"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>
<ul class="legend">{{range .Legend}}<li>{{.}}</li>{{end}}</ul>
{{if .Aggregates}}<h2>Aggregates over tasks</h2>
<div class="scroll"><table id="aggregates">
<thead><tr>{{range .AggregateHeader}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Aggregates}}<tr>{{range $i, $c := .}}<td{{if ge $i 1}} class="num"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>
<p class="legend">{{.AggregateNote}}</p>
{{end}}{{if .Comparisons}}<h2>Probability of improvement</h2>
<div class="scroll"><table id="improvement">
<thead><tr>{{range .ComparisonHeader}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Comparisons}}<tr>{{range $i, $c := .}}<td{{if ge $i 4}} class="num"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>
<p class="legend">{{.ComparisonNote}}</p>
{{end}}<h2>Figures</h2>
{{range .Tasks}}<h3>{{.Task}}</h3>
{{range .Figures}}<figure><img {{.Src}} alt="{{.Caption}}" width="{{.W}}" height="{{.H}}"><figcaption>{{.Caption}}</figcaption></figure>
{{end}}{{end}}
<h2>Runs</h2>
<details open>
<summary>{{len .RunRows}} runs</summary>
<div class="scroll"><table id="runs">
<thead><tr>{{range .RunHeader}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .RunRows}}<tr>{{range $i, $c := .}}<td{{if ge $i 3}} class="num"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>
</details>
</body>
</html>
`))

type htmlFigure struct {
	Caption string
	Src     template.HTMLAttr
	W, H    int
}

type htmlTask struct {
	Task    string
	Figures []htmlFigure
}

type htmlRow struct {
	All   bool
	Cells []string
}

// writeHTML writes the self-contained page; w and h are a figure's pixel size.
func writeHTML(out io.Writer, p *page, w, h int) error {
	data := struct {
		Title, Store, Filter, Metric, Generated string
		Runs                                    int
		Header, Legend, RunHeader               []string
		Rows                                    []htmlRow
		Tasks                                   []htmlTask
		RunRows                                 [][]string
		ComparisonHeader, AggregateHeader       []string
		Comparisons, Aggregates                 [][]string
		ComparisonNote, AggregateNote           string
	}{Title: p.Title, Store: p.Store, Filter: p.Filter, Metric: p.Metric, Generated: p.Generated, Runs: p.Runs,
		Header: p.header(), Legend: p.legend(), RunHeader: p.runHeader(),
		ComparisonHeader: comparisonHeader(p), ComparisonNote: p.comparisonNote(),
		AggregateHeader: p.aggregateHeader(), AggregateNote: p.aggregateNote()}
	for _, r := range p.aggregateRows() {
		data.Aggregates = append(data.Aggregates, aggregateCells(r))
	}
	for _, c := range p.Comparisons {
		data.Comparisons = append(data.Comparisons, comparisonCells(c))
	}
	for _, r := range p.Rows {
		data.Rows = append(data.Rows, htmlRow{All: r.Task == AllTasks, Cells: p.cells(r)})
	}
	for _, f := range p.Figures {
		if len(data.Tasks) == 0 || data.Tasks[len(data.Tasks)-1].Task != f.Task {
			data.Tasks = append(data.Tasks, htmlTask{Task: f.Task})
		}
		t := &data.Tasks[len(data.Tasks)-1]
		// A data URI of our own PNG bytes; base64 has no quote or ampersand,
		// so the attribute is safe as written (and stays unescaped, small).
		src := template.HTMLAttr(`src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(f.png) + `"`)
		t.Figures = append(t.Figures, htmlFigure{Caption: f.Caption, Src: src, W: w, H: h})
	}
	for _, r := range p.RunRows {
		data.RunRows = append(data.RunRows, p.runCells(r))
	}
	return htmlPage.Execute(out, data)
}

// fmtParam formats a user-given parameter (a percentage, a reference) as
// written: 90, not 90.00.
func fmtParam(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// fmtRef writes a steps-to reference: exactly when it is a whole number (a
// given reference such as 100), else with fmtNum's precision (a measured
// best such as 40.19).
func fmtRef(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e9 {
		return fmtParam(v)
	}
	return fmtNum(v)
}
