package td3bc_test

import (
	"testing"
	"time"

	"github.com/dwm-rl/dwm/agent/td3bc"
	"github.com/dwm-rl/dwm/train"
)

var td3bcRun = o2oRun{data: behaviour{Random: 0.75}, episodes: 50, offline: 10000, online: 10000, evalEpisodes: 20}

func td3bcFactory(cfg td3bc.Config) newAgent {
	return func(t testing.TB, seed uint64) (train.Agent, func([]float32) error) {
		a, err := td3bc.New(3, 1, cfg, seed)
		if err != nil {
			t.Fatal(err)
		}
		return a, a.FitStateNorm
	}
}

var td3bcCfg = td3bc.Config{Hidden: []int{64, 64}}

func TestO2OSeeds(t *testing.T) {
	seedsFromEnv(t, func(seed uint64) {
		a, fit := td3bcFactory(td3bcCfg)(t, seed)
		res := runO2O(t, td3bcRun, a, fit, seed)
		t.Logf("seed %d: behaviour %.1f, offline %.1f, online %.1f (%v)", seed, res.behaviour, res.offline, res.online, res.elapsed.Round(time.Millisecond))
	})
}
