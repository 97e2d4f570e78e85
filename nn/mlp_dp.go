package nn

import (
	"github.com/dwm-rl/dwm/internal/blas"
	"github.com/dwm-rl/dwm/tensor"
)

// The data-parallel path of MLP.Forward and MLP.Backward.
//
// When every layer of an MLP is a Linear or an EnsembleLinear (what NewMLP
// and NewEnsembleMLP build without LayerNorm), the batch is cut into row
// parts and each part runs through the whole network on one goroutine, with
// no hand-off between layers: the forward pass is one blas.ParallelFor and
// so is the backward pass. Per layer-by-layer parallelism a training step
// crosses ~4 hand-offs per layer (split product, activation, paired
// gradient products), each a goroutine wake-up on the other core; here it
// crosses two.
//
// Parts: member k's rows are one part, except that when K is odd the last
// member's rows are cut into two halves (for a plain MLP, K = 1, that is the
// whole batch), so that two threads get equal work. The cut depends only on
// K and the batch size, never on the thread count or on timing, so results
// are bitwise reproducible whatever the number of threads. The second half
// of a cut member adds its weight and bias gradients into scratch buffers,
// which are added to the parameters' gradients after the pass (in a fixed
// order: first half, then second).

// dpMinRows is the smallest number of rows per member for which the last
// member of an odd K is cut in two.
const dpMinRows = 64

// dpLayer is a view of one Linear or EnsembleLinear layer.
type dpLayer struct {
	in, out int
	act     tensor.Activation
	w, b    *Param
	x       **tensor.Mat
	z, y    *tensor.Mat // z == y when the activation does not need its input
	dz, dx  *tensor.Mat
	noDX    *bool
}

// dpPart is one work item: rows [lo, hi) of member k; second marks the
// second half of a cut member (gradients into scratch).
type dpPart struct {
	k, lo, hi int
	second    bool
}

// mlpDP holds the data-parallel path's state.
type mlpDP struct {
	layers   []dpLayer
	parts    []dpPart
	n        int  // rows per member in the last Forward
	active   bool // the last Forward took this path
	backward bool
	x, dy    *tensor.Mat
	gw, gb   [][]float32 // scratch gradients per layer (second halves)
	cut      int         // the member that is cut, or -1
	task     dpTask
	reduce   reduceTask
}

// dpTask runs the parts of the current pass as a blas.Task.
type dpTask struct{ m *MLP }

// dpView fills m.dp.layers and reports whether every layer qualifies.
func (m *MLP) dpView() bool {
	d := &m.dp
	d.layers = d.layers[:0]
	for _, l := range m.Layers {
		var v dpLayer
		switch l := l.(type) {
		case *Linear:
			if m.Members != 1 {
				return false
			}
			v = dpLayer{l.In, l.Out, l.Act, l.W, l.B, &l.x, &l.z, &l.y, &l.dz, &l.dx, &l.NoInputGrad}
		case *EnsembleLinear:
			if l.K != m.Members {
				return false
			}
			v = dpLayer{l.In, l.Out, l.Act, l.W, l.B, &l.x, &l.z, &l.y, &l.dz, &l.dx, &l.NoInputGrad}
		default:
			return false
		}
		if !v.act.NeedsInput() {
			v.z = v.y
		}
		d.layers = append(d.layers, v)
	}
	return len(d.layers) > 0
}

// dpForward runs the data-parallel forward pass if the network qualifies,
// returning its output, or nil.
func (m *MLP) dpForward(x *tensor.Mat) *tensor.Mat {
	d := &m.dp
	d.active = false
	if !m.dpView() || x.Cols != d.layers[0].in || x.Rows%m.Members != 0 {
		return nil
	}
	K := m.Members
	n := x.Rows / K
	d.n = n
	d.parts = d.parts[:0]
	d.cut = -1
	for k := 0; k < K; k++ {
		lo, hi := k*n, (k+1)*n
		if K%2 == 1 && k == K-1 && n >= 2*dpMinRows {
			mid := lo + n/2
			d.parts = append(d.parts, dpPart{k, lo, mid, false}, dpPart{k, mid, hi, true})
			d.cut = k
			continue
		}
		d.parts = append(d.parts, dpPart{k, lo, hi, false})
	}
	rows := x.Rows
	in := x
	work := 0
	for i := range d.layers {
		l := &d.layers[i]
		*l.x = in
		l.y.Resize(rows, l.out)
		if l.z != l.y {
			l.z.Resize(rows, l.out)
		}
		in = l.y
		work += l.in * l.out
	}
	d.x = x
	d.backward = false
	m.dpRun(n * work)
	d.active = true
	return d.layers[len(d.layers)-1].y
}

// dpBackward runs the data-parallel backward pass after dpForward.
func (m *MLP) dpBackward(dy *tensor.Mat) *tensor.Mat {
	d := &m.dp
	last := d.layers[len(d.layers)-1]
	if !tensor.SameShape(dy, last.y) {
		panic("nn.MLP.Backward: gradient " + dy.Shape() + ", output was " + last.y.Shape())
	}
	rows := dy.Rows
	work := 0
	for i := range d.layers {
		l := &d.layers[i]
		if l.act != tensor.Identity {
			l.dz.Resize(rows, l.out)
		}
		if i > 0 || !m.NoInputGrad {
			l.dx.Resize(rows, l.in)
		}
		work += l.in * l.out
	}
	if d.cut >= 0 && !m.NoParamGrad {
		if len(d.gw) != len(d.layers) {
			d.gw = make([][]float32, len(d.layers))
			d.gb = make([][]float32, len(d.layers))
		}
		for i, l := range d.layers {
			if len(d.gw[i]) != l.in*l.out {
				d.gw[i] = make([]float32, l.in*l.out)
				d.gb[i] = make([]float32, l.out)
			}
		}
	}
	d.dy = dy
	d.backward = true
	m.dpRun(2 * d.n * work)
	d.dy = nil
	if d.cut >= 0 && !m.NoParamGrad {
		m.dpReduce()
	}
	if m.NoInputGrad {
		return nil
	}
	return d.layers[0].dx
}

// dpRun runs every part of the current pass, in parallel when the work
// (multiply-adds per member) is large enough.
func (m *MLP) dpRun(work int) {
	p := blas.Threads()
	if work < minParallelWork {
		p = 1
	}
	m.dp.task.m = m
	blas.ParallelFor(len(m.dp.parts), p, &m.dp.task)
}

// Run runs part i of the current pass.
func (t *dpTask) Run(i int) {
	m := t.m
	d := &m.dp
	pt := d.parts[i]
	if d.backward {
		m.dpBackwardPart(pt)
	} else {
		m.dpForwardPart(pt)
	}
}

func (m *MLP) dpForwardPart(pt dpPart) {
	d := &m.dp
	rows := pt.hi - pt.lo
	var zv, yv tensor.Mat
	for i := range d.layers {
		l := &d.layers[i]
		in, out := l.in, l.out
		x := *l.x
		w := l.w.W[pt.k*in*out : (pt.k+1)*in*out]
		blas.SgemmSerial(false, false, rows, out, in, 1, x.Data[pt.lo*in:], in, w, out, 0, l.z.Data[pt.lo*out:], out)
		l.z.RowViewInto(&zv, pt.lo, pt.hi)
		l.y.RowViewInto(&yv, pt.lo, pt.hi)
		tensor.BiasActSerial(l.act, &yv, &zv, l.b.W[pt.k*out:(pt.k+1)*out])
	}
}

func (m *MLP) dpBackwardPart(pt dpPart) {
	d := &m.dp
	rows := pt.hi - pt.lo
	dy := d.dy
	var dyv, dzv, zv, yv tensor.Mat
	for i := len(d.layers) - 1; i >= 0; i-- {
		l := &d.layers[i]
		in, out := l.in, l.out
		gw := l.w.G[pt.k*in*out : (pt.k+1)*in*out]
		gb := l.b.G[pt.k*out : (pt.k+1)*out]
		beta := float32(1)
		switch {
		case m.NoParamGrad:
			gw, gb = nil, nil
		case pt.second:
			gw, gb = d.gw[i], d.gb[i]
			clear(gb)
			beta = 0
		}
		dy.RowViewInto(&dyv, pt.lo, pt.hi)
		dz := dy
		if l.act == tensor.Identity {
			if gb != nil {
				tensor.AddSumRows(gb, &dyv)
			}
		} else {
			l.dz.RowViewInto(&dzv, pt.lo, pt.hi)
			l.y.RowViewInto(&yv, pt.lo, pt.hi)
			zp := &zv
			if l.act.NeedsInput() {
				l.z.RowViewInto(&zv, pt.lo, pt.hi)
			} else {
				zp = nil
			}
			tensor.ActBackwardSerial(l.act, &dzv, &dyv, zp, &yv, gb)
			dz = l.dz
		}
		if gw != nil {
			x := *l.x
			blas.SgemmSerial(true, false, in, out, rows, 1, x.Data[pt.lo*in:], in, dz.Data[pt.lo*out:], out, beta, gw, out)
		}
		if i == 0 && m.NoInputGrad {
			return
		}
		w := l.w.W[pt.k*in*out : (pt.k+1)*in*out]
		blas.SgemmSerial(false, true, rows, in, out, 1, dz.Data[pt.lo*out:], out, w, out, 0, l.dx.Data[pt.lo*in:], in)
		dy = l.dx
	}
}

// reduceTask adds the second halves' scratch gradients to the cut member's
// parameter gradients: item i handles one chunk of one layer's weights (or
// its bias).
type reduceTask struct {
	d     *mlpDP
	items []reduceItem
}

type reduceItem struct{ layer, lo, hi int } // hi < 0: the bias

// reduceChunk is the number of values per item of the reduction.
const reduceChunk = 1 << 16

func (t *reduceTask) Run(i int) {
	it := t.items[i]
	l := &t.d.layers[it.layer]
	k, in, out := t.d.cut, l.in, l.out
	if it.hi < 0 {
		addTo(l.b.G[k*out:(k+1)*out], t.d.gb[it.layer])
		return
	}
	addTo(l.w.G[k*in*out+it.lo:k*in*out+it.hi], t.d.gw[it.layer][it.lo:it.hi])
}

func addTo(dst, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

// dpReduce adds the scratch gradients into the cut member's gradients.
func (m *MLP) dpReduce() {
	d := &m.dp
	t := &d.reduce
	t.d = d
	t.items = t.items[:0]
	total := 0
	for i, l := range d.layers {
		t.items = append(t.items, reduceItem{i, 0, -1})
		for lo := 0; lo < l.in*l.out; lo += reduceChunk {
			t.items = append(t.items, reduceItem{i, lo, min(lo+reduceChunk, l.in*l.out)})
		}
		total += l.in * l.out
	}
	p := blas.Threads()
	if total < 4*reduceChunk {
		p = 1
	}
	blas.ParallelFor(len(t.items), p, t)
}
