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
	for _, d := range agenttest.BenchDims() {
		b.Run(d.Name, func(b *testing.B) {
			a, err := sac.New(d.ObsDim, d.ActDim, sac.Config{}, 1)
			if err != nil {
				b.Fatal(err)
			}
			agenttest.BenchUpdate(b, a, agenttest.Batches(d.ObsDim, d.ActDim, 256, 4, 1), 1)
		})
	}
}

// BenchmarkAct times batch-1 stochastic acting with the default networks.
func BenchmarkAct(b *testing.B) {
	a, err := sac.New(11, 3, sac.Config{}, 1)
	if err != nil {
		b.Fatal(err)
	}
	agenttest.BenchAct(b, a, 11, 3)
}
