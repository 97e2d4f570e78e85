package worldmodel

import (
	"fmt"
	"math"
	"testing"

	"github.com/dwm-rl/dwm/rng"
)

// modeVerdict judges samples of s' at one input whose true distribution has
// equal-weight modes at c ± 0.5: the fraction within tol of a mode, the
// counts near each mode and the χ² statistic of those counts against ½/½
// (1 degree of freedom; 6.63 is the 1% critical value).
type modeVerdict struct {
	near, plus, minus int
	n                 int
	chi2              float64
}

func judgeModes(next []float32, c float64, tol float64) modeVerdict {
	v := modeVerdict{n: len(next)}
	for _, y := range next {
		switch {
		case math.Abs(float64(y)-(c+0.5)) < tol:
			v.plus++
		case math.Abs(float64(y)-(c-0.5)) < tol:
			v.minus++
		}
	}
	v.near = v.plus + v.minus
	if v.near > 0 {
		e := float64(v.near) / 2
		v.chi2 = (math.Pow(float64(v.plus)-e, 2) + math.Pow(float64(v.minus)-e, 2)) / e
	}
	return v
}

func (v modeVerdict) String() string {
	return fmt.Sprintf("%.1f%% within tolerance of a mode (+: %d, −: %d, χ² %.2f)", 100*float64(v.near)/float64(v.n), v.plus, v.minus, v.chi2)
}

// TestBimodalDiffusionVsGaussian is issue 8's statistical test: on a task
// whose transitions have two equally likely modes, the diffusion ensemble's
// predicted next states fall near the modes (≥ 90% within 0.1, i.e. five
// noise standard deviations, of one of them) with both modes weighted
// equally (χ² of the two counts < 6.63, p > 0.01); every member on its own
// puts ≥ 90% of its samples near a mode and 30–70% on each; the Gaussian
// ensemble puts most of its mass between the modes (< 50% near a mode).
func TestBimodalDiffusionVsGaussian(t *testing.T) {
	data := bimodalTask(8000, rng.New(1))
	const n = 2000
	inputs := []struct{ s, a float64 }{{0, 0}, {0.5, -0.8}, {-0.6, 0.7}}
	const tol = 0.1
	run := func(t *testing.T, cfg Config, steps int, wantBimodal bool) {
		m, rep, err := Fit(data, cfg, FitOptions{Steps: steps, Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: final loss %.4f, held-out one-step MSE %.3f", cfg.Kind, rep.Loss, rep.Quality.OneStepMSE)
		var p Prediction
		s := rng.New(3)
		for _, in := range inputs {
			obs := make([]float32, n)
			act := make([]float32, n)
			for i := range obs {
				obs[i], act[i] = float32(in.s), float32(in.a)
			}
			if err := m.Predict(&p, obs, act, PredictOptions{M: 2, Aleatoric: true}, s); err != nil {
				t.Fatal(err)
			}
			c := in.s + 0.1*in.a
			v := judgeModes(p.Next, c, tol)
			t.Logf("%s at s=%.1f a=%.1f: %v; mean σ_ep %.4f σ_al %.4f", cfg.Kind, in.s, in.a, v, p.SigmaEp[0], p.SigmaAl[0])
			frac := float64(v.near) / float64(v.n)
			if wantBimodal {
				if frac < 0.9 || v.chi2 > 6.63 {
					t.Errorf("%s at s=%.1f a=%.1f does not reproduce both modes: %v", cfg.Kind, in.s, in.a, v)
				}
				// Every member on its own: denormalize its samples.
				_, out := m.Normalizers()
				K, M, B, D := p.Shape.K, p.Shape.M, p.Shape.B, p.Shape.D
				for k := 0; k < K; k++ {
					ys := make([]float32, 0, M*B)
					for q := 0; q < M; q++ {
						for b := 0; b < B; b++ {
							x := p.Samples[((k*M+q)*B+b)*D]
							ys = append(ys, float32(in.s)+x*out.Std[0]+out.Mean[0])
						}
					}
					mv := judgeModes(ys, c, tol)
					share := float64(mv.plus) / float64(max(mv.near, 1))
					if float64(mv.near)/float64(mv.n) < 0.9 || share < 0.3 || share > 0.7 {
						t.Errorf("member %d at s=%.1f a=%.1f: %v", k, in.s, in.a, mv)
					}
				}
			} else if frac >= 0.5 {
				t.Errorf("the Gaussian ensemble passed as bimodal at s=%.1f a=%.1f: %v", in.s, in.a, v)
			}
		}
	}
	t.Run("diffusion", func(t *testing.T) { run(t, smallDiffusion(), 2500, true) })
	t.Run("gaussian", func(t *testing.T) { run(t, smallGaussian(), 2000, false) })
}
