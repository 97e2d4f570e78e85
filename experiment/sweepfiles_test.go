package experiment_test

import (
	"path/filepath"
	"testing"

	"github.com/dwm-rl/dwm/experiment"
	"github.com/dwm-rl/dwm/sweep"
)

// TestResultSweepFiles: the benchmark sweeps under docs/results/sweeps load,
// name only known algorithms, and every run's overrides apply to a config
// (a misspelt key fails here, not hours into a benchmark).
func TestResultSweepFiles(t *testing.T) {
	files, err := filepath.Glob("../docs/results/sweeps/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("sweep files %v (%v)", files, err)
	}
	for _, f := range files {
		sw, err := sweep.Load(f, experiment.Algos())
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, r := range sw.Runs {
			if _, err := experiment.Load("", r.Overrides, experiment.Default(r.Method, r.Task.Env)); err != nil {
				t.Errorf("%s run %s: %v", f, r.Name, err)
			}
		}
	}
}
