// Package agenttest is the conformance harness every dwm agent passes. An
// agent package calls it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		agenttest.Run(t, func(t testing.TB, obsDim, actDim int, seed uint64) agenttest.Agent {
//			a, err := sac.New(obsDim, actDim, sac.Config{Hidden: []int{32, 32}}, seed)
//			if err != nil {
//				t.Fatal(err)
//			}
//			return a
//		})
//	}
//
// Run checks, on random batches from a fixed seed:
//   - shapes: ActBatch fills B actions, all finite and in [-1, 1]; batch-1
//     Act agrees with ActBatch; wrong lengths are errors;
//   - acting: deterministic actions repeat, sampled ones vary;
//   - metrics: every update reports the same non-empty, unique names and
//     finite values;
//   - learning touches everything: after a few updates every model tensor
//     in State has changed (except Options.Static ones);
//   - State is a snapshot that later updates do not change;
//   - save → checkpoint directory → load into an agent built from another
//     seed gives identical actions (deterministic and sampled) and bitwise
//     identical metrics and state over the following updates;
//   - SetState rejects a missing tensor, a wrong shape and a missing random
//     stream, and leaves the agent unchanged;
//   - the same seed gives bitwise identical metrics, actions and state over N
//     updates; another seed gives other actions;
//   - batch-1 Act (both modes) and Update do not allocate once warm (OpenBLAS
//     build only: the gonum fallback's matmul allocates).
//
// Agents do not import agenttest except in tests.
package agenttest

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/internal/blas"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
)

// Agent is what the harness needs of an agent.
type Agent interface {
	// Update does one training update on b and returns its metrics in a
	// slice the agent may reuse on the next call.
	Update(b *replay.Batch) []agent.Metric
	// Act writes one action in [-1, 1] for obs into act.
	Act(obs, act []float32, deterministic bool) error
	// ActBatch writes len(obs)/obsDim actions into act.
	ActBatch(obs, act []float32, deterministic bool) error
	// State returns copies of the model and optimizer tensors and the
	// random streams' states.
	State() (model, optimizer []checkpoint.Tensor, rngStates map[string][]byte, err error)
	// SetState restores a State; on error the agent is unchanged.
	SetState(model, optimizer []checkpoint.Tensor, rngStates map[string][]byte) error
}

// Factory builds a fresh agent for the given dimensions and seed, failing t
// if it cannot.
type Factory func(t testing.TB, obsDim, actDim int, seed uint64) Agent

// Options adjusts Run. Zero fields take the defaults given.
type Options struct {
	// ObsDim and ActDim are the dimensions tested. Default 5 and 2.
	ObsDim, ActDim int
	// Batch is the update batch size. Default 16.
	Batch int
	// Updates is the number of updates in the longer checks. Default 5.
	Updates int
	// Static lists prefixes of model tensor names that updates may leave
	// unchanged (frozen reference networks).
	Static []string
	// Seed is the base seed of agents and data. Default 1.
	Seed uint64
	// MC gives the batches a Monte-Carlo return column (for Cal-QL).
	MC bool
}

func (o Options) withDefaults() Options {
	if o.ObsDim == 0 {
		o.ObsDim = 5
	}
	if o.ActDim == 0 {
		o.ActDim = 2
	}
	if o.Batch == 0 {
		o.Batch = 16
	}
	if o.Updates == 0 {
		o.Updates = 5
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	return o
}

// Run runs every check with default options.
func Run(t *testing.T, f Factory) { RunWith(t, Options{}, f) }

// RunWith runs every check with the given options.
func RunWith(t *testing.T, o Options, f Factory) {
	o = o.withDefaults()
	h := &harness{o: o, f: f}
	t.Run("Shapes", h.shapes)
	t.Run("Acting", h.acting)
	t.Run("Metrics", h.metrics)
	t.Run("ParamsChange", h.paramsChange)
	t.Run("StateIsSnapshot", h.stateSnapshot)
	t.Run("SaveLoad", h.saveLoad)
	t.Run("SetStateErrors", h.setStateErrors)
	t.Run("SameSeed", h.sameSeed)
	t.Run("NoAllocs", h.noAllocs)
}

type harness struct {
	o Options
	f Factory
}

// Batches returns n random batches of b rows for the given dimensions,
// reproducible from seed: observations N(0, 1), actions U(-1, 1), rewards
// N(0, 1), about 10% terminal transitions, no MC column.
func Batches(obsDim, actDim, b, n int, seed uint64) []*replay.Batch {
	return batches(obsDim, actDim, b, n, seed, false)
}

// BatchesMC is Batches with a Monte-Carlo return column drawn N(0, 10²).
func BatchesMC(obsDim, actDim, b, n int, seed uint64) []*replay.Batch {
	return batches(obsDim, actDim, b, n, seed, true)
}

func batches(obsDim, actDim, b, n int, seed uint64, mc bool) []*replay.Batch {
	s := rng.Derive(seed, "agenttest", "batches")
	out := make([]*replay.Batch, n)
	for k := range out {
		bt := replay.NewBatch(b, obsDim, actDim, mc)
		s.FillNormal(bt.Obs)
		s.FillUniform(bt.Act, -1, 1)
		s.FillNormal(bt.Rew)
		s.FillNormal(bt.NextObs)
		for i := range bt.Done {
			if s.Float64() < 0.1 {
				bt.Done[i] = 1
			}
		}
		if mc {
			s.FillNormal(bt.MC)
			for i := range bt.MC {
				bt.MC[i] *= 10
			}
		}
		out[k] = bt
	}
	return out
}

func (h *harness) agent(t testing.TB, seed uint64) Agent {
	t.Helper()
	a := h.f(t, h.o.ObsDim, h.o.ActDim, seed)
	if a == nil {
		t.Fatal("factory returned nil")
	}
	return a
}

func (h *harness) batches(n int) []*replay.Batch {
	return batches(h.o.ObsDim, h.o.ActDim, h.o.Batch, n, h.o.Seed, h.o.MC)
}

func (h *harness) obs(rows int, salt string) []float32 {
	x := make([]float32, rows*h.o.ObsDim)
	rng.Derive(h.o.Seed, "agenttest", "obs", salt).FillNormal(x)
	return x
}

func checkActions(t *testing.T, what string, act []float32) {
	t.Helper()
	for i, v := range act {
		if !(v >= -1 && v <= 1) {
			t.Fatalf("%s: action value [%d] = %v, want finite in [-1, 1]", what, i, v)
		}
	}
}

func (h *harness) shapes(t *testing.T) {
	a := h.agent(t, h.o.Seed)
	const rows = 7
	obs := h.obs(rows, "shapes")
	A := h.o.ActDim
	for _, det := range []bool{true, false} {
		act := make([]float32, rows*A+1)
		act[rows*A] = 42 // sentinel past the end
		if err := a.ActBatch(obs, act[:rows*A], det); err != nil {
			t.Fatalf("ActBatch(%d rows, deterministic=%v): %v", rows, det, err)
		}
		checkActions(t, fmt.Sprintf("ActBatch deterministic=%v", det), act[:rows*A])
		if act[rows*A] != 42 {
			t.Fatal("ActBatch wrote past the end of act")
		}
	}
	// Batch-1 Act agrees with the rows of a deterministic ActBatch.
	batch := make([]float32, rows*A)
	if err := a.ActBatch(obs, batch, true); err != nil {
		t.Fatal(err)
	}
	one := make([]float32, A)
	for i := 0; i < rows; i++ {
		if err := a.Act(obs[i*h.o.ObsDim:(i+1)*h.o.ObsDim], one, true); err != nil {
			t.Fatalf("Act: %v", err)
		}
		for j, v := range one {
			if d := math.Abs(float64(v - batch[i*A+j])); d > 1e-5 {
				t.Fatalf("row %d: Act gives %v, ActBatch %v", i, one, batch[i*A:(i+1)*A])
			}
		}
	}
	// Wrong lengths are errors.
	bad := []struct {
		name     string
		obs, act []float32
		batch    bool
	}{
		{"Act short obs", obs[:h.o.ObsDim-1], one, false},
		{"Act long action", obs[:h.o.ObsDim], make([]float32, A+1), false},
		{"ActBatch partial row", obs[:h.o.ObsDim+1], make([]float32, 2*A), true},
		{"ActBatch action rows differ", obs[:2*h.o.ObsDim], make([]float32, 3*A), true},
		{"ActBatch empty", nil, nil, true},
	}
	for _, c := range bad {
		var err error
		if c.batch {
			err = a.ActBatch(c.obs, c.act, true)
		} else {
			err = a.Act(c.obs, c.act, true)
		}
		if err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

func (h *harness) acting(t *testing.T) {
	a := h.agent(t, h.o.Seed)
	obs := h.obs(1, "acting")
	A := h.o.ActDim
	x, y := make([]float32, A), make([]float32, A)
	must(t, a.Act(obs, x, true))
	must(t, a.Act(obs, y, true))
	if !slices.Equal(x, y) {
		t.Fatalf("deterministic actions differ: %v then %v", x, y)
	}
	must(t, a.Act(obs, x, false))
	varied := false
	for k := 0; k < 5 && !varied; k++ {
		must(t, a.Act(obs, y, false))
		varied = !slices.Equal(x, y)
	}
	if !varied {
		t.Fatalf("six sampled actions for one observation are all %v", x)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// snapshot copies metrics (Update may reuse its slice).
func snapshot(ms []agent.Metric) []agent.Metric { return slices.Clone(ms) }

func (h *harness) metrics(t *testing.T) {
	a := h.agent(t, h.o.Seed)
	var names []string
	for u, b := range h.batches(h.o.Updates) {
		ms := a.Update(b)
		if len(ms) == 0 {
			t.Fatal("Update returned no metrics")
		}
		got := make([]string, len(ms))
		seen := map[string]bool{}
		for i, m := range ms {
			got[i] = m.Name
			if m.Name == "" || seen[m.Name] {
				t.Fatalf("update %d: metric %d has an empty or repeated name %q", u, i, m.Name)
			}
			seen[m.Name] = true
			if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
				t.Fatalf("update %d: metric %s = %v", u, m.Name, m.Value)
			}
		}
		if names == nil {
			names = got
		} else if !slices.Equal(names, got) {
			t.Fatalf("update %d: metric names %v, first update had %v", u, got, names)
		}
	}
}

func (h *harness) state(t testing.TB, a Agent) (model, opt []checkpoint.Tensor, r map[string][]byte) {
	t.Helper()
	model, opt, r, err := a.State()
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	if len(model) == 0 {
		t.Fatal("State returned no model tensors")
	}
	return model, opt, r
}

func (h *harness) static(name string) bool {
	for _, p := range h.o.Static {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func (h *harness) paramsChange(t *testing.T) {
	a := h.agent(t, h.o.Seed)
	before, _, _ := h.state(t, a)
	for _, b := range h.batches(h.o.Updates) {
		a.Update(b)
	}
	after, _, _ := h.state(t, a)
	if len(after) != len(before) {
		t.Fatalf("%d model tensors before the updates, %d after", len(before), len(after))
	}
	for i, p := range after {
		q := before[i]
		if p.Name != q.Name || !slices.Equal(p.Shape, q.Shape) {
			t.Fatalf("model tensor %d: %s %v before, %s %v after", i, q.Name, q.Shape, p.Name, p.Shape)
		}
		for j, v := range p.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("%s[%d] = %v after %d updates", p.Name, j, v, h.o.Updates)
			}
		}
		if !h.static(p.Name) && slices.Equal(p.Data, q.Data) {
			t.Errorf("model tensor %s unchanged after %d updates", p.Name, h.o.Updates)
		}
	}
}

func cloneTensors(ts []checkpoint.Tensor) []checkpoint.Tensor {
	out := make([]checkpoint.Tensor, len(ts))
	for i, x := range ts {
		out[i] = checkpoint.Tensor{Name: x.Name, Shape: slices.Clone(x.Shape), Data: slices.Clone(x.Data)}
	}
	return out
}

// sameTensors returns "" if a and b hold the same names, shapes and bitwise
// identical values, else a description of the first difference.
func sameTensors(a, b []checkpoint.Tensor) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%d tensors vs %d", len(a), len(b))
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Name != y.Name || !slices.Equal(x.Shape, y.Shape) || len(x.Data) != len(y.Data) {
			return fmt.Sprintf("tensor %d: %s %v vs %s %v", i, x.Name, x.Shape, y.Name, y.Shape)
		}
		for j := range x.Data {
			if math.Float32bits(x.Data[j]) != math.Float32bits(y.Data[j]) {
				return fmt.Sprintf("%s[%d]: %v vs %v", x.Name, j, x.Data[j], y.Data[j])
			}
		}
	}
	return ""
}

func sameRNG(a, b map[string][]byte) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%d random streams vs %d", len(a), len(b))
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return "random stream " + k + " differs"
		}
	}
	return ""
}

func (h *harness) stateSnapshot(t *testing.T) {
	a := h.agent(t, h.o.Seed)
	bs := h.batches(2)
	a.Update(bs[0])
	model, opt, r := h.state(t, a)
	m0, o0 := cloneTensors(model), cloneTensors(opt)
	r0 := map[string][]byte{}
	for k, v := range r {
		r0[k] = slices.Clone(v)
	}
	a.Update(bs[1])
	must(t, a.Act(h.obs(1, "snap"), make([]float32, h.o.ActDim), false))
	if d := sameTensors(m0, model); d != "" {
		t.Fatalf("model tensors from State changed with a later update: %s", d)
	}
	if d := sameTensors(o0, opt); d != "" {
		t.Fatalf("optimizer tensors from State changed with a later update: %s", d)
	}
	if d := sameRNG(r0, r); d != "" {
		t.Fatalf("random states from State changed later: %s", d)
	}
}

// trace records what an agent does from its current state: actions for
// fixed observations (deterministic and sampled, batch 1 and batched) and
// metrics over updates, then its final state.
type trace struct {
	actions []float32
	metrics [][]agent.Metric
	model   []checkpoint.Tensor
	opt     []checkpoint.Tensor
	rng     map[string][]byte
}

func (h *harness) run(t *testing.T, a Agent, bs []*replay.Batch) trace {
	t.Helper()
	var tr trace
	obs := h.obs(3, "trace")
	one := make([]float32, h.o.ActDim)
	for _, det := range []bool{true, false, false} {
		must(t, a.Act(obs[:h.o.ObsDim], one, det))
		tr.actions = append(tr.actions, one...)
		batch := make([]float32, 3*h.o.ActDim)
		must(t, a.ActBatch(obs, batch, det))
		tr.actions = append(tr.actions, batch...)
	}
	for _, b := range bs {
		tr.metrics = append(tr.metrics, snapshot(a.Update(b)))
		must(t, a.Act(obs[:h.o.ObsDim], one, false))
		tr.actions = append(tr.actions, one...)
	}
	tr.model, tr.opt, tr.rng = h.state(t, a)
	return tr
}

func sameTrace(t *testing.T, what string, x, y trace) {
	t.Helper()
	if len(x.actions) != len(y.actions) {
		t.Fatalf("%s: %d action values vs %d", what, len(x.actions), len(y.actions))
	}
	for i := range x.actions {
		if math.Float32bits(x.actions[i]) != math.Float32bits(y.actions[i]) {
			t.Fatalf("%s: action value %d: %v vs %v", what, i, x.actions[i], y.actions[i])
		}
	}
	for u := range x.metrics {
		mx, my := x.metrics[u], y.metrics[u]
		if len(mx) != len(my) {
			t.Fatalf("%s: update %d: %d metrics vs %d", what, u, len(mx), len(my))
		}
		for i := range mx {
			if mx[i].Name != my[i].Name || math.Float64bits(mx[i].Value) != math.Float64bits(my[i].Value) {
				t.Fatalf("%s: update %d: metric %s = %v vs %s = %v", what, u, mx[i].Name, mx[i].Value, my[i].Name, my[i].Value)
			}
		}
	}
	if d := sameTensors(x.model, y.model); d != "" {
		t.Fatalf("%s: final model differs: %s", what, d)
	}
	if d := sameTensors(x.opt, y.opt); d != "" {
		t.Fatalf("%s: final optimizer state differs: %s", what, d)
	}
	if d := sameRNG(x.rng, y.rng); d != "" {
		t.Fatalf("%s: final %s", what, d)
	}
}

func (h *harness) saveLoad(t *testing.T) {
	bs := h.batches(2 + h.o.Updates)
	a := h.agent(t, h.o.Seed)
	a.Update(bs[0])
	a.Update(bs[1])
	must(t, a.Act(h.obs(1, "before save"), make([]float32, h.o.ActDim), false))
	model, opt, r := h.state(t, a)
	dir := filepath.Join(t.TempDir(), "ckpt")
	if err := checkpoint.WriteDir(dir, &checkpoint.Checkpoint{Step: 2, Model: model, Optimizer: opt, RNG: r}); err != nil {
		t.Fatalf("write checkpoint: %v", err)
	}
	c, err := checkpoint.ReadDir(dir)
	if err != nil {
		t.Fatalf("read checkpoint: %v", err)
	}
	// Load into an agent built from another seed, so nothing can match by
	// accident.
	b := h.agent(t, h.o.Seed+1000)
	if err := b.SetState(c.Model, c.Optimizer, c.RNG); err != nil {
		t.Fatalf("SetState from a checkpoint directory: %v", err)
	}
	rest := bs[2:]
	sameTrace(t, "original vs loaded", h.run(t, a, rest), h.run(t, b, rest))
}

func (h *harness) setStateErrors(t *testing.T) {
	bs := h.batches(1 + h.o.Updates)
	src := h.agent(t, h.o.Seed+7)
	src.Update(bs[0])
	model, opt, r := h.state(t, src)

	cases := []struct {
		name  string
		model []checkpoint.Tensor
		opt   []checkpoint.Tensor
		rng   map[string][]byte
	}{
		{"missing model tensor", model[1:], opt, r},
		{"missing optimizer tensor", model, opt[:len(opt)-1], r},
		{"wrong shape", reshaped(model), opt, r},
		{"extra tensor", append(slices.Clone(model), checkpoint.Tensor{Name: "agenttest/extra", Shape: []int{1}, Data: []float32{1}}), opt, r},
		{"missing random stream", model, opt, map[string][]byte{}},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			a, twin := h.agent(t, h.o.Seed), h.agent(t, h.o.Seed)
			if err := a.SetState(c.model, c.opt, c.rng); err == nil {
				t.Fatal("SetState accepted it")
			}
			sameTrace(t, "agent after a failed SetState vs an untouched twin", h.run(t, a, bs[1:]), h.run(t, twin, bs[1:]))
		})
	}
}

// reshaped returns model with its first multi-value tensor given a wrong
// shape of the same size.
func reshaped(model []checkpoint.Tensor) []checkpoint.Tensor {
	out := cloneTensors(model)
	for i, x := range out {
		if len(x.Data) > 1 {
			out[i].Shape = []int{len(x.Data)}
			if len(x.Shape) == 1 {
				out[i].Shape = []int{1, len(x.Data)}
			}
			return out
		}
	}
	return out
}

func (h *harness) sameSeed(t *testing.T) {
	bs := h.batches(h.o.Updates)
	x := h.run(t, h.agent(t, h.o.Seed), bs)
	y := h.run(t, h.agent(t, h.o.Seed), bs)
	sameTrace(t, "two agents from one seed", x, y)

	// Another seed acts differently from the start.
	a, b := h.agent(t, h.o.Seed), h.agent(t, h.o.Seed+1)
	obs := h.obs(1, "seed")
	p, q := make([]float32, h.o.ActDim), make([]float32, h.o.ActDim)
	must(t, a.Act(obs, p, true))
	must(t, b.Act(obs, q, true))
	if slices.Equal(p, q) {
		t.Fatalf("seeds %d and %d give the same deterministic action %v", h.o.Seed, h.o.Seed+1, p)
	}
}

func (h *harness) noAllocs(t *testing.T) {
	if blas.Backend != "openblas" {
		t.Skipf("matmul backend %s allocates; the zero-allocation guarantee is for the OpenBLAS build", blas.Backend)
	}
	a := h.agent(t, h.o.Seed)
	obs := h.obs(1, "allocs")
	act := make([]float32, h.o.ActDim)
	for _, det := range []bool{true, false} {
		must(t, a.Act(obs, act, det))
		if n := testing.AllocsPerRun(50, func() { _ = a.Act(obs, act, det) }); n != 0 {
			t.Errorf("batch-1 Act(deterministic=%v) allocates %v times per call", det, n)
		}
	}
	bs := h.batches(2)
	a.Update(bs[0])
	a.Update(bs[1])
	k := 0
	if n := testing.AllocsPerRun(10, func() { a.Update(bs[k%2]); k++ }); n != 0 {
		t.Errorf("Update allocates %v times per call once warm", n)
	}
}
