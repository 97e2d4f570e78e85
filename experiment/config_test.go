package experiment

import (
	"strings"
	"testing"
)

// A SAC run that sets no budget gets DefaultSACOnlineSteps; a budget given,
// or another algorithm, keeps its own; no budget at all is an error naming
// the flags.
func TestDefaultBudget(t *testing.T) {
	for _, tc := range []struct {
		algo             string
		online, offline  int64
		wantOn, wantOffl int64
	}{
		{"sac", 0, 0, DefaultSACOnlineSteps, 0},
		{"sac", 500, 0, 500, 0},
		{"sac", 0, 200, 0, 200},
		{"td3bc", 0, 0, 0, 0},
		{"iql", 300, 100, 300, 100},
	} {
		c := Config{Algo: tc.algo, Env: "pendulum"}
		c.Train.OnlineSteps, c.Train.OfflineSteps = tc.online, tc.offline
		c = c.WithDefaults()
		if c.Train.OnlineSteps != tc.wantOn || c.Train.OfflineSteps != tc.wantOffl {
			t.Errorf("%s with online %d, offline %d: defaults give online %d, offline %d; want %d, %d",
				tc.algo, tc.online, tc.offline, c.Train.OnlineSteps, c.Train.OfflineSteps, tc.wantOn, tc.wantOffl)
		}
	}
	if err := Default("sac", "pendulum").Validate(); err != nil {
		t.Errorf("default SAC config: %v", err)
	}
	err := Default("td3bc", "pendulum").Validate()
	if err == nil || !strings.Contains(err.Error(), "--steps") || !strings.Contains(err.Error(), "--offline-steps") {
		t.Errorf("TD3+BC without a budget: error %v, want one naming --steps and --offline-steps", err)
	}
}
