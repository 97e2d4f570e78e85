package diffql_test

import (
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/diffql"
)

// BenchmarkUpdate times one update with the reference's networks (hidden
// 256×3, T = 5) at batch 256 on hopper's sizes (11/3).
func BenchmarkUpdate(b *testing.B) {
	a, err := diffql.New(11, 3, diffql.Config{}, 1)
	if err != nil {
		b.Fatal(err)
	}
	bs := agenttest.Batches(11, 3, 256, 4, 1)
	a.Update(bs[0])
	i := 0
	for b.Loop() {
		a.Update(bs[i%len(bs)])
		i++
	}
}

// BenchmarkAct times batch-1 acting: the reference's sample_action (50
// candidates) and the deterministic noise-free chain.
func BenchmarkAct(b *testing.B) {
	a, err := diffql.New(11, 3, diffql.Config{}, 1)
	if err != nil {
		b.Fatal(err)
	}
	obs, act := make([]float32, 11), make([]float32, 3)
	for _, det := range []bool{false, true} {
		name := "sample50"
		if det {
			name = "deterministic"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if err := a.Act(obs, act, det); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
