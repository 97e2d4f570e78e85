package datagen

import (
	"slices"
	"testing"

	"github.com/dwm-rl/dwm/experiment"
)

// TestExpertSACConfig: the policy of an expert snapshot is rebuilt with the
// run's own SAC settings, read from the checkpoint's config (snake_case keys
// since the YAML tree is stored as JSON), not silently with the defaults.
func TestExpertSACConfig(t *testing.T) {
	c := experiment.Config{Algo: "sac", Env: "pendulum"}
	c.SAC.Hidden = []int{64, 32}
	c.SAC.LogStdMin, c.SAC.LogStdMax, c.SAC.ActorLR = -3, 1.5, 1e-4
	js, err := c.JSON()
	if err != nil {
		t.Fatal(err)
	}
	got, err := expertSACConfig(js)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Hidden, []int{64, 32}) || got.LogStdMin != -3 || got.LogStdMax != 1.5 || got.ActorLR != 1e-4 {
		t.Errorf("decoded %+v", got)
	}
	if _, err := expertSACConfig([]byte(`{"sac": [1, 2]}`)); err == nil {
		t.Error("a malformed sac section gave no error")
	}
}
