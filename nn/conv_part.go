package nn

import (
	"fmt"

	"github.com/dwm-rl/dwm/internal/blas"
	"github.com/dwm-rl/dwm/tensor"
)

// Part selects the rows [Lo, Hi) of a batch that one work item of a
// data-parallel pass computes through Conv1d, ConvTranspose1d and GroupNorm
// layers (their ForwardPart and BackwardPart methods); Index ∈ [0, N)
// numbers it among the N parts of the pass.
//
// A pass first calls every layer once with Prepare set, on one goroutine
// and with the whole batch: that only sizes the layer's buffers for the
// batch and returns its output buffer, so that the caller can chain the
// layers. The calls for the parts, on disjoint row ranges that together
// cover the batch, may then run concurrently: each computes its rows with
// single-threaded kernels and writes only its rows of the shared buffers
// (of the channel-first matrices kept for the gradients, its own contiguous
// block: part q's columns are a (rows × its samples·length) matrix of its
// own, so that every product writes a contiguous output). Temporary
// matrices (a convolution's column matrix and product) go to the part's
// Scratch, shared by all layers so that it stays in cache; nil uses the
// layer's own buffers. After the backward calls of every part, AddGrads
// adds the parameter gradients of the whole batch, one product per part and
// layer, in part order.
type Part struct {
	Lo, Hi   int
	Index, N int
	Prepare  bool
	Scratch  *Scratch
}

// scratch returns the part's scratch, or own if it has none.
func (p Part) scratch(own *Scratch) *Scratch {
	if p.Scratch != nil {
		return p.Scratch
	}
	return own
}

func (p Part) views(pairs ...*tensor.Mat) {
	for i := 0; i+1 < len(pairs); i += 2 {
		pairs[i+1].RowViewInto(pairs[i], p.Lo, p.Hi)
	}
}

// ForwardPart is Forward for the rows of part p (see Part). With
// p.Prepare it sizes the buffers for the batch x and returns the output
// buffer without computing it.
func (l *Conv1d) ForwardPart(x *tensor.Mat, p Part) *tensor.Mat {
	if p.Prepare {
		g := l.geometry("ForwardPart", x)
		l.geom, l.xin = g, x
		l.y.Resize(x.Rows, l.Out*g.Lo)
		if l.Act.NeedsInput() {
			l.z.Resize(x.Rows, l.Out*g.Lo)
		}
		l.bias = expandBias(l.bias, l.B.W, g.Lo)
		l.bounds = growBounds(l.bounds, p.N)
		return &l.y
	}
	g := l.geom
	l.bounds[p.Index] = [2]int{p.Lo, p.Hi}
	s := p.scratch(&l.own)
	var xv, zv, yv tensor.Mat
	p.views(&xv, x, &yv, &l.y)
	tensor.Im2Col(&s.col, &xv, g)
	n, ck := s.col.Cols, s.col.Rows
	s.out.Resize(l.Out, n)
	blas.SgemmSerial(false, false, l.Out, n, ck, 1, l.W.W, ck, s.col.Data, n, 0, s.out.Data, n)
	z := &yv
	if l.Act.NeedsInput() {
		p.views(&zv, &l.z)
		z = &zv
	}
	tensor.FromChannels(z, &s.out, l.Out, g.Lo)
	tensor.BiasActSerial(l.Act, &yv, z, l.bias)
	return &l.y
}

// partBlock makes v part [lo, hi)'s block of a part-blocked matrix m of
// r rows per sample position and n positions per sample: an r × (hi−lo)·n
// matrix starting at m.Data[r·lo·n].
func partBlock(v, m *tensor.Mat, r, n, lo, hi int) {
	v.Rows, v.Cols = r, (hi-lo)*n
	v.Data = m.Data[r*lo*n : r*hi*n : r*hi*n]
}

// BackwardPart is Backward for the rows of part p (see Part) after a
// ForwardPart pass, without the parameter gradients (AddGrads adds them).
// With p.Prepare it sizes the buffers for the gradient dy of the whole
// batch and returns the input-gradient buffer (nil if NoInputGrad).
func (l *Conv1d) BackwardPart(dy *tensor.Mat, p Part) *tensor.Mat {
	g := l.geom
	if p.Prepare {
		if !tensor.SameShape(dy, &l.y) {
			panic(fmt.Sprintf("nn.Conv1d(%s).BackwardPart: gradient %s, output was %s", l.W.Name, dy.Shape(), l.y.Shape()))
		}
		if l.Act != tensor.Identity {
			l.dz.Resize(dy.Rows, dy.Cols)
		}
		l.dzc.Resize(l.Out, dy.Rows*g.Lo)
		if l.NoInputGrad {
			return nil
		}
		l.dx.Resize(dy.Rows, g.C*g.L)
		return &l.dx
	}
	dz := actBackwardPart(p, l.Act, &l.dz, dy, &l.z, &l.y)
	var dzv, dzc, dxv tensor.Mat
	p.views(&dzv, dz)
	partBlock(&dzc, &l.dzc, l.Out, g.Lo, p.Lo, p.Hi)
	tensor.ToChannels(&dzc, &dzv, l.Out, g.Lo)
	if l.NoInputGrad {
		return nil
	}
	s := p.scratch(&l.own)
	dcol := &s.col
	dcol.Resize(g.C*g.K, dzc.Cols)
	blas.SgemmSerial(true, false, dcol.Rows, dcol.Cols, l.Out, 1, l.W.W, dcol.Rows, dzc.Data, dzc.Cols, 0, dcol.Data, dcol.Cols)
	p.views(&dxv, &l.dx)
	tensor.Col2Im(&dxv, dcol, g)
	return &l.dx
}

// AddGrads adds the gradients of W and B for the whole batch of the last
// BackwardPart pass, on the calling goroutine: per part, in part order, the
// column matrix of its input rows is built again in s (nil: the layer's own
// buffer) and multiplied with its output gradient. Rebuilding it in a
// buffer that stays in cache costs less than keeping every layer's column
// matrix from the forward pass in memory.
func (l *Conv1d) AddGrads(s *Scratch) {
	if s == nil {
		s = &l.own
	}
	g := l.geom
	var dzc, xv tensor.Mat
	for _, b := range l.bounds {
		partBlock(&dzc, &l.dzc, l.Out, g.Lo, b[0], b[1])
		l.xin.RowViewInto(&xv, b[0], b[1])
		tensor.Im2Col(&s.col, &xv, g)
		for o := 0; o < l.Out; o++ {
			l.B.G[o] += sum4(dzc.Row(o))
		}
		col := &s.col
		blas.SgemmSerial(false, true, l.Out, col.Rows, col.Cols, 1, dzc.Data, dzc.Cols, col.Data, col.Cols, 1, l.W.G, col.Rows)
	}
}

// growBounds returns a slice of n part bounds.
func growBounds(b [][2]int, n int) [][2]int {
	if cap(b) < n {
		return make([][2]int, n)
	}
	return b[:n]
}

// GradWork returns the multiply-adds of AddGrads for the prepared batch.
func (l *Conv1d) GradWork() int { return l.Out * l.geom.C * l.geom.K * l.dzc.Cols }

// AddGrads adds the gradients of W and B for the whole batch of the last
// BackwardPart pass, on the calling goroutine (s is unused).
func (l *ConvTranspose1d) AddGrads(s *Scratch) { l.addGrads() }

// sum4 returns Σ v with four partial sums.
func sum4(v []float32) float32 {
	var a, b, c, d float32
	i := 0
	for ; i+4 <= len(v); i += 4 {
		a += v[i]
		b += v[i+1]
		c += v[i+2]
		d += v[i+3]
	}
	for ; i < len(v); i++ {
		a += v[i]
	}
	return (a + b) + (c + d)
}

// ForwardPart is Forward for the rows of part p (see Part). With
// p.Prepare it sizes the buffers for the batch x and returns the output
// buffer without computing it.
func (l *ConvTranspose1d) ForwardPart(x *tensor.Mat, p Part) *tensor.Mat {
	if p.Prepare {
		g, L := l.geometry("ForwardPart", x)
		l.geom, l.lin = g, L
		l.xc.Resize(l.In, x.Rows*L)
		l.y.Resize(x.Rows, l.Out*g.L)
		if l.Act.NeedsInput() {
			l.z.Resize(x.Rows, l.Out*g.L)
		}
		l.bias = expandBias(l.bias, l.B.W, g.L)
		l.bounds = growBounds(l.bounds, p.N)
		return &l.y
	}
	g, L := l.geom, l.lin
	l.bounds[p.Index] = [2]int{p.Lo, p.Hi}
	var xv, xc, zv, yv tensor.Mat
	p.views(&xv, x, &yv, &l.y)
	partBlock(&xc, &l.xc, l.In, L, p.Lo, p.Hi)
	tensor.ToChannels(&xc, &xv, l.In, L)
	cols := &p.scratch(&l.own).col
	cols.Resize(l.Out*l.K, xc.Cols)
	blas.SgemmSerial(true, false, cols.Rows, cols.Cols, l.In, 1, l.W.W, cols.Rows, xc.Data, xc.Cols, 0, cols.Data, cols.Cols)
	z := &yv
	if l.Act.NeedsInput() {
		p.views(&zv, &l.z)
		z = &zv
	}
	tensor.Col2Im(z, cols, g)
	tensor.BiasActSerial(l.Act, &yv, z, l.bias)
	return &l.y
}

// BackwardPart is Backward for the rows of part p (see Part) after a
// ForwardPart pass, without the parameter gradients (AddGrads adds them).
// With p.Prepare it sizes the buffers for the gradient dy of the whole
// batch and returns the input-gradient buffer (nil if NoInputGrad).
func (l *ConvTranspose1d) BackwardPart(dy *tensor.Mat, p Part) *tensor.Mat {
	g, L := l.geom, l.lin
	if p.Prepare {
		if !tensor.SameShape(dy, &l.y) {
			panic(fmt.Sprintf("nn.ConvTranspose1d(%s).BackwardPart: gradient %s, output was %s", l.W.Name, dy.Shape(), l.y.Shape()))
		}
		l.dzp = dy
		if l.Act != tensor.Identity {
			l.dz.Resize(dy.Rows, dy.Cols)
			l.dzp = &l.dz
		}
		n := dy.Rows * L
		l.dcols.Resize(l.Out*l.K, n)
		if l.NoInputGrad {
			return nil
		}
		l.dxc.Resize(l.In, n)
		l.dx.Resize(dy.Rows, l.In*L)
		return &l.dx
	}
	dz := actBackwardPart(p, l.Act, &l.dz, dy, &l.z, &l.y)
	var dzv, dcols, dxc, dxv tensor.Mat
	p.views(&dzv, dz)
	partBlock(&dcols, &l.dcols, l.Out*l.K, L, p.Lo, p.Hi)
	tensor.Im2Col(&dcols, &dzv, g)
	if l.NoInputGrad {
		return nil
	}
	partBlock(&dxc, &l.dxc, l.In, L, p.Lo, p.Hi)
	blas.SgemmSerial(false, false, l.In, dxc.Cols, dcols.Rows, 1, l.W.W, dcols.Rows, dcols.Data, dcols.Cols, 0, dxc.Data, dxc.Cols)
	p.views(&dxv, &l.dx)
	tensor.FromChannels(&dxv, &dxc, l.In, L)
	return &l.dx
}

func (l *ConvTranspose1d) addGrads() {
	sumChannels(l.B.G, l.dzp, l.geom.L)
	var xc, dcols tensor.Mat
	for _, b := range l.bounds {
		partBlock(&xc, &l.xc, l.In, l.lin, b[0], b[1])
		partBlock(&dcols, &l.dcols, l.Out*l.K, l.lin, b[0], b[1])
		blas.SgemmSerial(false, true, l.In, dcols.Rows, xc.Cols, 1, xc.Data, xc.Cols, dcols.Data, dcols.Cols, 1, l.W.G, dcols.Rows)
	}
}

// GradWork returns the multiply-adds of AddGrads for the prepared batch.
func (l *ConvTranspose1d) GradWork() int { return l.In * l.Out * l.K * l.dcols.Cols }

// actBackwardPart writes part p's rows of the activation's backward pass
// (dz from dy and the forward pass's z and y) and returns dz, or returns dy
// itself for the identity. It is the first step of the convolutions'
// BackwardPart.
func actBackwardPart(p Part, act tensor.Activation, dz, dy, z, y *tensor.Mat) *tensor.Mat {
	if act == tensor.Identity {
		return dy
	}
	var dzv, dyv, zv, yv tensor.Mat
	p.views(&dzv, dz, &dyv, dy, &yv, y)
	zp := &zv
	if act.NeedsInput() {
		p.views(&zv, z)
	} else {
		zp = nil
	}
	tensor.ActBackwardSerial(act, &dzv, &dyv, zp, &yv, nil)
	return dz
}
