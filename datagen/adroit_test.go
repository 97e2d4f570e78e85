//go:build cgo && !nomujoco

package datagen

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/envs"
	"github.com/dwm-rl/dwm/eval"
)

// Each Adroit kind gives a byte-identical file for the same config (made
// with different worker counts, which must not matter), whole episodes with
// a per-step success column, and the cloned mix is half demos.
func TestAdroitKindsDeterministic(t *testing.T) {
	for _, c := range []Config{
		{Env: "door", Kind: "expert", Size: 250},
		{Env: "door", Kind: "demo", Episodes: 2},
		{Env: "door", Kind: "cloned", Episodes: 1, BCSteps: 30, Size: 300},
	} {
		var files [][]byte
		var data []*dataset.Dataset
		for _, w := range []int{2, 2, 1} {
			c := c
			c.Seed, c.Workers, c.CacheDir = 5, w, t.TempDir()
			p, err := Make(context.Background(), c, nil)
			if err != nil {
				t.Fatalf("%s-%s: %v", c.Env, c.Kind, err)
			}
			b, _ := os.ReadFile(p)
			files = append(files, b)
			d, err := dataset.Load(p)
			if err != nil {
				t.Fatal(err)
			}
			data = append(data, d)
			want := c.Size
			if c.Kind == "demo" {
				want = 2 * 200
			}
			if d.Len() != want || d.Metadata["kind"] != c.Kind || d.Metadata["recipe"] != "dwm-adroit" {
				t.Fatalf("%s-%s: %d rows (want %d), metadata %v", c.Env, c.Kind, d.Len(), want, d.Metadata)
			}
			s, ok := d.Infos["success"]
			if !ok || s.Dim != 1 || len(s.Data) != d.Len() {
				t.Fatalf("%s-%s: success column %+v", c.Env, c.Kind, s)
			}
			if e := d.EpisodeEnds(); e[len(e)-1] != d.Len() {
				t.Fatalf("%s-%s: episode ends %v", c.Env, c.Kind, e)
			}
		}
		if !bytes.Equal(files[0], files[1]) {
			t.Errorf("%s-%s: the same config gave different files", c.Env, c.Kind)
		}
		// The worker count is in the cache key (and metadata) but does not
		// change the data.
		a, b := data[0], data[2]
		if !slices.Equal(a.Observations, b.Observations) || !slices.Equal(a.Actions, b.Actions) ||
			!slices.Equal(a.Rewards, b.Rewards) || !slices.Equal(a.Infos["success"].Data, b.Infos["success"].Data) {
			t.Errorf("%s-%s: 1 and 2 workers gave different data", c.Env, c.Kind)
		}
	}
}

// Summarize counts an episode a success with more than N successful steps.
func TestSummarize(t *testing.T) {
	d := dataset.New(1, 1, 10)
	var succ []float32
	// Episodes of 4, 3 and 3 steps with 3, 1 and 0 successful steps.
	flags := []float32{1, 1, 0, 1, 0, 1, 0, 0, 0, 0}
	ends := map[int]bool{3: true, 6: true, 9: true}
	for i, f := range flags {
		d.Append([]float32{0}, []float32{0}, float32(i), []float32{0}, false, ends[i])
		succ = append(succ, f)
	}
	if _, err := Summarize(d, 0); err == nil {
		t.Fatal("dataset without a success column accepted")
	}
	d.Infos = map[string]dataset.Column{"success": {Dim: 1, Data: succ}}
	for _, c := range []struct {
		n    int
		rate float64
	}{{0, 2.0 / 3}, {1, 1.0 / 3}, {2, 1.0 / 3}, {3, 0}} {
		s, err := Summarize(d, c.n)
		if err != nil {
			t.Fatal(err)
		}
		if s.Episodes != 3 || s.SuccessRate != c.rate || s.MeanReturn != (6+15+24)/3.0 {
			t.Errorf("rule %d: %+v, want 3 episodes, success rate %v, mean return 15", c.n, s, c.rate)
		}
	}
}

// The Adroit random kind is episode-based with a success column too.
func TestAdroitRandom(t *testing.T) {
	p, err := Make(context.Background(), Config{Env: "relocate", Kind: "random", Size: 300, Workers: 2, CacheDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := dataset.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Summarize(d, 25)
	if err != nil {
		t.Fatal(err)
	}
	if s.Episodes != 2 || s.SuccessRate != 0 {
		t.Fatalf("relocate random: %+v", s)
	}
}

func col(d *dataset.Dataset, name string) []float32 { return d.Infos[name].Data }

// TestAdroitSummary prints the return and success rate of the Adroit
// datasets named in DWM_ADROIT_SUMMARY (space-separated files); the figures
// of docs/results/adroit-datasets.md come from it.
func TestAdroitSummary(t *testing.T) {
	files := strings.Fields(os.Getenv("DWM_ADROIT_SUMMARY"))
	if len(files) == 0 {
		t.Skip("set DWM_ADROIT_SUMMARY to dataset files")
	}
	for _, f := range files {
		d, err := dataset.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		id := d.Metadata[dataset.MetaEnvID]
		rule := eval.SuccessStepsFor(id)
		s, err := Summarize(d, rule)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		norm := "n/a"
		if ref, ok := envs.D4RLReferenceFor(id); ok {
			norm = fmt.Sprintf("%.1f", 100*(s.MeanReturn-ref.Random)/(ref.Expert-ref.Random))
		}
		fmt.Printf("| %s-%s | %s | %d | %d | %.1f ± %.1f | %s | %.0f%% (> %d steps) |\n", id, d.Metadata["kind"], d.Metadata["config_hash"],
			d.Len(), s.Episodes, s.MeanReturn, s.StdReturn, norm, 100*s.SuccessRate, rule)
		if d.Metadata["kind"] == "cloned" { // the BC rollouts alone: the first half
			h := dataset.New(d.ObsDim, d.ActDim, d.Len()/2)
			for i := range d.Len() / 2 {
				h.Append(d.Obs(i), d.Act(i), d.Rewards[i], d.NextObs(i), d.Terminals[i], d.Timeouts[i])
			}
			h.Infos = map[string]dataset.Column{"success": {Dim: 1, Data: col(d, "success")[:d.Len()/2]}}
			b, err := Summarize(h, rule)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Printf("|   BC rollouts (first half) | | %d | %d | %.1f ± %.1f | | %.0f%% |\n", h.Len(), b.Episodes, b.MeanReturn, b.StdReturn, 100*b.SuccessRate)
		}
	}
}

// demo and cloned are made only for Adroit tasks.
func TestAdroitBadConfig(t *testing.T) {
	for _, c := range []Config{
		{Env: "pendulum", Kind: "demo"},
		{Env: "hopper", Kind: "cloned"},
		{Env: "door", Kind: "demo", Episodes: -1},
		{Env: "door", Kind: "cloned", BCSteps: -1},
	} {
		if err := c.WithDefaults().Validate(); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
	for _, c := range []Config{{Env: "pen", Kind: "random"}, {Env: "pen", Kind: "expert"}, {Env: "pen", Kind: "cloned"},
		{Env: "hammer", Kind: "expert"}, {Env: "hammer", Kind: "cloned"}} {
		if err := c.WithDefaults().Validate(); err != nil {
			t.Errorf("%s-%s refused: %v", c.Env, c.Kind, err)
		}
	}
}

func TestParseAdroitNames(t *testing.T) {
	for name, want := range map[string][2]string{
		"door-demo": {"door", "demo"}, "relocate-cloned": {"relocate", "cloned"},
		"pen-expert": {"pen", "expert"}, "hammer-random": {"hammer", "random"},
	} {
		e, k, err := ParseName(name)
		if err != nil || e != want[0] || k != want[1] {
			t.Errorf("ParseName(%q) = %q, %q, %v; want %q", name, e, k, err, want)
		}
	}
}

// The cloned mix is the BC rollouts (first half) followed by the demos,
// which are exactly the demo kind's episodes for the same seed.
func TestAdroitClonedHalfDemos(t *testing.T) {
	cache := t.TempDir()
	pc, err := Make(context.Background(), Config{Env: "door", Kind: "cloned", Episodes: 1, BCSteps: 20, Size: 300, Seed: 3, Workers: 2, CacheDir: cache}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pd, err := Make(context.Background(), Config{Env: "door", Kind: "demo", Episodes: 1, Seed: 3, Workers: 2, CacheDir: cache}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := dataset.Load(pc)
	d, _ := dataset.Load(pd)
	if d.Len() != 200 || c.Len() != 300 {
		t.Fatalf("demo %d rows, cloned %d", d.Len(), c.Len())
	}
	for i := range 150 {
		if !slices.Equal(c.Obs(150+i), d.Obs(i)) || !slices.Equal(c.Act(150+i), d.Act(i)) {
			t.Fatalf("cloned row %d is not demo row %d", 150+i, i)
		}
	}
	if !c.Timeouts[299] || !c.Timeouts[149] {
		t.Error("the rollout half and the mix should each end with a timeout")
	}
	if c.Metadata[dataset.MetaPolicyHash] == "" || slices.Equal(c.Act(0), d.Act(0)) {
		t.Error("rollout half looks like the demos")
	}
}

// pen has no scripted expert: its expert, demo and cloned kinds come from a
// SAC expert run (a tiny one here), made once and reused, and the data are
// the same for the same config.
func TestAdroitPenSACExpert(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small SAC expert")
	}
	cache := t.TempDir()
	base := Config{Env: "pen", ExpertSteps: 400, Seed: 2, Workers: 2, CacheDir: cache}
	var log strings.Builder
	c := base
	c.Kind, c.Episodes = "demo", 2
	p, err := Make(context.Background(), c, &log)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "SAC trained without demonstrations") {
		t.Errorf("log does not say the expert is SAC:\n%s", log.String())
	}
	d, err := dataset.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if x := d.Metadata["expert"]; !strings.HasPrefix(x, "sac-expert(pen,step=") {
		t.Errorf("expert metadata %q", x)
	}
	if len(d.EpisodeEnds()) != 2 || len(col(d, "success")) != d.Len() || d.ObsDim != 45 || d.ActDim != 24 {
		t.Errorf("pen demo: %d episodes, %d success flags for %d rows, dims %d/%d", len(d.EpisodeEnds()), len(col(d, "success")), d.Len(), d.ObsDim, d.ActDim)
	}
	// The expert kind reuses the finished expert run and repeats exactly.
	c = base
	c.Kind, c.Size = "expert", 150
	log.Reset()
	p1, err := Make(context.Background(), c, &log)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "finished earlier, reusing") {
		t.Errorf("expert run retrained:\n%s", log.String())
	}
	c.CacheDir = t.TempDir()
	p2, err := Make(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	d1, err1 := dataset.Load(p1)
	d2, err2 := dataset.Load(p2)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if d1.Len() != 150 || !slices.Equal(d1.Act(d1.Len()-1), d2.Act(d2.Len()-1)) || !slices.Equal(d1.Rewards, d2.Rewards) {
		t.Errorf("pen expert data differ between two makes of the same config")
	}
}
