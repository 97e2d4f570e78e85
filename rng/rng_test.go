package rng

import "testing"

func TestDeriveDeterministicAndIndependent(t *testing.T) {
	a, b := Derive(7, "x"), Derive(7, "x")
	c := Derive(7, "y")
	same := 0
	for range 100 {
		va, vb, vc := a.Uint64(), b.Uint64(), c.Uint64()
		if va != vb {
			t.Fatal("same seed and path gave different numbers")
		}
		if va == vc {
			same++
		}
	}
	if same > 0 {
		t.Fatalf("different paths collided %d times", same)
	}
}

func TestStateRoundTrip(t *testing.T) {
	s := New(3)
	s.Float64()
	st, err := s.State()
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{s.Float64(), s.NormFloat64()}
	r := New(99)
	if err := r.SetState(st); err != nil {
		t.Fatal(err)
	}
	got := []float64{r.Float64(), r.NormFloat64()}
	if got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("restored stream differs: %v vs %v", got, want)
	}
	if err := r.SetState([]byte("junk")); err == nil {
		t.Fatal("corrupt state accepted")
	}
}
