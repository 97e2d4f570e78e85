package dawm

import (
	"syscall"
	"testing"
	"time"

	"github.com/dwm-rl/dwm/datasets"
	"github.com/dwm-rl/dwm/rng"
)

// cpuTime returns the process's user plus system CPU time.
func cpuTime(b *testing.B) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// BenchmarkGenerate measures generated transitions per second on
// pendulum-medium (untrained models: speed does not depend on the
// weights), M = 4 samples, 10 DDIM steps, no guidance, 256 starts per
// batch, one transition per start, with the default U-Net (Diffuser's,
// horizon 8) and the unit tests' small one (width 16, 2 levels, horizon 4).
// It reports wall-clock transitions/s and CPU time per transition (user +
// system over all threads: the machine is shared, so CPU time is the
// steadier figure). bench/pytorch/dawm_generate.py is the same pipeline in PyTorch.
func BenchmarkGenerate(b *testing.B) {
	d, err := datasets.Load("pendulum-medium")
	if err != nil {
		b.Fatal(err)
	}
	idm, _, err := TrainInverseDynamics(d, nil, IDMConfig{Steps: 1}, rng.New(2))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		cfg  Config
	}{{"default", Config{}}, {"small", smallConfig()}} {
		b.Run(bc.name, func(b *testing.B) {
			w, err := NewWorldModel(d, bc.cfg, rng.New(1))
			if err != nil {
				b.Fatal(err)
			}
			rows := testRows(d, 1024)
			b.ResetTimer()
			cpu0 := cpuTime(b)
			for i := 0; i < b.N; i++ {
				if _, err := Generate(w, idm, rows, GenConfig{}, rng.New(uint64(i))); err != nil {
					b.Fatal(err)
				}
			}
			cpu := cpuTime(b) - cpu0
			n := float64(b.N * len(rows))
			b.ReportMetric(n/b.Elapsed().Seconds(), "transitions/s")
			b.ReportMetric(float64(cpu.Microseconds())/n, "cpu-µs/transition")
		})
	}
}
