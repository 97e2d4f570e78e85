package calql_test

import (
	"syscall"
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/calql"
)

// BenchmarkCalQLUpdate times one full Cal-QL update at batch 256 with
// CORL's default networks and settings (as cql's BenchmarkCQLUpdate, plus
// the MC lower bounds; the batches' MC column is N(0, 10²), so about half of
// the policy-action values are bounded) for Hopper's dimensions (obs 11,
// act 3). The PyTorch reference is bench/pytorch/agents_cql.py.
func BenchmarkCalQLUpdate(b *testing.B) {
	a, err := calql.New(11, 3, calql.Config{}, 1)
	if err != nil {
		b.Fatal(err)
	}
	bs := agenttest.BatchesMC(11, 3, 256, 4, 1)
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

// cpuSeconds returns the process's user+system CPU time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
