package awac_test

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/awac"
	"github.com/dwm-rl/dwm/replay"
)

func mustNew(t *testing.T, obsDim, actDim int, cfg awac.Config, seed uint64) *awac.Agent {
	t.Helper()
	a, err := awac.New(obsDim, actDim, cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestConfigValidate(t *testing.T) {
	nan := float32(math.NaN())
	bad := []struct {
		cfg   awac.Config
		field string
	}{
		{awac.Config{Hidden: []int{8, 8, -8}}, "Hidden[2]"},
		{awac.Config{Activation: "swoosh"}, "Activation"},
		{awac.Config{ActorLR: nan}, "ActorLR"},
		{awac.Config{CriticLR: -3e-4}, "CriticLR"},
		{awac.Config{Gamma: 1.5}, "Gamma"},
		{awac.Config{Tau: -0.005}, "Tau"},
		{awac.Config{BatchSize: -1}, "BatchSize"},
		{awac.Config{Lambda: -1}, "Lambda"},
		{awac.Config{MaxExpAdv: float32(math.Inf(1))}, "MaxExpAdv"},
		{awac.Config{LogStdMin: nan}, "LogStdMin"},
		{awac.Config{LogStdMax: nan}, "LogStdMax"},
		{awac.Config{LogStdMin: 1, LogStdMax: 0.5}, "LogStdMin"},
	}
	for _, c := range bad {
		err := c.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), "awac.Config."+c.field+" ") {
			t.Errorf("%+v: error %v, want one naming %s", c.cfg, err, c.field)
		}
		if _, err := awac.New(3, 1, c.cfg, 1); err == nil {
			t.Errorf("New accepted %+v", c.cfg)
		}
	}
	if err := (awac.Config{}).Validate(); err != nil {
		t.Fatalf("zero config: %v", err)
	}
	// CORL's algorithms/finetune/awac.py defaults.
	want := awac.Config{Hidden: []int{256, 256, 256}, Activation: "relu", ActorLR: 3e-4, CriticLR: 3e-4, Gamma: 0.99,
		Tau: 0.005, BatchSize: 256, Lambda: 1, MaxExpAdv: 100, LogStdMin: -20, LogStdMax: 2}
	if d := (awac.Config{}).WithDefaults(); !reflect.DeepEqual(d, want) {
		t.Fatalf("defaults %+v, want %+v", d, want)
	}
	agenttest.RejectsBadDims(t, func(o, a int) error { _, err := awac.New(o, a, awac.Config{}, 1); return err })
}

func TestUpdatePanicsOnWrongBatch(t *testing.T) {
	a := mustNew(t, 3, 1, awac.Config{Hidden: []int{8}}, 1)
	b := agenttest.Batches(3, 1, 8, 1, 1)[0]
	b.Rew = b.Rew[:7] // one reward short
	agenttest.MustPanic(t, "awac.Update", func() { a.Update(b) })
}

// On a one-step bandit whose data holds two actions equally often, -0.5
// (reward 0) and +0.5 (reward 1), behaviour cloning would settle at the
// mean 0; AWAC's advantage weights pull the policy towards +0.5, more so
// the smaller λ.
func TestAdvantageWeightingPrefersBetterAction(t *testing.T) {
	const n = 64
	b := &replay.Batch{Obs: make([]float32, n), Act: make([]float32, n), Rew: make([]float32, n), NextObs: make([]float32, n), Done: make([]float32, n)}
	for i := 0; i < n; i++ {
		b.Act[i] = float32(i%2) - 0.5
		b.Rew[i] = float32(i % 2)
		b.Done[i] = 1
	}
	mean := map[float32]float32{}
	for _, lambda := range []float32{1, 0.1} {
		a := mustNew(t, 1, 1, awac.Config{Hidden: []int{16, 16}, Lambda: lambda, ActorLR: 3e-3, CriticLR: 3e-3}, 3)
		for k := 0; k < 1500; k++ {
			a.Update(b)
		}
		act := make([]float32, 1)
		if err := a.Act([]float32{0}, act, true); err != nil {
			t.Fatal(err)
		}
		mean[lambda] = act[0]
	}
	t.Logf("policy mean: λ = 1 → %.3f, λ = 0.1 → %.3f", mean[1], mean[0.1])
	if !(mean[1] > 0.05) || !(mean[0.1] > mean[1]+0.05) || mean[0.1] > 0.55 {
		t.Fatalf("policy means %v: want > 0 for λ = 1 and closer to 0.5 for λ = 0.1", mean)
	}
}

// A state normaliser inside the agent is the same as CORL's rewriting of the
// data (bitwise).
func TestStateNormEqualsStandardisedData(t *testing.T) {
	_, all := agenttest.CheckStateNormEqualsStandardised(t, func(o, a int) *awac.Agent {
		return mustNew(t, o, a, awac.Config{Hidden: []int{16, 16}}, 1)
	}, false)
	off := mustNew(t, 3, 2, awac.Config{Hidden: []int{8}, NoStateNorm: true}, 1)
	if err := off.FitStateNorm(all); err != nil || off.StateNorm().Std[2] != 1 {
		t.Fatalf("NoStateNorm: error %v, normaliser %+v", err, off.StateNorm())
	}
}

// Exploring actions are samples of N(μ(s), σ²) clipped to [-1, 1]; the
// deterministic action is μ(s) clipped. With log σ set to log 0.2 the
// unclipped spread is 0.2.
func TestExploration(t *testing.T) {
	a := mustNew(t, 2, 1, awac.Config{Hidden: []int{8}}, 1)
	obs, mode := []float32{0.1, 0.2}, make([]float32, 1)
	if err := a.Act(obs, mode, true); err != nil {
		t.Fatal(err)
	}
	// Set log σ = log 0.2 and shift the output bias so that μ(obs) ≈ 0,
	// far from the clipping bounds, through the state.
	model, opt, r, err := a.State()
	if err != nil {
		t.Fatal(err)
	}
	for i := range model {
		switch model[i].Name {
		case "actor/log_std":
			model[i].Data[0] = float32(math.Log(0.2))
		case "actor/l1/b":
			model[i].Data[0] -= mode[0]
		}
	}
	if err := a.SetState(model, opt, r); err != nil {
		t.Fatal(err)
	}
	if err := a.Act(obs, mode, true); err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(mode[0])) > 1e-5 {
		t.Fatalf("μ(s) = %v after the bias shift, want 0", mode[0])
	}
	const n = 20000
	var sum, sq float64
	x := make([]float32, 1)
	for k := 0; k < n; k++ {
		if err := a.Act(obs, x, false); err != nil {
			t.Fatal(err)
		}
		d := float64(x[0] - mode[0])
		sum += d
		sq += d * d
	}
	mean, sd := sum/n, math.Sqrt(sq/n-(sum/n)*(sum/n))
	if math.Abs(mean) > 0.01 || math.Abs(sd-0.2) > 0.01 {
		t.Fatalf("μ(s) = %v; sample offsets mean %v, std %v, want 0 and 0.2", mode[0], mean, sd)
	}
	// A mean far outside [-1, 1] is clipped in both modes.
	for i := range model {
		if model[i].Name == "actor/l1/b" {
			model[i].Data[0] += 5
		}
	}
	if err := a.SetState(model, opt, r); err != nil {
		t.Fatal(err)
	}
	for _, det := range []bool{true, false} {
		if err := a.Act(obs, x, det); err != nil || x[0] != 1 {
			t.Fatalf("deterministic=%v: action %v (error %v) for μ(s) ≈ 5, want 1", det, x[0], err)
		}
	}
}
