package experiment

import (
	"reflect"
	"testing"
)

// TestSmoke: Smoke caps each phase (a phase that is off stays off), sets
// the periods inside the caps, turns the model caches off, shrinks only
// the algorithm's own section, gives a config that resolves, and is
// idempotent.
func TestSmoke(t *testing.T) {
	for _, c := range []struct {
		algo, env         string
		offline, online   int64
		wantOff, wantOnl  int64
		check             func(t *testing.T, c Config)
		untouchedSections []string
	}{
		{"bdwm", "hopper", 100000, 100000, SmokeSteps, SmokeSteps, func(t *testing.T, c Config) {
			if c.BDWM.ModelCache != "off" || c.BDWM.ModelSteps > 10 || c.BDWM.RolloutBatch > 32 || c.BDWM.BCSteps > SmokeSteps {
				t.Errorf("bdwm section %+v", c.BDWM)
			}
		}, []string{"DAWM", "DUAL"}},
		{"dawm", "hopper", 100000, 0, SmokeSteps, 0, func(t *testing.T, c Config) {
			if c.DAWM.Cache != "off" || c.DAWM.ModelSteps > 10 || c.DAWM.Transitions%c.DAWM.PerSequence != 0 {
				t.Errorf("dawm section %+v", c.DAWM)
			}
		}, []string{"BDWM", "DUAL"}},
		{"dual", "hopper", 100000, 100000, SmokeSteps, SmokeSteps, func(t *testing.T, c Config) {
			if c.DUAL.Distill.Iters > 5 || c.DUAL.RefitEvery > SmokeSteps || c.DUAL.OfflineSteps > SmokeSteps {
				t.Errorf("dual section %+v", c.DUAL)
			}
		}, []string{"BDWM", "DAWM"}},
		{"iql", "hopper", 20, 0, 20, 0, nil, []string{"BDWM", "DAWM", "DUAL"}},
		{"calql", "hopper", 100000, 100000, SmokeSteps, SmokeSteps, nil, []string{"BDWM", "DAWM", "DUAL"}},
	} {
		t.Run(c.algo, func(t *testing.T) {
			in := Config{Algo: c.algo, Env: c.env, Dataset: "pendulum-medium"}
			in.Train.OfflineSteps, in.Train.OnlineSteps = c.offline, c.online
			s := Smoke(in)
			tr := s.Train
			if tr.OfflineSteps != c.wantOff || tr.OnlineSteps != c.wantOnl {
				t.Errorf("budgets %d + %d, want %d + %d", tr.OfflineSteps, tr.OnlineSteps, c.wantOff, c.wantOnl)
			}
			if tr.EvalEvery > SmokeSteps || tr.EvalEpisodes != 1 || tr.CheckpointEvery > SmokeSteps || tr.LogEvery > SmokeSteps || tr.BatchSize > 32 {
				t.Errorf("periods %+v", tr)
			}
			if c.check != nil {
				c.check(t, s)
			}
			base := in.WithDefaults()
			for _, f := range c.untouchedSections {
				if !reflect.DeepEqual(reflect.ValueOf(s).FieldByName(f).Interface(), reflect.ValueOf(base).FieldByName(f).Interface()) {
					t.Errorf("section %s changed for algo %s", f, c.algo)
				}
			}
			if _, err := Resolve(s); err != nil {
				t.Errorf("the smoke config does not resolve: %v", err)
			}
			if again := Smoke(s); !reflect.DeepEqual(again, s) {
				t.Errorf("Smoke is not idempotent:\n%+v\n%+v", s, again)
			}
		})
	}
}
