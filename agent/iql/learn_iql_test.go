package iql_test

import (
	"testing"
	"time"

	"github.com/dwm-rl/dwm/agent/iql"
	"github.com/dwm-rl/dwm/train"
)

var iqlRun = o2oRun{data: behaviour{Random: 0.75}, episodes: 50, offline: 10000, online: 10000, evalEpisodes: 20}

func iqlFactory(cfg iql.Config) newAgent {
	return func(t testing.TB, seed uint64) (train.Agent, func([]float32) error) {
		a, err := iql.New(3, 1, cfg, seed)
		if err != nil {
			t.Fatal(err)
		}
		return a, a.FitStateNorm
	}
}

var iqlCfg = iql.Config{Hidden: []int{64, 64}, ScheduleSteps: 8000}

func TestO2OSeeds(t *testing.T) {
	seedsFromEnv(t, func(seed uint64) {
		a, fit := iqlFactory(iqlCfg)(t, seed)
		res := runO2O(t, iqlRun, a, fit, seed)
		t.Logf("seed %d: behaviour %.1f, offline %.1f, online %.1f (%v)", seed, res.behaviour, res.offline, res.online, res.elapsed.Round(time.Millisecond))
	})
}
