package replay_test

import (
	"fmt"

	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
)

// A Mixed sampler draws a fixed share of every batch from each of two
// buffers — offline and online data, or real and imagined transitions.
func ExampleMixed() {
	real, _ := replay.New(100, 1, 1, false)
	imagined, _ := replay.New(100, 1, 1, false)
	for i := 0; i < 10; i++ {
		real.Add([]float32{1}, []float32{0}, 1, []float32{1}, false)
		imagined.Add([]float32{2}, []float32{0}, 2, []float32{2}, false)
	}
	mix, _ := replay.NewMixed(real, imagined, 0.75)
	b := replay.NewBatch(8, 1, 1, false)
	mix.Sample(rng.New(1), b)
	fmt.Println(b.Rew)
	// Output: [1 1 1 1 1 1 2 2]
}
