package dawm

import (
	"testing"

	"github.com/dwm-rl/dwm/datasets"
	"github.com/dwm-rl/dwm/rng"
)

// BenchmarkGenerate measures generated transitions per second on
// pendulum-medium with the test-sized U-Net (untrained: speed does not depend
// on the weights), M = 4 samples, 10 DDIM steps, 256 rows per batch.
func BenchmarkGenerate(b *testing.B) {
	d, err := datasets.Load("pendulum-medium")
	if err != nil {
		b.Fatal(err)
	}
	w, err := NewWorldModel(d, smallConfig(), rng.New(1))
	if err != nil {
		b.Fatal(err)
	}
	idm, _, err := TrainInverseDynamics(d, nil, IDMConfig{Steps: 1}, rng.New(2))
	if err != nil {
		b.Fatal(err)
	}
	rows := testRows(d, 256)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Generate(w, idm, rows, GenConfig{}, rng.New(uint64(i))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(rows))/b.Elapsed().Seconds(), "transitions/s")
}
