package datagen

import (
	"bytes"
	"context"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/envs"
)

func TestParseName(t *testing.T) {
	for name, want := range map[string][2]string{
		"hopper-medium-replay":             {"hopper", "medium-replay"},
		"hopper-friction-2.0-medium":       {"hopper-friction-2.0", "medium"},
		"pendulum-medium-expert":           {"pendulum", "medium-expert"},
		"frozenlake-8x8-slip-0.2-scripted": {"frozenlake-8x8-slip-0.2", "scripted"},
		"pointmaze-large-wander":           {"pointmaze-large", "wander"},
	} {
		e, k, err := ParseName(name)
		if err != nil || e != want[0] || k != want[1] {
			t.Errorf("%s: %q %q %v", name, e, k, err)
		}
	}
	if _, _, err := ParseName("hopper-great"); err == nil || !strings.Contains(err.Error(), "medium-replay") {
		t.Errorf("bad kind: %v", err)
	}
}

func TestBadConfig(t *testing.T) {
	for _, c := range []Config{
		{Env: "pendulum", Kind: "best"},
		{Env: "pendulum", Kind: "random", Size: -3},
		{Env: "pendulum", Kind: "medium", MediumFraction: 1.5},
		{Env: "nowhere", Kind: "random"},
		{Env: "hopper", Kind: "scripted"},
		{Env: "pendulum", Kind: "wander"},
	} {
		if _, err := Make(context.Background(), Config{CacheDir: t.TempDir(), Env: c.Env, Kind: c.Kind, Size: c.Size, MediumFraction: c.MediumFraction}, nil); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
}

// The same config gives a byte-identical file; the data respects episode
// structure and the cache is reused.
func TestRandomAndScriptedDeterministic(t *testing.T) {
	for _, kind := range []string{"random", "scripted"} {
		var files [][]byte
		for range 2 {
			c := Config{Env: "pendulum", Kind: kind, Size: 3000, Seed: 4, Workers: 3, CacheDir: t.TempDir()}
			p, err := Make(context.Background(), c, nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(p)
			files = append(files, b)
			d, err := dataset.Load(p)
			if err != nil {
				t.Fatal(err)
			}
			if d.Len() != 3000 || d.Metadata[dataset.MetaEnvID] != "pendulum" || d.Metadata["kind"] != kind {
				t.Fatalf("%s: %d rows, metadata %v", kind, d.Len(), d.Metadata)
			}
			// Pendulum never terminates: 200-step episodes cut by timeouts, and each copy's last row.
			eps := d.Episodes()
			if len(eps) != 15 {
				t.Fatalf("%s: %d episodes, want 15 (3 copies × 1000 steps = 5 whole episodes each)", kind, len(eps))
			}
		}
		if !bytes.Equal(files[0], files[1]) {
			t.Fatalf("%s: same config gave different files", kind)
		}
	}
	// Scripted (noisy expert) data scores far above random data.
	ref, _ := envs.ReferenceFor("pendulum")
	score := func(kind string) float64 {
		p, err := Make(context.Background(), Config{Env: "pendulum", Kind: kind, Size: 4000, Seed: 1, CacheDir: t.TempDir()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := dataset.Load(p)
		var sum float64
		rets := d.EpisodeReturns()
		for _, r := range rets {
			sum += r
		}
		return ref.Normalize(sum / float64(len(rets)))
	}
	r, s := score("random"), score("scripted")
	t.Logf("normalized: random %.1f, scripted (noise 0.5) %.1f", r, s)
	if !(s > r+30) {
		t.Fatalf("scripted data %.1f not far above random %.1f", s, r)
	}
}

// A short SAC expert run yields expert, medium, medium-replay and
// medium-expert data; the medium snapshot is the first evaluation that
// reaches the target; reruns reuse the expert run.
func TestSACKinds(t *testing.T) {
	cache := t.TempDir()
	base := Config{Env: "pendulum", Size: 2000, Seed: 2, Workers: 2, ExpertSteps: 3000, CacheDir: cache,
		ExpertOverrides: []string{"sac.hidden=[32,32]", "train.eval_episodes=3"}}
	var out bytes.Buffer
	sizes := map[string]int{}
	for _, kind := range []string{"medium-replay", "medium", "expert", "medium-expert"} {
		c := base
		c.Kind = kind
		p, err := Make(context.Background(), c, &out)
		if err != nil {
			t.Fatalf("%s: %v\n%s", kind, err, out.String())
		}
		d, err := dataset.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		sizes[kind] = d.Len()
		if kind == "medium-replay" && d.Metadata["medium_step"] != strconv.Itoa(d.Len()) {
			t.Errorf("medium-replay has %d rows, medium snapshot at step %s", d.Len(), d.Metadata["medium_step"])
		}
		if kind != "medium-replay" && d.Metadata[dataset.MetaPolicyHash] == "" {
			t.Errorf("%s: no policy hash", kind)
		}
	}
	if sizes["medium"] != 2000 || sizes["expert"] != 2000 || sizes["medium-expert"] != 2000 {
		t.Errorf("sizes %v", sizes)
	}
	if n := strings.Count(out.String(), "training SAC"); n != 1 {
		t.Errorf("expert trained %d times, want once:\n%s", n, out.String())
	}
}

// Wander data (D4RL's maze2d recipe) cover the maze instead of heading for
// the goal: they visit most open cells, score far below the goal-directed
// scripted data, and still carry the task's goal in every observation with
// the task's reward (1 exactly within the goal radius of the fixed goal).
func TestWanderCoversTheMaze(t *testing.T) {
	const id = "pointmaze-medium"
	m, err := mazeOf(id)
	if err != nil {
		t.Fatal(err)
	}
	load := func(kind string) *dataset.Dataset {
		p, err := Make(context.Background(), Config{Env: id, Kind: kind, Size: 30000, Seed: 2, CacheDir: t.TempDir()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		d, err := dataset.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	w, sc := load("wander"), load("scripted")
	gx, gy := w.Obs(0)[4], w.Obs(0)[5]
	visited := map[[2]int]bool{}
	for i := range w.Len() {
		o := w.Obs(i)
		if o[4] != gx || o[5] != gy {
			t.Fatalf("row %d carries goal (%g, %g), want the task's (%g, %g)", i, o[4], o[5], gx, gy)
		}
		nx := w.NextObs(i)
		dx, dy := float64(nx[0]-gx), float64(nx[1]-gy)
		if in := dx*dx+dy*dy <= WanderRadius*WanderRadius; in != (w.Rewards[i] == 1) {
			t.Fatalf("row %d: reward %g with the next position %.3f from the goal", i, w.Rewards[i], math.Hypot(dx, dy))
		}
		c := m.CellAt(float64(o[0]), float64(o[1]))
		visited[[2]int{c.Row, c.Col}] = true
	}
	mean := func(d *dataset.Dataset) float64 {
		var s float64
		for _, r := range d.Rewards {
			s += float64(r)
		}
		return s / float64(d.Len())
	}
	t.Logf("wander visits %d of %d open cells; reward per step: wander %.3f, scripted %.3f", len(visited), len(m.Free()), mean(w), mean(sc))
	if len(visited) < len(m.Free())*9/10 {
		t.Errorf("wander visited %d of %d open cells, want ≥ 90%%", len(visited), len(m.Free()))
	}
	if !(mean(w) < mean(sc)/3) {
		t.Errorf("wander reward per step %.3f not far below the goal-directed data's %.3f", mean(w), mean(sc))
	}
}
