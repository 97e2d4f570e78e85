package worldmodel

import (
	"math"

	"github.com/dwm-rl/dwm/rng"
)

// bimodalTask returns n transitions of a 1-D stochastic task with bimodal
// transitions: s ~ U(−1, 1), a ~ U(−1, 1),
// s' = s + 0.1·a ± 0.5 + 0.02·noise (each sign with probability ½),
// r = s.
func bimodalTask(n int, s *rng.Stream) Transitions {
	t := Transitions{ObsDim: 1, ActDim: 1}
	for i := 0; i < n; i++ {
		x := 2*s.Float64() - 1
		a := 2*s.Float64() - 1
		jump := 0.5
		if s.Float64() < 0.5 {
			jump = -0.5
		}
		nx := x + 0.1*a + jump + bimodalNoise*s.NormFloat64()
		t.Obs = append(t.Obs, float32(x))
		t.Act = append(t.Act, float32(a))
		t.Next = append(t.Next, float32(nx))
		t.Rew = append(t.Rew, float32(x))
		t.Done = append(t.Done, false)
	}
	return t
}

const bimodalNoise = 0.02

// narrowTask returns n transitions of a smooth 3-D task collected by a
// narrow behaviour policy a = 0.5·tanh(s₀) + 0.05·noise (actions 2-D),
// with s' = s + 0.1·[a₀, a₁, a₀·a₁] + 0.05·sin(s) and r = −‖s‖².
// Dataset actions cover a thin band of the action square, so uniform
// random actions are out of distribution.
func narrowTask(n int, s *rng.Stream) Transitions {
	t := Transitions{ObsDim: 3, ActDim: 2}
	for i := 0; i < n; i++ {
		var st [3]float64
		for j := range st {
			st[j] = 2*s.Float64() - 1
		}
		a0 := 0.5*math.Tanh(st[0]) + 0.05*s.NormFloat64()
		a1 := 0.3 + 0.05*s.NormFloat64()
		nx := [3]float64{st[0] + 0.1*a0 + 0.05*math.Sin(st[0]), st[1] + 0.1*a1 + 0.05*math.Sin(st[1]), st[2] + 0.1*a0*a1 + 0.05*math.Sin(st[2])}
		r := -(st[0]*st[0] + st[1]*st[1] + st[2]*st[2])
		for j := range st {
			t.Obs = append(t.Obs, float32(st[j]))
			t.Next = append(t.Next, float32(nx[j]))
		}
		t.Act = append(t.Act, float32(a0), float32(a1))
		t.Rew = append(t.Rew, float32(r))
		t.Done = append(t.Done, false)
	}
	return t
}

// smallDiffusion is a diffusion configuration small enough for tests.
func smallDiffusion() Config {
	return Config{Kind: Diffusion, Members: 3, Samples: 5, LatentDim: 16, EncoderHidden: []int{64},
		Width: 64, Blocks: 2, TimeDim: 16, DiffusionSteps: 50, SampleSteps: 10, LR: 2e-3, BatchSize: 128}
}

// smallGaussian is a Gaussian configuration small enough for tests.
func smallGaussian() Config {
	return Config{Kind: Gaussian, Members: 5, Elites: 3, Samples: 5, GaussianHidden: []int{64, 64}, LR: 2e-3, BatchSize: 128}
}
