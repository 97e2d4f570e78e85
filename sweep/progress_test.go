package sweep

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dwm-rl/dwm/internal/runlock"
	"github.com/dwm-rl/dwm/track"
)

// TestRunProgress: a run's progress is its last step with a logged speed
// against its budget, and its ETA the steps left in each phase at that
// phase's last speed; unknown (0) before the online phase has a speed, and
// for a done run.
func TestRunProgress(t *testing.T) {
	s, err := track.Open(filepath.Join(t.TempDir(), "dwm.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cfg := json.RawMessage(`{"train": {"offline_steps": 1000, "online_steps": 600}}`)
	mk := func(name string, st track.Status, rows []track.Row) track.Run {
		r, err := s.CreateRun(track.Run{Name: name, Algo: "bdwm", Env: "hopper", Status: st, Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.LogRows(r.ID, rows); err != nil {
			t.Fatal(err)
		}
		return r
	}
	ups := func(step int64, v float64) track.Row {
		return track.Row{Step: step, Phase: "offline", Name: "time/updates_per_s", Value: v}
	}
	eps := func(step int64, v float64) track.Row {
		return track.Row{Step: step, Phase: "online", Name: "time/env_steps_per_s", Value: v}
	}
	for _, c := range []struct {
		name   string
		status track.Status
		rows   []track.Row
		step   int64
		eta    time.Duration
	}{
		// Online at step 1300 at 10 steps/s: 300 steps left, 30 s.
		{"online", track.StatusRunning, []track.Row{ups(1000, 50), eps(1100, 5), eps(1300, 10)}, 1300, 30 * time.Second},
		// Offline at 400 at 20 updates/s: 600 updates left; online speed unknown.
		{"offline", track.StatusRunning, []track.Row{ups(200, 5), ups(400, 20)}, 400, 0},
		{"not logged yet", track.StatusRunning, nil, 0, 0},
		{"done", track.StatusDone, []track.Row{ups(1000, 50), eps(1600, 10)}, 1600, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := mk(c.name, c.status, c.rows)
			rs := RunStatus{Store: c.status}
			if err := rs.progress(s, r); err != nil {
				t.Fatal(err)
			}
			if rs.Total != 1600 || rs.Step != c.step || rs.ETA != c.eta {
				t.Errorf("progress %d/%d, ETA %v; want %d/1600, %v", rs.Step, rs.Total, rs.ETA, c.step, c.eta)
			}
		})
	}
	rep := &StatusReport{Sweep: "s", Runs: []RunStatus{
		{Run: Run{Name: "a"}, Store: track.StatusRunning, Step: 1300, Total: 1600, ETA: 90 * time.Minute},
		{Run: Run{Name: "b", Index: 1}},
	}}
	var out bytes.Buffer
	if err := rep.Write(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1300/1600 (81%)", "1h30m0s", "need 1h30m0s more", "1 runs without an estimate"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, out.String())
		}
	}
}

// TestOrphaned: a run recorded as running is orphaned when its lock file
// exists and no process holds it; a held lock, a missing lock file (a run
// of a dwm from before the lock) or another status is not.
func TestOrphaned(t *testing.T) {
	dir := t.TempDir()
	run := track.Run{Status: track.StatusRunning, Dir: dir}
	if orphaned(run) {
		t.Error("no lock file: orphaned")
	}
	l, err := runlock.Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	if orphaned(run) {
		t.Error("lock held: orphaned")
	}
	l.Close()
	if !orphaned(run) {
		t.Error("lock file, no holder: not orphaned")
	}
	if orphaned(track.Run{Status: track.StatusDone, Dir: dir}) {
		t.Error("a done run orphaned")
	}
	if st := (RunStatus{Store: track.StatusRunning, Orphaned: true}).State(); st != "killed" {
		t.Errorf("state %q, want killed", st)
	}
}
