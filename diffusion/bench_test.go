package diffusion

import (
	"os"
	"strconv"
	"syscall"
	"testing"

	"github.com/dwm-rl/dwm/internal/blas"

	"github.com/dwm-rl/dwm/diffusion/denoiser"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// The BDWM workload of scripts/bench.sh, mirrored by
// bench/pytorch/diffusion_mlp.py: K = 3 members of a 512-wide residual MLP
// (2 blocks, time embedding 64, concatenation conditioning) on data of
// width 18 (a 17-dimensional state change and a reward) conditioned on a
// 64-wide latent z = f(s, a).
const (
	benchK, benchM, benchB = 3, 5, 256
	benchD, benchC         = 18, 64
	benchSteps             = 10
)

// cpuSeconds returns the process's user+system CPU time, which unlike wall
// time is insensitive to other processes competing for the cores.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// benchThreads applies DWM_BENCH_THREADS (if set) to blas.SetThreads for
// the benchmark and returns a function restoring the previous value; with 1
// thread the CPU time per operation compares code efficiency with a
// single-threaded PyTorch (OPENBLAS_NUM_THREADS=1) even on a loaded machine.
func benchThreads(b *testing.B) func() {
	v := os.Getenv("DWM_BENCH_THREADS")
	if v == "" {
		return func() {}
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("DWM_BENCH_THREADS = %q: want a positive integer", v)
	}
	old := blas.Threads()
	blas.SetThreads(n)
	return func() { blas.SetThreads(old) }
}

// run times op with b.Loop and reports per-op CPU milliseconds and, if
// flops > 0 (the matrix-product FLOPs of one op), GFLOP per CPU second.
func run(b *testing.B, flops float64, op func()) {
	defer benchThreads(b)()
	op()
	b.ReportAllocs()
	c0, f0 := cpuSeconds(), blas.Flops()
	b.ResetTimer()
	for b.Loop() {
		op()
	}
	cpu := cpuSeconds() - c0
	b.ReportMetric(cpu/float64(b.N)*1e3, "cpu-ms/op")
	if flops == 0 && blas.FlopCounting {
		// Products counted by internal/blas (go test -tags flopcount):
		// the U-Net's convolutions, whose FLOPs are tedious by hand.
		flops = float64(blas.Flops()-f0) / float64(b.N)
		b.ReportMetric(flops/1e9, "GFLOP/op")
	}
	if flops > 0 {
		b.ReportMetric(flops*float64(b.N)/cpu/1e9, "GFLOP/cpu-s")
	}
}

// mlpMACs returns the multiply-adds per row of one forward pass of the
// default 512-wide ResMLP: time MLP, input layer, blocks, output layer.
func mlpMACs() (temb, in, trunk float64) {
	const W, E = 512, 64
	return E*4*E + 4*E*E, (benchD + benchC + 1 + E) * W, 2*2*W*W + W*benchD
}

func benchModel(b *testing.B) *Model {
	net, err := denoiser.NewResMLP("bdwm", benchK, benchD, benchC, denoiser.MLPConfig{}, rng.New(1))
	if err != nil {
		b.Fatal(err)
	}
	m, err := New(net, Config{Schedule: ScheduleConfig{Steps: 100}, Prediction: Eps})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkMLPTrainStep: one training step of the K = 3 ensemble, 256 rows
// per member: noise draws, forward, loss, backward, Adam.
func BenchmarkMLPTrainStep(b *testing.B) {
	m := benchModel(b)
	s := rng.New(2)
	x0, cond := tensor.New(benchK*256, benchD), tensor.New(benchK*256, benchC)
	s.FillNormal(x0.Data)
	s.FillNormal(cond.Data)
	ps := m.Net.Params()
	opt := optim.NewAdam(ps, optim.AdamConfig{LR: 1e-4})
	step := func() {
		nn.ZeroGrad(ps)
		if _, _, err := m.Loss(x0, cond, s); err != nil {
			b.Fatal(err)
		}
		opt.Step()
	}
	// Forward, weight gradients, and input gradients of every layer except
	// the time MLP's first (its input is the sinusoid).
	te, in, tr := mlpMACs()
	run(b, 2*float64(benchK*256)*(3*(te+in+tr)-64*256), step)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}

// BenchmarkMLPSample: one batched sampling call, K·M·B = 3·5·256 samples
// with 10 deterministic DDIM steps.
func BenchmarkMLPSample(b *testing.B) {
	m := benchModel(b)
	sp, err := m.NewSampler(SamplerConfig{Steps: benchSteps})
	if err != nil {
		b.Fatal(err)
	}
	s := rng.New(3)
	cond, x := tensor.New(benchB, benchC), tensor.New(0, 0)
	s.FillNormal(cond.Data)
	req := Request{Cond: cond, M: benchM}
	if err := sp.Sample(x, req, s); err != nil {
		b.Fatal(err)
	}
	// Per row and step: the data columns of the input layer and the trunk
	// (the condition's share is computed once per call, the time
	// embedding once per step and member).
	_, _, tr := mlpMACs()
	run(b, 2*float64(benchK*benchM*benchB*benchSteps)*(benchD*512+tr), func() { sp.Sample(x, req, s) })
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(benchK*benchM*benchB)/sec, "samples/s")
	b.ReportMetric(float64(benchB)/sec, "conditions/s")
	b.ReportMetric(sec*1e3/benchSteps, "ms/step")
}

// The Diffuser workload (DUAL's planner, DAWM's trajectory model), mirrored
// by bench/pytorch/diffusion_unet.py: the temporal U-Net of Diffuser's
// locomotion configuration (horizon 32, Dim 32, Mults 1, 2, 4, 8, kernel 5,
// 8 groups) over hopper transitions (11 state + 3 action values),
// x0-prediction, 20 cosine steps, batch 32 for training and 64 plans for
// sampling (Diffuser's plan batch) with the first state inpainted.
const (
	unetH, unetC        = 32, 14
	unetTrain, unetPlan = 32, 64
	unetT               = 20
)

func benchUNet(b *testing.B) *Model {
	net, err := denoiser.NewTemporalUNet("planner", unetC, 0, denoiser.UNetConfig{Horizon: unetH}, rng.New(1))
	if err != nil {
		b.Fatal(err)
	}
	known := make([]int, 11)
	for i := range known {
		known[i] = 3 + i // row 0 is (action, state): the state is known
	}
	m, err := New(net, Config{Schedule: ScheduleConfig{Steps: unetT}, Prediction: X0, Known: known})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkUNetTrainStep: one training step at batch 32.
func BenchmarkUNetTrainStep(b *testing.B) {
	m := benchUNet(b)
	s := rng.New(2)
	x0 := tensor.New(unetTrain, unetH*unetC)
	s.FillNormal(x0.Data)
	ps := m.Net.Params()
	opt := optim.NewAdam(ps, optim.AdamConfig{LR: 2e-4})
	step := func() {
		nn.ZeroGrad(ps)
		if _, _, err := m.Loss(x0, nil, s); err != nil {
			b.Fatal(err)
		}
		opt.Step()
	}
	run(b, 0, step)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}

func benchUNetSample(b *testing.B, plans, steps int) {
	m := benchUNet(b)
	sp, err := m.NewSampler(SamplerConfig{Steps: steps})
	if err != nil {
		b.Fatal(err)
	}
	s := rng.New(3)
	vals := tensor.New(plans, 11)
	s.FillNormal(vals.Data)
	idx := make([]int, 11)
	for i := range idx {
		idx[i] = 3 + i
	}
	req := Request{B: plans, Inpaint: &Inpaint{Index: idx, Values: vals}}
	x := tensor.New(0, 0)
	if err := sp.Sample(x, req, s); err != nil {
		b.Fatal(err)
	}
	run(b, 0, func() { sp.Sample(x, req, s) })
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(plans)/sec, "plans/s")
	b.ReportMetric(sec*1e3/float64(steps), "ms/step")
	b.ReportMetric(sec*1e3, "ms/call")
}

// BenchmarkUNetSample: 64 plans, all 20 steps.
func BenchmarkUNetSample(b *testing.B) { benchUNetSample(b, unetPlan, unetT) }

// BenchmarkUNetSampleBatch1: one plan with 4 steps (a distilled planner
// acting, DUAL's latency case).
func BenchmarkUNetSampleBatch1(b *testing.B) { benchUNetSample(b, 1, 4) }
