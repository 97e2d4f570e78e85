package track

import (
	"slices"
	"testing"
)

func TestSplitAlternatives(t *testing.T) {
	for in, want := range map[string][]string{
		"a*":      {"a*"},
		"a*|b*":   {"a*", "b*"},
		"x[|]y":   {"x[|]y"},
		"x[|]y|z": {"x[|]y", "z"},
		"[]|]a|b": {"[]|]a", "b"},
		"a||b":    {"a", "", "b"},
	} {
		if got := splitAlternatives(in); !slices.Equal(got, want) {
			t.Errorf("splitAlternatives(%q) = %q, want %q", in, got, want)
		}
	}
}
