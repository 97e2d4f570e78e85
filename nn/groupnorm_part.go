package nn

import (
	"fmt"

	"github.com/dwm-rl/dwm/tensor"
)

// ForwardPart is Forward for the rows of part p (see Part). With
// p.Prepare it sizes the buffers for the batch x and returns the output
// buffer without computing it.
func (l *GroupNorm) ForwardPart(x *tensor.Mat, p Part) *tensor.Mat {
	if p.Prepare {
		L := l.length("ForwardPart", x)
		l.L = L
		l.rstd = grow(l.rstd, x.Rows*l.Groups)
		l.gcol = expandBias(l.gcol, l.G.W, L)
		l.bcol = expandBias(l.bcol, l.B.W, L)
		l.xhat.Resize(x.Rows, x.Cols)
		l.z.Resize(x.Rows, x.Cols)
		l.y.Resize(x.Rows, x.Cols)
		return &l.y
	}
	var xv, hv, zv, yv tensor.Mat
	p.views(&xv, x, &hv, &l.xhat, &zv, &l.z, &yv, &l.y)
	G := l.Groups
	tensor.NormalizeAffine(&zv, &hv, &xv, l.gcol, l.bcol, l.rstd[p.Lo*G:p.Hi*G], l.Channels/G*l.L, l.Eps)
	tensor.BiasActSerial(l.Act, &yv, &zv, nil)
	return &l.y
}

// BackwardPart is Backward for the rows of part p (see Part) after a
// ForwardPart pass; each part adds its share of the gain and bias gradients
// into its own buffers, which AddGrads sums in part order. With p.Prepare
// it sizes the buffers for the gradient dy of the whole batch and returns
// the input-gradient buffer (nil if NoInputGrad).
func (l *GroupNorm) BackwardPart(dy *tensor.Mat, p Part) *tensor.Mat {
	n := l.Channels * l.L
	if p.Prepare {
		if !tensor.SameShape(dy, &l.y) {
			panic(fmt.Sprintf("nn.GroupNorm(%s).BackwardPart: gradient %s, output was %s", l.G.Name, dy.Shape(), l.y.Shape()))
		}
		if l.Act != tensor.Identity {
			l.dz.Resize(dy.Rows, dy.Cols)
		}
		l.gcol = expandBias(l.gcol, l.G.W, l.L)
		l.parts = p.N
		l.dgcol, l.dbcol = grow(l.dgcol, p.N*n), grow(l.dbcol, p.N*n)
		clear(l.dgcol)
		clear(l.dbcol)
		if l.NoInputGrad {
			return nil
		}
		l.dx.Resize(dy.Rows, dy.Cols)
		return &l.dx
	}
	var dyv, dzv, hv, yv, dxv tensor.Mat
	p.views(&dyv, dy, &hv, &l.xhat, &yv, &l.y)
	dz := &dyv
	if l.Act != tensor.Identity {
		var zv tensor.Mat
		p.views(&dzv, &l.dz, &zv, &l.z)
		tensor.ActBackwardSerial(l.Act, &dzv, &dyv, &zv, &yv, nil)
		dz = &dzv
	}
	var dx *tensor.Mat
	if !l.NoInputGrad {
		p.views(&dxv, &l.dx)
		dx = &dxv
	}
	G := l.Groups
	tensor.NormalizeAffineBackward(dx, dz, &hv, l.gcol, l.rstd[p.Lo*G:p.Hi*G], l.dgcol[p.Index*n:(p.Index+1)*n], l.dbcol[p.Index*n:(p.Index+1)*n], l.Channels/G*l.L)
	if dx == nil {
		return nil
	}
	return &l.dx
}

// AddGrads adds the gain and bias gradients of the last BackwardPart pass
// (s is unused: the signature is that of the convolutions' AddGrads).
func (l *GroupNorm) AddGrads(s *Scratch) {
	L, n := l.L, l.Channels*l.L
	for c := 0; c < l.Channels; c++ {
		var sg, sb float32
		for q := 0; q < l.parts; q++ {
			for t := q*n + c*L; t < q*n+(c+1)*L; t++ {
				sg += l.dgcol[t]
				sb += l.dbcol[t]
			}
		}
		l.G.G[c] += sg
		l.B.G[c] += sb
	}
}
