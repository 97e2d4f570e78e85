package bdwm_test

import (
	"path/filepath"
	"testing"

	"github.com/dwm-rl/dwm/experiment"
	"github.com/dwm-rl/dwm/sweep"
)

// TestSweepFiles: the benchmark sweeps load, name only known algorithms,
// and their overrides apply to a config.
func TestSweepFiles(t *testing.T) {
	files, err := filepath.Glob("sweeps/*.yaml")
	if err != nil || len(files) != 9 {
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
