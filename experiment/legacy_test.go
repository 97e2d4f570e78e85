package experiment

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/track"
)

// A run whose config.yaml an older dwm wrote (SAC keys before their
// snake_case rename) loads for resume and evaluation; a key no rename
// explains is an error that says which dwm wrote the run.
func TestLoadRunConfigOfOlderDWM(t *testing.T) {
	b, err := os.ReadFile("../config/testdata/run-config-before-68c0a79.yaml")
	if err != nil {
		t.Fatal(err)
	}
	runs := t.TempDir()
	name := "expert2__walker2d__sac__0__300000__e3b0c442"
	dir := filepath.Join(runs, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The file names its runs directory; point it here (writtenBy reads it).
	old := strings.Replace(string(b), "runs_dir: /root/.cache/dwm/runs\n", "runs_dir: "+runs+"\n", 1)
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(old)
	c, err := loadRunConfig(dir)
	if err != nil {
		t.Fatalf("config of an older dwm: %v", err)
	}
	if c.SAC.ActorLR != 3e-4 || c.SAC.BatchSize != 256 || c.Train.OnlineSteps != 300000 {
		t.Errorf("loaded %+v", c.SAC)
	}

	write(strings.Replace(old, "    tau: 0.005\n", "    tau: 0.005\n    taux: 1\n", 1))
	_, err = loadRunConfig(dir)
	if err == nil || !strings.Contains(err.Error(), "sac.taux") || !strings.Contains(err.Error(), "does not say which dwm wrote run "+name) {
		t.Fatalf("unknown key, no store: %v", err)
	}
	s, err := track.Open(filepath.Join(runs, "dwm.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateRun(track.Run{Name: name, Algo: "sac", Env: "walker2d",
		Provenance: track.Provenance{Version: "0.0.9", GitCommit: "3fb8353"}})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	_, err = loadRunConfig(dir)
	if err == nil || !strings.Contains(err.Error(), "sac.taux") || !strings.Contains(err.Error(), "was written by dwm 0.0.9 at commit 3fb8353 on ") ||
		!strings.Contains(err.Error(), "this is dwm "+Version) {
		t.Fatalf("unknown key, run in the store: %v", err)
	}
	t.Log(err)

	// Written by this same dwm: the file was edited.
	dir = filepath.Join(runs, "edited")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write(strings.Replace(old, "    tau: 0.005\n", "    tau: 0.005\n    taux: 1\n", 1))
	if s, err = track.Open(filepath.Join(runs, "dwm.db")); err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateRun(track.Run{Name: "edited", Algo: "sac", Env: "walker2d", Provenance: track.CollectProvenance(Version)})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	_, err = loadRunConfig(dir)
	if err == nil || !strings.Contains(err.Error(), "run edited was written by this same dwm (version and commit): its config.yaml was changed since") {
		t.Fatalf("unknown key, run of this dwm: %v", err)
	}
}
