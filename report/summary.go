package report

import (
	"encoding/json"
	"math"
	"slices"
	"time"

	"github.com/dwm-rl/dwm/eval/stats"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/track"
)

// AllTasks is the Task of a row that aggregates a method over every task.
const AllTasks = "all tasks"

// Cell is one statistic of a group: the IQM across seeds with its bootstrap
// confidence interval, over the seeds with a finite value.
type Cell struct {
	stats.Interval
	// N is the number of seeds (runs) the interval is computed from.
	N int
	// Missing counts the runs without a finite value (NaN, no data, or no
	// online phase for a dip); they are left out of the interval.
	Missing int
}

// OK reports whether the cell holds a value.
func (c Cell) OK() bool { return c.N > 0 }

// StepsTo is the steps-to-threshold statistic of a group.
type StepsTo struct {
	// HasReference is false when the task has no reference (a raw-return
	// metric without Options.Reference or References): nothing is measured.
	HasReference bool
	Reference    float64
	Percent      float64
	// Step is the first step at which the IQM curve reaches Percent% of
	// Reference; Reached is false if it never does.
	Step    int64
	Reached bool
	// SeedsReached of Seeds runs reach the threshold on their own curve.
	SeedsReached, Seeds int
}

// Row is one task × method line of the results table.
type Row struct {
	Task, Method string
	// Runs is the number of runs (seeds) in the group.
	Runs int
	// Last is the IQM of each run's final evaluation; Best the IQM of each
	// run's best evaluation (an optimistic statistic).
	Last, Best Cell
	// StepsTo and Dip are empty in an AllTasks row.
	StepsTo StepsTo
	Dip     Cell
	// Switches are the distinct offline→online switch steps of the runs.
	Switches []int64
	// TrainTime is the median of the runs' training times (RunRow's), 0
	// if none is known. Empty in an AllTasks row.
	TrainTime time.Duration
	// Aggregates are rliable's other aggregates of the last scores, in an
	// AllTasks row only (nil elsewhere).
	Aggregates *Aggregates
}

// Aggregates are the aggregates over tasks rliable reports beside the IQM,
// of each run's last score, with stratified-bootstrap CIs: the median of
// the tasks' means, the mean of the tasks' means, and the optimality gap
// to 100 (the expert's normalized score; lower is better).
type Aggregates struct {
	Median, Mean, OptimalityGap Cell
}

// RunRow is one run of the per-run table.
type RunRow struct {
	Name, Task, Method, Status string
	Seed                       int64
	Evals                      int     // evaluations of the metric
	Last, Best                 float64 // NaN if none
	Switch                     int64
	HasSwitch                  bool
	// ForkOf is "<run>@<step>" for a run branched from another's checkpoint
	// (its config's fork_of), else empty.
	ForkOf string
	// TrainTime is the time the run spent training as its speed metrics
	// (time/updates_per_s, time/env_steps_per_s) tell it, pauses and
	// restarts left out; a branch counts its own steps only. 0: unknown.
	TrainTime time.Duration
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// cell bootstraps the IQM of scores[t] (strata = tasks), leaving out
// non-finite values.
func cell(scores [][]float64, o Options, s *rng.Stream) (Cell, error) {
	return cellOf(scores, stats.AggregateIQM, o, s)
}

// cellOf is cell with another aggregate.
func cellOf(scores [][]float64, stat stats.Aggregate, o Options, s *rng.Stream) (Cell, error) {
	var c Cell
	var kept [][]float64
	for _, task := range scores {
		var k []float64
		for _, v := range task {
			if finite(v) {
				k = append(k, v)
			} else {
				c.Missing++
			}
		}
		if len(k) > 0 {
			kept = append(kept, k)
			c.N += len(k)
		}
	}
	if c.N == 0 {
		return c, nil
	}
	iv, err := stats.StratifiedBootstrapCI(kept, stat, o.Resamples, o.Confidence, s)
	if err != nil {
		return Cell{}, err
	}
	c.Interval = iv
	return c, nil
}

// iqmCurve returns g's IQM curve on the union of its runs' evaluation
// steps, over the runs with a finite value at each step.
func iqmCurve(g *group) ([]int, []float64) {
	at := map[int64][]float64{}
	for _, r := range g.runs {
		for _, p := range r.main {
			if finite(p.v) {
				at[p.x] = append(at[p.x], p.v)
			}
		}
	}
	steps := make([]int64, 0, len(at))
	for x := range at {
		steps = append(steps, x)
	}
	slices.Sort(steps)
	xs := make([]int, len(steps))
	mid := make([]float64, len(steps))
	for i, x := range steps {
		xs[i], mid[i] = int(x), stats.IQM(at[x])
	}
	return xs, mid
}

// summarize computes the row of g.
func summarize(g *group, metric string, o Options) (Row, error) {
	row := Row{Task: g.task, Method: g.method, Runs: len(g.runs)}
	lasts := make([]float64, len(g.runs))
	bests := make([]float64, len(g.runs))
	dips := make([]float64, len(g.runs))
	for i, r := range g.runs {
		_, vs := split(r.main)
		lasts[i] = stats.Last(vs)
		bests[i], _ = stats.Best(vs)
		dips[i] = math.NaN()
		if d, ok := r.dip(o.DipSteps); ok {
			dips[i] = d
		}
		if r.hasSwitch && !slices.Contains(row.Switches, r.switchX) {
			row.Switches = append(row.Switches, r.switchX)
		}
	}
	slices.Sort(row.Switches)
	var times []float64
	for _, r := range g.runs {
		if r.trainTime > 0 {
			times = append(times, r.trainTime.Seconds())
		}
	}
	if len(times) > 0 {
		slices.Sort(times)
		row.TrainTime = time.Duration(stats.Quantile(times, 0.5) * float64(time.Second))
	}
	var err error
	stream := func(stat string) *rng.Stream { return rng.Derive(o.Seed, "report", stat, g.task, g.method) }
	if row.Last, err = cell([][]float64{lasts}, o, stream("last")); err != nil {
		return Row{}, err
	}
	if row.Best, err = cell([][]float64{bests}, o, stream("best")); err != nil {
		return Row{}, err
	}
	if row.Dip, err = cell([][]float64{dips}, o, stream("dip")); err != nil {
		return Row{}, err
	}
	ref, ok := o.reference(g.task, metric)
	row.StepsTo = StepsTo{HasReference: ok, Reference: ref, Percent: o.Percent, Seeds: len(g.runs), Step: -1}
	if ok {
		xs, mid := iqmCurve(g)
		if st, reached := stats.StepsToReach(xs, mid, ref, o.Percent, o.Window); reached {
			row.StepsTo.Step, row.StepsTo.Reached = int64(st), true
		}
		for _, r := range g.runs {
			xs, vs := split(r.main)
			if _, reached := stats.StepsToReach(xs, vs, ref, o.Percent, o.Window); reached {
				row.StepsTo.SeedsReached++
			}
		}
	}
	return row, nil
}

// aggregateRows returns one AllTasks row per method over its tasks' Last and
// Best values (bootstrap stratified by task).
func aggregateRows(groups []*group, o Options) ([]Row, error) {
	type acc struct{ lasts, bests [][]float64 }
	byMethod := map[string]*acc{}
	var methods []string
	runs := map[string]int{}
	for _, g := range groups {
		a := byMethod[g.method]
		if a == nil {
			a = &acc{}
			byMethod[g.method] = a
			methods = append(methods, g.method)
		}
		var l, b []float64
		for _, r := range g.runs {
			_, vs := split(r.main)
			best, _ := stats.Best(vs)
			l = append(l, stats.Last(vs))
			b = append(b, best)
		}
		a.lasts = append(a.lasts, l)
		a.bests = append(a.bests, b)
		runs[g.method] += len(g.runs)
	}
	slices.Sort(methods)
	var out []Row
	for _, m := range methods {
		a := byMethod[m]
		row := Row{Task: AllTasks, Method: m, Runs: runs[m]}
		var err error
		if row.Last, err = cell(a.lasts, o, rng.Derive(o.Seed, "report", "last", AllTasks, m)); err != nil {
			return nil, err
		}
		if row.Best, err = cell(a.bests, o, rng.Derive(o.Seed, "report", "best", AllTasks, m)); err != nil {
			return nil, err
		}
		ag := &Aggregates{}
		for _, x := range []struct {
			c    *Cell
			name string
			stat stats.Aggregate
		}{{&ag.Median, "median", stats.AggregateMedian}, {&ag.Mean, "mean", stats.AggregateMean}, {&ag.OptimalityGap, "gap", stats.OptimalityGap(100)}} {
			if *x.c, err = cellOf(a.lasts, x.stat, o, rng.Derive(o.Seed, "report", x.name, AllTasks, m)); err != nil {
				return nil, err
			}
		}
		row.Aggregates = ag
		out = append(out, row)
	}
	return out, nil
}

// runRow summarizes one run.
func runRow(r *runData) RunRow {
	_, vs := split(r.main)
	best, _ := stats.Best(vs)
	return RunRow{
		Name: r.run.Name, Task: r.task, Method: r.method, Status: string(r.run.Status), Seed: r.run.Seed,
		Evals: len(vs), Last: stats.Last(vs), Best: best, Switch: r.switchX, HasSwitch: r.hasSwitch, ForkOf: forkOf(r.run),
		TrainTime: r.trainTime,
	}
}

// forkOf returns a run config's fork_of ("" when it has none).
func forkOf(r track.Run) string {
	var c struct {
		ForkOf string `json:"fork_of"`
	}
	if json.Unmarshal(r.Config, &c) != nil {
		return ""
	}
	return c.ForkOf
}
