package replay

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/rng"
)

// rows returns n transitions of widths O, A numbered from base: obs row i is
// all base+i, action −(base+i), reward base+i, terminal every 5th.
func rows(base, n, O, A int) (obs, act, rew, next []float32, term []bool, mc []float32) {
	for i := range n {
		v := float32(base + i)
		for range O {
			obs = append(obs, v)
			next = append(next, v+1)
		}
		for range A {
			act = append(act, -v)
		}
		rew = append(rew, v)
		term = append(term, (base+i)%5 == 4)
		mc = append(mc, 10*v)
	}
	return
}

// sameState fails unless a and b hold identical rows, position and length.
func sameState(t *testing.T, a, b *Buffer) {
	t.Helper()
	if a.pos != b.pos || a.n != b.n || a.capacity != b.capacity || a.hasMC != b.hasMC {
		t.Fatalf("pos/len/cap/mc %d/%d/%d/%v vs %d/%d/%d/%v", a.pos, a.n, a.capacity, a.hasMC, b.pos, b.n, b.capacity, b.hasMC)
	}
	ca, cb := a.columns(a.n), b.columns(b.n)
	for k := range ca {
		for i := range ca[k] {
			if math.Float32bits(ca[k][i]) != math.Float32bits(cb[k][i]) {
				t.Fatalf("column %d row value %d: %v vs %v", k, i, ca[k][i], cb[k][i])
			}
		}
	}
}

func TestAddBatchMatchesAdd(t *testing.T) {
	const O, A = 3, 2
	for _, c := range []struct{ capacity, first, batch int }{
		{10, 0, 4}, {10, 8, 5}, {10, 3, 10}, {10, 2, 27}, {1, 0, 3}, {7, 6, 0},
	} {
		one, _ := New(c.capacity, O, A, true)
		many, _ := New(c.capacity, O, A, true)
		obs, act, rew, next, term, mc := rows(0, c.first, O, A)
		many.AddBatch(obs, act, rew, next, term, mc)
		for i := range c.first {
			one.AddMC(obs[i*O:(i+1)*O], act[i*A:(i+1)*A], rew[i], next[i*O:(i+1)*O], term[i], mc[i])
		}
		obs, act, rew, next, term, mc = rows(c.first, c.batch, O, A)
		many.AddBatch(obs, act, rew, next, term, mc)
		for i := range c.batch {
			one.AddMC(obs[i*O:(i+1)*O], act[i*A:(i+1)*A], rew[i], next[i*O:(i+1)*O], term[i], mc[i])
		}
		sameState(t, one, many)
	}
	// nil MC zeroes the column.
	b, _ := New(4, 1, 1, true)
	b.AddBatch([]float32{1}, []float32{1}, []float32{1}, []float32{1}, []bool{false}, []float32{5})
	b.AddBatch([]float32{1}, []float32{1}, []float32{1}, []float32{1}, []bool{false}, nil)
	if b.mc[0] != 5 || b.mc[1] != 0 {
		t.Errorf("mc %v", b.mc)
	}
	defer func() {
		if recover() == nil {
			t.Error("mismatched AddBatch did not panic")
		}
	}()
	b.AddBatch([]float32{1, 2}, []float32{1}, []float32{1}, []float32{1}, []bool{false}, nil)
}

func testDataset(t *testing.T) *dataset.Dataset {
	d := dataset.New(2, 1, 0)
	for i := range 9 {
		v := float32(i)
		d.Append([]float32{v, v}, []float32{-v}, 1, []float32{v + 1, v + 1}, i == 3, i == 8)
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestAddDataset(t *testing.T) {
	d := testDataset(t)
	mc, err := d.MCReturns(0.5, dataset.MCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(12, 2, 1, true)
	if err := b.AddDataset(d, mc); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 9 || b.done[3] != 1 || b.done[8] != 0 || b.mc[3] != 1 || b.mc[2] != 1.5 {
		t.Errorf("len %d done %v mc %v", b.Len(), b.done[:9], b.mc[:9])
	}
	if err := b.AddDataset(d, nil); err == nil || !strings.Contains(err.Error(), "does not fit") {
		t.Errorf("overflowing AddDataset: %v", err)
	}
	if b.Len() != 9 {
		t.Errorf("failed AddDataset changed the buffer")
	}
	other, _ := New(20, 3, 1, false)
	if err := other.AddDataset(d, nil); err == nil {
		t.Error("AddDataset of another width accepted")
	}
	c, _ := New(20, 2, 1, true)
	if err := c.AddDataset(d, mc[:3]); err == nil {
		t.Error("short MC accepted")
	}
}

func TestRecentMC(t *testing.T) {
	b, _ := New(5, 1, 1, true)
	one := []float32{1}
	for i := range 7 { // wraps: rows 2..6 remain, the newest at ring index 1
		b.AddMC(one, one, float32(i), one, i == 6, 0)
	}
	rew, term := b.Recent(3, nil, nil)
	if !slices.Equal(rew, []float32{4, 5, 6}) || !slices.Equal(term, []bool{false, false, true}) {
		t.Fatalf("Recent = %v %v", rew, term)
	}
	mc := make([]float32, 3)
	if err := dataset.EpisodeMCReturns(mc, rew, term, 0.5, dataset.MCOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := b.SetRecentMC(mc); err != nil {
		t.Fatal(err)
	}
	// Ring indices of rows 4, 5, 6 are 4, 0, 1.
	if b.mc[4] != 4+0.5*(5+0.5*6) || b.mc[0] != 5+0.5*6 || b.mc[1] != 6 {
		t.Errorf("mc %v", b.mc)
	}
	if err := b.SetRecentMC(make([]float32, 6)); err == nil {
		t.Error("SetRecentMC longer than the buffer accepted")
	}
	noMC, _ := New(5, 1, 1, false)
	if err := noMC.SetRecentMC(nil); err == nil {
		t.Error("SetRecentMC without MC column accepted")
	}
}

func TestSaveLoadExact(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		n     int
		hasMC bool
	}{{0, false}, {6, true}, {23, true}, {23, false}} {
		b, _ := New(10, 3, 2, c.hasMC)
		obs, act, rew, next, term, mc := rows(0, c.n, 3, 2)
		b.AddBatch(obs, act, rew, next, term, mc)
		p := filepath.Join(dir, "buf.bin")
		if err := b.Save(p); err != nil {
			t.Fatal(err)
		}
		got, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		sameState(t, b, got)
		if c.n == 0 {
			continue
		}
		x, y := NewBatch(64, 3, 2, c.hasMC), NewBatch(64, 3, 2, c.hasMC)
		b.Sample(rng.New(9), x)
		got.Sample(rng.New(9), y)
		if !slices.Equal(x.Obs, y.Obs) || !slices.Equal(x.Rew, y.Rew) || !slices.Equal(x.MC, y.MC) || !slices.Equal(x.Done, y.Done) {
			t.Fatalf("n=%d: loaded buffer samples differently", c.n)
		}
		// Both continue identically.
		o2, a2, r2, n2, t2, m2 := rows(100, 4, 3, 2)
		b.AddBatch(o2, a2, r2, n2, t2, m2)
		got.AddBatch(o2, a2, r2, n2, t2, m2)
		sameState(t, b, got)
	}
}

func TestLoadDamaged(t *testing.T) {
	dir := t.TempDir()
	b, _ := New(8, 2, 1, true)
	obs, act, rew, next, term, mc := rows(0, 5, 2, 1)
	b.AddBatch(obs, act, rew, next, term, mc)
	p := filepath.Join(dir, "good.bin")
	if err := b.Save(p); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(p)
	flip := append([]byte(nil), good...)
	flip[70] ^= 1
	for name, data := range map[string][]byte{
		"flipped":   flip,
		"truncated": good[:len(good)-9],
		"short":     good[:10],
		"empty":     nil,
	} {
		q := filepath.Join(dir, name)
		os.WriteFile(q, data, 0o644)
		if _, err := Load(q); err == nil || !strings.Contains(err.Error(), q) {
			t.Errorf("%s: Load = %v", name, err)
		}
	}
	// A failed save leaves the old file as it was.
	if err := b.Save(filepath.Join(dir, "missing", "x.bin")); err == nil {
		t.Error("save into a missing directory succeeded")
	}
	again, _ := os.ReadFile(p)
	if !slices.Equal(good, again) {
		t.Error("good file changed")
	}
}

func TestMixedMCAndEdges(t *testing.T) {
	a, _ := New(10, 1, 1, true)
	b, _ := New(10, 1, 1, true)
	one := []float32{1}
	for range 10 {
		a.AddMC(one, one, 1, one, false, 100)
		b.AddMC(one, one, 2, one, true, 200)
	}
	batch := NewBatch(9, 1, 1, true)
	for _, c := range []struct {
		ratio float64
		fromA int
	}{{0, 0}, {1, 9}, {0.5, 5}, {0.29, 3}} {
		m, err := NewMixed(a, b, c.ratio)
		if err != nil {
			t.Fatal(err)
		}
		m.Sample(rng.New(3), batch)
		na := 0
		for i, r := range batch.Rew {
			if r == 1 {
				na++
				if batch.MC[i] != 100 || batch.Done[i] != 0 {
					t.Errorf("ratio %v: row %d from A has mc %v done %v", c.ratio, i, batch.MC[i], batch.Done[i])
				}
			} else if batch.MC[i] != 200 || batch.Done[i] != 1 {
				t.Errorf("ratio %v: row %d from B has mc %v done %v", c.ratio, i, batch.MC[i], batch.Done[i])
			}
		}
		if na != c.fromA {
			t.Errorf("ratio %v: %d rows from A, want %d", c.ratio, na, c.fromA)
		}
	}
	m, _ := NewMixed(a, b, 0.5)
	s := rng.New(1)
	if n := testing.AllocsPerRun(10, func() { m.Sample(s, batch) }); n != 0 {
		t.Errorf("Mixed.Sample allocates %v times", n)
	}
}

func BenchmarkSample256MC(bm *testing.B) {
	b, _ := New(100000, 17, 6, true)
	obs, act, rew, next, term, mc := rows(0, 100000, 17, 6)
	b.AddBatch(obs, act, rew, next, term, mc)
	batch := NewBatch(256, 17, 6, true)
	s := rng.New(1)
	bm.ReportAllocs()
	for bm.Loop() {
		b.Sample(s, batch)
	}
}

func BenchmarkMixedSample256(bm *testing.B) {
	a, _ := New(100000, 17, 6, true)
	obs, act, rew, next, term, mc := rows(0, 100000, 17, 6)
	a.AddBatch(obs, act, rew, next, term, mc)
	o, _ := New(10000, 17, 6, true)
	o.AddBatch(obs[:10000*17], act[:10000*6], rew[:10000], next[:10000*17], term[:10000], mc[:10000])
	m, _ := NewMixed(a, o, 0.5)
	batch := NewBatch(256, 17, 6, true)
	s := rng.New(1)
	bm.ReportAllocs()
	for bm.Loop() {
		m.Sample(s, batch)
	}
}

func BenchmarkAddBatch1000(bm *testing.B) {
	b, _ := New(100000, 17, 6, false)
	obs, act, rew, next, term, _ := rows(0, 1000, 17, 6)
	bm.ReportAllocs()
	for bm.Loop() {
		b.AddBatch(obs, act, rew, next, term, nil)
	}
}
