package rng_test

import (
	"fmt"

	"github.com/dwm-rl/dwm/rng"
)

// Streams are derived from a run seed and a name, so each random source of
// a run is independent of the others and of the order they are used in,
// and the same seed and names give the same numbers on every machine.
func ExampleDerive() {
	a := rng.Derive(42, "sac", "explore")
	b := rng.Derive(42, "sac", "explore")
	c := rng.Derive(42, "sac", "sample")
	x, y, z := a.Uint64(), b.Uint64(), c.Uint64()
	fmt.Println(x == y, x == z)
	// Output: true false
}

// A stream's state round-trips through a checkpoint: the restored stream
// continues exactly where the saved one left off.
func ExampleStream_State() {
	s := rng.New(7)
	s.Float64()
	st, _ := s.State()
	want := s.Float64()
	r := rng.New(0)
	_ = r.SetState(st)
	fmt.Println(r.Float64() == want)
	// Output: true
}
