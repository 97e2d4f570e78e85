package bdwm

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/worldmodel"
)

// TestModelCache: a second run with the same data, model configuration
// and seed loads the world model the first one fitted and continues
// exactly as it (metrics and world-model parameters bit for bit after
// offline updates and online steps that keep training the model); a run
// with another seed fits its own; a corrupt entry is reported and
// replaced by a fresh fit.
func TestModelCache(t *testing.T) {
	dir := t.TempDir()
	run := func(seed uint64) (*Method, []string, string) {
		cfg := tinyConfig()
		cfg.ModelCache = dir
		var log []string
		m, err := New(cfg, Parts{Agent: &fakeAgent{s: rng.New(1)}, Data: toyData(600), OnlineCapacity: 200, Seed: seed,
			Progress: func(s string) { log = append(log, s) }})
		if err != nil {
			t.Fatal(err)
		}
		ms := drive(t, m, 20, 30)
		var out []string
		for _, x := range ms {
			out = append(out, x.Name+"="+formatFloat(x.Value))
		}
		return m, out, strings.Join(log, "\n")
	}
	m1, ms1, log1 := run(5)
	files, _ := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	if len(files) != 1 || strings.Contains(log1, "loaded from the cache") {
		t.Fatalf("first run: cache files %v, log:\n%s", files, log1)
	}
	m2, ms2, log2 := run(5)
	if !strings.Contains(log2, "loaded from the cache") {
		t.Fatalf("second run did not load the cached model:\n%s", log2)
	}
	if !slices.Equal(ms1, ms2) {
		t.Errorf("metrics differ with the cached model:\nfitted %v\ncached %v", ms1, ms2)
	}
	p1, p2 := m1.Model().Params(), m2.Model().Params()
	for i := range p1 {
		if !slices.Equal(p1[i].W, p2[i].W) {
			t.Fatalf("world-model parameter %s differs after online training", p1[i].Name)
		}
	}
	if _, _, log3 := run(6); strings.Contains(log3, "loaded from the cache") {
		t.Error("a run with another seed used the cached model")
	}
	// The entry is readable on its own (dwm worldmodel eval), and it is
	// not a plain model file, which worldmodel.Load says clearly.
	if wm, err := LoadCacheEntry(files[0], 5); err != nil || wm.EpistemicDefined() != (m1.Model().Config().Members > 1) {
		t.Errorf("LoadCacheEntry: %v", err)
	}
	if _, err := worldmodel.Load(files[0], 5); !errors.Is(err, worldmodel.ErrNotModelFile) {
		t.Errorf("worldmodel.Load of a cache entry: %v, want ErrNotModelFile", err)
	}
	if err := os.WriteFile(files[0], []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, ms4, log4 := run(5)
	if !strings.Contains(log4, "unusable") || !slices.Equal(ms4, ms1) {
		t.Errorf("corrupt cache entry: log\n%s\nmetrics equal to the fitted run's: %v", log4, slices.Equal(ms4, ms1))
	}
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
