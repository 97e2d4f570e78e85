package cql

import (
	"math"
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/replay"
)

// probeUpdate runs one full Update of a with its probe on and returns the
// policy-action values as they entered the conservative term (member k,
// state i, next-policy then current-policy actions: index
// k·n·2N + i·2N + j).
func probeUpdate(a *Agent, b *replay.Batch) []float32 {
	n, N := b.Len(), a.cfg.NumActions
	a.buf.probe = make([]float32, numCritics*n*2*N)
	a.Update(b)
	p := a.buf.probe
	a.buf.probe = nil
	return p
}

// Cal-QL's calibration, on a batch whose first rows have an MC return far
// above every Q-value, whose next rows have one far below, and whose last
// row has none (-∞): every policy-action value that enters the conservative
// term is at or above the bound where the bound is high (exactly the bound),
// and untouched elsewhere — bitwise what the same agent without calibration
// uses, which for the high-bound rows is far below the bound.
func TestCalibrationBoundsPolicyValues(t *testing.T) {
	const n, high, low = 8, 50, -50
	cfg := Config{Hidden: []int{16, 16}, ActorHidden: []int{16, 16}, NumActions: 5}
	// The same name gives the same weights and random streams: the two
	// agents differ only in calibration.
	cal, err := newAgent("probe", true, 4, 2, cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := newAgent("probe", false, 4, 2, cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	b := agenttest.BatchesMC(4, 2, n, 1, 5)[0]
	for i := range b.MC {
		switch {
		case i < n/2:
			b.MC[i] = high
		case i < n-1:
			b.MC[i] = low
		default:
			b.MC[i] = float32(math.Inf(-1))
		}
	}
	pc, pp := probeUpdate(cal, b), probeUpdate(plain, b)
	N := cfg.NumActions
	var below int
	for k := 0; k < numCritics; k++ {
		for i := 0; i < n; i++ {
			for j := 0; j < 2*N; j++ {
				x := k*n*2*N + i*2*N + j
				c, p := pc[x], pp[x]
				if i < n/2 {
					if c < high {
						t.Fatalf("member %d state %d value %d: calibrated %v below the bound %v", k, i, j, c, high)
					}
					if p < high {
						below++
					}
					continue
				}
				if math.Float32bits(c) != math.Float32bits(p) {
					t.Fatalf("member %d state %d (bound %v) value %d: calibrated %v, uncalibrated %v: a low or missing bound must change nothing", k, i, b.MC[i], j, c, p)
				}
				if !(p > low) {
					t.Fatalf("state %d: Q-value %v not above the low bound %v: the test's bounds are not far enough", i, p, low)
				}
			}
		}
	}
	if want := numCritics * n / 2 * 2 * N; below != want {
		t.Fatalf("without calibration %d of %d high-bound values are below the bound, want all", below, want)
	}
	ms := cal.metrics
	if r := ms[mBoundPolicy].Value; r != 0.5 {
		t.Fatalf("bound rate %v, want 0.5 (half the states have a bound above every value)", r)
	}
	if ms[mQPolicy].Value >= high {
		t.Fatalf("train/q_policy %v is the calibrated value; it reports Q before calibration", ms[mQPolicy].Value)
	}
}
