package bdwm

import (
	"math"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
)

// starter is a learner without BC that counts StartOnline calls (Cal-QL's
// online α_cql).
type starter struct {
	actOnly
	started int
}

func (s *starter) StartOnline() { s.started++ }

// TestCalQLBounds: with Cal-QL's Monte-Carlo returns D_off's rows carry
// theirs, imagined rows are sampled with no bound (−∞), D_on keeps a
// column, and the switch starts the learner's online phase once.
func TestCalQLBounds(t *testing.T) {
	d := toyData(600)
	mc := make([]float32, d.Len())
	for i := range mc {
		mc[i] = float32(i%100) + 0.5 // positive: never 0 or −∞
	}
	cfg := tinyConfig()
	cfg.Learner, cfg.NoBC = CalQL, true
	ag := &starter{actOnly: actOnly{rng.New(1)}}
	m, err := New(cfg, Parts{Agent: ag, Data: d, OfflineMC: mc, OnlineMC: true, OnlineCapacity: 200, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if !m.OnlineBuffer().HasMC() || m.ImaginationBuffer().HasMC() {
		t.Fatalf("MC columns: D_on %v, D_imag %v; want true, false", m.OnlineBuffer().HasMC(), m.ImaginationBuffer().HasMC())
	}
	drive(t, m, 30, 60)
	if ag.started != 1 {
		t.Errorf("StartOnline called %d times, want 1", ag.started)
	}
	if m.ImaginationBuffer().Len() == 0 {
		t.Fatal("no imagined transitions")
	}
	b := replay.NewBatch(64, 2, 1, true)
	m.offMix.Sample(rng.New(2), b)
	k := int(math.Round(m.cfg.RealRatio * 64)) // rows [0, k) from D_off, the rest from D_imag
	for i, v := range b.MC {
		switch {
		case i < k && !(v > 0):
			t.Errorf("offline row %d: MC %v, want its Monte-Carlo return", i, v)
		case i >= k && !math.IsInf(float64(v), -1):
			t.Errorf("imagined row %d: MC %v, want −∞ (no bound)", i, v)
		}
	}
	// An offline buffer brings its own column: both at once is refused.
	off, err := replay.FromDataset(d, 0, mc)
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(cfg, Parts{Agent: ag, Data: d, Offline: off, OfflineMC: mc, OnlineCapacity: 10, Seed: 5})
	if err == nil || !strings.Contains(err.Error(), "both an offline buffer and offline MC returns") {
		t.Errorf("offline buffer and MC together: %v", err)
	}
}
