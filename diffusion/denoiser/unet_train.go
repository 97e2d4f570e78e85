package denoiser

import (
	"slices"

	"github.com/dwm-rl/dwm/internal/blas"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/tensor"
)

// The data-parallel training path of TemporalUNet.
//
// Forward and Backward cut the batch into trainParts row parts and run each
// part through every convolution and group norm of the network on one
// goroutine, with single-threaded products (nn.Part): the layers' buffers
// hold the whole batch and each part writes only its rows (or, in the
// channel-first column matrices, its columns). A training step then hands
// work to the other core three times (forward, backward, gradients) instead
// of once or more per layer, and every product runs on one core without
// splitting. Group norm is per sample, so the cut changes no value.
//
// What mixes rows stays outside the parts: the time and condition MLPs and
// every block's time-bias layer run on the whole batch before the forward
// parts; after the backward parts, every layer's parameter gradients are
// computed for the whole batch as independent jobs (one product per layer,
// nn.Conv1d.AddGrads), largest first, and the blocks' time-bias gradients
// are summed in a fixed order. The cut depends only on the batch size and
// every job's arithmetic is fixed, so results are bitwise the same whatever
// the number of threads.

// trainParts is the number of row parts of a training pass (the machine's
// core count; fixed so that results do not depend on the thread count).
const trainParts = 2

// unetTrain holds the training path's state.
type unetTrain struct {
	parts    []nn.Part
	backward bool
	x, dy    *tensor.Mat
	jobs     []gradJob
	jobRows  int // batch size the jobs were sorted for
	scratch  [trainParts]nn.Scratch
	pool     chan *nn.Scratch // scratch for the gradient jobs, one per goroutine
	task     unetTrainTask
	gradTask unetGradTask
}

// gradJob adds one layer's parameter gradients for the whole batch, with
// temporary matrices in the given scratch.
type gradJob struct {
	run  func(*nn.Scratch)
	work func() int
}

type unetTrainTask struct{ u *TemporalUNet }

// Run runs part i of the current pass.
func (t *unetTrainTask) Run(i int) {
	u := t.u
	if u.tr.backward {
		u.backwardPart(u.tr.parts[i])
	} else {
		u.forwardPart(u.tr.parts[i])
	}
}

type unetGradTask struct{ u *TemporalUNet }

// Run runs gradient job i with a scratch from the pool (nil if the pool is
// empty: the layer's own buffers).
func (t *unetGradTask) Run(i int) {
	tr := &t.u.tr
	var s *nn.Scratch
	select {
	case s = <-tr.pool:
	default:
	}
	tr.jobs[i].run(s)
	if s != nil {
		tr.pool <- s
	}
}

// Forward implements diffusion.Denoiser.
func (u *TemporalUNet) Forward(x *tensor.Mat, t []float32, cond *tensor.Mat, keep []float32) *tensor.Mat {
	memb := u.embedTimes(x, t, cond, keep)
	for _, b := range u.all {
		b.tb = b.temb.Forward(memb)
	}
	rows := x.Rows
	np := min(trainParts, rows)
	tr := &u.tr
	tr.parts = tr.parts[:0]
	for i := 0; i < np; i++ {
		tr.parts = append(tr.parts, nn.Part{Lo: i * rows / np, Hi: (i + 1) * rows / np, Index: i, N: np, Scratch: &tr.scratch[i]})
	}
	tr.x = x
	u.forwardPart(nn.Part{Hi: rows, N: np, Prepare: true})
	tr.backward = false
	tr.task.u = u
	blas.ParallelFor(np, blas.Threads(), &tr.task)
	return &u.out
}

// Backward implements diffusion.Denoiser.
func (u *TemporalUNet) Backward(dy *tensor.Mat) *tensor.Mat {
	tr := &u.tr
	if !tensor.SameShape(dy, &u.out) {
		panic("denoiser.TemporalUNet.Backward: gradient " + dy.Shape() + ", output was " + u.out.Shape())
	}
	rows := dy.Rows
	tr.dy = dy
	u.backwardPart(nn.Part{Hi: rows, N: len(tr.parts), Prepare: true})
	tr.backward = true
	p := blas.Threads()
	blas.ParallelFor(len(tr.parts), p, &tr.task)
	tr.dy = nil
	u.sortJobs(rows)
	tr.gradTask.u = u
	blas.ParallelFor(len(tr.jobs), p, &tr.gradTask)
	// The blocks' time-bias gradients, in the order of backwardLayers.
	u.dmemb.Resize(rows, u.embed)
	u.dmemb.Zero()
	for i := len(u.all) - 1; i >= 0; i-- {
		tensor.Add(&u.dmemb, &u.dmemb, u.all[i].dmembPart)
	}
	return u.backwardEmbed(rows)
}

// sortJobs builds the gradient jobs (once) and orders them by decreasing
// work for a batch of rows (when the batch size changes).
func (u *TemporalUNet) sortJobs(rows int) {
	tr := &u.tr
	if tr.jobs == nil {
		tr.pool = make(chan *nn.Scratch, len(tr.scratch))
		for i := range tr.scratch {
			tr.pool <- &tr.scratch[i]
		}
		add := func(l interface {
			AddGrads(*nn.Scratch)
			GradWork() int
		}) {
			tr.jobs = append(tr.jobs, gradJob{l.AddGrads, l.GradWork})
		}
		addNorm := func(l *nn.GroupNorm) {
			tr.jobs = append(tr.jobs, gradJob{l.AddGrads, func() int { return l.Channels * l.L * len(tr.parts) }})
		}
		for _, b := range u.all {
			add(b.conv1)
			addNorm(b.gn1)
			add(b.conv2)
			addNorm(b.gn2)
			if b.res != nil {
				add(b.res)
			}
			tr.jobs = append(tr.jobs, gradJob{func(*nn.Scratch) { b.tembGrads() }, func() int { return 2 * b.tb.Rows * b.temb.In * b.temb.Out }})
		}
		for _, d := range u.down {
			if d != nil {
				add(d)
			}
		}
		for _, l := range u.up {
			add(l)
		}
		add(u.finalConv)
		addNorm(u.finalNorm)
		add(u.finalOut)
	}
	if tr.jobRows != rows {
		slices.SortStableFunc(tr.jobs, func(a, b gradJob) int { return b.work() - a.work() })
		tr.jobRows = rows
	}
}

// tembGrads back-propagates the block's time-bias gradient through its
// linear layer (adding its parameter gradients) into b.dmembPart.
func (b *resBlock) tembGrads() { b.dmembPart = b.temb.Backward(&b.dtb) }

// rowsOf returns views of rows [p.Lo, p.Hi) of the pairs (view, matrix).
func rowsOf(p nn.Part, pairs ...*tensor.Mat) {
	for i := 0; i+1 < len(pairs); i += 2 {
		pairs[i+1].RowViewInto(pairs[i], p.Lo, p.Hi)
	}
}

// addRows sets rows p of dst to a + b (with p.Prepare: resizes dst).
func addRows(dst, a, b *tensor.Mat, p nn.Part) {
	if p.Prepare {
		dst.Resize(a.Rows, a.Cols)
		return
	}
	var dv, av, bv tensor.Mat
	rowsOf(p, &dv, dst, &av, a, &bv, b)
	tensor.Add(&dv, &av, &bv)
}

// forwardPart runs part p of the network (see nn.Part): the input in
// u.tr.x, the output into u.out.
func (u *TemporalUNet) forwardPart(p nn.Part) {
	x := u.tr.x
	if p.Prepare {
		u.xcm.Resize(x.Rows, x.Cols)
	} else {
		var xv, cv tensor.Mat
		rowsOf(p, &xv, x, &cv, &u.xcm)
		timeToChannel(&cv, &xv, u.H, u.C)
	}
	h := &u.xcm
	for i, d := range u.downs {
		h = d[1].forwardPart(d[0].forwardPart(h, p), p)
		if p.Prepare {
			u.skips[i] = h
		}
		if u.down[i] != nil {
			h = u.down[i].ForwardPart(h, p)
		}
	}
	h = u.mid[1].forwardPart(u.mid[0].forwardPart(h, p), p)
	n := len(u.downs)
	for j, d := range u.ups {
		skip := u.skips[n-1-j]
		if p.Prepare {
			u.cats[j].Resize(h.Rows, h.Cols+skip.Cols)
		} else {
			var cv, hv, sv tensor.Mat
			rowsOf(p, &cv, &u.cats[j], &hv, h, &sv, skip)
			catChannels(&cv, &hv, &sv)
		}
		h = d[1].forwardPart(d[0].forwardPart(&u.cats[j], p), p)
		h = u.up[j].ForwardPart(h, p)
	}
	o := u.finalOut.ForwardPart(u.finalNorm.ForwardPart(u.finalConv.ForwardPart(h, p), p), p)
	if p.Prepare {
		u.out.Resize(o.Rows, o.Cols)
		return
	}
	var ov, dv tensor.Mat
	rowsOf(p, &ov, o, &dv, &u.out)
	channelToTime(&dv, &ov, u.H, u.C)
}

// backwardPart runs part p of the backward pass for the gradient in u.tr.dy.
func (u *TemporalUNet) backwardPart(p nn.Part) {
	dy := u.tr.dy
	if p.Prepare {
		u.dout.Resize(dy.Rows, dy.Cols)
	} else {
		var dv, cv tensor.Mat
		rowsOf(p, &dv, dy, &cv, &u.dout)
		timeToChannel(&cv, &dv, u.H, u.C)
	}
	g := u.finalConv.BackwardPart(u.finalNorm.BackwardPart(u.finalOut.BackwardPart(&u.dout, p), p), p)
	n := len(u.downs)
	for j := len(u.ups) - 1; j >= 0; j-- {
		d := u.ups[j]
		g = u.up[j].BackwardPart(g, p)
		g = d[0].backwardPart(d[1].backwardPart(g, p), p)
		// Split the gradient of [h, skip].
		skip := u.skips[n-1-j]
		hc := g.Cols - skip.Cols
		ds, dh := &u.dskip[n-1-j], &u.dcats[j]
		if p.Prepare {
			ds.Resize(g.Rows, skip.Cols)
			dh.Resize(g.Rows, hc)
		} else {
			for r := p.Lo; r < p.Hi; r++ {
				gr := g.Row(r)
				copy(dh.Row(r), gr[:hc])
				copy(ds.Row(r), gr[hc:])
			}
		}
		g = dh
	}
	g = u.mid[0].backwardPart(u.mid[1].backwardPart(g, p), p)
	for i := n - 1; i >= 0; i-- {
		d := u.downs[i]
		if u.down[i] != nil {
			g = u.down[i].BackwardPart(g, p)
		}
		if i >= 1 {
			// Level i's output is also the skip of up level n−1−i.
			addRows(&u.dskip[i], &u.dskip[i], g, p)
			g = &u.dskip[i]
		}
		g = d[0].backwardPart(d[1].backwardPart(g, p), p)
	}
}

// forwardPart is forward for the rows of part p, with the time biases b.tb
// computed beforehand for the whole batch.
func (b *resBlock) forwardPart(x *tensor.Mat, p nn.Part) *tensor.Mat {
	a := b.gn1.ForwardPart(b.conv1.ForwardPart(x, p), p)
	if p.Prepare {
		b.x = x
		b.a2.Resize(a.Rows, a.Cols)
	} else {
		L := x.Cols / b.in
		for r := p.Lo; r < p.Hi; r++ {
			src, d := a.Row(r), b.a2.Row(r)
			for c, v := range b.tb.Row(r) {
				s, o := src[c*L:(c+1)*L], d[c*L:(c+1)*L]
				for j := range s {
					o[j] = s[j] + v
				}
			}
		}
	}
	y1 := b.gn2.ForwardPart(b.conv2.ForwardPart(&b.a2, p), p)
	r := x
	if b.res != nil {
		r = b.res.ForwardPart(x, p)
	}
	addRows(&b.y, y1, r, p)
	return &b.y
}

// backwardPart is backward for the rows of part p, leaving the time bias's
// gradient in b.dtb (tembGrads back-propagates it).
func (b *resBlock) backwardPart(dy *tensor.Mat, p nn.Part) *tensor.Mat {
	da2 := b.conv2.BackwardPart(b.gn2.BackwardPart(dy, p), p)
	if p.Prepare {
		b.dtb.Resize(dy.Rows, b.out)
	} else {
		L := dy.Cols / b.out
		for r := p.Lo; r < p.Hi; r++ {
			src, d := da2.Row(r), b.dtb.Row(r)
			for c := range d {
				var s float32
				for _, v := range src[c*L : (c+1)*L] {
					s += v
				}
				d[c] = s
			}
		}
	}
	dx := b.conv1.BackwardPart(b.gn1.BackwardPart(da2, p), p)
	r := dy
	if b.res != nil {
		r = b.res.BackwardPart(dy, p)
	}
	addRows(&b.dx, dx, r, p)
	return &b.dx
}
