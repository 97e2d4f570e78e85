package experiment

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A run name is one path element: "../x" would put the run's directory
// outside the runs directory.
func TestNameIsPlain(t *testing.T) {
	for _, n := range []string{"..", ".", "../../escaped", "a/b", `a\b`, "a\x00b"} {
		c := tiny(t, n)
		_, err := Run(context.Background(), c, Options{})
		if err == nil || !strings.Contains(err.Error(), "without path separators") {
			t.Errorf("name %q: %v", n, err)
		}
		if _, err := os.Stat(filepath.Join(c.RunsDir, "..", "escaped")); err == nil {
			t.Fatalf("name %q escaped the runs directory", n)
		}
	}
	if err := tiny(t, "ok-name_1.2").WithDefaults().Validate(); err != nil {
		t.Error(err)
	}
}
