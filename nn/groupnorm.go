package nn

import (
	"fmt"

	"github.com/dwm-rl/dwm/tensor"
)

// GroupNorm normalises channel-major signals (B × C·L, see Conv1d) per
// sample over groups of C/Groups consecutive channels (all their positions),
// then applies a per-channel gain and bias and a fused activation, as
// PyTorch's nn.GroupNorm (biased variance, Eps 1e-5). GroupNorm(8, C)
// followed by Mish is the block of the Diffuser temporal U-Net.
type GroupNorm struct {
	Groups, Channels int
	Eps              float32
	Act              tensor.Activation
	G, B             *Param // gain (1) and bias (0), shape [Channels]
	NoInputGrad      bool

	L                  int
	xhat, z, y, dz, dx tensor.Mat
	rstd, prstd        []float32
	gcol, bcol         []float32 // gain and bias expanded to C·L
	dgcol, dbcol       []float32 // per-column parameter gradients
	pgcol, pbcol       []float32 // Predict's expanded gain and bias
	parts              int       // BackwardPart's part count (dgcol, dbcol hold one block per part)
}

// NewGroupNorm returns a group norm over channels split into groups, with
// parameters name+"/w" (gain) and name+"/b" [channels]. It panics if groups
// does not divide channels.
func NewGroupNorm(name string, groups, channels int, act tensor.Activation) *GroupNorm {
	if groups <= 0 || channels <= 0 || channels%groups != 0 {
		panic(fmt.Sprintf("nn.NewGroupNorm %s: %d groups do not divide %d channels", name, groups, channels))
	}
	l := &GroupNorm{Groups: groups, Channels: channels, Eps: 1e-5, Act: act,
		G: NewParam(name+"/w", channels), B: NewParam(name+"/b", channels)}
	for i := range l.G.W {
		l.G.W[i] = 1
	}
	return l
}

// Params returns the gain and the bias.
func (l *GroupNorm) Params() []*Param { return []*Param{l.G, l.B} }

func (l *GroupNorm) length(op string, x *tensor.Mat) int {
	if x.Cols == 0 || x.Cols%l.Channels != 0 {
		panic(fmt.Sprintf("nn.GroupNorm(%s).%s: input %s is not %d channels", l.G.Name, op, x.Shape(), l.Channels))
	}
	return x.Cols / l.Channels
}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// Forward normalises x and caches what Backward needs.
func (l *GroupNorm) Forward(x *tensor.Mat) *tensor.Mat {
	L := l.length("Forward", x)
	l.L = L
	l.rstd = grow(l.rstd, x.Rows*l.Groups)
	l.gcol = expandBias(l.gcol, l.G.W, L)
	l.bcol = expandBias(l.bcol, l.B.W, L)
	tensor.NormalizeAffine(&l.z, &l.xhat, x, l.gcol, l.bcol, l.rstd, l.Channels/l.Groups*L, l.Eps)
	tensor.ActForward(l.Act, &l.y, &l.z)
	return &l.y
}

// Backward adds the gain and bias gradients and returns the gradient with
// respect to x (nil if NoInputGrad).
func (l *GroupNorm) Backward(dy *tensor.Mat) *tensor.Mat {
	if !tensor.SameShape(dy, &l.y) {
		panic(fmt.Sprintf("nn.GroupNorm(%s).Backward: gradient %s, output was %s", l.G.Name, dy.Shape(), l.y.Shape()))
	}
	dz := dy
	if l.Act != tensor.Identity {
		tensor.ActBackward(l.Act, &l.dz, dy, &l.z, &l.y, nil)
		dz = &l.dz
	}
	L := l.L
	n := l.Channels * L
	l.gcol = expandBias(l.gcol, l.G.W, L) // Predict may have used another length
	l.dgcol, l.dbcol = grow(l.dgcol, n), grow(l.dbcol, n)
	clear(l.dgcol)
	clear(l.dbcol)
	var dx *tensor.Mat
	if !l.NoInputGrad {
		dx = &l.dx
	}
	tensor.NormalizeAffineBackward(dx, dz, &l.xhat, l.gcol, l.rstd, l.dgcol, l.dbcol, l.Channels/l.Groups*L)
	for c := 0; c < l.Channels; c++ {
		var sg, sb float32
		for t := c * L; t < (c+1)*L; t++ {
			sg += l.dgcol[t]
			sb += l.dbcol[t]
		}
		l.G.G[c] += sg
		l.B.G[c] += sb
	}
	return dx
}

// Predict sets dst to the layer's output for x without touching the
// training cache. dst is resized and must not be x.
func (l *GroupNorm) Predict(dst, x *tensor.Mat) { l.predict(dst, x, false) }

// PredictSerial is Predict on the calling goroutine only (its activation is
// never split across threads), for callers that already run one work item
// per thread.
func (l *GroupNorm) PredictSerial(dst, x *tensor.Mat) { l.predict(dst, x, true) }

func (l *GroupNorm) predict(dst, x *tensor.Mat, serial bool) {
	L := l.length("Predict", x)
	l.prstd = grow(l.prstd, x.Rows*l.Groups)
	l.pgcol = expandBias(l.pgcol, l.G.W, L)
	l.pbcol = expandBias(l.pbcol, l.B.W, L)
	tensor.NormalizeAffine(dst, dst, x, l.pgcol, l.pbcol, l.prstd, l.Channels/l.Groups*L, l.Eps)
	if serial {
		tensor.BiasActSerial(l.Act, dst, dst, nil)
		return
	}
	tensor.ActForward(l.Act, dst, dst)
}
