package dawm

import (
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/datasets"
	"github.com/dwm-rl/dwm/diffusion"
	"github.com/dwm-rl/dwm/diffusion/denoiser"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// smallConfig is a U-Net small enough for unit tests.
func smallConfig() Config {
	return Config{Horizon: 4, UNet: denoiser.UNetConfig{Dim: 16, Mults: []int{1, 2}, Groups: 4}, Batch: 64, LR: 1e-3, Diffusion: diffusion.Config{Prediction: diffusion.X0}}
}

func episodes(n, length int, reward float32) *dataset.Dataset {
	d := dataset.New(2, 1, n*length)
	for e := 0; e < n; e++ {
		for i := 0; i < length; i++ {
			d.Append([]float32{float32(i), float32(e)}, []float32{0.1}, reward, []float32{float32(i + 1), float32(e)}, false, i == length-1)
		}
	}
	return d
}

func TestWorldModelBadInput(t *testing.T) {
	noRewards := episodes(3, 10, 1)
	noRewards.Rewards = nil
	tests := []struct {
		name string
		d    *dataset.Dataset
		cfg  Config
		want string
	}{
		{"zero rewards", episodes(3, 10, 0), smallConfig(), "all 30 rewards of the dataset are zero"},
		{"no reward column", noRewards, smallConfig(), "has 0 rewards for 30 rows"},
		{"horizon too long", episodes(3, 10, 1), Config{Horizon: 16, UNet: denoiser.UNetConfig{Mults: []int{1, 2}}}, "Horizon = 16 is longer than every episode of the dataset (longest 10 steps)"},
		{"horizon 1", episodes(3, 10, 1), Config{Horizon: 1, UNet: denoiser.UNetConfig{Mults: []int{1}}}, "Horizon = 1"},
		{"empty", dataset.New(2, 1, 0), smallConfig(), "dataset is empty"},
		{"batch", episodes(3, 10, 1), Config{Batch: -1}, "Batch = -1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewWorldModel(tc.d, tc.cfg, rng.New(1))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestWorldModelTrainsAndSamples trains a small model briefly on
// pendulum-medium: the loss must fall, and samples must keep the given
// current state and have the documented layout.
func TestWorldModelTrainsAndSamples(t *testing.T) {
	d, err := datasets.Load("pendulum-medium")
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWorldModel(d, smallConfig(), rng.Derive(1, "wm"))
	if err != nil {
		t.Fatal(err)
	}
	first, err := w.Train(20, rng.Derive(1, "train0"))
	if err != nil {
		t.Fatal(err)
	}
	last, err := w.Train(300, rng.Derive(1, "train1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loss: first 20 steps %.4f, steps 220-320 %.4f", first, last)
	if !(last < 0.7*first) {
		t.Errorf("loss did not fall: %.4f → %.4f", first, last)
	}
	p, err := w.NewSampler(SampleConfig{Samples: 3})
	if err != nil {
		t.Fatal(err)
	}
	B := 5
	obs := d.Observations[:B*d.ObsDim]
	act := d.Actions[:B*d.ActDim]
	rtg := w.rtg[:B]
	out := tensor.New(0, 0)
	if err := p.Sample(out, obs, act, rtg, rng.New(2)); err != nil {
		t.Fatal(err)
	}
	if out.Rows != 3*B || out.Cols != 4*(d.ObsDim+1) {
		t.Fatalf("sample shape %s, want %d×%d", out.Shape(), 3*B, 4*(d.ObsDim+1))
	}
	for r := 0; r < out.Rows; r++ {
		b := r % B
		for j := 0; j < d.ObsDim; j++ {
			if out.At(r, j) != obs[b*d.ObsDim+j] {
				t.Fatalf("sample %d state %d = %v, want the given %v", r, j, out.At(r, j), obs[b*d.ObsDim+j])
			}
		}
	}
	if err := p.Sample(out, obs, act[:1], rtg, rng.New(2)); err == nil {
		t.Error("mismatched actions: no error")
	}
}
