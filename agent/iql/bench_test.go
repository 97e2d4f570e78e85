package iql_test

import (
	"syscall"
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/iql"
	"github.com/dwm-rl/dwm/dataset"
)

// BenchmarkIQLUpdate times one full IQL update (value, critic, Polyak, actor) at batch 256 with CORL's default
// networks, for Pendulum's dimensions (obs 3, act 1) and Hopper's (obs 11,
// act 3), with a state normaliser set as in a real run. The PyTorch
// reference is bench/pytorch/agents_iql.py.
func BenchmarkIQLUpdate(b *testing.B) {
	for _, c := range []struct {
		name           string
		obsDim, actDim int
	}{{"pendulum", 3, 1}, {"hopper", 11, 3}} {
		b.Run(c.name, func(b *testing.B) {
			a, err := iql.New(c.obsDim, c.actDim, iql.Config{}, 1)
			if err != nil {
				b.Fatal(err)
			}
			bs := agenttest.Batches(c.obsDim, c.actDim, 256, 4, 1)
			var obs []float32
			for _, bt := range bs {
				obs = append(obs, bt.Obs...)
			}
			n, err := dataset.FitNormalizer(obs, c.obsDim, 0)
			if err != nil {
				b.Fatal(err)
			}
			if err := a.SetStateNorm(n); err != nil {
				b.Fatal(err)
			}
			a.Update(bs[0])
			a.Update(bs[1])
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
		})
	}
}

// cpuSeconds returns the process's user+system CPU time. Per update it is
// much less sensitive than wall time to other processes competing for the
// shared cores (see nn's benchmarks).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// BenchmarkAct times batch-1 exploring actions with the default networks
// for Hopper's dimensions.
func BenchmarkAct(b *testing.B) {
	a, err := iql.New(11, 3, iql.Config{}, 1)
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
