package nn_test

import (
	"syscall"
	"testing"

	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// The workloads of scripts/bench.sh, mirrored by bench/pytorch/bench.py:
// a full training step (forward, MSE, backward, Adam) at batch 256 of
//   critic:   23→256→256→1, ReLU
//   denoiser: 40→512→512→512→512→17, SiLU
//   ensemble: 5 denoisers with a leading member axis, 256 rows per member
// and the batch-1 forward latency of the critic-sized MLP (acting).

type trainer struct {
	net    *nn.MLP
	opt    *optim.Adam
	params []*nn.Param
	x, y   *tensor.Mat
	grad   *tensor.Mat
}

func newTrainer(k int, sizes []int, act tensor.Activation, batch int) *trainer {
	s := rng.New(1)
	net := nn.NewEnsembleMLP("net", k, nn.MLPConfig{Sizes: sizes, Hidden: act}, s)
	net.NoInputGrad = true
	x := tensor.New(k*batch, sizes[0])
	y := tensor.New(k*batch, sizes[len(sizes)-1])
	s.FillNormal(x.Data)
	s.FillNormal(y.Data)
	return &trainer{net: net, opt: optim.NewAdam(net.Params(), optim.AdamConfig{LR: 1e-4}), params: net.Params(), x: x, y: y, grad: tensor.New(0, 0)}
}

func (t *trainer) step() float32 {
	nn.ZeroGrad(t.params)
	out := t.net.Forward(t.x)
	loss := nn.MSE(t.grad, out, t.y)
	t.net.Backward(t.grad)
	t.opt.Step()
	return loss
}

// cpuSeconds returns the process's user+system CPU time. Reported per step
// it is insensitive to other processes competing for the cores (wall time is
// not), so it measures the efficiency of the code itself: GFLOP/cpu-s near
// the core's peak (about 113 for AVX-512 FMA on the development machine)
// means the step is compute-bound with no waste.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// stepFlops counts the floating-point operations of the matrix products of
// one training step (forward, weight gradients, input gradients except the
// first layer's), for k members at the given batch.
func stepFlops(k, batch int, sizes []int) float64 {
	var f float64
	for i := 0; i+1 < len(sizes); i++ {
		mm := 2 * float64(batch*sizes[i]*sizes[i+1])
		f += 2 * mm
		if i > 0 {
			f += mm
		}
	}
	return float64(k) * f
}

func benchStep(b *testing.B, k int, sizes []int, act tensor.Activation) {
	t := newTrainer(k, sizes, act, 256)
	t.step()
	b.ReportAllocs()
	c0 := cpuSeconds()
	b.ResetTimer()
	for b.Loop() {
		t.step()
	}
	cpu := cpuSeconds() - c0
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
	b.ReportMetric(cpu/float64(b.N)*1e3, "cpu-ms/step")
	b.ReportMetric(stepFlops(k, 256, sizes)*float64(b.N)/cpu/1e9, "GFLOP/cpu-s")
}

var (
	criticSizes   = []int{23, 256, 256, 1}
	denoiserSizes = []int{40, 512, 512, 512, 512, 17}
)

func BenchmarkCriticStep(b *testing.B)   { benchStep(b, 1, criticSizes, tensor.ReLU) }
func BenchmarkDenoiserStep(b *testing.B) { benchStep(b, 1, denoiserSizes, tensor.SiLU) }
func BenchmarkEnsembleStep(b *testing.B) { benchStep(b, 5, denoiserSizes, tensor.SiLU) }

func BenchmarkActBatch1(b *testing.B) {
	s := rng.New(1)
	net := nn.NewMLP("actor", nn.MLPConfig{Sizes: criticSizes, Hidden: tensor.ReLU}, s)
	x, y := tensor.New(1, 23), tensor.New(0, 0)
	s.FillNormal(x.Data)
	net.Predict(y, x)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		net.Predict(y, x)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e3, "µs/op")
}
