package agenttest

import (
	"syscall"
	"testing"

	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/internal/blas"
	"github.com/dwm-rl/dwm/replay"
)

// BenchDim is a task's dimensions in the update benchmarks.
type BenchDim struct {
	Name           string
	ObsDim, ActDim int
}

// BenchDims returns the dimensions the update benchmarks time, as
// sub-benchmarks: Pendulum's (obs 3, act 1) and Hopper's (obs 11, act 3).
func BenchDims() []BenchDim {
	return []BenchDim{{"pendulum", 3, 1}, {"hopper", 11, 3}}
}

// BenchUpdate times a's Update on the batches bs in turn, after warm
// untimed updates (two for agents whose actor steps every second update),
// and reports updates/s and cpu-ms/update (process CPU time, far less
// sensitive than wall time to other processes on shared cores). It panics
// if bs is empty. Built with -tags flopcount it also reports the
// matrix-product FLOPs of an update (GFLOP/update) and their rate per CPU
// second, which bound what any implementation of the same update can reach.
func BenchUpdate(b *testing.B, a Agent, bs []*replay.Batch, warm int) {
	for i := range warm {
		a.Update(bs[i%len(bs)])
	}
	b.ReportAllocs()
	b.ResetTimer()
	c0, f0 := CPUSeconds(), blas.Flops()
	k := 0
	for b.Loop() {
		a.Update(bs[k%len(bs)])
		k++
	}
	cpu := CPUSeconds() - c0
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
	b.ReportMetric(cpu/float64(b.N)*1e3, "cpu-ms/update")
	if blas.FlopCounting {
		f := float64(blas.Flops() - f0)
		b.ReportMetric(f/float64(b.N)/1e9, "GFLOP/update")
		b.ReportMetric(f/cpu/1e9, "GFLOP/cpu-s")
	}
}

// BenchAct times a's batch-1 exploring (non-deterministic) actions for
// observations of obsDim and actions of actDim values, in µs/op.
func BenchAct(b *testing.B, a Agent, obsDim, actDim int) {
	obs, act := make([]float32, obsDim), make([]float32, actDim)
	if err := a.Act(obs, act, false); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = a.Act(obs, act, false)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e3, "µs/op")
}

// BatchNormalizer returns the state normaliser fitted to the observations
// of bs (eps 0), as a run sets one from its dataset.
func BatchNormalizer(b testing.TB, bs []*replay.Batch, obsDim int) *dataset.Normalizer {
	b.Helper()
	var obs []float32
	for _, bt := range bs {
		obs = append(obs, bt.Obs...)
	}
	n, err := dataset.FitNormalizer(obs, obsDim, 0)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// CPUSeconds returns the process's user+system CPU time (0 if it cannot be
// read).
func CPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
