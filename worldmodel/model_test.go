package worldmodel

import (
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/uncertainty"
)

func TestBadInput(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"K<1", Config{Members: -1}, "K ≥ 1"},
		{"kind", Config{Kind: "flow"}, "worldmodel.kind"},
		{"samples", Config{Samples: -2}, "worldmodel.samples"},
		{"sample steps", Config{DiffusionSteps: 100, SampleSteps: 7}, "worldmodel.sample_steps = 7"},
		{"prediction", Config{Prediction: "score"}, "worldmodel.prediction"},
		{"elites", Config{Kind: Gaussian, Members: 3, Elites: 4}, "worldmodel.elites = 4"},
		{"termination", Config{Termination: "maybe"}, "worldmodel.termination"},
		{"holdout", Config{HoldoutFraction: 1}, "worldmodel.holdout_fraction"},
		{"hidden", Config{EncoderHidden: []int{64, 0}}, "worldmodel.encoder_hidden[1] = 0"},
		{"lr", Config{LR: float32(math.NaN())}, "worldmodel.lr"},
	}
	for _, c := range cases {
		_, err := New(3, 1, c.cfg, 1)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	// A dataset too small for the normalizers.
	for _, n := range []int{1, 6} { // 6: 1 held out leaves 5; with holdout 0.8, 5 held out leave 1
		cfg := smallDiffusion()
		cfg.HoldoutFraction = 0.8
		tiny := narrowTask(n, rng.New(1))
		if _, _, err := Fit(tiny, cfg, FitOptions{Steps: 1}); err == nil || !strings.Contains(err.Error(), "the normalizers need at least 2 training transitions") {
			t.Errorf("%d transitions: %v", n, err)
		}
	}
	m, err := New(3, 2, smallDiffusion(), 1)
	if err != nil {
		t.Fatal(err)
	}
	one := narrowTask(1, rng.New(2))
	if err := m.FitNormalizers(one.Obs, one.Act, one.Next, one.Rew); err == nil || !strings.Contains(err.Error(), "1 training transitions") {
		t.Errorf("FitNormalizers on 1 row: %v", err)
	}
	var p Prediction
	if err := m.Predict(&p, one.Obs, one.Act, PredictOptions{}, rng.New(1)); !errors.Is(err, ErrNotFitted) {
		t.Errorf("predict before fitting: %v", err)
	}
	d := narrowTask(20, rng.New(3))
	if err := m.FitNormalizers(d.Obs, d.Act, d.Next, d.Rew); err != nil {
		t.Fatal(err)
	}
	// M < 2 with the aleatoric estimate requested.
	if err := m.Predict(&p, d.Obs[:3], d.Act[:2], PredictOptions{M: 1, Aleatoric: true}, rng.New(1)); !errors.Is(err, uncertainty.ErrAleatoricUndefined) {
		t.Errorf("M = 1 with aleatoric: %v", err)
	}
	if err := m.Predict(&p, d.Obs[:3], d.Act[:2], PredictOptions{M: 1}, rng.New(1)); err != nil {
		t.Errorf("M = 1 without aleatoric: %v", err)
	}
	if err := m.Predict(&p, d.Obs[:4], d.Act[:2], PredictOptions{}, rng.New(1)); err == nil {
		t.Error("ragged input accepted")
	}
	if _, err := m.Train(nil, 1); err == nil {
		t.Error("training without data accepted")
	}
}

// TestMembersIndependent: with per-member encoders, member k's input-layer
// weights on the other members' latents stay exactly zero through
// training, and changing another member's encoder does not change member
// k's samples.
func TestMembersIndependent(t *testing.T) {
	data := narrowTask(500, rng.New(4))
	m, _, err := Fit(data, smallDiffusion(), FitOptions{Steps: 40, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	e := m.diff
	inW, in, width := e.net.InputLayer()
	for k := 0; k < e.k; k++ {
		for j := 0; j < e.k; j++ {
			if j == k {
				continue
			}
			lo := k*in*width + (e.d+j*e.z)*width
			for i, v := range inW.W[lo : lo+e.z*width] {
				if v != 0 {
					t.Fatalf("member %d weight on member %d's latent [%d] = %v", k, j, i, v)
				}
			}
		}
	}
	obs, act := data.Obs[:8*3], data.Act[:8*2]
	var p1, p2 Prediction
	if err := m.Predict(&p1, obs, act, PredictOptions{}, rng.New(6)); err != nil {
		t.Fatal(err)
	}
	s1 := slices.Clone(p1.Samples)
	// Perturb member 2's encoder (its slices of the stacked weights).
	for _, p := range e.enc.Params() {
		n := len(p.W) / e.k
		for i := 2 * n; i < 3*n; i++ {
			p.W[i] += 0.5
		}
	}
	if err := m.Predict(&p2, obs, act, PredictOptions{}, rng.New(6)); err != nil {
		t.Fatal(err)
	}
	per := len(s1) / e.k
	if !slices.Equal(s1[:2*per], p2.Samples[:2*per]) {
		t.Error("members 0 and 1 changed when member 2's encoder changed")
	}
	if slices.Equal(s1[2*per:], p2.Samples[2*per:]) {
		t.Error("member 2 did not change when its encoder changed")
	}
}

func TestSaveLoadAndState(t *testing.T) {
	for _, cfg := range []Config{smallDiffusion(), smallGaussian()} {
		data := narrowTask(400, rng.New(7))
		m, _, err := Fit(data, cfg, FitOptions{Steps: 20, Seed: 8})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "wm.safetensors")
		if err := m.Save(path); err != nil {
			t.Fatal(err)
		}
		l, err := Load(path, 8)
		if err != nil {
			t.Fatal(err)
		}
		var p1, p2 Prediction
		obs, act := data.Obs[:10*3], data.Act[:10*2]
		if err := m.Predict(&p1, obs, act, PredictOptions{Aleatoric: true}, rng.New(9)); err != nil {
			t.Fatal(err)
		}
		if err := l.Predict(&p2, obs, act, PredictOptions{Aleatoric: true}, rng.New(9)); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(p1.Samples, p2.Samples) || !slices.Equal(p1.Next, p2.Next) || !slices.Equal(p1.Penalty, p2.Penalty) {
			t.Errorf("%s: loaded model predicts differently", cfg.Kind)
		}
		// State/SetState: a copy continues training exactly like the original.
		ts, rngs, err := m.State("wm/")
		if err != nil {
			t.Fatal(err)
		}
		c, err := New(3, 2, cfg, 99)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.SetState("wm/", ts, rngs); err != nil {
			t.Fatal(err)
		}
		buf, err := data.buffer()
		if err != nil {
			t.Fatal(err)
		}
		s1, err := m.Train(buf, 3)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := c.Train(buf, 3)
		if err != nil {
			t.Fatal(err)
		}
		if s1 != s2 {
			t.Errorf("%s: continued training differs: %+v vs %+v", cfg.Kind, s1, s2)
		}
		for i, p := range m.Params() {
			if !slices.Equal(p.W, c.Params()[i].W) {
				t.Fatalf("%s: parameter %s differs after continued training", cfg.Kind, p.Name)
			}
		}
		// A damaged state is refused.
		bad := slices.Clone(ts)
		for i := range bad {
			if strings.HasSuffix(bad[i].Name, "norm/in/std") {
				bad[i].Data = []float32{1}
			}
		}
		if err := c.SetState("wm/", bad, rngs); err == nil {
			t.Errorf("%s: damaged normalizer accepted", cfg.Kind)
		}
	}
}

func TestTerminationRules(t *testing.T) {
	cases := []struct {
		rule Termination
		obs  []float32
		want bool
	}{
		{Hopper, []float32{1.2, 0.1, 0, 0, 0}, false},
		{Hopper, []float32{0.6, 0.1, 0, 0, 0}, true},
		{Hopper, []float32{1.2, 0.3, 0, 0, 0}, true},
		{Hopper, []float32{1.2, 0.1, 150, 0, 0}, true},
		{Walker2d, []float32{1.2, 0.9, 5}, false},
		{Walker2d, []float32{2.1, 0, 0}, true},
		{Walker2d, []float32{1.2, -1.1, 0}, true},
	}
	for _, c := range cases {
		var got bool
		switch c.rule {
		case Hopper:
			got = !hopperHealthy(c.obs)
		case Walker2d:
			got = !walkerHealthy(c.obs)
		}
		if got != c.want {
			t.Errorf("%s on %v: terminal %v, want %v", c.rule, c.obs, got, c.want)
		}
	}
	for id, want := range map[string]Termination{"hopper": Hopper, "hopper-friction-2": Hopper, "walker2d": Walker2d,
		"pendulum": Never, "halfcheetah": Never, "antmaze-umaze": Learned} {
		if got := TerminationFor(id); got != want {
			t.Errorf("TerminationFor(%q) = %s, want %s", id, got, want)
		}
	}
}

// TestLearnedTermination: the classifier head learns a termination that
// depends on the next state (done when s' > 0.6) from the data's flags.
func TestLearnedTermination(t *testing.T) {
	s := rng.New(21)
	d := Transitions{ObsDim: 1, ActDim: 1}
	for i := 0; i < 3000; i++ {
		x, a := 2*s.Float64()-1, 2*s.Float64()-1
		nx := x + 0.3*a
		d.Obs = append(d.Obs, float32(x))
		d.Act = append(d.Act, float32(a))
		d.Next = append(d.Next, float32(nx))
		d.Rew = append(d.Rew, 1)
		d.Done = append(d.Done, nx > 0.6)
	}
	cfg := smallDiffusion()
	cfg.Termination = Learned
	cfg.TerminalHidden = []int{32}
	m, _, err := Fit(d, cfg, FitOptions{Steps: 600, Seed: 22})
	if err != nil {
		t.Fatal(err)
	}
	var p Prediction
	obs := []float32{0.8, 0.8, -0.5, -0.5, 0.2}
	act := []float32{0.5, 0, -0.5, 0.5, 0}
	want := []bool{true, true, false, false, false}
	if err := m.Predict(&p, obs, act, PredictOptions{}, rng.New(23)); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if p.Terminal[i] != want[i] {
			t.Errorf("s=%.1f a=%.1f: next %.3f terminal %v, want %v", obs[i], act[i], p.Next[i], p.Terminal[i], want[i])
		}
	}
}

// TestGaussianPenalty: the Gaussian ensemble's penalty is MOPO's
// max_k ‖σ_k‖₂ over the elites in raw target units, recomputed here from
// the members' outputs.
func TestGaussianPenalty(t *testing.T) {
	data := narrowTask(500, rng.New(31))
	m, rep, err := Fit(data, smallGaussian(), FitOptions{Steps: 50, Seed: 32})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.EliteMSE) != 5 || len(m.gauss.elites) != 3 {
		t.Fatalf("elites %v from MSE %v", m.gauss.elites, rep.EliteMSE)
	}
	for _, e := range m.gauss.elites {
		worse := 0
		for k, v := range rep.EliteMSE {
			if k != e && v < rep.EliteMSE[e] {
				worse++
			}
		}
		if worse >= 3 {
			t.Errorf("elite %d is not among the 3 best (MSE %v)", e, rep.EliteMSE)
		}
	}
	var p Prediction
	obs, act := data.Obs[:4*3], data.Act[:4*2]
	if err := m.Predict(&p, obs, act, PredictOptions{}, rng.New(33)); err != nil {
		t.Fatal(err)
	}
	m.gauss.predictAll(m.pin.Clone())
	_, out := m.Normalizers()
	D := 4
	for i := 0; i < 4; i++ {
		var want float64
		for _, k := range m.gauss.elites {
			o := m.gauss.out.Row(k*4 + i)
			var s2 float64
			for j := 0; j < D; j++ {
				lv, _ := boundLogVar(o[D+j])
				sd := math.Exp(lv/2) * float64(out.Std[j])
				s2 += sd * sd
			}
			want = math.Max(want, math.Sqrt(s2))
		}
		if math.Abs(float64(p.Penalty[i])-want) > 1e-5*want {
			t.Errorf("penalty[%d] = %v, want %v", i, p.Penalty[i], want)
		}
	}
}
