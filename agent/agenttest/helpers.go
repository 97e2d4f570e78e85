package agenttest

import (
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/agent"
)

// Metric returns the value of the metric called name in ms, failing t if
// there is none.
func Metric(t testing.TB, ms []agent.Metric, name string) float64 {
	t.Helper()
	for _, m := range ms {
		if m.Name == name {
			return m.Value
		}
	}
	t.Fatalf("no metric %s in %v", name, ms)
	return 0
}

// MustPanic calls f and fails t unless f panics with a string containing
// want (an agent's panic on a programmer error names its method, e.g.
// "iql.Update").
func MustPanic(t testing.TB, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if s, ok := r.(string); !ok || !strings.Contains(s, want) {
			t.Fatalf("recovered %v, want a panic naming %s", r, want)
		}
	}()
	f()
}

// RejectsBadDims fails t unless newAgent returns an error for each of the
// dimensions (0, 1), (3, 0) and (-1, 2).
func RejectsBadDims(t testing.TB, newAgent func(obsDim, actDim int) error) {
	t.Helper()
	for _, dims := range [][2]int{{0, 1}, {3, 0}, {-1, 2}} {
		if err := newAgent(dims[0], dims[1]); err == nil {
			t.Errorf("New(%d, %d) accepted", dims[0], dims[1])
		}
	}
}
