package env_test

import (
	"math"
	"strconv"
	"testing"

	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/spec"
)

// heavy stands in for a MuJoCo env: each step burns about work iterations
// of floating-point math (≈12 µs for 400 on this machine), so Vector's scaling over
// workers shows without cgo.
type heavy struct {
	x    float64
	work int
}

func (h *heavy) Spec() env.Spec {
	return env.Spec{ID: "heavy", Obs: spec.UniformBox(1, -10, 10), Act: spec.UniformBox(1, -1, 1), MaxSteps: 1000}
}
func (h *heavy) Reset(seed uint64, obs []float32) error {
	h.x = float64(seed%10) / 10
	obs[0] = 0
	return nil
}
func (h *heavy) Step(a, obs []float32) (env.Result, error) {
	s := h.Spec()
	var c [1]float32
	if err := env.CheckAction(&s, a, c[:]); err != nil {
		return env.Result{}, err
	}
	x := h.x
	for i := range h.work {
		x = math.Sin(x+float64(c[0])) + 1e-3*float64(i&7)
	}
	h.x = x
	obs[0] = float32(x)
	return env.Result{Reward: x}, nil
}
func (h *heavy) Close() error { return nil }

// BenchmarkVectorHeavy measures Vector throughput on an env whose step
// costs microseconds, with 1 and 2 workers.
func BenchmarkVectorHeavy(b *testing.B) {
	const n = 16
	for _, w := range []int{1, 2} {
		b.Run("workers="+strconv.Itoa(w), func(b *testing.B) {
			v, err := env.NewVector(n, w, func(int) (env.Env, error) { return &heavy{work: 400}, nil })
			if err != nil {
				b.Fatal(err)
			}
			defer v.Close()
			obs, final := make([]float32, n), make([]float32, n)
			act, res := make([]float32, n), make([]env.VecResult, n)
			v.Reset(1, obs)
			for b.Loop() {
				if err := v.Step(act, obs, final, res); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "steps/s")
		})
	}
}
