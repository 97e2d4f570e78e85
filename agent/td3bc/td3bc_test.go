package td3bc_test

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/td3bc"
	"github.com/dwm-rl/dwm/dataset"
)

func mustNew(t *testing.T, obsDim, actDim int, cfg td3bc.Config, seed uint64) *td3bc.Agent {
	t.Helper()
	a, err := td3bc.New(obsDim, actDim, cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestConfigValidate(t *testing.T) {
	nan := float32(math.NaN())
	bad := []struct {
		cfg   td3bc.Config
		field string
	}{
		{td3bc.Config{Hidden: []int{64, -1}}, "Hidden[1]"},
		{td3bc.Config{Activation: "swoosh"}, "Activation"},
		{td3bc.Config{ActorLR: -1e-4}, "ActorLR"},
		{td3bc.Config{CriticLR: nan}, "CriticLR"},
		{td3bc.Config{Gamma: 1.01}, "Gamma"},
		{td3bc.Config{Tau: nan}, "Tau"},
		{td3bc.Config{BatchSize: -256}, "BatchSize"},
		{td3bc.Config{Alpha: -2.5}, "Alpha"},
		{td3bc.Config{PolicyNoise: float32(math.Inf(1))}, "PolicyNoise"},
		{td3bc.Config{NoiseClip: -0.5}, "NoiseClip"},
		{td3bc.Config{PolicyFreq: -2}, "PolicyFreq"},
		{td3bc.Config{ExplNoise: nan}, "ExplNoise"},
	}
	for _, c := range bad {
		err := c.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), "td3bc.Config."+c.field+" ") {
			t.Errorf("%+v: error %v, want one naming %s", c.cfg, err, c.field)
		}
		if _, err := td3bc.New(3, 1, c.cfg, 1); err == nil {
			t.Errorf("New accepted %+v", c.cfg)
		}
	}
	if err := (td3bc.Config{}).Validate(); err != nil {
		t.Fatalf("zero config: %v", err)
	}
	// CORL's algorithms/offline/td3_bc.py defaults.
	d := td3bc.Config{}.WithDefaults()
	want := td3bc.Config{Hidden: []int{256, 256}, Activation: "relu", ActorLR: 3e-4, CriticLR: 3e-4, Gamma: 0.99, Tau: 0.005,
		BatchSize: 256, Alpha: 2.5, PolicyNoise: 0.2, NoiseClip: 0.5, PolicyFreq: 2, ExplNoise: 0.1}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("defaults %+v, want %+v", d, want)
	}
	agenttest.RejectsBadDims(t, func(o, a int) error { _, err := td3bc.New(o, a, td3bc.Config{}, 1); return err })
}

func TestUpdatePanicsOnWrongBatch(t *testing.T) {
	a := mustNew(t, 3, 1, td3bc.Config{Hidden: []int{8}}, 1)
	b := agenttest.Batches(4, 1, 8, 1, 1)[0] // obs dim 4, agent expects 3
	agenttest.MustPanic(t, "td3bc.Update", func() { a.Update(b) })
}

// The actor and the target networks move only on every PolicyFreq-th update
// (CORL: total_it % policy_freq == 0, total_it counted from 1); the critic
// on every update.
func TestDelayedActor(t *testing.T) {
	a := mustNew(t, 3, 2, td3bc.Config{Hidden: []int{16}, PolicyFreq: 3}, 1)
	changed := func(before, after [][]float32) bool {
		for i := range before {
			if !slices.Equal(before[i], after[i]) {
				return true
			}
		}
		return false
	}
	snap := func(prefix string) [][]float32 {
		model, _, _, err := a.State()
		if err != nil {
			t.Fatal(err)
		}
		var out [][]float32
		for _, m := range model {
			if strings.HasPrefix(m.Name, prefix) {
				out = append(out, m.Data)
			}
		}
		return out
	}
	lastActorLoss := 0.0
	for u, b := range agenttest.Batches(3, 2, 32, 7, 2) {
		actor, target, critic := snap("actor/"), snap("actor_target/"), snap("critic/")
		ms := a.Update(b)
		step := (u+1)%3 == 0
		if changed(actor, snap("actor/")) != step || changed(target, snap("actor_target/")) != step {
			t.Fatalf("update %d: actor or target moved = %v, want %v", u+1, !step, step)
		}
		if !changed(critic, snap("critic/")) {
			t.Fatalf("update %d: critic did not move", u+1)
		}
		l := agenttest.Metric(t, ms, "loss/actor")
		if step == (l == lastActorLoss) {
			t.Fatalf("update %d: loss/actor %v (previous %v): it must change exactly on actor steps", u+1, l, lastActorLoss)
		}
		lastActorLoss = l
	}
}

// λ = α/mean|Q| makes the Q term's size independent of the scale of Q:
// |L_π - BC| = α·|mean Q|/mean|Q| ≤ α.
func TestLambdaNormalisation(t *testing.T) {
	a := mustNew(t, 3, 2, td3bc.Config{Hidden: []int{16}, PolicyFreq: 1}, 1)
	ms := a.Update(agenttest.Batches(3, 2, 64, 1, 3)[0])
	lambda, loss, bc := agenttest.Metric(t, ms, "train/lambda"), agenttest.Metric(t, ms, "loss/actor"), agenttest.Metric(t, ms, "loss/bc")
	if !(lambda > 0) || math.Abs(loss-bc) > 2.5+1e-6 {
		t.Fatalf("λ %v, actor loss %v, BC %v: |loss - BC| must be at most α = 2.5", lambda, loss, bc)
	}
}

// A state normaliser inside the agent is the same as CORL's rewriting of the
// data: an agent fed raw states with the normaliser set computes bitwise the
// same updates and actions as an agent without one fed standardised states.
func TestStateNormEqualsStandardisedData(t *testing.T) {
	raw, all := agenttest.CheckStateNormEqualsStandardised(t, func(o, a int) *td3bc.Agent {
		return mustNew(t, o, a, td3bc.Config{Hidden: []int{16, 16}}, 1)
	}, true)
	const O, A = 3, 2
	if n := raw.StateNorm(); math.Abs(float64(n.Mean[0])-3) > 1 || math.Abs(float64(n.Std[0])-5) > 1.5 {
		t.Fatalf("fitted normaliser %+v, want mean ≈ 3, std ≈ 5", n)
	}
	// NoStateNorm keeps the identity; bad normalisers are errors.
	off := mustNew(t, O, A, td3bc.Config{Hidden: []int{8}, NoStateNorm: true}, 1)
	if err := off.FitStateNorm(all); err != nil || off.StateNorm().Mean[0] != 0 || off.StateNorm().Std[0] != 1 {
		t.Fatalf("NoStateNorm: error %v, normaliser %+v", err, off.StateNorm())
	}
	for _, bad := range []*dataset.Normalizer{
		{Mean: []float32{0, 0}, Std: []float32{1, 1}},
		{Mean: []float32{0, 0, 0}, Std: []float32{1, 0, 1}},
	} {
		if err := off.SetStateNorm(bad); err == nil {
			t.Errorf("SetStateNorm(%+v) accepted", bad)
		}
	}
	if err := raw.FitStateNorm(all[:O+1]); err == nil {
		t.Error("FitStateNorm accepted a partial row")
	}
	if err := raw.SetStateNorm(nil); err != nil || raw.StateNorm().Std[1] != 1 {
		t.Fatalf("SetStateNorm(nil): %v, %+v", err, raw.StateNorm())
	}
}

// Exploring actions are π(s) plus noise of standard deviation ExplNoise,
// clipped to [-1, 1].
func TestExplorationNoise(t *testing.T) {
	a := mustNew(t, 3, 1, td3bc.Config{Hidden: []int{8}, ExplNoise: 0.3}, 1)
	obs := []float32{0.1, -0.2, 0.3}
	det := make([]float32, 1)
	if err := a.Act(obs, det, true); err != nil {
		t.Fatal(err)
	}
	const n = 20000
	var sum, sq float64
	x := make([]float32, 1)
	for k := 0; k < n; k++ {
		if err := a.Act(obs, x, false); err != nil {
			t.Fatal(err)
		}
		d := float64(x[0] - det[0])
		sum += d
		sq += d * d
	}
	mean, sd := sum/n, math.Sqrt(sq/n-(sum/n)*(sum/n))
	if math.Abs(float64(det[0])) > 0.3 || math.Abs(mean) > 0.01 || math.Abs(sd-0.3) > 0.01 {
		t.Fatalf("π(s) = %v; noise mean %v, std %v, want 0 and 0.3", det[0], mean, sd)
	}
}

// A state with a non-positive normaliser std is rejected.
func TestSetStateRejectsBadNormaliser(t *testing.T) {
	a := mustNew(t, 3, 1, td3bc.Config{Hidden: []int{8}}, 1)
	model, opt, r, err := a.State()
	if err != nil {
		t.Fatal(err)
	}
	for i := range model {
		if model[i].Name == "obs_norm/std" {
			model[i].Data[1] = 0
		}
	}
	if err := a.SetState(model, opt, r); err == nil || !strings.Contains(err.Error(), "obs_norm/std") {
		t.Fatalf("SetState with a zero std: %v", err)
	}
}
