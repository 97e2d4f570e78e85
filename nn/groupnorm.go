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
	rstd               []float32
	gcol, bcol         []float32 // gain and bias expanded to C·L
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

// normalize writes the normalised x into xhat and the affine output into z,
// filling rstd (B·Groups values) if non-nil.
func (l *GroupNorm) normalize(xhat, z, x *tensor.Mat, L int, rstd []float32) {
	seg := l.Channels / l.Groups * L
	l.gcol = expandBias(l.gcol, l.G.W, L)
	l.bcol = expandBias(l.bcol, l.B.W, L)
	for b := 0; b < x.Rows; b++ {
		for g := 0; g < l.Groups; g++ {
			o := b*x.Cols + g*seg
			r := normRow(xhat.Data[o:o+seg], x.Data[o:o+seg], l.Eps)
			if rstd != nil {
				rstd[b*l.Groups+g] = r
			}
		}
		xr, zr := xhat.Data[b*x.Cols:(b+1)*x.Cols], z.Data[b*x.Cols:(b+1)*x.Cols]
		gc, bc := l.gcol[:len(xr)], l.bcol[:len(xr)]
		for j, v := range xr {
			zr[j] = gc[j]*v + bc[j]
		}
	}
}

// Forward normalises x and caches what Backward needs.
func (l *GroupNorm) Forward(x *tensor.Mat) *tensor.Mat {
	L := l.length("Forward", x)
	l.L = L
	l.xhat.Resize(x.Rows, x.Cols)
	l.z.Resize(x.Rows, x.Cols)
	if cap(l.rstd) < x.Rows*l.Groups {
		l.rstd = make([]float32, x.Rows*l.Groups)
	}
	l.rstd = l.rstd[:x.Rows*l.Groups]
	l.normalize(&l.xhat, &l.z, x, L, l.rstd)
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
	seg := l.Channels / l.Groups * L
	l.gcol = expandBias(l.gcol, l.G.W, L) // Predict may have used another length
	if !l.NoInputGrad {
		l.dx.Resize(dy.Rows, dy.Cols)
	}
	inv := 1 / float32(seg)
	for b := 0; b < dy.Rows; b++ {
		row := b * dy.Cols
		for c := 0; c < l.Channels; c++ {
			var sg, sb float64
			o := row + c*L
			for t := 0; t < L; t++ {
				sg += float64(dz.Data[o+t] * l.xhat.Data[o+t])
				sb += float64(dz.Data[o+t])
			}
			l.G.G[c] += float32(sg)
			l.B.G[c] += float32(sb)
		}
		if l.NoInputGrad {
			continue
		}
		for g := 0; g < l.Groups; g++ {
			o := row + g*seg
			dzs, xh := dz.Data[o:o+seg], l.xhat.Data[o:o+seg]
			gc := l.gcol[g*seg : (g+1)*seg]
			var s1, s2 float32
			for j, v := range dzs {
				d := v * gc[j]
				s1 += d
				s2 += d * xh[j]
			}
			s1 *= inv
			s2 *= inv
			r := l.rstd[b*l.Groups+g]
			dx := l.dx.Data[o : o+seg]
			for j, v := range dzs {
				dx[j] = r * (v*gc[j] - s1 - xh[j]*s2)
			}
		}
	}
	if l.NoInputGrad {
		return nil
	}
	return &l.dx
}

// Predict sets dst to the layer's output for x without touching the
// training cache. dst is resized and must not be x.
func (l *GroupNorm) Predict(dst, x *tensor.Mat) {
	L := l.length("Predict", x)
	dst.Resize(x.Rows, x.Cols)
	l.normalize(dst, dst, x, L, nil)
	tensor.ActForward(l.Act, dst, dst)
}
