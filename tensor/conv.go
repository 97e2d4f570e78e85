package tensor

import "fmt"

// ConvGeom describes the column matrix of a 1-D convolution over
// channel-major signals (a batch of B signals with C channels of length L is
// a B × (C·L) Mat): kernel K, stride S, zero padding P, Lo output positions.
//
// The column matrix is channel-first, (C·K) × (B·Lo): row c·K+j holds, for
// every sample b and output position t (column b·Lo+t), the input value
// x[b, c·L + t·S+j-P], or zero outside the signal. A convolution with weights
// W (Out × C·K) is then the single product W·col.
type ConvGeom struct{ C, L, K, S, P, Lo int }

// NewConvGeom returns the geometry for a C-channel signal of length L,
// kernel k, stride s and padding p. It panics if the output would be empty
// or a size is invalid.
func NewConvGeom(c, l, k, s, p int) ConvGeom {
	if c <= 0 || l <= 0 || k <= 0 || s <= 0 || p < 0 || l+2*p < k {
		panic(fmt.Sprintf("tensor.NewConvGeom: channels %d, length %d, kernel %d, stride %d, pad %d", c, l, k, s, p))
	}
	return ConvGeom{C: c, L: l, K: k, S: s, P: p, Lo: (l+2*p-k)/s + 1}
}

// span returns the output positions [t0, t1) whose input position t·S+j-P
// lies inside the signal.
func (g ConvGeom) span(j int) (int, int) {
	off := j - g.P
	t0 := 0
	if off < 0 {
		t0 = (-off + g.S - 1) / g.S
	}
	t1 := g.Lo
	if last := g.L - 1 - off; last < 0 {
		t1 = 0
	} else if m := last/g.S + 1; m < t1 {
		t1 = m
	}
	return t0, max(t0, t1)
}

// Im2Col sets col (resized to (C·K) × (B·Lo)) from x (B × C·L). It panics if
// x.Cols != C·L.
func Im2Col(col, x *Mat, g ConvGeom) {
	if x.Cols != g.C*g.L {
		panic(fmt.Sprintf("tensor.Im2Col: input %s is not %d channels of length %d", x.Shape(), g.C, g.L))
	}
	col.Resize(g.C*g.K, x.Rows*g.Lo)
	im2col(col.Data, x.Data, x.Rows, g)
}

// Col2Im sets x (resized to B × C·L, B = col.Cols/Lo) to the adjoint of
// Im2Col applied to col: every entry of col is added to the input position
// it was read from. It panics if col's shape does not fit g.
func Col2Im(x, col *Mat, g ConvGeom) {
	if col.Rows != g.C*g.K || col.Cols%g.Lo != 0 {
		panic(fmt.Sprintf("tensor.Col2Im: column matrix %s does not fit %+v", col.Shape(), g))
	}
	B := col.Cols / g.Lo
	x.Resize(B, g.C*g.L)
	col2im(x.Data, col.Data, B, g)
}

func im2colGo(col, x []float32, B int, g ConvGeom) {
	n := B * g.Lo
	for c := 0; c < g.C; c++ {
		for j := 0; j < g.K; j++ {
			row := col[(c*g.K+j)*n : (c*g.K+j+1)*n]
			t0, t1 := g.span(j)
			off := j - g.P
			for b := 0; b < B; b++ {
				dst := row[b*g.Lo : (b+1)*g.Lo]
				xc := x[b*g.C*g.L+c*g.L : b*g.C*g.L+(c+1)*g.L]
				clear(dst[:t0])
				clear(dst[t1:])
				if g.S == 1 {
					copy(dst[t0:t1], xc[t0+off:t1+off])
					continue
				}
				for t := t0; t < t1; t++ {
					dst[t] = xc[t*g.S+off]
				}
			}
		}
	}
}

func col2imGo(x, col []float32, B int, g ConvGeom) {
	n := B * g.Lo
	clear(x[:B*g.C*g.L])
	for c := 0; c < g.C; c++ {
		for j := 0; j < g.K; j++ {
			row := col[(c*g.K+j)*n : (c*g.K+j+1)*n]
			t0, t1 := g.span(j)
			off := j - g.P
			for b := 0; b < B; b++ {
				src := row[b*g.Lo+t0 : b*g.Lo+t1]
				xc := x[b*g.C*g.L+c*g.L : b*g.C*g.L+(c+1)*g.L]
				if g.S == 1 {
					dst := xc[t0+off : t1+off]
					dst = dst[:len(src)]
					for i, v := range src {
						dst[i] += v
					}
					continue
				}
				for i, v := range src {
					xc[(t0+i)*g.S+off] += v
				}
			}
		}
	}
}

// ToChannels sets dst (resized to C × (B·L)) from src (B × C·L): row c of dst
// holds channel c of every sample in turn. It panics if src.Cols != C·L.
func ToChannels(dst, src *Mat, C, L int) {
	if src.Cols != C*L {
		panic(fmt.Sprintf("tensor.ToChannels: %s is not %d channels of length %d", src.Shape(), C, L))
	}
	B := src.Rows
	dst.Resize(C, B*L)
	for b := 0; b < B; b++ {
		for c := 0; c < C; c++ {
			copy(dst.Data[c*B*L+b*L:c*B*L+(b+1)*L], src.Data[b*C*L+c*L:b*C*L+(c+1)*L])
		}
	}
}

// FromChannels is the inverse of ToChannels: dst (resized to B × C·L) from
// src (C × (B·L)). It panics if src's shape does not fit.
func FromChannels(dst, src *Mat, C, L int) {
	if src.Rows != C || src.Cols%L != 0 {
		panic(fmt.Sprintf("tensor.FromChannels: %s is not %d channel rows of length-%d blocks", src.Shape(), C, L))
	}
	B := src.Cols / L
	dst.Resize(B, C*L)
	for b := 0; b < B; b++ {
		for c := 0; c < C; c++ {
			copy(dst.Data[b*C*L+c*L:b*C*L+(c+1)*L], src.Data[c*B*L+b*L:c*B*L+(b+1)*L])
		}
	}
}
