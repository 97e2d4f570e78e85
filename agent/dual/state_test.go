package dual

import (
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
)

// fullState is an agent's State, for comparing agents.
type fullState struct {
	model, opt []checkpoint.Tensor
	streams    map[string][]byte
}

func stateOf(t *testing.T, a *Agent) fullState {
	t.Helper()
	m, o, r, err := a.State()
	if err != nil {
		t.Fatal(err)
	}
	return fullState{m, o, r}
}

// optionalTensors may be absent from a checkpoint (written before the
// ELBO-Laplace variant, or before the actor's first step).
var optionalTensors = map[string]bool{"dual/elbo_devs_n": true, "dual/elbo_devs": true,
	"dual/actor_opt/m": true, "dual/actor_opt/v": true}

// TestSetStateAllOrNothing: a checkpoint with one tensor or random stream
// missing, one tensor a value short, or of an agent configured otherwise
// is an error, and the agent that refused it is exactly as it was (every
// tensor, counter and stream of its State): no part of DUAL (critic
// agent, target critics, planner and student, actor, sub-policies, Laplace
// rows, online episodes, counters, optimiser) is restored unless all are.
func TestSetStateAllOrNothing(t *testing.T) {
	cfg := smallConfig()
	cfg.RefitEvery = 5
	cfg.Distill.Iters = 10
	cfg.LaplaceRows = 128
	src, d := pendulumAgent(t, cfg, 40, 21)
	buf, err := replay.FromDataset(d, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	obs, act, next := make([]float32, 3), make([]float32, 1), make([]float32, 3)
	b := replay.NewBatch(64, 3, 1, true)
	for i := range 8 { // online episodes, Laplace rows, sub-policies
		copy(obs, d.Obs(100+i))
		if err := src.Act(obs, act, false); err != nil {
			t.Fatal(err)
		}
		copy(next, d.NextObs(100+i))
		if err := src.AfterEnvStep(obs, act, -1, next, false, i%3 == 2); err != nil {
			t.Fatal(err)
		}
		buf.SampleRows(rng.Derive(9, "batch", strconv.Itoa(i)), b, 0, b.Len())
		src.Update(b)
	}
	good := stateOf(t, src)
	cfg.OfflineSteps = 40
	dst, err := New(d, 3, 1, cfg, 99) // untrained: differs from src in every part
	if err != nil {
		t.Fatal(err)
	}
	if err := dst.FitStateNorm(d.Observations); err != nil {
		t.Fatal(err)
	}
	before := stateOf(t, dst)
	if reflect.DeepEqual(before, good) {
		t.Fatal("the two agents have the same state")
	}

	refused := 0
	try := func(what string, s fullState, mayLoad bool) {
		t.Helper()
		err := dst.SetState(s.model, s.opt, s.streams)
		if err == nil {
			if !mayLoad {
				t.Errorf("%s: loaded", what)
			}
			// An optional part: back to the agent as it was.
			if err := dst.SetState(before.model, before.opt, before.streams); err != nil {
				t.Fatalf("%s: restoring the agent's own state: %v", what, err)
			}
			return
		}
		refused++
		if after := stateOf(t, dst); !reflect.DeepEqual(after, before) {
			t.Errorf("%s: refused (%v) but the agent changed: %s", what, err, firstChange(before, after))
		}
	}
	// Each chosen tensor missing, then a value short.
	for part, ts := range map[string][]checkpoint.Tensor{"model": good.model, "optimizer": good.opt} {
		for _, i := range chosen(ts) {
			x := ts[i]
			dropped := slices.Delete(slices.Clone(ts), i, i+1)
			short := slices.Clone(ts)
			if len(x.Data) > 0 {
				short[i] = checkpoint.Tensor{Name: x.Name, Shape: []int{len(x.Data) - 1}, Data: x.Data[:len(x.Data)-1]}
			}
			s1, s2 := good, good
			if part == "model" {
				s1.model, s2.model = dropped, short
			} else {
				s1.opt, s2.opt = dropped, short
			}
			try(part+" tensor "+x.Name+" missing", s1, optionalTensors[x.Name])
			if len(x.Data) > 0 {
				try(part+" tensor "+x.Name+" a value short", s2, optionalTensors[x.Name])
			}
		}
	}
	// Each random stream missing, or not DUAL's.
	for _, k := range slices.Sorted(maps.Keys(good.streams)) {
		s := good
		s.streams = maps.Clone(good.streams)
		delete(s.streams, k)
		try("random stream "+k+" missing", s, false)
	}
	s := good
	s.streams = maps.Clone(good.streams)
	s.streams["dual/unknown"] = good.streams["dual/train"]
	try("an unknown random stream", s, false)
	// A state of an agent with fewer Laplace rows: it fits up to the ring.
	cfg.LaplaceRows = 64
	other, err := New(d, 3, 1, cfg, 5)
	if err != nil {
		t.Fatal(err)
	}
	try("a state with 64 Laplace rows, not 128", stateOf(t, other), false)
	if n := len(chosen(good.model)) + len(chosen(good.opt)); refused < n {
		t.Errorf("%d states refused, want at least %d", refused, n)
	}
	// The whole state still loads, to src's state.
	if err := dst.SetState(good.model, good.opt, good.streams); err != nil {
		t.Fatal(err)
	}
	if got := stateOf(t, dst); !reflect.DeepEqual(got, good) {
		t.Errorf("loaded state differs: %s", firstChange(good, got))
	}
}

// chosen returns the indices of the tensors whose loss the test tries:
// every one of DUAL's own ("dual/…"), and of each other part (the first
// two elements of a name: "base/critic", "planner/net", "planner/opt",
// "planner/student", ...) the first and the last, which keeps the test to
// seconds (the planner's U-Nets have hundreds of tensors).
func chosen(ts []checkpoint.Tensor) []int {
	group := func(name string) string {
		parts := strings.SplitN(name, "/", 3)
		return strings.Join(parts[:min(2, len(parts))], "/")
	}
	var out []int
	for i, x := range ts {
		g := group(x.Name)
		first := i == 0 || group(ts[i-1].Name) != g
		last := i == len(ts)-1 || group(ts[i+1].Name) != g
		if strings.HasPrefix(x.Name, "dual/") || first || last {
			out = append(out, i)
		}
	}
	return out
}

// firstChange names the first tensor or stream that differs between two
// states.
func firstChange(a, b fullState) string {
	for _, p := range []struct {
		part string
		x, y []checkpoint.Tensor
	}{{"model", a.model, b.model}, {"optimizer", a.opt, b.opt}} {
		if len(p.x) != len(p.y) {
			return p.part + ": " + strconv.Itoa(len(p.x)) + " tensors, then " + strconv.Itoa(len(p.y))
		}
		for i := range p.x {
			if !reflect.DeepEqual(p.x[i], p.y[i]) {
				return p.part + " tensor " + p.x[i].Name
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(a.streams)) {
		if !slices.Equal(a.streams[k], b.streams[k]) {
			return "random stream " + k
		}
	}
	return "the random streams' names"
}
