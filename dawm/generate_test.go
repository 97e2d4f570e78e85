package dawm

import (
	"math"
	"path/filepath"
	"sync"
	"testing"

	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/datasets"
	"github.com/dwm-rl/dwm/rng"
)

var trained struct {
	once sync.Once
	d    *dataset.Dataset
	w    *WorldModel
	idm  *InverseDynamics
	err  error
}

// trainedModels trains (once per test binary) a small world model and the
// inverse-dynamics model on pendulum-medium.
func trainedModels(t *testing.T) (*dataset.Dataset, *WorldModel, *InverseDynamics) {
	t.Helper()
	trained.once.Do(func() {
		d, err := datasets.Load("pendulum-medium")
		if err != nil {
			trained.err = err
			return
		}
		w, err := NewWorldModel(d, smallConfig(), rng.Derive(3, "wm"))
		if err != nil {
			trained.err = err
			return
		}
		if _, err := w.Train(1500, rng.Derive(3, "train")); err != nil {
			trained.err = err
			return
		}
		idm, _, err := TrainInverseDynamics(d, nil, IDMConfig{Steps: 500}, rng.Derive(3, "idm"))
		trained.d, trained.w, trained.idm, trained.err = d, w, idm, err
	})
	if trained.err != nil {
		t.Fatal(trained.err)
	}
	return trained.d, trained.w, trained.idm
}

func testRows(d *dataset.Dataset, n int) []int {
	rows := make([]int, n)
	for i := range rows {
		rows[i] = (i * 997) % d.Len()
	}
	return rows
}

func TestGenerateStaysInRangeAndFilters(t *testing.T) {
	d, w, idm := trainedModels(t)
	g, err := Generate(w, idm, testRows(d, 300), GenConfig{Transitions: 3}, rng.New(4))
	if err != nil {
		t.Fatal(err)
	}
	if g.Len() != 900 {
		t.Fatalf("generated %d transitions, want 900", g.Len())
	}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	// Measured (seed 3/4): 165 of 900 transitions leave the exact range, by at
	// most 1.26% of a dimension's width (the bounded cos/sin channels); all
	// stay within the range widened by 2%.
	wlo, whi := StateRange(d, 0.02)
	for i := 0; i < g.Len(); i++ {
		if !inRange(g.Obs(i), wlo, whi) || !inRange(g.NextObs(i), wlo, whi) {
			t.Fatalf("generated transition %d outside the data's state range widened by 2%%: %v → %v", i, g.Obs(i), g.NextObs(i))
		}
	}
	lo, hi := StateRange(d, 0)
	unc := g.Infos[UncertaintyInfo].Data
	var out int
	var uIn, uOut, excess float64
	for i := 0; i < g.Len(); i++ {
		for _, x := range [][]float32{g.Obs(i), g.NextObs(i)} {
			for j, v := range x {
				e := max(float64(lo[j]-v), float64(v-hi[j]), 0) / float64(hi[j]-lo[j])
				excess = max(excess, e)
			}
		}
	}
	t.Logf("largest excess beyond the data's state range: %.4f of the range's width", excess)
	for i := 0; i < g.Len(); i++ {
		if inRange(g.Obs(i), lo, hi) && inRange(g.NextObs(i), lo, hi) {
			uIn += float64(unc[i])
		} else {
			out++
			uOut += float64(unc[i])
		}
	}
	t.Logf("%d of %d generated transitions outside the data's state range; mean uncertainty in range %.4f, outside %.4f",
		out, g.Len(), uIn/float64(g.Len()-out), uOut/float64(max(out, 1)))
	f, err := Filter(g, FilterConfig{Low: lo, High: hi})
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() != g.Len()-out {
		t.Errorf("range filter kept %d, want %d", f.Len(), g.Len()-out)
	}
	for i := 0; i < f.Len(); i++ {
		if !inRange(f.Obs(i), lo, hi) || !inRange(f.NextObs(i), lo, hi) {
			t.Fatalf("filtered transition %d out of range", i)
		}
	}
	// The uncertainty filter at the median keeps about half, each below it.
	med := median(unc)
	u, err := Filter(g, FilterConfig{MaxUncertainty: med})
	if err != nil {
		t.Fatal(err)
	}
	if u.Len() < g.Len()/2 || u.Len() > g.Len()/2+10 {
		t.Errorf("median filter kept %d of %d", u.Len(), g.Len())
	}
	for _, v := range u.Infos[UncertaintyInfo].Data {
		if v > med {
			t.Fatalf("kept uncertainty %v above the threshold %v", v, med)
		}
	}
	// The npz round trip keeps the D4RL keys and the uncertainty column.
	path := filepath.Join(t.TempDir(), "gen.npz")
	if err := dataset.WriteNPZ(path, g); err != nil {
		t.Fatal(err)
	}
	back, err := dataset.ReadNPZ(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Len() != g.Len() || len(back.Infos[UncertaintyInfo].Data) != g.Len() {
		t.Errorf("npz round trip: %d rows, %d uncertainties, want %d", back.Len(), len(back.Infos[UncertaintyInfo].Data), g.Len())
	}
}

func median(x []float32) float32 {
	s := append([]float32(nil), x...)
	for i := 1; i < len(s); i++ { // insertion sort: small test slices
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s[(len(s)-1)/2]
}

func TestGenerateBadInput(t *testing.T) {
	d, w, idm := trainedModels(t)
	for _, cfg := range []GenConfig{{Transitions: 4}, {Sample: SampleConfig{Samples: 1}}, {Batch: -1}} {
		if _, err := Generate(w, idm, []int{0}, cfg, rng.New(1)); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
	if _, err := Generate(w, idm, []int{d.Len()}, GenConfig{}, rng.New(1)); err == nil {
		t.Error("row out of range: no error")
	}
	if _, err := Filter(d, FilterConfig{MaxUncertainty: 1}); err == nil {
		t.Error("filter without uncertainty column: no error")
	}
}

// pendulumStep returns Pendulum's reward and next state for state
// (cos θ, sin θ, θ̇) and agent action a ∈ [−1, 1] (torque u = 2a): the
// closed-form dynamics (g = 10, m = l = 1, dt = 0.05, |θ̇| ≤ 8).
func pendulumStep(s []float32, a float32) (float64, [3]float64) {
	th, thd := math.Atan2(float64(s[1]), float64(s[0])), float64(s[2])
	u := max(min(2*float64(a), 2), -2)
	r := -(th*th + 0.1*thd*thd + 0.001*u*u)
	nthd := max(min(thd+(15*math.Sin(th)+3*u)*0.05, 8), -8)
	nth := th + nthd*0.05
	return r, [3]float64{math.Cos(nth), math.Sin(nth), nthd}
}

// TestGeneratedTransitionsFollowPendulumPhysics checks generated
// transitions against Pendulum's true dynamics: the true reward and next
// state of (s, â) against the generated r̂ and ŝ' (on the real data both
// errors are 0 up to float32 rounding, checked first).
func TestGeneratedTransitionsFollowPendulumPhysics(t *testing.T) {
	d, w, idm := trainedModels(t)
	errs := func(g *dataset.Dataset) (rew, next float64) {
		for i := 0; i < g.Len(); i++ {
			r, n := pendulumStep(g.Obs(i), g.Act(i)[0])
			rew += math.Abs(r - float64(g.Rewards[i]))
			for j, v := range g.NextObs(i) {
				next += math.Abs(n[j]-float64(v)) / 3
			}
		}
		return rew / float64(g.Len()), next / float64(g.Len())
	}
	if rew, next := errs(d); rew > 1e-3 || next > 1e-3 {
		t.Fatalf("real data: reward MAE %.5f, next-state MAE %.5f against the formulas, want ≈ 0", rew, next)
	}
	g, err := Generate(w, idm, testRows(d, 300), GenConfig{}, rng.New(5))
	if err != nil {
		t.Fatal(err)
	}
	rew, next := errs(g)
	t.Logf("generated vs true dynamics: reward MAE %.4f (reward std %.3f), next-state MAE %.4f", rew, 3.675, next)
	// Measured (seed 3/5): reward MAE 0.194, next-state MAE 0.027; the bounds
	// leave margin but fail for a model that has not learnt the dynamics
	// (rewards spread 3.7, states 0.7).
	if rew > 0.5 || next > 0.1 {
		t.Errorf("generated transitions: reward MAE %.4f, next-state MAE %.4f against the true dynamics, want <= 0.5 and <= 0.1", rew, next)
	}
}
