package worldmodel_test

import (
	"fmt"

	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/worldmodel"
)

// Fit a small diffusion-ensemble world model on transitions of a 1-D task
// (s' = s + 0.1·a, r = −s²), then predict a batch with its uncertainty:
// K·M samples per input in one call, σ_ep (Eq. 3) and σ_al (Eq. 4).
func ExampleFit() {
	s := rng.New(1)
	data := worldmodel.Transitions{ObsDim: 1, ActDim: 1}
	for i := 0; i < 2000; i++ {
		x, a := float32(2*s.Float64()-1), float32(2*s.Float64()-1)
		data.Obs, data.Act = append(data.Obs, x), append(data.Act, a)
		data.Next, data.Rew = append(data.Next, x+0.1*a), append(data.Rew, -x*x)
		data.Done = append(data.Done, false)
	}
	cfg := worldmodel.Config{Members: 3, Samples: 4, Width: 32, Blocks: 1, LatentDim: 8, EncoderHidden: []int{32},
		TimeDim: 8, DiffusionSteps: 20, SampleSteps: 5, BatchSize: 64, Termination: worldmodel.Never}
	m, rep, err := worldmodel.Fit(data, cfg, worldmodel.FitOptions{Steps: 200, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	var p worldmodel.Prediction
	obs, act := []float32{0.5, -0.5}, []float32{1, -1}
	if err := m.Predict(&p, obs, act, worldmodel.PredictOptions{Aleatoric: true}, rng.New(2)); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("trained on", rep.Train, "held out", rep.Holdout)
	fmt.Println("samples K, M, B, D:", p.Shape.K, p.Shape.M, p.Shape.B, p.Shape.D)
	fmt.Println("next states", len(p.Next), "σ_ep", len(p.SigmaEp), "σ_al", len(p.SigmaAl), "epistemic defined", p.EpistemicDefined)
	// Output:
	// trained on 1600 held out 400
	// samples K, M, B, D: 3 4 2 2
	// next states 2 σ_ep 2 σ_al 2 epistemic defined true
}
