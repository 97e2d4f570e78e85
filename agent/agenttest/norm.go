package agenttest

import (
	"slices"
	"testing"

	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/train"
)

// NormAgent is an agent that normalises states itself (TD3+BC, IQL and
// AWAC, as CORL does with the offline data's statistics).
type NormAgent interface {
	Agent
	// FitStateNorm fits the normaliser to observations (rows of obsDim).
	FitStateNorm(obs []float32) error
	// SetStateNorm sets the normaliser (nil: the identity).
	SetStateNorm(n *dataset.Normalizer) error
	// StateNorm returns a copy of the normaliser.
	StateNorm() *dataset.Normalizer
}

// FixedNormalizer returns a fixed, non-trivial state normaliser for obsDim
// values (mean 0.1·j − 0.2, std 0.5 + 0.25·j, eps 1e-3): not fitted from a
// seed, so that agents of different seeds share it.
func FixedNormalizer(obsDim int) *dataset.Normalizer {
	n := &dataset.Normalizer{Mean: make([]float32, obsDim), Std: make([]float32, obsDim), Eps: 1e-3}
	for j := range n.Mean {
		n.Mean[j], n.Std[j] = 0.1*float32(j)-0.2, 0.5+0.25*float32(j)
	}
	return n
}

// NormFactory returns the Factory of the agents newAgent builds, with
// FixedNormalizer set if norm is true.
func NormFactory[A NormAgent](newAgent func(obsDim, actDim int, seed uint64) (A, error), norm bool) Factory {
	return func(t testing.TB, obsDim, actDim int, seed uint64) Agent {
		a, err := newAgent(obsDim, actDim, seed)
		if err != nil {
			t.Fatal(err)
		}
		if norm {
			if err := a.SetStateNorm(FixedNormalizer(obsDim)); err != nil {
				t.Fatal(err)
			}
		}
		return a
	}
}

// NormO2OAgent returns the NewAgent of CheckO2O for the pendulum agents
// newAgent builds: the normaliser is fitted to the offline data.
func NormO2OAgent[A NormAgent](newAgent func(seed uint64) (A, error)) NewAgent {
	return func(t testing.TB, seed uint64) (train.Agent, func([]float32) error) {
		a, err := newAgent(seed)
		if err != nil {
			t.Fatal(err)
		}
		return a, a.FitStateNorm
	}
}

// CheckStateNormEqualsStandardised checks that a state normaliser inside
// the agent is the same as CORL's rewriting of the data. newAgent builds
// two agents of one config and seed for 3 observation and 2 action values;
// the first, its normaliser fitted to raw states far from standard
// (5·x + 3), must compute bitwise the same update metrics and actions
// (deterministic or, from the agents' equal streams, sampled) as the
// second, without a normaliser, fed the standardised states. It returns the
// first agent and the raw observations it was fitted to, for further
// checks.
func CheckStateNormEqualsStandardised[T NormAgent](t testing.TB, newAgent func(obsDim, actDim int) T, deterministic bool) (raw T, obs []float32) {
	t.Helper()
	const O, A = 3, 2
	bs := Batches(O, A, 32, 6, 4)
	var all []float32
	for _, b := range bs {
		for i := range b.Obs {
			b.Obs[i] = 5*b.Obs[i] + 3 // far from standard
			b.NextObs[i] = 5*b.NextObs[i] + 3
		}
		all = append(all, b.Obs...)
	}
	raw = newAgent(O, A)
	if err := raw.FitStateNorm(all); err != nil {
		t.Fatal(err)
	}
	n := raw.StateNorm()
	std := newAgent(O, A)
	s := make([]float32, O)
	for _, b := range bs {
		c := &replay.Batch{Obs: slices.Clone(b.Obs), Act: b.Act, Rew: b.Rew, NextObs: slices.Clone(b.NextObs), Done: b.Done}
		n.Apply(c.Obs, c.Obs)
		n.Apply(c.NextObs, c.NextObs)
		mr, ms := raw.Update(b), std.Update(c)
		for i := range mr {
			if mr[i] != ms[i] {
				t.Fatalf("metric %s: %v with the normaliser, %v on standardised data", mr[i].Name, mr[i].Value, ms[i].Value)
			}
		}
		x, y := make([]float32, A), make([]float32, A)
		copy(s, b.Obs[:O])
		if err := raw.Act(s, x, deterministic); err != nil {
			t.Fatal(err)
		}
		n.Apply(s, s)
		if err := std.Act(s, y, deterministic); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(x, y) {
			t.Fatalf("actions %v with the normaliser, %v on standardised states", x, y)
		}
	}
	return raw, all
}

// BenchNormUpdate runs BenchUpdate on the agent newAgent builds for each of
// BenchDims, as sub-benchmarks: batch 256, the normaliser fitted to the
// batches as a run fits it to its dataset, two warm updates.
func BenchNormUpdate[A NormAgent](b *testing.B, newAgent func(obsDim, actDim int) (A, error)) {
	for _, d := range BenchDims() {
		b.Run(d.Name, func(b *testing.B) {
			a, err := newAgent(d.ObsDim, d.ActDim)
			if err != nil {
				b.Fatal(err)
			}
			bs := Batches(d.ObsDim, d.ActDim, 256, 4, 1)
			if err := a.SetStateNorm(BatchNormalizer(b, bs, d.ObsDim)); err != nil {
				b.Fatal(err)
			}
			BenchUpdate(b, a, bs, 2)
		})
	}
}
