package tensor

import (
	"fmt"

	"github.com/dwm-rl/dwm/internal/blas"
)

func opShape(m *Mat, trans bool) (int, int) {
	if trans {
		return m.Cols, m.Rows
	}
	return m.Rows, m.Cols
}

// MatMul sets dst = op(a)·op(b), where op(x) is x or, if the matching trans
// flag is set, its transpose. dst is resized to the result's shape and must
// not share memory with a or b. It panics if the inner dimensions differ.
func MatMul(dst, a, b *Mat, transA, transB bool) {
	m, k := opShape(a, transA)
	k2, n := opShape(b, transB)
	if k != k2 {
		panic(fmt.Sprintf("tensor.MatMul: inner dimensions differ: op(a) %d×%d, op(b) %d×%d", m, k, k2, n))
	}
	dst.Resize(m, n)
	gemm(transA, transB, m, n, k, 1, a, b, 0, dst)
}

// MatMulAcc sets dst = alpha·op(a)·op(b) + beta·dst. dst must already have
// the result's shape and must not share memory with a or b. It panics if the
// shapes do not fit.
func MatMulAcc(dst, a, b *Mat, transA, transB bool, alpha, beta float32) {
	m, k := opShape(a, transA)
	k2, n := opShape(b, transB)
	if k != k2 || dst.Rows != m || dst.Cols != n {
		panic(fmt.Sprintf("tensor.MatMulAcc: shapes do not fit: op(a) %d×%d, op(b) %d×%d, dst %s", m, k, k2, n, dst.Shape()))
	}
	gemm(transA, transB, m, n, k, alpha, a, b, beta, dst)
}

func gemm(transA, transB bool, m, n, k int, alpha float32, a, b *Mat, beta float32, c *Mat) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		if beta == 0 {
			c.Zero()
		} else {
			Scale(c, c, beta)
		}
		return
	}
	blas.Sgemm(transA, transB, m, n, k, alpha, a.Data, max(a.Cols, 1), b.Data, max(b.Cols, 1), beta, c.Data, max(c.Cols, 1))
}

// Transpose sets dst = aᵀ. dst is resized and must not share memory with a.
func Transpose(dst, a *Mat) {
	dst.Resize(a.Cols, a.Rows)
	r, c := a.Rows, a.Cols
	for i := 0; i < r; i++ {
		row := a.Data[i*c : (i+1)*c]
		for j, v := range row {
			dst.Data[j*r+i] = v
		}
	}
}

// AddRowVec sets dst = a + v with v added to every row (a bias add). dst is
// resized to a's shape and may be a itself. It panics if len(v) != a.Cols.
func AddRowVec(dst, a *Mat, v []float32) {
	if len(v) != a.Cols {
		panic(fmt.Sprintf("tensor.AddRowVec: vector of %d values for %s", len(v), a.Shape()))
	}
	if dst != a {
		dst.Resize(a.Rows, a.Cols)
	}
	c := a.Cols
	for i := 0; i < a.Rows; i++ {
		src := a.Data[i*c : (i+1)*c]
		out := dst.Data[i*c : (i+1)*c]
		out = out[:len(src)]
		v := v[:len(src)]
		for j := range src {
			out[j] = src[j] + v[j]
		}
	}
}

// SumRows sets dst[j] = Σ_i a[i, j] (the gradient of a bias). It panics if
// len(dst) != a.Cols.
func SumRows(dst []float32, a *Mat) {
	if len(dst) != a.Cols {
		panic(fmt.Sprintf("tensor.SumRows: dst has %d values for %s", len(dst), a.Shape()))
	}
	clear(dst)
	AddSumRows(dst, a)
}

// AddSumRows adds the column sums of a to dst: dst[j] += Σ_i a[i, j]. It
// panics if len(dst) != a.Cols.
func AddSumRows(dst []float32, a *Mat) {
	if len(dst) != a.Cols {
		panic(fmt.Sprintf("tensor.AddSumRows: dst has %d values for %s", len(dst), a.Shape()))
	}
	c := a.Cols
	for i := 0; i < a.Rows; i++ {
		row := a.Data[i*c : (i+1)*c]
		d := dst[:len(row)]
		for j, v := range row {
			d[j] += v
		}
	}
}

func prep2(op string, dst, a, b *Mat) ([]float32, []float32, []float32) {
	mustSame(op, a, b)
	if dst != a && dst != b {
		dst.Resize(a.Rows, a.Cols)
	}
	n := a.Rows * a.Cols
	return dst.Data[:n], a.Data[:n], b.Data[:n]
}

// Add sets dst = a + b elementwise. dst is resized to a's shape and may be a
// or b. It panics if a and b differ in shape.
func Add(dst, a, b *Mat) {
	d, x, y := prep2("Add", dst, a, b)
	y = y[:len(x)]
	d = d[:len(x)]
	for i := range x {
		d[i] = x[i] + y[i]
	}
}

// Sub sets dst = a - b elementwise. dst is resized to a's shape and may be a
// or b. It panics if a and b differ in shape.
func Sub(dst, a, b *Mat) {
	d, x, y := prep2("Sub", dst, a, b)
	y = y[:len(x)]
	d = d[:len(x)]
	for i := range x {
		d[i] = x[i] - y[i]
	}
}

// Mul sets dst = a ⊙ b (elementwise product). dst is resized to a's shape and
// may be a or b. It panics if a and b differ in shape.
func Mul(dst, a, b *Mat) {
	d, x, y := prep2("Mul", dst, a, b)
	y = y[:len(x)]
	d = d[:len(x)]
	for i := range x {
		d[i] = x[i] * y[i]
	}
}

// AddScaled sets dst = a + s·b elementwise. dst is resized to a's shape and
// may be a or b. It panics if a and b differ in shape.
func AddScaled(dst, a *Mat, s float32, b *Mat) {
	d, x, y := prep2("AddScaled", dst, a, b)
	y = y[:len(x)]
	d = d[:len(x)]
	for i := range x {
		d[i] = x[i] + s*y[i]
	}
}

// Scale sets dst = s·a. dst is resized to a's shape and may be a.
func Scale(dst, a *Mat, s float32) {
	if dst != a {
		dst.Resize(a.Rows, a.Cols)
	}
	n := a.Rows * a.Cols
	x := a.Data[:n]
	d := dst.Data[:n]
	for i := range x {
		d[i] = s * x[i]
	}
}

// Fill sets every value of m to v.
func Fill(m *Mat, v float32) {
	d := m.Data[:m.Rows*m.Cols]
	for i := range d {
		d[i] = v
	}
}

// Dot returns Σ a[i]·b[i] accumulated in float64. It panics if the lengths
// differ.
func Dot(a, b []float32) float64 {
	if len(a) != len(b) {
		panic(fmt.Sprintf("tensor.Dot: lengths %d and %d differ", len(a), len(b)))
	}
	var s float64
	for i, v := range a {
		s += float64(v) * float64(b[i])
	}
	return s
}

// Axpy sets y += alpha·x. It panics if the lengths differ.
func Axpy(y []float32, alpha float32, x []float32) {
	if len(x) != len(y) {
		panic(fmt.Sprintf("tensor.Axpy: lengths %d and %d differ", len(x), len(y)))
	}
	for i, v := range x {
		y[i] += alpha * v
	}
}
