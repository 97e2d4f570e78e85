package bench

import (
	"context"
	"fmt"

	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// coreMatMuls are the matrix products timed by the core suite, M×K·K×N:
// the first layer of a critic over [s, a] of a 17-dimensional MuJoCo task
// (23 inputs), a 256-wide hidden layer, a 512-wide denoiser layer, all at
// batch 256, and a 256-wide layer at batch 1 (acting).
var coreMatMuls = [][3]int{{256, 23, 256}, {256, 256, 256}, {256, 512, 512}, {1, 256, 256}}

// coreNets are the MLPs whose training step (forward, MSE, backward, Adam)
// the core suite times at batch 256: the critic and denoiser workloads of
// scripts/bench.sh (nn's BenchmarkCriticStep and BenchmarkDenoiserStep).
var coreNets = []struct {
	name  string
	sizes []int
	act   tensor.Activation
}{
	{"critic 23→256→256→1 relu", []int{23, 256, 256, 1}, tensor.ReLU},
	{"denoiser 40→512×4→17 silu", []int{40, 512, 512, 512, 512, 17}, tensor.SiLU},
}

// runCore times the numeric core's main operations.
func runCore(ctx context.Context, r *runner) error {
	s := rng.Derive(r.cfg.Seed, "bench", "core")
	for _, mm := range coreMatMuls {
		m, k, n := mm[0], mm[1], mm[2]
		a, b, c := tensor.New(m, k), tensor.New(k, n), tensor.New(m, n)
		s.FillNormal(a.Data)
		s.FillNormal(b.Data)
		name := fmt.Sprintf("matmul %d×%d·%d×%d", m, k, k, n)
		if err := r.measure(ctx, name, m, 0, 2*float64(m*k*n), "tensor.MatMul", func() error {
			tensor.MatMul(c, a, b, false, false)
			return nil
		}); err != nil {
			return err
		}
	}
	const batch = 256
	for _, nc := range coreNets {
		net := nn.NewMLP("net", nn.MLPConfig{Sizes: nc.sizes, Hidden: nc.act}, s.Child(nc.name))
		net.NoInputGrad = true
		params := net.Params()
		opt := optim.NewAdam(params, optim.AdamConfig{LR: 1e-4})
		x := tensor.New(batch, nc.sizes[0])
		y := tensor.New(batch, nc.sizes[len(nc.sizes)-1])
		grad := tensor.New(0, 0)
		s.FillNormal(x.Data)
		s.FillNormal(y.Data)
		var flops float64
		for i := 0; i+1 < len(nc.sizes); i++ {
			flops += 6 * batch * float64(nc.sizes[i]*nc.sizes[i+1]) // forward + two backward products
		}
		if err := r.measure(ctx, "train step "+nc.name, batch, 0, flops, "forward, MSE, backward, Adam", func() error {
			nn.ZeroGrad(params)
			out := net.Forward(x)
			nn.MSE(grad, out, y)
			net.Backward(grad)
			opt.Step()
			return nil
		}); err != nil {
			return err
		}
	}
	// Batch-1 forward of the critic-sized MLP: the cost of acting.
	net := nn.NewMLP("act", nn.MLPConfig{Sizes: coreNets[0].sizes, Hidden: coreNets[0].act}, s.Child("act"))
	x, out := tensor.New(1, coreNets[0].sizes[0]), tensor.New(1, 1)
	s.FillNormal(x.Data)
	return r.measure(ctx, "predict "+coreNets[0].name, 1, 0, 0, "nn.MLP.Predict", func() error {
		net.Predict(out, x)
		return nil
	})
}
