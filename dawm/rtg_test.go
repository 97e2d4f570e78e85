package dawm

import (
	"math"
	"testing"

	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/datasets"
	"github.com/dwm-rl/dwm/rng"
)

// TestGenerateRTGDirection checks that the return-to-go condition steers
// generated rewards: in a toy dataset half the episodes earn +1 per step and
// half −1 along the same states (distance from the start, identical for
// both), with the same action, so only the return-to-go tells them apart.
// Raising the condition must raise the generated rewards (measured, seed
// 6/7: mean reward −0.277 at −1σ, +0.369 at +1σ).
func TestGenerateRTGDirection(t *testing.T) {
	const episodesN, length = 40, 8
	d := dataset.New(1, 1, episodesN*length)
	for e := 0; e < episodesN; e++ {
		r := float32(1)
		if e%2 == 1 {
			r = -1
		}
		for i := 0; i < length; i++ {
			d.Append([]float32{0.1 * float32(i)}, []float32{0}, r, []float32{0.1 * float32(i+1)}, false, i == length-1)
		}
	}
	w, err := NewWorldModel(d, smallConfig(), rng.Derive(6, "wm"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Train(400, rng.Derive(6, "train")); err != nil {
		t.Fatal(err)
	}
	idm, _, err := TrainInverseDynamics(d, nil, IDMConfig{Steps: 50}, rng.Derive(6, "idm"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []int
	for i := 0; i < d.Len(); i++ {
		if i%length <= length-4 {
			rows = append(rows, i)
		}
	}
	mean := func(offset float32) float64 {
		g, err := Generate(w, idm, rows, GenConfig{Transitions: 3, RTGOffset: offset}, rng.New(7))
		if err != nil {
			t.Fatal(err)
		}
		var s float64
		for _, r := range g.Rewards {
			s += float64(r)
		}
		return s / float64(g.Len())
	}
	low, high := mean(-1), mean(1)
	t.Logf("mean generated reward: RTG −1σ %.3f, +1σ %.3f", low, high)
	if !(high > low+0.3) {
		t.Errorf("higher return-to-go gave mean reward %.3f, not above the lower one's %.3f by 0.3", high, low)
	}
}

// rtgEffect trains a horizon-16 world model on pendulum-medium for steps
// steps from seed and returns, for 128 dataset starts, the differences
// between the mean generated reward of steps h = 1…14 conditioned on the
// start's return-to-go +1σ and −1σ (same noise for both; step 0's reward
// is fixed by the given state and action).
func rtgEffect(t *testing.T, steps int, seed uint64) []float64 {
	t.Helper()
	d, err := datasets.Load("pendulum-medium")
	if err != nil {
		t.Fatal(err)
	}
	cfg := smallConfig()
	cfg.Horizon, cfg.Batch = 16, 32
	w, err := NewWorldModel(d, cfg, rng.Derive(seed, "wm"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Train(steps, rng.Derive(seed, "train")); err != nil {
		t.Fatal(err)
	}
	idm, _, err := TrainInverseDynamics(d, nil, IDMConfig{Steps: 1}, rng.Derive(seed, "idm"))
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]int, 128)
	for i := range rows {
		rows[i] = w.starts[(i*7919)%len(w.starts)]
	}
	const T = 15
	mean := func(offset float32) []float64 {
		g, err := Generate(w, idm, rows, GenConfig{Transitions: T, RTGOffset: offset, Sample: SampleConfig{Samples: 2}}, rng.New(9))
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float64, len(rows))
		for i := range out {
			for h := 1; h < T; h++ {
				out[i] += float64(g.Rewards[i*T+h]) / (T - 1)
			}
		}
		return out
	}
	lo, hi := mean(-1), mean(1)
	diff := make([]float64, len(rows))
	for i := range diff {
		diff[i] = hi[i] - lo[i]
	}
	return diff
}

// meanT returns the mean of x and its one-sample t statistic.
func meanT(x []float64) (float64, float64) {
	var m, v float64
	for _, a := range x {
		m += a
	}
	m /= float64(len(x))
	for _, a := range x {
		v += (a - m) * (a - m)
	}
	sd := math.Sqrt(v / float64(len(x)-1))
	return m, m / (sd / math.Sqrt(float64(len(x))))
}

// TestGenerateRTGDirectionPendulum checks the direction of return-to-go
// conditioning on real data: on pendulum-medium, a higher return-to-go
// target must give higher generated rewards over the next 14 steps.
//
// The horizon matters: over 1–3 steps the data themselves have the opposite
// sign (holding the state and action fixed, a higher discounted
// return-to-go goes with slightly lower next rewards, −0.035 per σ by
// least squares: time-limited episodes give rows near their end a high
// return-to-go), over 16 steps the right one (+1.8 per σ over steps 1–15).
// Measured for this test (120 training steps, 128 starts, seeds 1/2/3):
// mean per-step difference +1.96/+1.22/+1.78 with paired t = 14.3/11.6/14.2; the
// test asks for +0.5 and t > 5.
func TestGenerateRTGDirectionPendulum(t *testing.T) {
	diff := rtgEffect(t, 120, 1)
	m, tt := meanT(diff)
	t.Logf("per-step generated reward, RTG +1σ minus −1σ: mean %+.3f over %d starts, paired t = %.1f", m, len(diff), tt)
	if !(m > 0.5 && tt > 5) {
		t.Errorf("higher return-to-go raised the mean generated reward by %+.3f (t = %.1f), want > +0.5 with t > 5", m, tt)
	}
}
