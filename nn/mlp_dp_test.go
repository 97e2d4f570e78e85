package nn

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/dwm-rl/dwm/internal/blas"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// mlpRun holds one forward and backward pass's results.
type mlpRun struct {
	y, dx []float32
	g     [][]float32
}

// runMLP builds a fresh network from seed, runs Forward and Backward (through
// MLP, or layer by layer when layered) and returns the results.
func runMLP(t *testing.T, k, n int, act tensor.Activation, noDX, layered bool, threads int) mlpRun {
	t.Helper()
	old := blas.Threads()
	blas.SetThreads(threads)
	defer blas.SetThreads(old)
	s := rng.New(31)
	m := NewEnsembleMLP("m", k, MLPConfig{Sizes: []int{24, 96, 80, 7}, Hidden: act}, s)
	m.NoInputGrad = noDX
	x := randMat(s, k*n, 24, 1)
	dy := randMat(s, k*n, 7, 1)
	var r mlpRun
	var y, dx *tensor.Mat
	if layered {
		setNoInputGrad(m.Layers[0], noDX)
		h := x
		for _, l := range m.Layers {
			h = l.Forward(h)
		}
		y = h
		g := dy
		for i := len(m.Layers) - 1; i >= 0; i-- {
			g = m.Layers[i].Backward(g)
		}
		dx = g
	} else {
		y = m.Forward(x)
		if !m.dp.active {
			t.Fatal("the data-parallel path was not taken")
		}
		dx = m.Backward(dy)
	}
	r.y = slices.Clone(y.Values())
	if dx != nil {
		r.dx = slices.Clone(dx.Values())
	}
	for _, p := range m.Params() {
		r.g = append(r.g, slices.Clone(p.G))
	}
	return r
}

// TestMLPDataParallel checks the data-parallel path of MLP against the
// layer-by-layer one (within rounding) and that its results are bitwise
// identical over repeated runs and thread counts.
func TestMLPDataParallel(t *testing.T) {
	closeTo := func(a, b []float32) int {
		for i := range a {
			if math.Abs(float64(a[i]-b[i])) > 1e-4*(1+math.Abs(float64(a[i]))) {
				return i
			}
		}
		return -1
	}
	for _, k := range []int{1, 2, 3, 5} {
		for _, n := range []int{3, 130} { // 130 rows: the last member of an odd K is cut
			for _, act := range []tensor.Activation{tensor.SiLU, tensor.ReLU} {
				for _, noDX := range []bool{false, true} {
					name := fmt.Sprintf("K%d/n%d/%v/noDX%v", k, n, act, noDX)
					want := runMLP(t, k, n, act, noDX, true, 1)
					ref := runMLP(t, k, n, act, noDX, false, 1)
					if i := closeTo(want.y, ref.y); i >= 0 {
						t.Fatalf("%s: output[%d] %v, layered %v", name, i, ref.y[i], want.y[i])
					}
					if (ref.dx == nil) != noDX || (!noDX && closeTo(want.dx, ref.dx) >= 0) {
						t.Fatalf("%s: input gradients differ", name)
					}
					for j := range want.g {
						if i := closeTo(want.g[j], ref.g[j]); i >= 0 {
							t.Fatalf("%s: gradient %d [%d] %v, layered %v", name, j, i, ref.g[j][i], want.g[j][i])
						}
					}
					for _, th := range []int{1, 2, 3, 2} {
						got := runMLP(t, k, n, act, noDX, false, th)
						if !slices.Equal(got.y, ref.y) || !slices.Equal(got.dx, ref.dx) {
							t.Fatalf("%s: threads %d: outputs or input gradients not bitwise equal", name, th)
						}
						for j := range got.g {
							if !slices.Equal(got.g[j], ref.g[j]) {
								t.Fatalf("%s: threads %d: gradient %d not bitwise equal", name, th, j)
							}
						}
					}
				}
			}
		}
	}
}

// TestMLPDataParallelFallback checks that a network with a layer norm takes
// the layer-by-layer path.
func TestMLPDataParallelFallback(t *testing.T) {
	m := NewMLP("m", MLPConfig{Sizes: []int{4, 8, 2}, Hidden: tensor.ReLU, LayerNorm: true}, rng.New(1))
	m.Forward(tensor.New(3, 4))
	if m.dp.active {
		t.Fatal("data-parallel path taken with a layer norm")
	}
}

// With NoParamGrad, Backward returns the same input gradient (bitwise, on
// each path) and leaves every parameter gradient as it was: on the
// data-parallel path and layer by layer, plain and ensemble networks.
func TestMLPNoParamGrad(t *testing.T) {
	for _, k := range []int{1, 2, 3} {
		for _, layered := range []bool{false, true} {
			for _, threads := range []int{1, 2} {
				name := fmt.Sprintf("K%d/layered%v/threads%d", k, layered, threads)
				run := func(noParam bool) ([]float32, [][]float32) {
					old := blas.Threads()
					blas.SetThreads(threads)
					defer blas.SetThreads(old)
					s := rng.New(8)
					m := NewEnsembleMLP("m", k, MLPConfig{Sizes: []int{24, 96, 80, 7}, Hidden: tensor.ReLU}, s)
					for _, p := range m.Params() {
						for i := range p.G {
							p.G[i] = 0.25 // a sentinel the pass must keep
						}
					}
					x, dy := randMat(s, k*130, 24, 1), randMat(s, k*130, 7, 1)
					m.NoParamGrad = noParam
					var dx *tensor.Mat
					if layered {
						h := x
						for _, l := range m.Layers {
							h = l.Forward(h)
						}
						for _, l := range m.Layers {
							setNoParamGrad(l, noParam)
						}
						g := dy
						for i := len(m.Layers) - 1; i >= 0; i-- {
							g = m.Layers[i].Backward(g)
						}
						dx = g
					} else {
						m.Forward(x)
						if threads > 1 && !m.dp.active {
							t.Fatalf("%s: the data-parallel path was not taken", name)
						}
						dx = m.Backward(dy)
					}
					var gs [][]float32
					for _, p := range m.Params() {
						gs = append(gs, slices.Clone(p.G))
					}
					return slices.Clone(dx.Values()), gs
				}
				wantDX, _ := run(false)
				dx, gs := run(true)
				if !slices.Equal(dx, wantDX) {
					t.Errorf("%s: input gradient changed with NoParamGrad", name)
				}
				for j, g := range gs {
					for _, v := range g {
						if v != 0.25 {
							t.Fatalf("%s: parameter gradient %d touched (%v)", name, j, v)
						}
					}
				}
			}
		}
	}
	// A layer without the option is refused, not silently updated.
	m := NewSequential(NewLayerNorm("ln", 4, tensor.Identity))
	m.NoParamGrad = true
	x := randMat(rng.New(1), 3, 4, 1)
	m.Forward(x)
	defer func() {
		if recover() == nil {
			t.Error("NoParamGrad through a LayerNorm did not panic")
		}
	}()
	m.Backward(x)
}
