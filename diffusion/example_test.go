package diffusion_test

import (
	"fmt"

	"github.com/dwm-rl/dwm/diffusion"
	"github.com/dwm-rl/dwm/diffusion/denoiser"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// An ensemble of K = 3 conditional decoders (BDWM's world model): each
// member trains on its own block of rows, and one sampling call draws M = 5
// samples from every member for each of B = 4 conditions, laid out
// [K, M, B, D] as package uncertainty expects.
func Example() {
	const K, D, C = 3, 2, 4
	s := rng.New(1)
	net, err := denoiser.NewResMLP("decoder", K, D, C, denoiser.MLPConfig{Width: 32, Blocks: 1, TimeDim: 16}, s.Child("init"))
	if err != nil {
		panic(err)
	}
	model, err := diffusion.New(net, diffusion.Config{Schedule: diffusion.ScheduleConfig{Steps: 100}})
	if err != nil {
		panic(err)
	}
	opt := optim.NewAdam(net.Params(), optim.AdamConfig{LR: 1e-3})
	x0, cond := tensor.New(K*64, D), tensor.New(K*64, C) // 64 rows per member
	for it := 0; it < 10; it++ {
		s.FillNormal(cond.Data)
		s.FillNormal(x0.Data)
		nn.ZeroGrad(net.Params())
		if _, _, err := model.Loss(x0, cond, s); err != nil {
			panic(err)
		}
		opt.Step()
	}
	sampler, err := model.NewSampler(diffusion.SamplerConfig{Steps: 10}) // DDIM, η = 0
	if err != nil {
		panic(err)
	}
	z := tensor.New(4, C)
	s.FillNormal(z.Data)
	out := tensor.New(0, 0)
	if err := sampler.Sample(out, diffusion.Request{Cond: z, M: 5}, s); err != nil {
		panic(err)
	}
	fmt.Println(out.Shape())
	// A wrong condition width is an error, not a panic.
	fmt.Println(sampler.Sample(out, diffusion.Request{Cond: tensor.New(4, 3)}, s))
	_, err = model.NewSampler(diffusion.SamplerConfig{Steps: 7})
	fmt.Println(err)
	// Output:
	// 60×2
	// diffusion: condition has width 3, the denoiser expects 4
	// SamplerConfig.Steps = 7: 7 sampling steps do not divide the schedule's 100 steps
}
