package tensor

import (
	"sync"

	"github.com/dwm-rl/dwm/internal/blas"
)

// parallelMin is the number of values from which the fused activation
// kernels split their work across blas.Threads() goroutines (below it the
// hand-off costs more than it saves).
const parallelMin = 1 << 15

// elemTask is one BiasAct or ActBackward call; item i processes a block of
// columns, so bias gradients of different items never overlap.
type elemTask struct {
	backward        bool
	act             Activation
	y, z, dz, dy    []float32
	bias            []float32
	rows, cols, blk int
}

// Run processes columns [i*blk, (i+1)*blk).
func (t *elemTask) Run(i int) {
	c0 := i * t.blk
	c1 := min(c0+t.blk, t.cols)
	t.block(c0, c1)
}

func (t *elemTask) block(c0, c1 int) {
	var bias []float32
	if t.bias != nil {
		bias = t.bias[c0:c1]
	}
	w := c1 - c0
	if !t.backward {
		biasActBlock(t.act, t.y[c0:], t.z[c0:], bias, t.rows, w, t.cols)
		return
	}
	var z []float32
	if t.z != nil {
		z = t.z[c0:]
	}
	actBackwardBlock(t.act, t.dz[c0:], t.dy[c0:], z, t.y[c0:], bias, t.rows, w, t.cols)
}

var (
	elemMu   sync.Mutex
	elemFree []*elemTask // idle tasks, so that steady state does not allocate
)

// runElementwise runs t, split into column blocks (multiples of 16) over
// blas.Threads() goroutines when it is large.
func runElementwise(t *elemTask) {
	p := blas.Threads()
	if p <= 1 || t.rows*t.cols < parallelMin || t.cols < 32 {
		t.block(0, t.cols)
		return
	}
	elemMu.Lock()
	var h *elemTask
	if n := len(elemFree); n > 0 {
		h = elemFree[n-1]
		elemFree = elemFree[:n-1]
	} else {
		h = new(elemTask)
	}
	elemMu.Unlock()
	*h = *t
	h.blk = ((t.cols+p-1)/p + 15) &^ 15
	blas.ParallelFor((t.cols+h.blk-1)/h.blk, p, h)
	*h = elemTask{}
	elemMu.Lock()
	elemFree = append(elemFree, h)
	elemMu.Unlock()
}
