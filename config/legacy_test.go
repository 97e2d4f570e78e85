package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/dwm-rl/dwm/config"
	"github.com/dwm-rl/dwm/experiment"
)

// oldRun is a run's config.yaml as dwm wrote it before commit 68c0a79 (a
// SAC expert run of `dwm dataset make walker2d-medium`): SAC's, CQL's and
// Cal-QL's keys are yaml.v3's lower-cased field names (actorlr, batchsize,
// defaultinit, ...).
const oldRun = "testdata/run-config-before-68c0a79.yaml"

// writeCopy writes body to name in a temporary directory.
func writeCopy(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readOld(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(oldRun)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A saved run config of an older dwm loads with its renamed keys read
// under their current names, to the config the current dwm would have
// saved for the same run.
func TestLoadSavedFileMigratesOldRun(t *testing.T) {
	var c experiment.Config
	applied, err := config.LoadSavedFile(oldRun, &c)
	if err != nil {
		t.Fatal(err)
	}
	s := c.SAC
	if s.ActorLR != 3e-4 || s.CriticLR != 3e-4 || s.AlphaLR != 3e-4 || s.BatchSize != 256 || s.InitAlpha != 1 ||
		s.TargetEntropy != -6 || s.LogStdMin != -5 || s.LogStdMax != 2 || s.Gamma != 0.99 || s.Tau != 0.005 {
		t.Errorf("sac after migration: %+v", s)
	}
	if c.Algo != "sac" || c.Env != "walker2d" || c.Train.OnlineSteps != 300000 || c.Train.EvalEvery != 3000 {
		t.Errorf("run after migration: algo %q env %q train %+v", c.Algo, c.Env, c.Train)
	}
	// 10 SAC keys, 22 CQL keys under cql and again under calql.cql, 2 Cal-QL keys.
	if len(applied) != 10+22+22+2 {
		t.Errorf("%d renames applied, want 56: %v", len(applied), applied)
	}
	if applied[0].String() != "sac.actorlr → sac.actor_lr" {
		t.Errorf("first rename %q", applied[0])
	}
	// The migrated config, saved again, is a current config: it loads
	// strictly, unchanged, and needs no rename.
	y, err := c.YAML()
	if err != nil {
		t.Fatal(err)
	}
	p := writeCopy(t, "config.yaml", string(y))
	var again experiment.Config
	if err := config.LoadFile(p, &again); err != nil {
		t.Fatalf("migrated config does not load strictly: %v", err)
	}
	// (Compared as saved: an empty list may load as nil.)
	if y2, err := again.YAML(); err != nil || string(y2) != string(y) {
		t.Errorf("migrated config changed on a second load (%v):\n%s\n%s", err, y, y2)
	}
	if applied, err := config.LoadSavedFile(p, &again); err != nil || len(applied) != 0 {
		t.Errorf("current config: renames %v, error %v; want none", applied, err)
	}
}

// A user's config stays strict: an old spelling there is an error naming
// the key, not silently read.
func TestLoadFileKeepsOldSpellingsStrict(t *testing.T) {
	var c experiment.Config
	err := config.LoadFile(oldRun, &c)
	if err == nil || !strings.Contains(err.Error(), "actorlr") {
		t.Fatalf("user config with sac.actorlr: %v", err)
	}
	if _, err := experiment.Load(oldRun, nil, experiment.Config{}); err == nil {
		t.Fatal("experiment.Load read an old spelling in a user config")
	}
	var d experiment.Config
	if err := config.Set(&d, "sac.actorlr=0.001"); err == nil {
		t.Fatal("override sac.actorlr accepted")
	}
}

// What no rename explains stays an error naming the file and the dotted
// key; an old and a new spelling of one key together are an error too.
func TestLoadSavedFileErrors(t *testing.T) {
	old := readOld(t)
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"unknown key", strings.Replace(old, "    actorlr: 0.0003\n", "    actorlr: 0.0003\n    actor_lrr: 1\n", 1),
			[]string{"key sac.actor_lrr", "config.LegacyKeys", "not a key of this dwm"}},
		{"unknown key, file not migrated", "algo: sac\nenv: pendulum\nsac:\n    gama: 0.9\n",
			[]string{"key sac.gama (line 4)", "config.LegacyKeys"}},
		{"unknown section", strings.Replace(old, "algo: sac\n", "algo: sac\nbogus: 1\n", 1), []string{"key bogus"}},
		{"old and new spelling", strings.Replace(old, "    actorlr: 0.0003\n", "    actorlr: 0.0003\n    actor_lr: 0.001\n", 1),
			[]string{"key sac.actor_lr and sac.actorlr, its spelling before commit 68c0a79", "both present"}},
		{"wrong type", strings.Replace(old, "    batchsize: 256\n", "    batchsize: many\n", 1), []string{"key sac.batch_size", "many"}},
		{"not YAML", "algo: [sac\n", []string{"config.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeCopy(t, "config.yaml", tc.body)
			var c experiment.Config
			_, err := config.LoadSavedFile(p, &c)
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			for _, w := range append(tc.want, p) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	var c experiment.Config
	if _, err := config.LoadSavedFile(filepath.Join(t.TempDir(), "none.yaml"), &c); err == nil || !strings.Contains(err.Error(), "none.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

// Every rename leads from a key the current config does not have to one it
// has, in a section it has: a typo in the table, or a later rename of a
// new name, fails here.
func TestLegacyKeysAreCurrent(t *testing.T) {
	y, err := experiment.Config{}.YAML()
	if err != nil {
		t.Fatal(err)
	}
	var tree map[string]any
	if err := yaml.Unmarshal(y, &tree); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range config.LegacyKeys() {
		var sec any = tree
		for _, s := range strings.Split(r.Section, ".") {
			m, _ := sec.(map[string]any)
			sec = m[s]
		}
		m, ok := sec.(map[string]any)
		switch {
		case !ok:
			t.Errorf("%s: no section %s in the current config", r, r.Section)
		case !hasKey(m, r.New):
			t.Errorf("%s: %s is not a key of section %s", r, r.New, r.Section)
		case hasKey(m, r.Old):
			t.Errorf("%s: %s is still a key of section %s", r, r.Old, r.Section)
		}
		if r.Since == "" {
			t.Errorf("%s: no Since", r)
		}
		if id := r.Section + "." + r.Old; seen[id] {
			t.Errorf("%s renamed twice", id)
		} else {
			seen[id] = true
		}
	}
}

func hasKey(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}
