package rollout_test

import (
	"fmt"

	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/rollout"
	"github.com/dwm-rl/dwm/worldmodel"
)

// drift is a 1-D stand-in for a world model: s' = s + a, r = 1, and an
// epistemic uncertainty that grows with |s|.
type drift struct{}

func (drift) Dims() (int, int) { return 1, 1 }

func (drift) Predict(p *worldmodel.Prediction, obs, act []float32, _ worldmodel.PredictOptions, _ *rng.Stream) error {
	b := len(obs)
	p.B = b
	p.Next, p.Reward, p.SigmaEp, p.Penalty = make([]float32, b), make([]float32, b), make([]float32, b), make([]float32, b)
	p.Terminal = make([]bool, b)
	for i, s := range obs {
		p.Next[i], p.Reward[i] = s+act[i], 1
		p.SigmaEp[i] = 0.1 * max(s, -s)
	}
	return nil
}

// forward always pushes by 1.
type forward struct{}

func (forward) ActBatch(_, act []float32, _ bool) error {
	for i := range act {
		act[i] = 1
	}
	return nil
}

// Rollouts from two real states, horizon 5, rejected once σ_ep exceeds
// η = 0.25: the rejected step becomes a zero-reward absorbing terminal.
func ExampleRunner_Run() {
	buf, _ := replay.New(100, 1, 1, false)
	var r rollout.Runner
	st, _ := r.Run(buf, []float32{0, 1}, drift{}, forward{},
		rollout.Config{Horizon: 5, Eta: 0.25, OnReject: rollout.Absorb}, rng.New(1))
	fmt.Printf("attempted %d, accepted %d, absorbed %d, reject rate %.2f, mean reward %.1f\n",
		st.Steps, st.Accepted, st.Absorbed, st.RejectRate(), st.MeanReward())
	// Output: attempted 7, accepted 5, absorbed 2, reject rate 0.29, mean reward 1.0
}

// Bounds measure how far an imagined state lies outside the real states'
// range, in range widths.
func ExampleBounds_Excess() {
	b := rollout.NewBounds([]float32{0, 10, 2, 14}, 2) // rows (0, 10) and (2, 14)
	fmt.Println(b.Excess([]float32{1, 12}), b.Excess([]float32{3, 12}), b.Excess([]float32{1, 6}))
	// Output: 0 0.5 1
}
