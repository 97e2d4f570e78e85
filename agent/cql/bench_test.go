package cql_test

import (
	"syscall"
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/cql"
)

// BenchmarkCQLUpdate times one full CQL update (α, actor, critics with the
// conservative term, Polyak) at batch 256 with CORL's default networks and
// settings (actor 3×256, critics 2×256, ReLU, N = 10 actions of each kind),
// for Hopper's dimensions (obs 11, act 3). The PyTorch reference is
// bench/pytorch/agents_cql.py; package calql's BenchmarkCalQLUpdate is the
// calibrated update.
func BenchmarkCQLUpdate(b *testing.B) {
	a, err := cql.New(11, 3, cql.Config{}, 1)
	if err != nil {
		b.Fatal(err)
	}
	bs := agenttest.Batches(11, 3, 256, 4, 1)
	a.Update(bs[0])
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuSeconds()
	k := 0
	for b.Loop() {
		a.Update(bs[k&3])
		k++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
	b.ReportMetric((cpuSeconds()-c0)/float64(b.N)*1e3, "cpu-ms/update")
}

// BenchmarkAct times batch-1 stochastic acting with the default networks.
func BenchmarkAct(b *testing.B) {
	a, err := cql.New(11, 3, cql.Config{}, 1)
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

// cpuSeconds returns the process's user+system CPU time. Per update it is
// much less sensitive than wall time to other processes competing for the
// cores.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
