package dataset

import (
	"math"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/spec"
)

// makeDataset builds a dataset of consecutive episodes with the given
// lengths and endings ('t' terminal, 'o' timeout, '-' cut by the end of the
// data, only last). Observations are random but continuous within episodes
// (next_obs[i] == obs[i+1]); reward of row i is rewards(i) when given.
func makeDataset(t testing.TB, seed uint64, obsDim, actDim int, lens []int, ends string) *Dataset {
	t.Helper()
	r := rng.Derive(seed, "dataset-test")
	d := New(obsDim, actDim, 0)
	d.Metadata[MetaEnvID] = "test-env"
	d.Metadata[MetaSeed] = "7"
	obs := make([]float32, obsDim)
	next := make([]float32, obsDim)
	act := make([]float32, actDim)
	for k, n := range lens {
		r.FillNormal(obs)
		for i := range n {
			r.FillNormal(next)
			r.FillUniform(act, -1, 1)
			last := i == n-1
			d.Append(obs, act, float32(r.NormFloat64()), next, last && ends[k] == 't', last && ends[k] == 'o')
			copy(obs, next)
		}
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("makeDataset: %v", err)
	}
	return d
}

// fromRewards builds a 1-dim dataset with the given rewards and flags.
func fromRewards(rew []float32, term, tout []bool) *Dataset {
	d := New(1, 1, len(rew))
	for i, r := range rew {
		d.Append([]float32{float32(i)}, []float32{0}, r, []float32{float32(i + 1)}, term[i], tout[i])
	}
	return d
}

func TestEpisodes(t *testing.T) {
	d := makeDataset(t, 1, 3, 2, []int{4, 1, 3, 2}, "tot-")
	eps := d.Episodes()
	if len(eps) != 4 {
		t.Fatalf("%d episodes, want 4", len(eps))
	}
	wantLen := []int{4, 1, 3, 2}
	wantTerm := []bool{true, false, true, false}
	wantTime := []bool{false, true, false, false}
	start := 0
	for k, e := range eps {
		if e.Len() != wantLen[k] || e.Start != start || e.Terminated() != wantTerm[k] || e.TimedOut() != wantTime[k] {
			t.Errorf("episode %d: start %d len %d term %v timeout %v", k, e.Start, e.Len(), e.Terminated(), e.TimedOut())
		}
		if len(e.Observations) != e.Len()*3 || len(e.Actions) != e.Len()*2 {
			t.Errorf("episode %d: view lengths %d/%d", k, len(e.Observations), len(e.Actions))
		}
		start += e.Len()
	}
	// Views share memory with the dataset.
	eps[2].Rewards[0] = 42
	if d.Rewards[5] != 42 {
		t.Errorf("episode view does not alias the dataset")
	}
	if got := d.EpisodeEnds(); len(got) != 4 || got[3] != 10 {
		t.Errorf("EpisodeEnds = %v", got)
	}
	if got := (&Dataset{ObsDim: 1, ActDim: 1}).Episodes(); len(got) != 0 {
		t.Errorf("empty dataset has %d episodes", len(got))
	}
}

func TestReturns(t *testing.T) {
	// Episode A: rewards 1,2,3 ending in a terminal; B: 4,5 timeout; C: 6 cut.
	rew := []float32{1, 2, 3, 4, 5, 6}
	term := []bool{false, false, true, false, false, false}
	tout := []bool{false, false, false, false, true, false}
	d := fromRewards(rew, term, tout)
	got := d.EpisodeReturns()
	want := []float64{6, 9, 6}
	if len(got) != len(want) {
		t.Fatalf("EpisodeReturns = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("EpisodeReturns = %v, want %v", got, want)
		}
	}
	g := 0.5
	rtg, err := d.ReturnsToGo(g)
	if err != nil {
		t.Fatal(err)
	}
	wantRTG := []float32{float32(1 + g*(2+g*3)), float32(2 + g*3), 3, float32(4 + g*5), 5, 6}
	for i := range wantRTG {
		if math.Abs(float64(rtg[i]-wantRTG[i])) > 1e-6 {
			t.Errorf("ReturnsToGo[%d] = %v, want %v", i, rtg[i], wantRTG[i])
		}
	}
	mc, err := d.MCReturns(g, MCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range wantRTG {
		if math.Abs(float64(mc[i]-wantRTG[i])) > 1e-6 {
			t.Errorf("MCReturns[%d] = %v, want %v", i, mc[i], wantRTG[i])
		}
	}
	if _, err := d.ReturnsToGo(1.5); err == nil {
		t.Error("ReturnsToGo(1.5) accepted")
	}
	if _, err := d.MCReturns(math.NaN(), MCOptions{}); err == nil {
		t.Error("MCReturns(NaN) accepted")
	}
	if _, err := d.MCReturns(1, MCOptions{Sparse: true}); err == nil {
		t.Error("MCReturns(1, sparse) accepted")
	}
}

func TestMCReturnsSparseTail(t *testing.T) {
	// Three episodes of a sparse task with failure reward -1:
	// A fails throughout and times out → tail -1/(1-γ) everywhere.
	// B succeeds (reward 0 at a terminal) → plain discounted sum.
	// C fails throughout but ends in a terminal → no tail.
	// D fails throughout and is cut by the end of the data → tail.
	rew := []float32{-1, -1, -1, -1, 0, -1, -1, -1}
	term := []bool{false, false, false, false, true, false, true, false}
	tout := []bool{false, false, true, false, false, false, false, false}
	d := fromRewards(rew, term, tout)
	g := 0.9
	mc, err := d.MCReturns(g, MCOptions{Sparse: true, FailureReward: -1})
	if err != nil {
		t.Fatal(err)
	}
	tail := float32(-1 / (1 - g))
	want := []float32{tail, tail, tail, float32(-1 + g*0), 0, float32(-1 + g*-1), -1, tail}
	for i := range want {
		if math.Abs(float64(mc[i]-want[i])) > 1e-5 {
			t.Errorf("MCReturns[%d] = %v, want %v", i, mc[i], want[i])
		}
	}
	// Without Sparse, the failed episode gets its truncated sum.
	mc, _ = d.MCReturns(g, MCOptions{})
	if want := float32(-1 + g*(-1+g*-1)); math.Abs(float64(mc[0]-want)) > 1e-6 {
		t.Errorf("dense MCReturns[0] = %v, want %v", mc[0], want)
	}
}

func TestValidate(t *testing.T) {
	base := func() *Dataset { return makeDataset(t, 2, 3, 2, []int{3, 2}, "to") }
	cases := []struct {
		name   string
		modify func(d *Dataset)
		want   []string // substrings of the error
	}{
		{"ok", func(d *Dataset) {}, nil},
		{"obs NaN", func(d *Dataset) { d.Observations[3*3+1] = float32(math.NaN()) }, []string{"observations[3][1]", "NaN"}},
		{"act Inf", func(d *Dataset) { d.Actions[2*2] = float32(math.Inf(1)) }, []string{"actions[2][0]", "+Inf"}},
		{"reward -Inf", func(d *Dataset) { d.Rewards[4] = float32(math.Inf(-1)) }, []string{"rewards[4]", "-Inf"}},
		{"next obs NaN", func(d *Dataset) { d.NextObservations[0] = float32(math.NaN()) }, []string{"next_observations[0][0]"}},
		{"short obs", func(d *Dataset) { d.Observations = d.Observations[:6] }, []string{"observations", "rewards"}},
		{"short next obs", func(d *Dataset) { d.NextObservations = d.NextObservations[:3] }, []string{"next_observations", "rewards"}},
		{"long actions", func(d *Dataset) { d.Actions = append(d.Actions, 1, 2) }, []string{"actions", "rewards"}},
		{"short terminals", func(d *Dataset) { d.Terminals = d.Terminals[:4] }, []string{"terminals", "rewards"}},
		{"short timeouts", func(d *Dataset) { d.Timeouts = d.Timeouts[:1] }, []string{"timeouts", "rewards"}},
		{"both flags", func(d *Dataset) { d.Timeouts[2] = true }, []string{"terminals[2]", "timeouts[2]"}},
		{"obs dim 0", func(d *Dataset) { d.ObsDim = 0 }, []string{"obs_dim"}},
		{"act dim -1", func(d *Dataset) { d.ActDim = -1 }, []string{"act_dim"}},
		{"infos rows", func(d *Dataset) { d.Infos = map[string]Column{"qpos": {Dim: 2, Data: make([]float32, 6)}} }, []string{"infos/qpos"}},
		{"infos name", func(d *Dataset) { d.Infos = map[string]Column{"a//b": {Dim: 1, Data: make([]float32, 5)}} }, []string{`infos name "a//b"`}},
		{"empty metadata key", func(d *Dataset) { d.Metadata[""] = "x" }, []string{"metadata key"}},
		{"NUL metadata value", func(d *Dataset) { d.Metadata["k"] = "a\x00b" }, []string{`metadata key "k"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := base()
			c.modify(d)
			err := d.Validate()
			if c.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want one mentioning %q", c.want)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestValidateSpaces(t *testing.T) {
	d := makeDataset(t, 3, 4, 2, []int{2}, "t")
	if err := d.ValidateSpaces(spec.UniformBox(4, -1, 1), spec.UniformBox(2, -1, 1)); err != nil {
		t.Errorf("matching spaces rejected: %v", err)
	}
	if err := d.ValidateSpaces(spec.UniformBox(5, -1, 1), spec.UniformBox(2, -1, 1)); err == nil || !strings.Contains(err.Error(), "observation space") {
		t.Errorf("obs dim mismatch: %v", err)
	}
	if err := d.ValidateSpaces(spec.UniformBox(4, -1, 1), spec.NewDiscrete(3)); err == nil || !strings.Contains(err.Error(), "action space") {
		t.Errorf("act dim mismatch: %v", err)
	}
}

func TestAppendPanics(t *testing.T) {
	for name, f := range map[string]func(d *Dataset){
		"obs length": func(d *Dataset) {
			d.Append(make([]float32, 2), make([]float32, 1), 0, make([]float32, 3), false, false)
		},
		"both flags": func(d *Dataset) { d.Append(make([]float32, 3), make([]float32, 1), 0, make([]float32, 3), true, true) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f(New(3, 1, 0))
		})
	}
}

func TestClone(t *testing.T) {
	d := makeDataset(t, 4, 2, 1, []int{3}, "o")
	d.Infos = map[string]Column{"x": {Dim: 1, Data: []float32{1, 2, 3}}}
	c := d.Clone()
	c.Observations[0] = 99
	c.Infos["x"].Data[0] = 99
	c.Metadata["k"] = "v"
	if d.Observations[0] == 99 || d.Infos["x"].Data[0] == 99 || d.Metadata["k"] == "v" {
		t.Error("Clone shares memory with the original")
	}
}
