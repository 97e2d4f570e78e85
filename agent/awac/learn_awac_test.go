package awac_test

import (
	"testing"
	"time"

	"github.com/dwm-rl/dwm/agent/awac"
	"github.com/dwm-rl/dwm/train"
)

var awacRun = o2oRun{data: behaviour{Random: 0.75}, episodes: 50, offline: 10000, online: 10000, evalEpisodes: 20}

func awacFactory(cfg awac.Config) newAgent {
	return func(t testing.TB, seed uint64) (train.Agent, func([]float32) error) {
		a, err := awac.New(3, 1, cfg, seed)
		if err != nil {
			t.Fatal(err)
		}
		return a, a.FitStateNorm
	}
}

var awacCfg = awac.Config{Hidden: []int{64, 64, 64}}

func TestO2OSeeds(t *testing.T) {
	seedsFromEnv(t, func(seed uint64) {
		a, fit := awacFactory(awacCfg)(t, seed)
		res := runO2O(t, awacRun, a, fit, seed)
		t.Logf("seed %d: behaviour %.1f, offline %.1f, online %.1f (%v)", seed, res.behaviour, res.offline, res.online, res.elapsed.Round(time.Millisecond))
	})
}
