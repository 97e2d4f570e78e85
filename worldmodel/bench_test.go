package worldmodel

import (
	"fmt"
	"testing"

	"github.com/dwm-rl/dwm/rng"
)

// BenchmarkImagine is the imagination workload of bench/pytorch/bdwm_imagine.py:
// one Predict of B state-action pairs of hopper's widths (11 + 3) with the
// default diffusion world model — K = 3 per-member encoders
// (14→256→256→64) and decoders (W-wide residual MLPs, 2 blocks; W = 256 is
// the default, 512 issue 7's size), M = 5
// samples per member by 10 DDIM steps, σ_ep and σ_al, one sample chosen and
// denormalized per input. transitions/s counts the B predicted transitions.
func BenchmarkImagine(b *testing.B) {
	for _, c := range []struct{ w, B int }{{256, 256}, {256, 1000}, {512, 256}} {
		B := c.B
		b.Run(fmt.Sprintf("W%d/B%d", c.w, B), func(b *testing.B) {
			const O, A = 11, 3
			m, err := New(O, A, Config{Width: c.w}, 1)
			if err != nil {
				b.Fatal(err)
			}
			s := rng.New(2)
			n := 64
			obs, act, next, rew := make([]float32, n*O), make([]float32, n*A), make([]float32, n*O), make([]float32, n)
			s.FillNormal(obs)
			s.FillUniform(act, -1, 1)
			s.FillNormal(next)
			s.FillNormal(rew)
			if err := m.FitNormalizers(obs, act, next, rew); err != nil {
				b.Fatal(err)
			}
			in, ia := make([]float32, B*O), make([]float32, B*A)
			s.FillNormal(in)
			s.FillUniform(ia, -1, 1)
			var p Prediction
			opt := PredictOptions{Aleatoric: true}
			if err := m.Predict(&p, in, ia, opt, s); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := m.Predict(&p, in, ia, opt, s); err != nil {
					b.Fatal(err)
				}
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(float64(B)/sec, "transitions/s")
			b.ReportMetric(float64(3*5*B)/sec, "samples/s")
		})
	}
}

// BenchmarkTrainStep is one training step of the default diffusion world
// model on hopper's widths: 3 members × 256 rows, encoders and decoders,
// forward, backward and Adam.
func BenchmarkTrainStep(b *testing.B) {
	const O, A = 11, 3
	m, err := New(O, A, Config{}, 1)
	if err != nil {
		b.Fatal(err)
	}
	s := rng.New(2)
	d := Transitions{ObsDim: O, ActDim: A}
	for i := 0; i < 2000; i++ {
		for j := 0; j < O; j++ {
			d.Obs = append(d.Obs, float32(s.NormFloat64()))
			d.Next = append(d.Next, float32(s.NormFloat64()))
		}
		for j := 0; j < A; j++ {
			d.Act = append(d.Act, float32(2*s.Float64()-1))
		}
		d.Rew = append(d.Rew, float32(s.NormFloat64()))
		d.Done = append(d.Done, false)
	}
	if err := m.FitNormalizers(d.Obs, d.Act, d.Next, d.Rew); err != nil {
		b.Fatal(err)
	}
	buf, err := d.buffer()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := m.Train(buf, 1); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.Train(buf, 1); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}
