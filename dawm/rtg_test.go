package dawm

import (
	"testing"

	"github.com/dwm-rl/dwm/dataset"
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
