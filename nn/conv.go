package nn

import (
	"fmt"

	"github.com/dwm-rl/dwm/internal/blas"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// A batch of 1-D signals with C channels of length L is a Mat of B rows and
// C·L columns, channel-major: sample b, channel c, position t is at
// (b, c·L + t). Conv1d, ConvTranspose1d and GroupNorm use this layout and
// infer L from the column count.

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

	geom          tensor.ConvGeom
	w             tensor.Mat // W as Out × (In·K)
	gw            tensor.Mat
	col, zc, z, y tensor.Mat
	dz, dzc, dcol tensor.Mat
	dx            tensor.Mat
	bias          []float32
	pcol, pzc     tensor.Mat // Predict's scratch
	pb            []float32
	bounds        [][2]int    // ForwardPart's parts: rows [lo, hi) by index
	xin           *tensor.Mat // ForwardPart's input
	own           Scratch     // the part path's scratch when a Part has none
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

func (l *Conv1d) geometry(op string, x *tensor.Mat) tensor.ConvGeom {
	if x.Cols%l.In != 0 || l.OutLen(x.Cols/l.In) < 1 {
		panic(fmt.Sprintf("nn.Conv1d(%s).%s: input %s is not %d channels of a length ≥ %d", l.W.Name, op, x.Shape(), l.In, l.K-2*l.Pad))
	}
	L := x.Cols / l.In
	return tensor.ConvGeom{C: l.In, L: L, K: l.K, S: l.Stride, P: l.Pad, Lo: l.OutLen(L)}
}

// Forward convolves x (B × In·L) into a B × Out·Lout buffer.
func (l *Conv1d) Forward(x *tensor.Mat) *tensor.Mat {
	g := l.geometry("Forward", x)
	l.geom = g
	tensor.Im2Col(&l.col, x, g)
	tensor.MatMul(&l.zc, &l.w, &l.col, false, false)
	l.bias = expandBias(l.bias, l.B.W, g.Lo)
	if l.Act.NeedsInput() {
		tensor.FromChannels(&l.z, &l.zc, l.Out, g.Lo)
		tensor.BiasAct(l.Act, &l.y, &l.z, l.bias)
	} else {
		tensor.FromChannels(&l.y, &l.zc, l.Out, g.Lo)
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
	tensor.ToChannels(&l.dzc, dz, l.Out, g.Lo)
	tensor.MatMulAcc(&l.gw, &l.dzc, &l.col, false, true, 1, 1)
	if l.NoInputGrad {
		return nil
	}
	tensor.MatMul(&l.dcol, &l.w, &l.dzc, true, false)
	tensor.Col2Im(&l.dx, &l.dcol, g)
	return &l.dx
}

// Predict sets dst to the layer's output for x without touching the
// training cache. dst must not be x.
func (l *Conv1d) Predict(dst, x *tensor.Mat) {
	g := l.geometry("Predict", x)
	tensor.Im2Col(&l.pcol, x, g)
	l.pb = expandBias(l.pb, l.B.W, g.Lo)
	tensor.MatMul(&l.pzc, &l.w, &l.pcol, false, false)
	tensor.FromChannels(dst, &l.pzc, l.Out, g.Lo)
	tensor.BiasAct(l.Act, dst, dst, l.pb)
}

// Scratch holds the temporary matrices of PredictSerial calls. Layers
// evaluated one after another on one goroutine can share one Scratch: its
// buffers then stay in cache from layer to layer, where each layer's own
// buffers (one column matrix per convolution) would be evicted between uses.
// The zero value is ready to use.
type Scratch struct{ col, out tensor.Mat }

// PredictSerial is Predict on the calling goroutine only (its product and
// activation are never split across threads), for callers that already run
// one work item per thread, with its temporary matrices in s (nil: the
// layer's own).
func (l *Conv1d) PredictSerial(dst, x *tensor.Mat, s *Scratch) {
	g := l.geometry("Predict", x)
	col, zc := &l.pcol, &l.pzc
	if s != nil {
		col, zc = &s.col, &s.out
	}
	tensor.Im2Col(col, x, g)
	l.pb = expandBias(l.pb, l.B.W, g.Lo)
	n, ck := col.Cols, col.Rows
	zc.Resize(l.Out, n)
	blas.SgemmSerial(false, false, l.Out, n, ck, 1, l.W.W, ck, col.Data, n, 0, zc.Data, n)
	tensor.FromChannels(dst, zc, l.Out, g.Lo)
	tensor.BiasActSerial(l.Act, dst, dst, l.pb)
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

	geom               tensor.ConvGeom // geometry of the output as a conv input
	lin                int
	w, gw              tensor.Mat // W as In × (Out·K)
	xc, cols, z, y     tensor.Mat
	dz, dcols, dxc, dx tensor.Mat
	bias, pb           []float32
	pxc, pcols         tensor.Mat
	dzp                *tensor.Mat // BackwardPart's gradient before the bias
	bounds             [][2]int    // ForwardPart's parts: rows [lo, hi) by index
	own                Scratch     // the part path's scratch when a Part has none
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

func (l *ConvTranspose1d) geometry(op string, x *tensor.Mat) (tensor.ConvGeom, int) {
	if x.Cols%l.In != 0 || x.Cols == 0 || l.OutLen(x.Cols/l.In) < 1 {
		panic(fmt.Sprintf("nn.ConvTranspose1d(%s).%s: input %s is not %d channels of a usable length", l.W.Name, op, x.Shape(), l.In))
	}
	L := x.Cols / l.In
	return tensor.ConvGeom{C: l.Out, L: l.OutLen(L), K: l.K, S: l.Stride, P: l.Pad, Lo: L}, L
}

// Forward computes the transposed convolution of x (B × In·L) into a
// B × Out·Lout buffer.
func (l *ConvTranspose1d) Forward(x *tensor.Mat) *tensor.Mat {
	g, L := l.geometry("Forward", x)
	l.geom, l.lin = g, L
	tensor.ToChannels(&l.xc, x, l.In, L)
	tensor.MatMul(&l.cols, &l.w, &l.xc, true, false)
	l.bias = expandBias(l.bias, l.B.W, g.L)
	if l.Act.NeedsInput() {
		tensor.Col2Im(&l.z, &l.cols, g)
		tensor.BiasAct(l.Act, &l.y, &l.z, l.bias)
	} else {
		tensor.Col2Im(&l.y, &l.cols, g)
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
	tensor.Im2Col(&l.dcols, dz, g)
	tensor.MatMulAcc(&l.gw, &l.xc, &l.dcols, false, true, 1, 1)
	if l.NoInputGrad {
		return nil
	}
	tensor.MatMul(&l.dxc, &l.w, &l.dcols, false, false)
	tensor.FromChannels(&l.dx, &l.dxc, l.In, l.lin)
	return &l.dx
}

// Predict sets dst to the layer's output for x without touching the
// training cache. dst must not be x.
func (l *ConvTranspose1d) Predict(dst, x *tensor.Mat) {
	g, L := l.geometry("Predict", x)
	tensor.ToChannels(&l.pxc, x, l.In, L)
	l.pb = expandBias(l.pb, l.B.W, g.L)
	tensor.MatMul(&l.pcols, &l.w, &l.pxc, true, false)
	tensor.Col2Im(dst, &l.pcols, g)
	tensor.BiasAct(l.Act, dst, dst, l.pb)
}

// PredictSerial is Predict on the calling goroutine only (its product and
// activation are never split across threads), for callers that already run
// one work item per thread, with its temporary matrices in s (nil: the
// layer's own).
func (l *ConvTranspose1d) PredictSerial(dst, x *tensor.Mat, s *Scratch) {
	g, L := l.geometry("Predict", x)
	xc, cols := &l.pxc, &l.pcols
	if s != nil {
		xc, cols = &s.out, &s.col
	}
	tensor.ToChannels(xc, x, l.In, L)
	l.pb = expandBias(l.pb, l.B.W, g.L)
	n, ok := xc.Cols, l.Out*l.K
	cols.Resize(ok, n)
	blas.SgemmSerial(true, false, ok, n, l.In, 1, l.W.W, ok, xc.Data, n, 0, cols.Data, n)
	tensor.Col2Im(dst, cols, g)
	tensor.BiasActSerial(l.Act, dst, dst, l.pb)
}
