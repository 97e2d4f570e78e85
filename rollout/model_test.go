package rollout

import (
	"slices"
	"testing"

	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/worldmodel"
)

// randomPolicy acts uniformly at random from its own stream.
type randomPolicy struct{ s *rng.Stream }

func (p randomPolicy) ActBatch(_, act []float32, _ bool) error {
	p.s.FillUniform(act, -1, 1)
	return nil
}

// TestWithWorldModel runs rollouts in a small fitted diffusion world model:
// the same seeds give the same buffer, the threshold is applied to the
// model's σ_ep, and a huge threshold accepts everything.
func TestWithWorldModel(t *testing.T) {
	s := rng.New(1)
	d := worldmodel.Transitions{ObsDim: 2, ActDim: 1}
	for i := 0; i < 400; i++ {
		x, y, a := 2*s.Float64()-1, 2*s.Float64()-1, 0.3*s.NormFloat64()
		d.Obs = append(d.Obs, float32(x), float32(y))
		d.Act = append(d.Act, float32(a))
		d.Next = append(d.Next, float32(x+0.1*a), float32(0.9*y))
		d.Rew = append(d.Rew, float32(-x*x))
		d.Done = append(d.Done, false)
	}
	cfg := worldmodel.Config{Members: 3, Samples: 4, LatentDim: 8, EncoderHidden: []int{32}, Width: 32, Blocks: 1, TimeDim: 8,
		DiffusionSteps: 20, SampleSteps: 5, BatchSize: 64, LR: 2e-3}
	m, _, err := worldmodel.Fit(d, cfg, worldmodel.FitOptions{Steps: 100, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	run := func(eta float32) ([]float32, Stats) {
		buf, _ := replay.New(1000, 2, 1, false)
		var r Runner
		starts := slices.Clone(r.Starts(mustBuffer(t, d), 50, 2, 1, rng.New(3)))
		st, err := r.Run(buf, starts, m, randomPolicy{rng.New(4)}, Config{Horizon: 5, Eta: eta, Predict: worldmodel.PredictOptions{Aleatoric: true}}, rng.New(5))
		if err != nil {
			t.Fatal(err)
		}
		var all []float32
		for _, x := range buf.State("b") {
			all = append(all, x.Data...)
		}
		return all, st
	}
	a, sa := run(0.05)
	b, sb := run(0.05)
	if !slices.Equal(a, b) || sa != sb {
		t.Error("same seeds, different rollouts")
	}
	_, all := run(1e9)
	t.Logf("η = 0.05: %+v (reject rate %.3f, mean σ_ep %.4f); η = 1e9: accepted %d of %d", sa, sa.RejectRate(), sa.MeanSigmaEp(), all.Accepted, all.Steps)
	if all.Rejected != 0 || all.Accepted != all.Steps || all.Steps != 250 {
		t.Errorf("η = 1e9: %+v", all)
	}
	if sa.Accepted+sa.Rejected+sa.NonFinite != sa.Steps {
		t.Errorf("counts do not add up: %+v", sa)
	}
}

func mustBuffer(t *testing.T, d worldmodel.Transitions) *replay.Buffer {
	t.Helper()
	b, err := replay.New(d.Len(), d.ObsDim, d.ActDim, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < d.Len(); i++ {
		b.Add(d.Obs[i*2:i*2+2], d.Act[i:i+1], d.Rew[i], d.Next[i*2:i*2+2], false)
	}
	return b
}
