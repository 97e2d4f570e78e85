package dataset

import (
	"math"
	"strings"
	"testing"
)

func TestStats(t *testing.T) {
	// Episodes with returns 6 (terminal), 9 (timeout), 6 (cut).
	rew := []float32{1, 2, 3, 4, 5, 6}
	term := []bool{false, false, true, false, false, false}
	tout := []bool{false, false, false, false, true, false}
	d := fromRewards(rew, term, tout)
	// Break continuity inside the first episode once.
	d.NextObservations[0] = 100
	d.Observations[2*1] = -5 // row 2 obs
	d.Actions[1] = float32(math.NaN())
	ref := Reference{Random: 0, Expert: 12}
	s, err := d.Stats(StatsOptions{Bins: 3, Reference: &ref})
	if err != nil {
		t.Fatal(err)
	}
	if s.Transitions != 6 || s.Episodes != 3 || s.Terminals != 1 || s.Timeouts != 1 {
		t.Errorf("counts: %+v", s)
	}
	if s.Returns.Min != 6 || s.Returns.Max != 9 || s.Returns.Mean != 7 || s.Returns.Median != 6 {
		t.Errorf("returns summary %+v", s.Returns)
	}
	if s.EpisodeLengths.Max != 3 || s.EpisodeLengths.Min != 1 {
		t.Errorf("lengths %+v", s.EpisodeLengths)
	}
	if s.Normalized == nil || math.Abs(s.Normalized.Mean-100*7.0/12) > 1e-9 {
		t.Errorf("normalized %+v", s.Normalized)
	}
	if got := s.ReturnHistogram.Counts; len(got) != 3 || got[0] != 2 || got[2] != 1 {
		t.Errorf("histogram counts %v", got)
	}
	// Row 0: next obs 100 vs obs[1] = 1; row 1: next obs 2 vs obs[2] = -5.
	if s.Discontinuities != 2 {
		t.Errorf("discontinuities %d, want 2", s.Discontinuities)
	}
	if s.ObsMin[0] != -5 || s.ObsMax[0] != 5 {
		t.Errorf("obs range %v %v", s.ObsMin, s.ObsMax)
	}
	if s.NonFinite["actions"] != 1 || !strings.Contains(s.FirstNonFinite, "actions[1][0]") {
		t.Errorf("non-finite %v %q", s.NonFinite, s.FirstNonFinite)
	}
	text := s.String()
	for _, w := range []string{"transitions 6", "episodes 3", "normalized score", "#", "actions[1][0]"} {
		if !strings.Contains(text, w) {
			t.Errorf("report lacks %q:\n%s", w, text)
		}
	}
	d.Terminals = d.Terminals[:2]
	if _, err := d.Stats(StatsOptions{}); err == nil {
		t.Error("Stats accepted mismatched lengths")
	}
}

func TestNormalizedScore(t *testing.T) {
	// D4RL hopper reference returns (random −20.272305, expert 3234.3).
	ref := Reference{Random: -20.272305, Expert: 3234.3}
	if got := NormalizedScore(3234.3, ref); math.Abs(got-100) > 1e-9 {
		t.Errorf("expert normalized to %v", got)
	}
	if got := NormalizedScore(-20.272305, ref); math.Abs(got) > 1e-9 {
		t.Errorf("random normalized to %v", got)
	}
	if got := NormalizedScore(1, Reference{1, 1}); !math.IsNaN(got) {
		t.Errorf("degenerate reference gives %v", got)
	}
}

func TestHistogramString(t *testing.T) {
	h := histogram([]float64{0, 0, 0, 1, 10}, 2)
	s := h.String()
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) != 2 || strings.Count(lines[0], "#") != 40 || !strings.HasSuffix(lines[1], " 1") {
		t.Errorf("histogram:\n%s", s)
	}
	if h := histogram([]float64{3, 3}, 5); len(h.Counts) != 1 || h.Counts[0] != 2 {
		t.Errorf("constant histogram %+v", h)
	}
}
