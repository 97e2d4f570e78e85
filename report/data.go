package report

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dwm-rl/dwm/eval/stats"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/track"
)

// point is one value of a run's metric at its global step.
type point struct {
	x      int64
	v      float64
	online bool
}

// runData is one run's loaded series, on global steps.
type runData struct {
	run       track.Run
	task      string             // see taskOf and label
	method    string             // see label
	main      []point            // the learning-curve metric, by step
	extra     map[string][]point // uncertainty metrics present
	switchX   int64              // first online global step
	hasSwitch bool               // the run has both phases
	trainTime time.Duration      // see trainTime; 0 if unknown
}

// group is the runs of one task and method, by seed.
type group struct {
	task, method string
	runs         []*runData
}

// loadRun reads metric and the extra metrics of r and places them on global
// steps (see the package comment).
func loadRun(s *track.Store, r track.Run, metric string, extras []string) (*runData, error) {
	names, err := s.MetricNames(r.ID)
	if err != nil {
		return nil, err
	}
	raw := map[string][]track.Point{}
	for _, name := range append([]string{metric}, extras...) {
		if _, done := raw[name]; done || !slices.Contains(names, name) {
			continue
		}
		pts, err := s.Metrics(r.ID, name)
		if err != nil {
			return nil, err
		}
		raw[name] = pts
	}
	d := &runData{run: r, task: taskOf(r), method: r.Algo, extra: map[string][]point{}}
	offMax, onMin := int64(math.MinInt64), int64(math.MaxInt64)
	hasOff, hasOn := false, false
	for _, pts := range raw {
		for _, p := range pts {
			if p.Phase == track.PhaseOnline {
				hasOn = true
				onMin = min(onMin, p.Step)
			} else {
				hasOff = true
				offMax = max(offMax, p.Step)
			}
		}
	}
	shift := int64(0)
	if hasOn && hasOff {
		d.hasSwitch = true
		d.switchX = onMin
		if onMin <= offMax { // per-phase counters: online restarts its count
			shift = offMax + 1
			d.switchX = offMax + 1
		} else if n, ok := offlineSteps(r); ok && n >= offMax && n+1 < onMin {
			// The first online step logged may be an evaluation interval
			// after the switch; the config says where it is.
			d.switchX = n + 1
		}
	}
	conv := func(pts []track.Point) []point {
		out := make([]point, len(pts))
		for i, p := range pts {
			on := p.Phase == track.PhaseOnline
			x := p.Step
			if on {
				x += shift
			}
			out[i] = point{x: x, v: p.Value, online: on}
		}
		slices.SortStableFunc(out, func(a, b point) int {
			if a.x != b.x {
				return cmpInt(a.x, b.x)
			}
			return cmpBool(a.online, b.online)
		})
		return out
	}
	d.main = conv(raw[metric])
	for _, name := range extras {
		if pts, ok := raw[name]; ok && len(pts) > 0 {
			d.extra[name] = conv(pts)
		}
	}
	if d.trainTime, err = trainTime(s, r, names); err != nil {
		return nil, err
	}
	return d, nil
}

// Speed metrics the training loop logs with each log row: the rate over the
// steps since the previous row of the phase.
const (
	updatesPerSecond  = "time/updates_per_s"
	envStepsPerSecond = "time/env_steps_per_s"
)

// trainTime returns the time r spent training, integrated from the speed
// metrics the loop logs (each row's steps since the previous row, over its
// rate): the machine's time as the run saw it, with pauses and restarts
// left out. A branched run counts only the steps after its fork (its
// earlier rows are its parent's). 0 if r logged no speed.
func trainTime(s *track.Store, r track.Run, names []string) (time.Duration, error) {
	from := int64(-1)
	if f := forkOf(r); f != "" {
		if i := strings.LastIndexByte(f, '@'); i >= 0 {
			if n, err := strconv.ParseInt(f[i+1:], 10, 64); err == nil {
				from = n
			}
		}
	}
	var secs float64
	for _, name := range []string{updatesPerSecond, envStepsPerSecond} {
		if !slices.Contains(names, name) {
			continue
		}
		pts, err := s.Metrics(r.ID, name)
		if err != nil {
			return 0, err
		}
		prev := int64(-1) // the step before the phase's first row
		for _, p := range pts {
			if prev < 0 {
				prev = 0
				if p.Phase == track.PhaseOnline {
					if n, ok := offlineSteps(r); ok && n < p.Step {
						prev = n
					}
				}
			}
			if p.Step > from && p.Value > 0 && p.Step > prev {
				secs += float64(p.Step-max(prev, from)) / p.Value
			}
			prev = p.Step
		}
	}
	return time.Duration(secs * float64(time.Second)), nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// sweepParts splits a sweep's run name "<sweep>__<task>__<method>__<seed>"
// (package sweep's RunName); ok is false for any other name.
func sweepParts(name string) (sweep, task, method string, ok bool) {
	p := strings.Split(name, "__")
	if len(p) != 4 || p[0] == "" || p[1] == "" || p[2] == "" {
		return "", "", "", false
	}
	if _, err := strconv.ParseUint(p[3], 10, 63); err != nil {
		return "", "", "", false
	}
	return p[0], p[1], p[2], true
}

// label names the runs' tasks and methods for grouping. A run of a sweep
// takes its task from its name: the sweep's task label, which tells apart
// tasks sharing a dataset (hopper-medium online on hopper and on
// hopper-friction-2.0). Its method is its algorithm, qualified by the
// sweep's name, "bdwm (bdwm-table2-no-bc)", when runs of that algorithm on
// that task come from several sweeps (ablations run as sweeps of one
// algorithm with overrides). Other runs keep taskOf and their algorithm.
func label(runs []*runData) {
	sweeps := map[[2]string][]string{}
	for _, r := range runs {
		if sw, task, _, ok := sweepParts(r.run.Name); ok {
			r.task = task
			k := [2]string{task, r.run.Algo}
			if !slices.Contains(sweeps[k], sw) {
				sweeps[k] = append(sweeps[k], sw)
			}
		}
	}
	for _, r := range runs {
		sw, _, _, ok := sweepParts(r.run.Name)
		if ok && len(sweeps[[2]string{r.task, r.run.Algo}]) > 1 {
			r.method = r.run.Algo + " (" + sw + ")"
		}
	}
}

// taskOf names a run's task: the base name, without extension, of the
// dataset file its config names (D4RL-style tasks are datasets: one env has
// several), else its env.
func taskOf(r track.Run) string {
	var c struct {
		Dataset string `json:"dataset"`
	}
	if json.Unmarshal(r.Config, &c) == nil && c.Dataset != "" {
		base := filepath.Base(c.Dataset)
		if t := strings.TrimSuffix(base, filepath.Ext(base)); t != "" {
			return t
		}
	}
	return r.Env
}

// offlineSteps returns train.offline_steps from a run's resolved config
// (dwm's global step counter puts the first online step right after it).
func offlineSteps(r track.Run) (int64, bool) {
	var c struct {
		Train struct {
			OfflineSteps *int64 `json:"offline_steps"`
		} `json:"train"`
	}
	if json.Unmarshal(r.Config, &c) != nil || c.Train.OfflineSteps == nil || *c.Train.OfflineSteps <= 0 {
		return 0, false
	}
	return *c.Train.OfflineSteps, true
}

// groupRuns groups runs by task then method, sorted by name, runs by seed.
func groupRuns(runs []*runData) []*group {
	idx := map[[2]string]*group{}
	var out []*group
	for _, r := range runs {
		k := [2]string{r.task, r.method}
		g := idx[k]
		if g == nil {
			g = &group{task: r.task, method: r.method}
			idx[k] = g
			out = append(out, g)
		}
		g.runs = append(g.runs, r)
	}
	slices.SortFunc(out, func(a, b *group) int {
		if c := strings.Compare(a.task, b.task); c != 0 {
			return c
		}
		return strings.Compare(a.method, b.method)
	})
	for _, g := range out {
		slices.SortStableFunc(g.runs, func(a, b *runData) int {
			if c := cmpInt(a.run.Seed, b.run.Seed); c != 0 {
				return c
			}
			return strings.Compare(a.run.Name, b.run.Name)
		})
	}
	return out
}

// band is an aggregated curve: at each step, the IQM across runs and its
// bootstrap confidence interval over the runs with a finite value there.
type band struct {
	xs          []float64
	mid, lo, hi []float64
	n           []int // runs with a finite value at xs[i]
}

// aggregate computes the IQM band of series (one per run) on the union of
// their steps; steps where no run has a finite value are left out. With
// more than maxPoints distinct steps (a metric logged every update), the
// steps are cut into maxPoints equal bins, each run contributes the mean of
// its finite values in a bin, and the bin sits at its centre.
func aggregate(series [][]point, conf float64, resamples, maxPoints int, s *rng.Stream) (band, error) {
	var xs []int64
	for _, ser := range series {
		for _, p := range ser {
			xs = append(xs, p.x)
		}
	}
	slices.Sort(xs)
	xs = slices.Compact(xs)
	var b band
	add := func(x float64, vals []float64) error {
		if len(vals) == 0 {
			return nil
		}
		iv, err := stats.StratifiedBootstrapCI([][]float64{vals}, stats.AggregateIQM, resamples, conf, s)
		if err != nil {
			return fmt.Errorf("step %v: %w", x, err)
		}
		b.xs = append(b.xs, x)
		b.mid = append(b.mid, iv.Point)
		b.lo = append(b.lo, iv.Lo)
		b.hi = append(b.hi, iv.Hi)
		b.n = append(b.n, len(vals))
		return nil
	}
	vals := make([]float64, 0, len(series))
	if len(xs) > maxPoints && maxPoints > 0 {
		lo, hi := float64(xs[0]), float64(xs[len(xs)-1])
		width := (hi - lo) / float64(maxPoints)
		sum := make([][]float64, len(series))
		cnt := make([][]int, len(series))
		for i, ser := range series {
			sum[i], cnt[i] = make([]float64, maxPoints), make([]int, maxPoints)
			for _, p := range ser {
				if !finite(p.v) {
					continue
				}
				k := min(int((float64(p.x)-lo)/width), maxPoints-1)
				sum[i][k] += p.v
				cnt[i][k]++
			}
		}
		for k := range maxPoints {
			vals = vals[:0]
			for i := range series {
				if cnt[i][k] > 0 {
					vals = append(vals, sum[i][k]/float64(cnt[i][k]))
				}
			}
			if err := add(lo+(float64(k)+0.5)*width, vals); err != nil {
				return band{}, err
			}
		}
		return b, nil
	}
	idx := make([]int, len(series))
	for _, x := range xs {
		vals = vals[:0]
		for i, ser := range series {
			for idx[i] < len(ser) && ser[idx[i]].x < x {
				idx[i]++
			}
			// The last value logged at x (an offline and an online point can
			// share a step only in malformed data; the online one wins).
			v := math.NaN()
			for j := idx[i]; j < len(ser) && ser[j].x == x; j++ {
				v = ser[j].v
			}
			if finite(v) {
				vals = append(vals, v)
			}
		}
		if err := add(float64(x), vals); err != nil {
			return band{}, err
		}
	}
	return b, nil
}

// steps and values of a series, for the stats curve functions.
func split(ser []point) ([]int, []float64) {
	xs := make([]int, len(ser))
	vs := make([]float64, len(ser))
	for i, p := range ser {
		xs[i], vs[i] = int(p.x), p.v
	}
	return xs, vs
}

// dip returns a run's transition dip with a window of dipSteps steps after
// the switch (0: a tenth of the online span, at least up to the first online
// evaluation).
func (d *runData) dip(dipSteps int64) (float64, bool) {
	if !d.hasSwitch || len(d.main) == 0 {
		return math.NaN(), false
	}
	k := dipSteps
	if k == 0 {
		last := d.main[len(d.main)-1].x
		k = (last - d.switchX) / 10
		for _, p := range d.main {
			if p.online {
				k = max(k, p.x-d.switchX)
				break
			}
		}
	}
	xs, vs := split(d.main)
	// TransitionDip treats steps ≤ switchStep as offline: every offline point
	// is before d.switchX, so pass d.switchX−1 and widen the window by one
	// to cover the online steps [switchX, switchX+k].
	return stats.TransitionDip(xs, vs, int(d.switchX-1), int(k+1))
}
