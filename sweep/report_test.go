package sweep_test

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/dwm-rl/dwm/report"
	"github.com/dwm-rl/dwm/sweep"
	"github.com/dwm-rl/dwm/track"
)

// TestSweepThenReport is the small sweep end to end with the
// stand-in trainer: 3 methods × 1 task × 3 seeds run locally, then a report
// of exactly those runs.
func TestSweepThenReport(t *testing.T) {
	dir := t.TempDir()
	sw := newSweep(t, dir, "small", []string{"iql", "calql", "sac"}, 3)
	store := filepath.Join(dir, "runs.db")
	if _, err := sweep.RunLocal(context.Background(), sw, sweep.Options{Store: store, Binary: self(t), Env: fakeEnv()}); err != nil {
		t.Fatal(err)
	}
	f, err := report.ParseFilter("small__*")
	if err != nil {
		t.Fatal(err)
	}
	res, err := report.BuildFile(store, f, filepath.Join(dir, "report"), report.Options{Resamples: 1000, CurveResamples: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 3 || len(res.Runs) != 9 || len(res.Figures) != 3 { // curve, performance profile, train/lambda
		t.Fatalf("%d rows, %d runs, figures %v", len(res.Rows), len(res.Runs), res.Figures)
	}
	// fakedwm: v = 40 + offset(method) + seed + 5·i at step 1000·i, online
	// from i = 4 with a drop of 8 at the switch; seeds 0, 1, 2.
	offset := map[string]float64{"iql": 0, "calql": 10, "sac": -10}
	for _, r := range res.Rows {
		last := 40 + offset[r.Method] + 1 + 5*7 // IQM of seeds 0, 1, 2 is seed 1
		if r.Task != "hopper-medium-v2" || r.Runs != 3 || math.Abs(r.Last.Point-last) > 1e-9 ||
			len(r.Switches) != 1 || r.Switches[0] != 4000 || math.Abs(r.Dip.Point-3) > 1e-9 {
			t.Errorf("row %+v: want task hopper-medium-v2, last %v, switch 4000, dip 3", r, last)
		}
	}
	s, err := track.Open(store)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if runs, _ := s.ListRuns(track.Filter{Name: "small__*", Status: track.StatusDone}); len(runs) != 9 {
		t.Errorf("%d done runs", len(runs))
	}
}
