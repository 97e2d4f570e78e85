package sac_test

import (
	"testing"

	"github.com/dwm-rl/dwm/internal/blas"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/sac"
)

// BenchmarkSACUpdate times one full SAC update (critic, actor, α, Polyak) at
// batch 256 with the paper's networks (256×256 ReLU), for Pendulum's
// dimensions (obs 3, act 1) and Hopper's (obs 11, act 3). The PyTorch
// reference is bench/pytorch/sac_update.py.
func BenchmarkSACUpdate(b *testing.B) { benchUpdate(b) }

// BenchmarkSACUpdateSerial is BenchmarkSACUpdate on one thread (matmuls and
// ensemble members not split), for comparisons by CPU time on a busy
// machine and for runs that train one seed per core.
func BenchmarkSACUpdateSerial(b *testing.B) {
	old := blas.Threads()
	blas.SetThreads(1)
	defer blas.SetThreads(old)
	benchUpdate(b)
}

func benchUpdate(b *testing.B) {
	for _, c := range []struct {
		name           string
		obsDim, actDim int
	}{{"pendulum", 3, 1}, {"hopper", 11, 3}} {
		b.Run(c.name, func(b *testing.B) {
			a, err := sac.New(c.obsDim, c.actDim, sac.Config{}, 1)
			if err != nil {
				b.Fatal(err)
			}
			bs := agenttest.Batches(c.obsDim, c.actDim, 256, 4, 1)
			a.Update(bs[0])
			b.ReportAllocs()
			b.ResetTimer()
			k := 0
			for b.Loop() {
				a.Update(bs[k&3])
				k++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
		})
	}
}

// BenchmarkAct times batch-1 stochastic acting with the default networks.
func BenchmarkAct(b *testing.B) {
	a, err := sac.New(11, 3, sac.Config{}, 1)
	if err != nil {
		b.Fatal(err)
	}
	obs, act := make([]float32, 11), make([]float32, 3)
	_ = a.Act(obs, act, false)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = a.Act(obs, act, false)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e3, "µs/op")
}
