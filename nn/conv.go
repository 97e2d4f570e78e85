package nn

import (
	"fmt"

	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// A batch of 1-D signals with C channels of length L is a Mat of B rows and
// C·L columns, channel-major: sample b, channel c, position t is at
// (b, c·L + t). Conv1d, ConvTranspose1d and GroupNorm use this layout and
// infer L from the column count.

// convGeom describes one im2col mapping: a C-channel signal of length L,
// kernel K, stride S, padding P, giving Lo output positions.
type convGeom struct{ C, L, K, S, P, Lo int }

// im2col sets col ((B·Lo) × (C·K)) to col[b·Lo+t, c·K+j] = x[b, c·L + t·S+j-P]
// (zero outside the signal).
func (g convGeom) im2col(col, x *tensor.Mat) {
	B := x.Rows
	col.Resize(B*g.Lo, g.C*g.K)
	w := g.C * g.K
	for b := 0; b < B; b++ {
		xr := x.Data[b*g.C*g.L : (b+1)*g.C*g.L]
		for t := 0; t < g.Lo; t++ {
			row := col.Data[(b*g.Lo+t)*w : (b*g.Lo+t+1)*w]
			s0 := t*g.S - g.P
			for c := 0; c < g.C; c++ {
				xc := xr[c*g.L : (c+1)*g.L]
				out := row[c*g.K : (c+1)*g.K]
				for j := range out {
					if s := s0 + j; s >= 0 && s < g.L {
						out[j] = xc[s]
					} else {
						out[j] = 0
					}
				}
			}
		}
	}
}

// col2im sets x (B × C·L) to the adjoint of im2col applied to col: every
// col entry is added to the signal position it was read from.
func (g convGeom) col2im(x, col *tensor.Mat) {
	B := col.Rows / g.Lo
	x.Resize(B, g.C*g.L)
	x.Zero()
	w := g.C * g.K
	for b := 0; b < B; b++ {
		xr := x.Data[b*g.C*g.L : (b+1)*g.C*g.L]
		for t := 0; t < g.Lo; t++ {
			row := col.Data[(b*g.Lo+t)*w : (b*g.Lo+t+1)*w]
			s0 := t*g.S - g.P
			for c := 0; c < g.C; c++ {
				xc := xr[c*g.L : (c+1)*g.L]
				in := row[c*g.K : (c+1)*g.K]
				for j, v := range in {
					if s := s0 + j; s >= 0 && s < g.L {
						xc[s] += v
					}
				}
			}
		}
	}
}

// toPositions sets dst ((B·L) × C) from src (B × C·L): one row per position.
func toPositions(dst, src *tensor.Mat, C, L int) {
	B := src.Rows
	dst.Resize(B*L, C)
	for b := 0; b < B; b++ {
		s := src.Data[b*C*L : (b+1)*C*L]
		d := dst.Data[b*L*C : (b+1)*L*C]
		for c := 0; c < C; c++ {
			sc := s[c*L : (c+1)*L]
			for t, v := range sc {
				d[t*C+c] = v
			}
		}
	}
}

// fromPositions is the inverse of toPositions: dst (B × C·L) from src
// ((B·L) × C).
func fromPositions(dst, src *tensor.Mat, C, L int) {
	B := src.Rows / L
	dst.Resize(B, C*L)
	for b := 0; b < B; b++ {
		s := src.Data[b*L*C : (b+1)*L*C]
		d := dst.Data[b*C*L : (b+1)*C*L]
		for t := 0; t < L; t++ {
			st := s[t*C : (t+1)*C]
			for c, v := range st {
				d[c*L+t] = v
			}
		}
	}
}

// expandBias fills dst (len C·L) with bias[c] repeated L times per channel.
func expandBias(dst []float32, bias []float32, L int) []float32 {
	n := len(bias) * L
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	dst = dst[:n]
	for c, v := range bias {
		seg := dst[c*L : (c+1)*L]
		for t := range seg {
			seg[t] = v
		}
	}
	return dst
}

// sumChannels adds to db[c] the sum over rows and positions of channel c of
// dz (B × C·L).
func sumChannels(db []float32, dz *tensor.Mat, L int) {
	for b := 0; b < dz.Rows; b++ {
		r := dz.Data[b*dz.Cols : (b+1)*dz.Cols]
		for c := range db {
			var s float32
			for _, v := range r[c*L : (c+1)*L] {
				s += v
			}
			db[c] += s
		}
	}
}

// Conv1d is a 1-D convolution over channel-major signals (see the layout note
// above) with a fused activation: y[b, o, t] = f(bias[o] + Σ_{c,j}
// W[o, c, j]·x[b, c, t·Stride + j - Pad]), zero padding, output length
// Lout = (L + 2·Pad - K)/Stride + 1. W has PyTorch's Conv1d shape
// [Out, In, K]. It is computed as one matrix product over all samples and
// positions (im2col).
type Conv1d struct {
	In, Out, K, Stride, Pad int
	Act                     tensor.Activation
	W, B                    *Param
	NoInputGrad             bool

	geom          convGeom
	w             tensor.Mat // W as Out × (In·K)
	gw            tensor.Mat
	col, zt, z, y tensor.Mat
	dz, dzt, dcol tensor.Mat
	dx            tensor.Mat
	bias          []float32
	pcol, pzt     tensor.Mat // Predict's scratch
	pb            []float32
}

// NewConv1d returns a convolution from in to out channels with kernel size
// k, the given stride and zero padding, initialised like PyTorch's
// nn.Conv1d (uniform in ±1/√(in·k)). Parameters are name+"/w" [out, in, k]
// and name+"/b" [out]. It panics if a size is not positive or pad < 0.
func NewConv1d(name string, in, out, k, stride, pad int, act tensor.Activation, s *rng.Stream) *Conv1d {
	if in <= 0 || out <= 0 || k <= 0 || stride <= 0 || pad < 0 {
		panic(fmt.Sprintf("nn.NewConv1d %s: in %d, out %d, kernel %d, stride %d, pad %d", name, in, out, k, stride, pad))
	}
	l := &Conv1d{In: in, Out: out, K: k, Stride: stride, Pad: pad, Act: act,
		W: NewParam(name+"/w", out, in, k), B: NewParam(name+"/b", out)}
	kaimingUniform(l.W.W, in*k, s)
	kaimingUniform(l.B.W, in*k, s)
	l.w = matOf(out, in*k, l.W.W)
	l.gw = matOf(out, in*k, l.W.G)
	return l
}

// Params returns W and B.
func (l *Conv1d) Params() []*Param { return []*Param{l.W, l.B} }

// OutLen returns the output length for an input of length L.
func (l *Conv1d) OutLen(L int) int { return (L+2*l.Pad-l.K)/l.Stride + 1 }

func (l *Conv1d) geometry(op string, x *tensor.Mat) convGeom {
	if x.Cols%l.In != 0 || l.OutLen(x.Cols/l.In) < 1 {
		panic(fmt.Sprintf("nn.Conv1d(%s).%s: input %s is not %d channels of a length ≥ %d", l.W.Name, op, x.Shape(), l.In, l.K-2*l.Pad))
	}
	L := x.Cols / l.In
	return convGeom{C: l.In, L: L, K: l.K, S: l.Stride, P: l.Pad, Lo: l.OutLen(L)}
}

// Forward convolves x (B × In·L) into a B × Out·Lout buffer.
func (l *Conv1d) Forward(x *tensor.Mat) *tensor.Mat {
	g := l.geometry("Forward", x)
	l.geom = g
	g.im2col(&l.col, x)
	tensor.MatMul(&l.zt, &l.col, &l.w, false, true)
	l.bias = expandBias(l.bias, l.B.W, g.Lo)
	if l.Act.NeedsInput() {
		fromPositions(&l.z, &l.zt, l.Out, g.Lo)
		tensor.BiasAct(l.Act, &l.y, &l.z, l.bias)
	} else {
		fromPositions(&l.y, &l.zt, l.Out, g.Lo)
		tensor.BiasAct(l.Act, &l.y, &l.y, l.bias)
	}
	return &l.y
}

// Backward adds the gradients of W and B and returns the gradient with
// respect to the input (nil if NoInputGrad).
func (l *Conv1d) Backward(dy *tensor.Mat) *tensor.Mat {
	if !tensor.SameShape(dy, &l.y) {
		panic(fmt.Sprintf("nn.Conv1d(%s).Backward: gradient %s, output was %s", l.W.Name, dy.Shape(), l.y.Shape()))
	}
	g := l.geom
	dz := dy
	if l.Act != tensor.Identity {
		tensor.ActBackward(l.Act, &l.dz, dy, &l.z, &l.y, nil)
		dz = &l.dz
	}
	sumChannels(l.B.G, dz, g.Lo)
	toPositions(&l.dzt, dz, l.Out, g.Lo)
	tensor.MatMulAcc(&l.gw, &l.dzt, &l.col, true, false, 1, 1)
	if l.NoInputGrad {
		return nil
	}
	tensor.MatMul(&l.dcol, &l.dzt, &l.w, false, false)
	g.col2im(&l.dx, &l.dcol)
	return &l.dx
}

// Predict sets dst to the layer's output for x without touching the
// training cache. dst must not be x.
func (l *Conv1d) Predict(dst, x *tensor.Mat) {
	g := l.geometry("Predict", x)
	g.im2col(&l.pcol, x)
	tensor.MatMul(&l.pzt, &l.pcol, &l.w, false, true)
	l.pb = expandBias(l.pb, l.B.W, g.Lo)
	fromPositions(dst, &l.pzt, l.Out, g.Lo)
	tensor.BiasAct(l.Act, dst, dst, l.pb)
}

// ConvTranspose1d is the transposed 1-D convolution (the adjoint of Conv1d,
// used for upsampling): output length Lout = (L-1)·Stride - 2·Pad + K, and
// y[b, o, t·Stride + j - Pad] += W[c, o, j]·x[b, c, t], plus bias and a fused
// activation. W has PyTorch's ConvTranspose1d shape [In, Out, K]; with K=4,
// Stride=2, Pad=1 it doubles the length (the Diffuser U-Net's upsampler).
type ConvTranspose1d struct {
	In, Out, K, Stride, Pad int
	Act                     tensor.Activation
	W, B                    *Param
	NoInputGrad             bool

	geom               convGeom // geometry of the output as a conv input
	lin                int
	w, gw              tensor.Mat // W as In × (Out·K)
	xt, cols, z, y     tensor.Mat
	dz, dcols, dxt, dx tensor.Mat
	bias, pb           []float32
	pxt, pcols         tensor.Mat
}

// NewConvTranspose1d returns a transposed convolution from in to out
// channels, initialised like PyTorch's nn.ConvTranspose1d (uniform in
// ±1/√(out·k), PyTorch's fan-in for this weight layout). Parameters are
// name+"/w" [in, out, k] and name+"/b" [out]. It panics if a size is not
// positive or pad < 0.
func NewConvTranspose1d(name string, in, out, k, stride, pad int, act tensor.Activation, s *rng.Stream) *ConvTranspose1d {
	if in <= 0 || out <= 0 || k <= 0 || stride <= 0 || pad < 0 {
		panic(fmt.Sprintf("nn.NewConvTranspose1d %s: in %d, out %d, kernel %d, stride %d, pad %d", name, in, out, k, stride, pad))
	}
	l := &ConvTranspose1d{In: in, Out: out, K: k, Stride: stride, Pad: pad, Act: act,
		W: NewParam(name+"/w", in, out, k), B: NewParam(name+"/b", out)}
	kaimingUniform(l.W.W, out*k, s)
	kaimingUniform(l.B.W, out*k, s)
	l.w = matOf(in, out*k, l.W.W)
	l.gw = matOf(in, out*k, l.W.G)
	return l
}

// Params returns W and B.
func (l *ConvTranspose1d) Params() []*Param { return []*Param{l.W, l.B} }

// OutLen returns the output length for an input of length L.
func (l *ConvTranspose1d) OutLen(L int) int { return (L-1)*l.Stride - 2*l.Pad + l.K }

func (l *ConvTranspose1d) geometry(op string, x *tensor.Mat) (convGeom, int) {
	if x.Cols%l.In != 0 || x.Cols == 0 || l.OutLen(x.Cols/l.In) < 1 {
		panic(fmt.Sprintf("nn.ConvTranspose1d(%s).%s: input %s is not %d channels of a usable length", l.W.Name, op, x.Shape(), l.In))
	}
	L := x.Cols / l.In
	return convGeom{C: l.Out, L: l.OutLen(L), K: l.K, S: l.Stride, P: l.Pad, Lo: L}, L
}

// Forward computes the transposed convolution of x (B × In·L) into a
// B × Out·Lout buffer.
func (l *ConvTranspose1d) Forward(x *tensor.Mat) *tensor.Mat {
	g, L := l.geometry("Forward", x)
	l.geom, l.lin = g, L
	toPositions(&l.xt, x, l.In, L)
	tensor.MatMul(&l.cols, &l.xt, &l.w, false, false)
	l.bias = expandBias(l.bias, l.B.W, g.L)
	if l.Act.NeedsInput() {
		g.col2im(&l.z, &l.cols)
		tensor.BiasAct(l.Act, &l.y, &l.z, l.bias)
	} else {
		g.col2im(&l.y, &l.cols)
		tensor.BiasAct(l.Act, &l.y, &l.y, l.bias)
	}
	return &l.y
}

// Backward adds the gradients of W and B and returns the gradient with
// respect to the input (nil if NoInputGrad).
func (l *ConvTranspose1d) Backward(dy *tensor.Mat) *tensor.Mat {
	if !tensor.SameShape(dy, &l.y) {
		panic(fmt.Sprintf("nn.ConvTranspose1d(%s).Backward: gradient %s, output was %s", l.W.Name, dy.Shape(), l.y.Shape()))
	}
	g := l.geom
	dz := dy
	if l.Act != tensor.Identity {
		tensor.ActBackward(l.Act, &l.dz, dy, &l.z, &l.y, nil)
		dz = &l.dz
	}
	sumChannels(l.B.G, dz, g.L)
	g.im2col(&l.dcols, dz)
	tensor.MatMulAcc(&l.gw, &l.xt, &l.dcols, true, false, 1, 1)
	if l.NoInputGrad {
		return nil
	}
	tensor.MatMul(&l.dxt, &l.dcols, &l.w, false, true)
	fromPositions(&l.dx, &l.dxt, l.In, l.lin)
	return &l.dx
}

// Predict sets dst to the layer's output for x without touching the
// training cache. dst must not be x.
func (l *ConvTranspose1d) Predict(dst, x *tensor.Mat) {
	g, L := l.geometry("Predict", x)
	toPositions(&l.pxt, x, l.In, L)
	tensor.MatMul(&l.pcols, &l.pxt, &l.w, false, false)
	l.pb = expandBias(l.pb, l.B.W, g.L)
	g.col2im(dst, &l.pcols)
	tensor.BiasAct(l.Act, dst, dst, l.pb)
}
