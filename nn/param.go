package nn

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/dwm-rl/dwm/internal/blas"
)

// Param is one named trainable array: W holds the values and G the
// accumulated gradient, both of length Size() in row-major order of Shape.
// Names are slash paths such as "critic/q0/l1/w".
type Param struct {
	Name  string
	Shape []int
	W, G  []float32
}

// NewParam returns a zeroed parameter of the given shape. It panics if a
// dimension is negative.
func NewParam(name string, shape ...int) *Param {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("nn.NewParam %s: negative dimension in %v", name, shape))
		}
		n *= d
	}
	return &Param{Name: name, Shape: append([]int(nil), shape...), W: make([]float32, n), G: make([]float32, n)}
}

// Size returns the number of values (the product of Shape).
func (p *Param) Size() int { return len(p.W) }

// NumParams returns the total number of values in params.
func NumParams(params []*Param) int {
	n := 0
	for _, p := range params {
		n += len(p.W)
	}
	return n
}

// ZeroGrad sets every gradient to zero. Call it before each backward pass:
// Backward accumulates. Large parameter sets are cleared by blas.Threads()
// goroutines.
func ZeroGrad(params []*Param) {
	p := blas.Threads()
	if p <= 1 || NumParams(params) < zeroParallelMin {
		for _, q := range params {
			clear(q.G)
		}
		return
	}
	zeroMu.Lock()
	var t *zeroTask
	if n := len(zeroFree); n > 0 {
		t = zeroFree[n-1]
		zeroFree = zeroFree[:n-1]
	} else {
		t = new(zeroTask)
	}
	zeroMu.Unlock()
	t.params = params
	blas.ParallelFor(len(params)*zeroSplit, p, t)
	t.params = nil
	zeroMu.Lock()
	zeroFree = append(zeroFree, t)
	zeroMu.Unlock()
}

const (
	zeroParallelMin = 1 << 18 // values; below this one goroutine clears faster
	zeroSplit       = 4       // items per parameter, so that big ones balance
)

// zeroTask clears gradients as a blas.Task: item i clears one quarter of
// parameter i/zeroSplit.
type zeroTask struct{ params []*Param }

// Run clears item i.
func (t *zeroTask) Run(i int) {
	g := t.params[i/zeroSplit].G
	q := i % zeroSplit
	clear(g[q*len(g)/zeroSplit : (q+1)*len(g)/zeroSplit])
}

var (
	zeroMu   sync.Mutex
	zeroFree []*zeroTask // idle tasks, so that ZeroGrad does not allocate
)

func mustMatch(op string, dst, src []*Param) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("nn.%s: %d destination parameters, %d source", op, len(dst), len(src)))
	}
	for i := range dst {
		if len(dst[i].W) != len(src[i].W) {
			panic(fmt.Sprintf("nn.%s: %s has %d values, %s has %d", op, dst[i].Name, len(dst[i].W), src[i].Name, len(src[i].W)))
		}
	}
}

// Polyak moves each dst parameter towards the matching src parameter:
// dst = (1-tau)·dst + tau·src (target networks; tau = 1 copies). It panics
// if the lists differ in length or a pair differs in size.
func Polyak(dst, src []*Param, tau float32) {
	mustMatch("Polyak", dst, src)
	for i, d := range dst {
		w := d.W
		s := src[i].W[:len(w)]
		for j := range w {
			w[j] += tau * (s[j] - w[j])
		}
	}
}

// CopyParams copies the values (not the gradients) of src into dst. It
// panics if the lists differ in length or a pair differs in size.
func CopyParams(dst, src []*Param) {
	mustMatch("CopyParams", dst, src)
	for i, d := range dst {
		copy(d.W, src[i].W)
	}
}

// GradNorm returns the global L2 norm of all gradients, accumulated in
// float64.
func GradNorm(params []*Param) float32 {
	var s float64
	for _, p := range params {
		for _, g := range p.G {
			s += float64(g) * float64(g)
		}
	}
	return float32(math.Sqrt(s))
}

// ClipGradNorm scales all gradients by maxNorm/(norm+1e-6) when their global
// L2 norm exceeds maxNorm (PyTorch's clip_grad_norm_), and returns the norm
// before clipping. maxNorm ≤ 0 only measures.
func ClipGradNorm(params []*Param, maxNorm float32) float32 {
	norm := GradNorm(params)
	if maxNorm > 0 && norm > maxNorm {
		c := maxNorm / (norm + 1e-6)
		for _, p := range params {
			for j := range p.G {
				p.G[j] *= c
			}
		}
	}
	return norm
}

// CheckFinite returns an error naming the first parameter, array (value or
// gradient) and index holding a NaN or infinity, or nil if all are finite.
func CheckFinite(params []*Param) error {
	for _, p := range params {
		if i := firstNonFinite(p.W); i >= 0 {
			return fmt.Errorf("nn: parameter %s value [%d] = %v", p.Name, i, p.W[i])
		}
		if i := firstNonFinite(p.G); i >= 0 {
			return fmt.Errorf("nn: parameter %s gradient [%d] = %v", p.Name, i, p.G[i])
		}
	}
	return nil
}

func firstNonFinite(s []float32) int {
	for i, v := range s {
		// v-v is NaN for NaN and ±Inf, 0 otherwise.
		if v-v != 0 {
			return i
		}
	}
	return -1
}

// CheckNames returns an error if two parameters share a name or a name is
// empty.
func CheckNames(params []*Param) error {
	seen := make(map[string]bool, len(params))
	var errs []error
	for i, p := range params {
		if p.Name == "" {
			errs = append(errs, fmt.Errorf("nn: parameter %d has no name", i))
		} else if seen[p.Name] {
			errs = append(errs, fmt.Errorf("nn: duplicate parameter name %q", p.Name))
		}
		seen[p.Name] = true
	}
	return errors.Join(errs...)
}
