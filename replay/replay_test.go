package replay

import (
	"math"
	"testing"

	"github.com/dwm-rl/dwm/rng"
)

func fill(b *Buffer, n int) {
	O, A := b.Dims()
	obs, act, next := make([]float32, O), make([]float32, A), make([]float32, O)
	for i := range n {
		for j := range obs {
			obs[j] = float32(i)
			next[j] = float32(i + 1)
		}
		act[0] = float32(-i)
		b.Add(obs, act, float32(i), next, i%7 == 6)
	}
}

func TestRingOverwritesOldest(t *testing.T) {
	b, err := New(5, 2, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	fill(b, 8) // rows 3..7 remain
	if b.Len() != 5 {
		t.Fatalf("len %d", b.Len())
	}
	batch := NewBatch(200, 2, 1, false)
	b.Sample(rng.New(1), batch)
	seen := map[float32]bool{}
	for i := range batch.Len() {
		r := batch.Rew[i]
		seen[r] = true
		if r < 3 || r > 7 {
			t.Fatalf("sampled overwritten row %v", r)
		}
		if batch.Obs[2*i] != r || batch.NextObs[2*i] != r+1 || batch.Act[i] != -r {
			t.Fatalf("row %d columns disagree", i)
		}
		if want := float32(0); int(r)%7 == 6 {
			if batch.Done[i] != 1 {
				t.Fatalf("terminal row %v has done %v", r, batch.Done[i])
			}
		} else if batch.Done[i] != want {
			t.Fatalf("row %v done %v", r, batch.Done[i])
		}
	}
	if len(seen) != 5 {
		t.Fatalf("saw %d distinct rows of 5", len(seen))
	}
}

func TestMixedRatio(t *testing.T) {
	a, _ := New(10, 1, 1, false)
	b, _ := New(10, 1, 1, false)
	one := []float32{1}
	for range 10 {
		a.Add(one, one, 1, one, false)
		b.Add(one, one, 2, one, false)
	}
	m, err := NewMixed(a, b, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	batch := NewBatch(10, 1, 1, false)
	m.Sample(rng.New(2), batch)
	nA := 0
	for _, r := range batch.Rew {
		if r == 1 {
			nA++
		}
	}
	if nA != 3 {
		t.Fatalf("%d rows from A, want 3", nA)
	}
	for _, bad := range []float64{-0.1, 1.5, math.NaN()} {
		if _, err := NewMixed(a, b, bad); err == nil {
			t.Errorf("ratio %v accepted", bad)
		}
	}
}

func TestStateRoundTrip(t *testing.T) {
	for _, n := range []int{3, 12} {
		b, _ := New(8, 2, 1, true)
		fill(b, n)
		ts := b.State("replay/online")
		c, _ := New(8, 2, 1, true)
		if err := c.SetState("replay/online", ts); err != nil {
			t.Fatal(err)
		}
		s1, s2 := rng.New(4), rng.New(4)
		x, y := NewBatch(16, 2, 1, true), NewBatch(16, 2, 1, true)
		b.Sample(s1, x)
		c.Sample(s2, y)
		for i := range x.Rew {
			if x.Rew[i] != y.Rew[i] || x.Obs[2*i] != y.Obs[2*i] {
				t.Fatalf("restored buffer samples differently at row %d", i)
			}
		}
		// Both continue identically after another add.
		fill(b, 1)
		fill(c, 1)
		if b.pos != c.pos || b.n != c.n {
			t.Fatalf("positions diverge: %d/%d vs %d/%d", b.pos, b.n, c.pos, c.n)
		}
		small, _ := New(2, 2, 1, true)
		if err := small.SetState("replay/online", ts); err == nil {
			t.Fatal("state larger than capacity accepted")
		}
		wrong, _ := New(8, 3, 1, true)
		if err := wrong.SetState("replay/online", ts); err == nil {
			t.Fatal("state of another width accepted")
		}
	}
}

func TestSampleAllocFree(t *testing.T) {
	b, _ := New(1000, 11, 3, false)
	fill(b, 1000)
	batch := NewBatch(256, 11, 3, false)
	s := rng.New(1)
	if a := testing.AllocsPerRun(10, func() { b.Sample(s, batch) }); a != 0 {
		t.Fatalf("Sample allocates %v times", a)
	}
}

func BenchmarkSample256Hopper(bm *testing.B) {
	b, _ := New(100000, 11, 3, false)
	fill(b, 100000)
	batch := NewBatch(256, 11, 3, false)
	s := rng.New(1)
	for bm.Loop() {
		b.Sample(s, batch)
	}
}
