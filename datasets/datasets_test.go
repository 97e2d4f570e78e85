package datasets

import (
	"testing"

	"github.com/dwm-rl/dwm/dataset"
)

func TestEmbeddedPendulumMedium(t *testing.T) {
	d, err := Load("pendulum-medium")
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 50000 || d.ObsDim != 3 || d.ActDim != 1 || d.Metadata[dataset.MetaEnvID] != "pendulum" || d.Metadata["kind"] != "medium" {
		t.Fatalf("unexpected dataset: %d rows, dims %d/%d, metadata %v", d.Len(), d.ObsDim, d.ActDim, d.Metadata)
	}
	// A medium dataset: normalized behaviour score well between random (0) and expert (100).
	st, err := d.Stats(dataset.StatsOptions{Reference: &dataset.Reference{Random: -1215.189087, Expert: -142.1689082}})
	if err != nil {
		t.Fatal(err)
	}
	if m := st.Normalized.Mean; m < 15 || m > 50 {
		t.Fatalf("behaviour normalized score %.1f outside the medium band [15, 50]", m)
	}
	if _, err := Load("hopper-medium"); err == nil {
		t.Fatal("unknown embedded dataset accepted")
	}
}
