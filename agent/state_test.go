package agent

import (
	"slices"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// toy is a minimal agent state: one parameter with an optimiser, a
// normaliser, a counter, a weight, an extra tensor and a stream.
type toy struct {
	w       *nn.Param
	opt     *optim.Adam
	norm    *ObsNorm
	updates int64
	weight  float32
	held    *nn.Param
	stream  *rng.Stream
}

func newToy(seed uint64) *toy {
	t := &toy{w: nn.NewParam("net/w", 2, 3), norm: NewObsNorm(2), held: nn.NewParam("toy/held", 2), stream: rng.New(seed)}
	t.opt = optim.NewAdam([]*nn.Param{t.w}, optim.AdamConfig{LR: 0.1})
	return t
}

func (t *toy) parts() *StateParts {
	return &StateParts{
		Algorithm:  "toy",
		Model:      []*nn.Param{t.w},
		Norm:       t.norm,
		Optimizers: []NamedOptimizer{{Prefix: "opt/net/", Adam: t.opt}},
		Counters:   []NamedCounter{{Name: "toy/updates", V: &t.updates}},
		Weights:    []NamedWeight{{Name: "toy/weight", V: &t.weight}},
		Extra:      []*nn.Param{t.held},
		Streams:    []NamedStream{{Name: "toy/s", Stream: t.stream}},
	}
}

// step changes every part of the state.
func (t *toy) step(k int) {
	for i := range t.w.G {
		t.w.G[i] = float32(i+k) * 0.1
	}
	t.opt.Step()
	t.updates++
	t.weight += 0.5
	t.held.W[0] = float32(k)
	t.stream.Uint64()
}

func save(t *testing.T, x *toy) (m, o []checkpoint.Tensor, r map[string][]byte) {
	t.Helper()
	m, o, r, err := x.parts().State()
	if err != nil {
		t.Fatal(err)
	}
	return m, o, r
}

func TestStatePartsRoundTrip(t *testing.T) {
	a := newToy(1)
	if err := a.norm.Set(&dataset.Normalizer{Mean: []float32{1, 2}, Std: []float32{2, 4}, Eps: dataset.DefaultNormalizerEps}); err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 3; k++ {
		a.step(k)
	}
	m, o, r := save(t, a)
	b := newToy(99)
	if err := b.parts().SetState(m, o, r); err != nil {
		t.Fatal(err)
	}
	if b.updates != 3 || b.weight != 1.5 || b.opt.Steps() != 3 || !slices.Equal(a.w.W, b.w.W) || !slices.Equal(a.held.W, b.held.W) {
		t.Fatalf("restored updates %d weight %v steps %d, want 3, 1.5, 3 and equal tensors", b.updates, b.weight, b.opt.Steps())
	}
	if a.stream.Uint64() != b.stream.Uint64() {
		t.Error("random streams differ after restore")
	}
	// The restored normaliser is live, not only copied.
	var dst, store tensor.Mat
	b.norm.Standardize(&dst, &store, []float32{3, 6}, 1)
	if !slices.Equal(dst.Data, []float32{1, 1}) {
		t.Errorf("restored normaliser standardises [3 6] to %v, want [1 1]", dst.Data)
	}
	// The saved tensors are copies.
	a.step(5)
	m2, o2, _ := save(t, b)
	if !slices.EqualFunc(m, m2, func(x, y checkpoint.Tensor) bool { return slices.Equal(x.Data, y.Data) }) ||
		!slices.EqualFunc(o, o2, func(x, y checkpoint.Tensor) bool { return slices.Equal(x.Data, y.Data) }) {
		t.Error("saved state changed after a later step")
	}
}

func TestStatePartsSetStateErrors(t *testing.T) {
	src := newToy(1)
	src.step(0)
	edit := func(ts []checkpoint.Tensor, name string, f func(*checkpoint.Tensor)) []checkpoint.Tensor {
		ts = slices.Clone(ts)
		for i := range ts {
			if ts[i].Name == name {
				ts[i].Data = slices.Clone(ts[i].Data)
				f(&ts[i])
			}
		}
		return ts
	}
	drop := func(ts []checkpoint.Tensor, name string) []checkpoint.Tensor {
		return slices.DeleteFunc(slices.Clone(ts), func(t checkpoint.Tensor) bool { return t.Name == name })
	}
	for _, tc := range []struct {
		name, want string
		mod        func(m, o []checkpoint.Tensor, r map[string][]byte) ([]checkpoint.Tensor, []checkpoint.Tensor, map[string][]byte)
	}{
		{"missing counter", "toy/updates: missing", func(m, o []checkpoint.Tensor, r map[string][]byte) ([]checkpoint.Tensor, []checkpoint.Tensor, map[string][]byte) {
			return m, drop(o, "toy/updates"), r
		}},
		{"bad step", "opt/net/step", func(m, o []checkpoint.Tensor, r map[string][]byte) ([]checkpoint.Tensor, []checkpoint.Tensor, map[string][]byte) {
			return m, edit(o, "opt/net/step", func(t *checkpoint.Tensor) { t.Data[1] = 0.5 }), r
		}},
		{"negative weight", "toy/weight: weight -1", func(m, o []checkpoint.Tensor, r map[string][]byte) ([]checkpoint.Tensor, []checkpoint.Tensor, map[string][]byte) {
			return m, edit(o, "toy/weight", func(t *checkpoint.Tensor) { t.Data[0] = -1 }), r
		}},
		{"zero std", "obs_norm/std[1] = 0", func(m, o []checkpoint.Tensor, r map[string][]byte) ([]checkpoint.Tensor, []checkpoint.Tensor, map[string][]byte) {
			return edit(m, ObsNormStdName, func(t *checkpoint.Tensor) { t.Data[1] = 0 }), o, r
		}},
		{"missing stream", "toy/s: missing", func(m, o []checkpoint.Tensor, r map[string][]byte) ([]checkpoint.Tensor, []checkpoint.Tensor, map[string][]byte) {
			return m, o, map[string][]byte{}
		}},
		{"unknown stream", "other: not used by toy", func(m, o []checkpoint.Tensor, r map[string][]byte) ([]checkpoint.Tensor, []checkpoint.Tensor, map[string][]byte) {
			return m, o, map[string][]byte{"toy/s": r["toy/s"], "other": r["toy/s"]}
		}},
		{"missing moment", "opt/net/v/net/w", func(m, o []checkpoint.Tensor, r map[string][]byte) ([]checkpoint.Tensor, []checkpoint.Tensor, map[string][]byte) {
			return m, drop(o, "opt/net/v/net/w"), r
		}},
		{"wrong shape", "net/w", func(m, o []checkpoint.Tensor, r map[string][]byte) ([]checkpoint.Tensor, []checkpoint.Tensor, map[string][]byte) {
			return edit(m, "net/w", func(t *checkpoint.Tensor) { t.Shape = []int{3, 2} }), o, r
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, o, r := save(t, src)
			m, o, r = tc.mod(m, o, r)
			dst := newToy(7)
			m0, o0, r0 := save(t, dst)
			err := dst.parts().SetState(m, o, r)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("SetState error %v, want one containing %q", err, tc.want)
			}
			m1, o1, r1 := save(t, dst)
			eq := func(x, y checkpoint.Tensor) bool { return x.Name == y.Name && slices.Equal(x.Data, y.Data) }
			if !slices.EqualFunc(m0, m1, eq) || !slices.EqualFunc(o0, o1, eq) || string(r0["toy/s"]) != string(r1["toy/s"]) {
				t.Error("state changed by a failed SetState")
			}
		})
	}
}

func TestObsNorm(t *testing.T) {
	n := NewObsNorm(2)
	src := []float32{1, 2, 3, 4}
	var dst, store tensor.Mat
	n.Standardize(&dst, &store, src, 2)
	if &dst.Data[0] != &src[0] {
		t.Error("identity normaliser copied the observations")
	}
	if err := n.Fit(src); err != nil {
		t.Fatal(err)
	}
	n.Standardize(&dst, &store, src, 2)
	for i, v := range dst.Data {
		want := float32(-1)
		if i >= 2 {
			want = 1
		}
		if d := v - want; d > 1e-3 || d < -1e-3 {
			t.Errorf("standardised[%d] = %v, want ≈ %v", i, v, want)
		}
	}
	if err := n.Set(&dataset.Normalizer{Mean: []float32{0}, Std: []float32{1}}); err == nil {
		t.Error("normaliser of the wrong dimension accepted")
	}
	if err := n.Set(nil); err != nil {
		t.Fatal(err)
	}
	if g := n.Get(); !slices.Equal(g.Mean, []float32{0, 0}) || !slices.Equal(g.Std, []float32{1, 1}) {
		t.Errorf("after Set(nil) mean %v std %v, want the identity", g.Mean, g.Std)
	}
	n.Standardize(&dst, &store, src, 2)
	if &dst.Data[0] != &src[0] {
		t.Error("normaliser reset to the identity still copies")
	}
}

func BenchmarkObsNormStandardize(b *testing.B) {
	const O, n = 17, 256
	norm := NewObsNorm(O)
	obs := make([]float32, n*O)
	for i := range obs {
		obs[i] = float32(i%13) * 0.1
	}
	if err := norm.Fit(obs); err != nil {
		b.Fatal(err)
	}
	var dst, store tensor.Mat
	b.ReportAllocs()
	for b.Loop() {
		norm.Standardize(&dst, &store, obs, n)
	}
}

func TestFillStateAction(t *testing.T) {
	s := tensor.Mat{Rows: 2, Cols: 2, Data: []float32{1, 2, 3, 4}}
	a := tensor.Mat{Rows: 2, Cols: 1, Data: []float32{5, 6}}
	var dst tensor.Mat
	FillStateAction(&dst, &s, &a, 3)
	want := []float32{1, 2, 5, 3, 4, 6, 1, 2, 5, 3, 4, 6, 1, 2, 5, 3, 4, 6}
	if dst.Rows != 6 || dst.Cols != 3 || !slices.Equal(dst.Data, want) {
		t.Errorf("FillStateAction = %s %v, want [6×3] %v", dst.Shape(), dst.Data, want)
	}
	if allocs := testing.AllocsPerRun(10, func() { FillStateAction(&dst, &s, &a, 3) }); allocs != 0 {
		t.Errorf("FillStateAction allocates %v times once grown", allocs)
	}
}

func BenchmarkFillStateAction(b *testing.B) {
	const n, O, A, k = 256, 17, 6, 2
	s := tensor.Mat{Rows: n, Cols: O, Data: make([]float32, n*O)}
	a := tensor.Mat{Rows: n, Cols: A, Data: make([]float32, n*A)}
	var dst tensor.Mat
	b.ReportAllocs()
	for b.Loop() {
		FillStateAction(&dst, &s, &a, k)
	}
}
