package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/eval/stats"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/track"
)

// Synthetic runs: offline evaluations at steps 0, 1000, …, 5000, online ones
// at 6000, …, 15000 (one global step counter), so every run switches at 6000.
const (
	offlineEnd = 5000
	onlineEnd  = 15000
	evalEvery  = 1000
	switchStep = 6000
)

func openStore(t *testing.T) *track.Store {
	t.Helper()
	s, err := track.Open(filepath.Join(t.TempDir(), "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func phaseOf(step int64) string {
	if step > offlineEnd {
		return track.PhaseOnline
	}
	return track.PhaseOffline
}

// addRun writes one run with metric values f(step) at every evaluation step.
func addRun(t *testing.T, s *track.Store, env, algo string, seed int64, metric string, f func(step int64) float64, extra map[string]func(int64) float64) track.Run {
	t.Helper()
	r, err := s.CreateRun(track.Run{Name: env + "__" + algo + "__" + string(rune('0'+seed)), Algo: algo, Env: env, Seed: seed, Status: track.StatusDone})
	if err != nil {
		t.Fatal(err)
	}
	var rows []track.Row
	for step := int64(0); step <= onlineEnd; step += evalEvery {
		rows = append(rows, track.Row{Step: step, Phase: phaseOf(step), Name: metric, Value: f(step)})
		for name, g := range extra {
			rows = append(rows, track.Row{Step: step, Phase: phaseOf(step), Name: name, Value: g(step)})
		}
	}
	if err := s.LogRows(r.ID, rows); err != nil {
		t.Fatal(err)
	}
	return r
}

// exactCurve rises linearly to final at onlineEnd, with a drop of 10 at the
// first online evaluation.
func exactCurve(final float64) func(int64) float64 {
	return func(step int64) float64 {
		if step == switchStep {
			return final*offlineEnd/onlineEnd - 10
		}
		return final * float64(step) / onlineEnd
	}
}

// fillStore writes 2 tasks × 2 methods × 3 seeds. hopper/iql has exactly
// known statistics; walker/iql's seed 2 ends in NaN; calql logs the
// uncertainty metrics.
func fillStore(t *testing.T, s *track.Store) {
	t.Helper()
	for seed, final := range []float64{80, 90, 100} {
		addRun(t, s, "hopper-medium-v2", "iql", int64(seed), MetricNormalizedReturn, exactCurve(final), nil)
	}
	for _, env := range []string{"hopper-medium-v2", "walker2d-medium-v2"} {
		for seed := int64(0); seed < 3; seed++ {
			st := rng.Derive(uint64(seed), "test", env)
			noise := make([]float64, onlineEnd/evalEvery+1)
			for i := range noise {
				noise[i] = 3 * st.NormFloat64()
			}
			curve := func(step int64) float64 {
				return 30 + 50*float64(step)/onlineEnd + noise[step/evalEvery]
			}
			extra := map[string]func(int64) float64{
				"uncertainty/sigma_ep": func(step int64) float64 { return 0.5 * math.Exp(-float64(step)/5000) },
				"train/lambda":         func(step int64) float64 { return 1 + float64(step)/onlineEnd + 0.1*float64(seed) },
				"train/w_bc":           func(step int64) float64 { return math.Max(0, 1-float64(step)/onlineEnd) },
			}
			addRun(t, s, env, "calql", seed, MetricNormalizedReturn, curve, extra)
			if env == "walker2d-medium-v2" {
				walker := func(step int64) float64 {
					if seed == 2 && step == onlineEnd {
						return math.NaN()
					}
					return 20 + 40*float64(step)/onlineEnd + noise[step/evalEvery]
				}
				addRun(t, s, env, "iql", seed, MetricNormalizedReturn, walker, nil)
			}
		}
	}
}

func findRow(t *testing.T, rows []Row, task, method string) Row {
	t.Helper()
	for _, r := range rows {
		if r.Task == task && r.Method == method {
			return r
		}
	}
	t.Fatalf("no row %s × %s in %+v", task, method, rows)
	return Row{}
}

func approx(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func decodePNG(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode PNG: %v", err)
	}
	return img
}

// colours counts the distinct colours of img and the pixels within tol of c.
func colours(img image.Image, c [3]uint8, tol int) (distinct, near int) {
	seen := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r8, g8, b8 := int(r>>8), int(g>>8), int(bl>>8)
			seen[uint32(r8)<<16|uint32(g8)<<8|uint32(b8)] = true
			if abs(r8-int(c[0])) <= tol && abs(g8-int(c[1])) <= tol && abs(b8-int(c[2])) <= tol {
				near++
			}
		}
	}
	return len(seen), near
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

var blue = [3]uint8{0x00, 0x72, 0xB2} // the first method's colour (calql)

func TestBuild(t *testing.T) {
	s := openStore(t)
	fillStore(t, s)
	out := t.TempDir()
	var log bytes.Buffer
	res, err := Build(s, track.Filter{}, out, Options{Resamples: 2000, CurveResamples: 200, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if res.Metric != MetricNormalizedReturn {
		t.Errorf("metric %s", res.Metric)
	}

	// hopper × iql: finals 80, 90, 100 → IQM (¼·80 + 90 + ¼·100)/1.5 = 90.
	r := findRow(t, res.Rows, "hopper-medium-v2", "iql")
	if r.Runs != 3 || !approx(r.Last.Point, 90) || r.Last.N != 3 || r.Last.Missing != 0 {
		t.Errorf("hopper iql last %+v", r.Last)
	}
	if !(r.Last.Lo >= 80 && r.Last.Lo < 90 && r.Last.Hi > 90 && r.Last.Hi <= 100) {
		t.Errorf("hopper iql last CI %+v not around 90 within [80, 100]", r.Last)
	}
	if !approx(r.Best.Point, 90) {
		t.Errorf("hopper iql best %+v, want 90 (curves peak at their final value)", r.Best)
	}
	if !approx(r.Dip.Point, 10) || !approx(r.Dip.Lo, 10) || !approx(r.Dip.Hi, 10) {
		t.Errorf("hopper iql dip %+v, want exactly 10", r.Dip)
	}
	// The IQM curve is 90·x/15000: it reaches 90 at 15000; alone, the seeds
	// with finals 100 and 90 reach it, 80 does not.
	if st := r.StepsTo; !st.HasReference || st.Reference != 100 || st.Percent != 90 || !st.Reached || st.Step != 15000 || st.SeedsReached != 2 || st.Seeds != 3 {
		t.Errorf("hopper iql steps-to %+v", st)
	}
	if len(r.Switches) != 1 || r.Switches[0] != switchStep {
		t.Errorf("switches %v, want [%d]", r.Switches, switchStep)
	}
	// walker × iql: one run ends in NaN, left out and counted.
	w := findRow(t, res.Rows, "walker2d-medium-v2", "iql")
	if w.Last.N != 2 || w.Last.Missing != 1 || w.Best.N != 3 {
		t.Errorf("walker iql last %+v best %+v", w.Last, w.Best)
	}
	// Two tasks and a normalized metric: one all-tasks row per method.
	all := findRow(t, res.Rows, AllTasks, "calql")
	if all.Runs != 6 || all.Last.N != 6 {
		t.Errorf("all-tasks calql row %+v", all)
	}

	// Files: per task a curve, a performance profile and 3 uncertainty
	// figures (calql logs them); one profile pooled over the two tasks.
	if len(res.Figures) != 11 {
		t.Fatalf("figures %v, want 11", res.Figures)
	}
	for _, f := range res.Figures {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		img := decodePNG(t, b)
		if got := img.Bounds().Size(); got != (image.Point{624, 384}) {
			t.Errorf("%s: size %v, want 624×384 (6.5 × 4 in at 96 dpi)", f, got)
		}
		distinct, nearBlue := colours(img, blue, 8)
		if distinct < 20 || nearBlue < 50 {
			t.Errorf("%s: %d colours, %d pixels of the calql line: looks blank", filepath.Base(f), distinct, nearBlue)
		}
	}
	md, err := os.ReadFile(res.Markdown)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| hopper-medium-v2 | iql | 3 | 90.00 [", "Last: IQM [95% CI]", "Best: IQM [95% CI]", "Steps to 90% of 100",
		"| 15000 (2/3 seeds) | 10.00 [10.00, 10.00] | 6000 |", "(2/3 finite)",
		"![hopper-medium-v2: eval/normalized_return, IQM across seeds", "(curve_hopper-medium-v2.png)", "(train-lambda_walker2d-medium-v2.png)",
		"Best: each seed's best evaluation", "| all tasks | calql | 6 |",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if got := strings.Count(log.String(), "report: wrote "); got != 13 {
		t.Errorf("log has %d lines, want 13:\n%s", got, log.String())
	}
	checkSelfContained(t, res.HTML, 11)

	// The same seed gives the same intervals.
	res2, err := Build(s, track.Filter{}, t.TempDir(), Options{Resamples: 2000, CurveResamples: 200, Uncertainty: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res2.Figures) != 5 {
		t.Errorf("no uncertainty metrics asked for, but %d figures", len(res2.Figures))
	}
	if a, b := findRow(t, res2.Rows, "walker2d-medium-v2", "calql").Last, findRow(t, res.Rows, "walker2d-medium-v2", "calql").Last; a != b {
		t.Errorf("same seed, different cells: %+v vs %+v", a, b)
	}
}

var srcRe = regexp.MustCompile(`(?i)\b(?:src|href)\s*=\s*"([^"]*)"`)

// checkSelfContained checks the page references nothing outside itself and
// that its n images are valid embedded PNGs.
func checkSelfContained(t *testing.T, path string, n int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, bad := range []string{"http://", "https://", "<script", "<link", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	refs := srcRe.FindAllStringSubmatch(page, -1)
	if len(refs) != n {
		t.Errorf("%d src/href attributes, want %d images", len(refs), n)
	}
	for _, m := range refs {
		data, ok := strings.CutPrefix(m[1], "data:image/png;base64,")
		if !ok {
			t.Errorf("reference %.60q is not an embedded PNG", m[1])
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			t.Fatalf("embedded PNG: %v", err)
		}
		decodePNG(t, raw)
	}
}

func TestSwitchPerPhaseCounters(t *testing.T) {
	// Online steps counted from zero again: online step s sits at 5001+s.
	s := openStore(t)
	for seed := int64(0); seed < 2; seed++ {
		r, err := s.CreateRun(track.Run{Algo: "sac", Env: "pen", Seed: seed, Name: "pen-sac-" + string(rune('0'+seed))})
		if err != nil {
			t.Fatal(err)
		}
		var rows []track.Row
		for step := int64(0); step <= 5000; step += 1000 {
			rows = append(rows, track.Row{Step: step, Phase: track.PhaseOffline, Name: MetricReturn, Value: 50})
			rows = append(rows, track.Row{Step: step, Phase: track.PhaseOnline, Name: MetricReturn, Value: 40 + float64(step)/100})
		}
		if err := s.LogRows(r.ID, rows); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Build(s, track.Filter{Env: "pen"}, t.TempDir(), Options{Resamples: 100, CurveResamples: 50, DipSteps: 1000})
	if err != nil {
		t.Fatal(err)
	}
	r := findRow(t, res.Rows, "pen", "sac")
	if res.Metric != MetricReturn || len(r.Switches) != 1 || r.Switches[0] != 5001 {
		t.Errorf("metric %s switches %v, want eval/return and [5001]", res.Metric, r.Switches)
	}
	// Dip: last offline 50 − worst online in [5001, 6001] (40 at 5001, 50 at 6001) = 10.
	if !approx(r.Dip.Point, 10) {
		t.Errorf("dip %+v, want 10", r.Dip)
	}
	// A raw return has no default reference.
	if r.StepsTo.HasReference {
		t.Errorf("steps-to %+v has a reference", r.StepsTo)
	}
	res, err = Build(s, track.Filter{}, t.TempDir(), Options{Resamples: 100, CurveResamples: 50, References: map[string]float64{"pen": 80}, Percent: 100})
	if err != nil {
		t.Fatal(err)
	}
	// Online 40 + s/100 reaches 80 at online step 4000, global 9001.
	if st := findRow(t, res.Rows, "pen", "sac").StepsTo; !st.Reached || st.Step != 9001 || st.SeedsReached != 2 {
		t.Errorf("steps-to with a per-task reference %+v, want 9001", st)
	}
}

func TestTaskIsTheDataset(t *testing.T) {
	// Two datasets of one env are two tasks; a run without a dataset is
	// grouped by its env.
	s := openStore(t)
	for i, ds := range []string{"data/hopper-medium-v2.hdf5", "/d/hopper-expert-v2.npz", ""} {
		cfg := `{"env":"hopper","dataset":"` + ds + `"}`
		r, err := s.CreateRun(track.Run{Name: "r" + string(rune('0'+i)), Algo: "iql", Env: "hopper", Config: []byte(cfg)})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.LogMetrics(r.ID, 0, track.PhaseOffline, map[string]float64{MetricReturn: float64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Build(s, track.Filter{}, t.TempDir(), Options{Resamples: 10, CurveResamples: 10})
	if err != nil {
		t.Fatal(err)
	}
	var tasks []string
	for _, r := range res.Rows {
		tasks = append(tasks, r.Task)
	}
	if strings.Join(tasks, ",") != "hopper,hopper-expert-v2,hopper-medium-v2" {
		t.Errorf("tasks %v", tasks)
	}
}

// Runs of sweeps take their task from the sweep's task label (two tasks on
// one dataset stay apart), and one algorithm run by several sweeps on a task
// (ablations) is one method per sweep.
func TestSweepLabels(t *testing.T) {
	s := openStore(t)
	cfg := []byte(`{"env":"hopper","dataset":"/d/hopper-medium.npz"}`)
	for i, name := range []string{"bdwm-table1__hopper-medium__bdwm__0", "bdwm-table1__hopper-medium__mopo__0",
		"bdwm-table2-no-bc__hopper-medium__bdwm__0", "o2o__hopper-medium__iql__0", "o2o__hopper-medium__iql__1",
		"dual-table4__hopper-medium-friction-2.0__dual__0", "dual-table4__hopper-medium__dual__0", "hopper__sac__0__20261124T035000.000Z"} {
		algo := strings.Split(name, "__")[2]
		if i == 7 {
			algo = "sac"
		}
		c := cfg
		if i == 2 {
			c = []byte(`{"env":"hopper","dataset":"/d/hopper-medium.npz","fork_of":"bdwm-table1__hopper-medium__bdwm__0@100000"}`)
		}
		r, err := s.CreateRun(track.Run{Name: name, Algo: algo, Env: "hopper", Config: c})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.LogMetrics(r.ID, 0, track.PhaseOffline, map[string]float64{MetricReturn: float64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	res, err := Build(s, track.Filter{}, out, Options{Resamples: 10, CurveResamples: 10})
	if err != nil {
		t.Fatal(err)
	}
	// A branched run is named as such in the runs table.
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil || !strings.Contains(string(md), "| Fork of |") ||
		!strings.Contains(string(md), "| bdwm-table1__hopper-medium__bdwm__0@100000 |") {
		t.Errorf("runs table without the fork column: %v\n%s", err, md)
	}
	var got []string
	for _, r := range res.Rows {
		if r.Task != AllTasks {
			got = append(got, fmt.Sprintf("%s/%s/%d", r.Task, r.Method, r.Runs))
		}
	}
	want := []string{"hopper-medium/bdwm (bdwm-table1)/1", "hopper-medium/bdwm (bdwm-table2-no-bc)/1", "hopper-medium/dual/1",
		"hopper-medium/iql/2", "hopper-medium/mopo/1", "hopper-medium/sac/1", "hopper-medium-friction-2.0/dual/1"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("rows\n%v\nwant\n%v", got, want)
	}
}

func TestBuildErrors(t *testing.T) {
	s := openStore(t)
	r, err := s.CreateRun(track.Run{Algo: "iql", Env: "x", Name: "only-loss"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.LogMetrics(r.ID, 0, track.PhaseOffline, map[string]float64{"loss/critic": 1}); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	for _, tc := range []struct {
		name string
		f    track.Filter
		o    Options
		want string
	}{
		{"no runs", track.Filter{Algo: "cql"}, Options{}, `no runs match filter "algo=cql"`},
		{"no eval metric", track.Filter{}, Options{}, "logged eval/normalized_return or eval/return"},
		{"missing metric", track.Filter{}, Options{Metric: "eval/success"}, "logged metric eval/success"},
		{"bad metric name", track.Filter{}, Options{Metric: "success"}, "Options.Metric"},
		{"bad confidence", track.Filter{}, Options{Confidence: 1.5}, "Options.Confidence 1.5"},
		{"bad percent", track.Filter{}, Options{Percent: math.NaN()}, "Options.Percent"},
		{"bad size", track.Filter{}, Options{Width: 100}, "Options.Width"},
		{"bad reference", track.Filter{}, Options{References: map[string]float64{"x": math.Inf(1)}}, `Options.References["x"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(s, tc.f, out, tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestBuildFileBadStore(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.db")
	if err := os.WriteFile(notDB, []byte("these are my notes, not a database\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	newer := filepath.Join(dir, "newer.db")
	s, err := track.Open(newer)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	setUserVersion(t, newer, track.SchemaVersion+1)
	for _, tc := range []struct{ path, want string }{
		{notDB, "not an SQLite database"},
		{newer, "newer than this dwm supports"},
		{filepath.Join(dir, "missing.db"), "does not exist"},
	} {
		_, err := BuildFile(tc.path, track.Filter{}, t.TempDir(), Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("BuildFile(%s) = %v, want an error naming the file and saying %q", filepath.Base(tc.path), err, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); err == nil {
		t.Error("BuildFile created a missing store")
	}
}

func TestDenseMetricIsBinned(t *testing.T) {
	// λ logged at every one of 5000 updates becomes 100 bin means; the
	// evaluation curve (6 points) is untouched.
	s := openStore(t)
	for seed := int64(0); seed < 2; seed++ {
		r, err := s.CreateRun(track.Run{Name: "dense" + string(rune('0'+seed)), Algo: "bdwm", Env: "pen", Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		var rows []track.Row
		for step := int64(0); step < 5000; step++ {
			phase := track.PhaseOffline
			if step >= 2500 {
				phase = track.PhaseOnline
			}
			rows = append(rows, track.Row{Step: step, Phase: phase, Name: "train/lambda", Value: float64(step % 50)})
			if step%1000 == 0 {
				rows = append(rows, track.Row{Step: step, Phase: phase, Name: MetricReturn, Value: float64(step)})
			}
		}
		if err := s.LogRows(r.ID, rows); err != nil {
			t.Fatal(err)
		}
	}
	ser := func(name string) [][]point {
		var out [][]point
		runs, _ := s.ListRuns(track.Filter{})
		for _, r := range runs {
			d, err := loadRun(s, r, MetricReturn, []string{name})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, d.extra[name])
		}
		return out
	}
	b, err := aggregate(ser("train/lambda"), 0.95, 50, 100, rng.New(1))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.xs) != 100 {
		t.Fatalf("%d points, want 100 bins", len(b.xs))
	}
	// Each bin spans 49.99 steps of the sawtooth 0…49: its mean is near 24.5.
	for i, m := range b.mid {
		if math.Abs(m-24.5) > 1 || b.n[i] != 2 {
			t.Errorf("bin %d at %v: mean %v over %d runs, want ≈24.5 over 2", i, b.xs[i], m, b.n[i])
		}
	}
	res, err := Build(s, track.Filter{}, t.TempDir(), Options{Resamples: 50, CurveResamples: 20, MaxPoints: 100})
	if err != nil || len(res.Figures) != 3 { // the curve, λ and the profile
		t.Fatalf("build: %v, figures %v", err, res)
	}
	// The switch comes from the densely logged λ (2500), not the first
	// online evaluation (3000).
	if r := findRow(t, res.Rows, "pen", "bdwm"); r.Last.Point != 4000 || len(r.Switches) != 1 || r.Switches[0] != 2500 {
		t.Errorf("row %+v: want last 4000, switch at 2500", r)
	}
}

func TestSwitchFromConfig(t *testing.T) {
	// Evaluations every 1000 steps, offline_steps 5000: the first online row
	// is at 6000, the switch at 5001.
	s := openStore(t)
	for seed, cfg := range []string{`{"train":{"offline_steps":5000}}`, `{"train":{"offline_steps":5000}}`, `{}`} {
		r, err := s.CreateRun(track.Run{Name: "c" + string(rune('0'+seed)), Algo: "iql", Env: "e", Seed: int64(seed), Config: []byte(cfg)})
		if err != nil {
			t.Fatal(err)
		}
		var rows []track.Row
		for step := int64(0); step <= onlineEnd; step += evalEvery {
			rows = append(rows, track.Row{Step: step, Phase: phaseOf(step), Name: MetricReturn, Value: 1})
		}
		if err := s.LogRows(r.ID, rows); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Build(s, track.Filter{}, t.TempDir(), Options{Resamples: 10, CurveResamples: 10})
	if err != nil {
		t.Fatal(err)
	}
	// Two runs know their switch; the one without a config falls back on its
	// first online row.
	if sw := findRow(t, res.Rows, "e", "iql").Switches; !slices.Equal(sw, []int64{5001, 6000}) {
		t.Errorf("switches %v, want [5001 6000]", sw)
	}
}

// With OfBest, steps-to-90% is measured against the task's best IQM point
// over the methods: iql's curve 90·x/15000 peaks at 90, so the threshold is
// 81, first reached at the 14000 evaluation (13000 gives 78); sac's peaks
// at 45 and never reaches it.
func TestBuildOfBest(t *testing.T) {
	s := openStore(t)
	for seed, final := range []float64{80, 90, 100} {
		addRun(t, s, "hopper-medium-v2", "iql", int64(seed), MetricNormalizedReturn, exactCurve(final), nil)
		addRun(t, s, "hopper-medium-v2", "sac", int64(seed), MetricNormalizedReturn, exactCurve(45), nil)
	}
	res, err := Build(s, track.Filter{}, t.TempDir(), Options{Resamples: 200, CurveResamples: 50, OfBest: true})
	if err != nil {
		t.Fatal(err)
	}
	r := findRow(t, res.Rows, "hopper-medium-v2", "iql")
	if st := r.StepsTo; !st.HasReference || !approx(st.Reference, 90) || !st.Reached || st.Step != 14000 || st.SeedsReached != 2 {
		t.Errorf("iql steps-to %+v, want step 14000 of 90 with 2 seeds", st)
	}
	if st := findRow(t, res.Rows, "hopper-medium-v2", "sac").StepsTo; !approx(st.Reference, 90) || st.Reached || st.SeedsReached != 0 {
		t.Errorf("sac steps-to %+v, want not reached of 90", st)
	}
	if _, err := Build(s, track.Filter{}, t.TempDir(), Options{OfBest: true, Reference: 50}); err == nil || !strings.Contains(err.Error(), "OfBest") {
		t.Errorf("OfBest with a Reference: %v, want an error naming OfBest", err)
	}
	md, err := os.ReadFile(res.Markdown)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "Steps to 90% of 90") || !strings.Contains(string(md), "of the task's best") {
		t.Errorf("report does not say what steps-to is measured against:\n%s", md)
	}
}

func TestFmtRef(t *testing.T) {
	for v, want := range map[float64]string{100: "100", 90: "90", 40.18961301476129: "40.19", 0.5: "0.500"} {
		if got := fmtRef(v); got != want {
			t.Errorf("fmtRef(%v) = %q, want %q", v, got, want)
		}
	}
}

// TestVersus: with Options.Versus the report holds the probability of
// improvement of that method over each other one on the tasks they share
// (hand-computed here), in both the Markdown and the HTML table; an unknown
// method is an error naming the ones there are.
func TestVersus(t *testing.T) {
	s := openStore(t)
	constant := func(v float64) func(int64) float64 { return func(int64) float64 { return v } }
	// Task A: bdwm ends 3, 4, 6; iql 1, 5, 9. Pairs bdwm > iql: 3 > 1; 4 > 1;
	// 6 > 1, 6 > 5: 4 of 9. Task B: bdwm 7 against iql 7 (a tie): ½.
	for i, v := range []float64{3, 4, 6} {
		addRun(t, s, "task-a", "bdwm", int64(i), MetricNormalizedReturn, constant(v), nil)
	}
	for i, v := range []float64{1, 5, 9} {
		addRun(t, s, "task-a", "iql", int64(i), MetricNormalizedReturn, constant(v), nil)
	}
	addRun(t, s, "task-b", "bdwm", 0, MetricNormalizedReturn, constant(7), nil)
	addRun(t, s, "task-b", "iql", 0, MetricNormalizedReturn, constant(7), nil)
	// mopo ran on task B only, and always below bdwm.
	addRun(t, s, "task-b", "mopo", 0, MetricNormalizedReturn, constant(2), nil)

	res, err := Build(s, track.Filter{}, t.TempDir(), Options{Resamples: 2000, CurveResamples: 50, Versus: "bdwm"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Comparisons) != 2 {
		t.Fatalf("comparisons %+v, want bdwm vs iql and vs mopo", res.Comparisons)
	}
	c := res.Comparisons[0]
	if c.Method != "bdwm" || c.Other != "iql" || len(c.Tasks) != 2 || c.Runs != 4 || c.OtherRuns != 4 || !approx(c.P.Point, (4.0/9+0.5)/2) {
		t.Errorf("bdwm vs iql: %+v, want P = %v over 2 tasks", c, (4.0/9+0.5)/2)
	}
	if !(c.P.Lo <= c.P.Point && c.P.Point <= c.P.Hi) {
		t.Errorf("bdwm vs iql CI %+v does not hold the point", c.P)
	}
	m := res.Comparisons[1]
	if m.Other != "mopo" || len(m.Tasks) != 1 || m.Tasks[0] != "task-b" || m.P != (stats.Interval{Point: 1, Lo: 1, Hi: 1}) {
		t.Errorf("bdwm vs mopo: %+v, want P = 1 on task-b only", m)
	}
	// rliable's other aggregates in the all-tasks row: bdwm's task means
	// are 13/3 and 7, its pooled runs 3, 4, 6, 7.
	all := findRow(t, res.Rows, AllTasks, "bdwm")
	if a := all.Aggregates; a == nil || !approx(a.Median.Point, (13.0/3+7)/2) || !approx(a.Mean.Point, (13.0/3+7)/2) || !approx(a.OptimalityGap.Point, 95) {
		t.Errorf("bdwm aggregates %+v", all.Aggregates)
	}
	if r := findRow(t, res.Rows, "task-a", "bdwm"); r.Aggregates != nil {
		t.Error("a per-task row has aggregates")
	}
	md, _ := os.ReadFile(res.Markdown)
	html, _ := os.ReadFile(res.HTML)
	for _, want := range []string{"## Aggregates over tasks", "| bdwm | 4 |", "Optimality gap (γ = 100)", "## Probability of improvement", "| P(bdwm > iql) | bdwm | iql | task-a, task-b | 4, 4 | 0.47 [", "| P(bdwm > mopo) | bdwm | mopo | task-b | 1, 1 | 1.00 (one run of each per task: no interval) |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if !strings.Contains(string(html), `<table id="aggregates">`) || !strings.Contains(string(html), `<table id="improvement">`) || !strings.Contains(string(html), "P(bdwm &gt; mopo)") {
		t.Error("the HTML page has no probability-of-improvement table")
	}

	if _, err := Build(s, track.Filter{}, t.TempDir(), Options{Resamples: 50, CurveResamples: 20, Versus: "sac"}); err == nil ||
		!strings.Contains(err.Error(), `versus "sac"`) || !strings.Contains(err.Error(), "bdwm, iql, mopo") {
		t.Errorf("unknown versus method: %v", err)
	}
}
