package tensor

import "fmt"

// Mat is a dense row-major float32 matrix: element (i, j) is
// Data[i*Cols+j]. len(Data) may exceed Rows*Cols (spare capacity kept by
// Resize); only the first Rows*Cols values are the matrix.
type Mat struct {
	Rows, Cols int
	Data       []float32
}

// New returns a zeroed r×c matrix. It panics if r or c is negative.
func New(r, c int) *Mat {
	if r < 0 || c < 0 {
		panic(fmt.Sprintf("tensor.New: negative shape %d×%d", r, c))
	}
	return &Mat{Rows: r, Cols: c, Data: make([]float32, r*c)}
}

// FromSlice wraps data (not copied) as an r×c matrix. It panics if
// len(data) < r*c.
func FromSlice(r, c int, data []float32) *Mat {
	if r < 0 || c < 0 || len(data) < r*c {
		panic(fmt.Sprintf("tensor.FromSlice: %d values cannot hold %d×%d", len(data), r, c))
	}
	return &Mat{Rows: r, Cols: c, Data: data}
}

// FromRows returns a matrix holding a copy of rows. It panics if the rows
// have different lengths.
func FromRows(rows [][]float32) *Mat {
	if len(rows) == 0 {
		return New(0, 0)
	}
	m := New(len(rows), len(rows[0]))
	for i, r := range rows {
		if len(r) != m.Cols {
			panic(fmt.Sprintf("tensor.FromRows: row %d has %d values, row 0 has %d", i, len(r), m.Cols))
		}
		copy(m.Data[i*m.Cols:], r)
	}
	return m
}

// Len returns Rows*Cols.
func (m *Mat) Len() int { return m.Rows * m.Cols }

// Values returns the matrix's Rows*Cols values, Data[:Rows*Cols].
func (m *Mat) Values() []float32 { return m.Data[:m.Rows*m.Cols] }

// Shape returns a string "r×c" for messages.
func (m *Mat) Shape() string { return fmt.Sprintf("%d×%d", m.Rows, m.Cols) }

// Resize makes m an r×c matrix, reusing Data's capacity when it suffices and
// otherwise allocating a larger backing slice (buffers grow, never shrink).
// The values are unspecified afterwards (they keep whatever was in memory).
// It returns m. It panics if r or c is negative.
func (m *Mat) Resize(r, c int) *Mat {
	if r < 0 || c < 0 {
		panic(fmt.Sprintf("tensor.Resize: negative shape %d×%d", r, c))
	}
	n := r * c
	if cap(m.Data) < n {
		m.Data = make([]float32, n)
	} else {
		m.Data = m.Data[:cap(m.Data)]
	}
	m.Rows, m.Cols = r, c
	return m
}

// Reshape reinterprets m's values as an r×c matrix without moving them. It
// returns m. It panics if r*c != m.Rows*m.Cols.
func (m *Mat) Reshape(r, c int) *Mat {
	if r < 0 || c < 0 || r*c != m.Rows*m.Cols {
		panic(fmt.Sprintf("tensor.Reshape: cannot reshape %s to %d×%d", m.Shape(), r, c))
	}
	m.Rows, m.Cols = r, c
	return m
}

// Row returns row i as a slice sharing m's memory. It panics if i is out of
// range.
func (m *Mat) Row(i int) []float32 {
	if i < 0 || i >= m.Rows {
		panic(fmt.Sprintf("tensor.Row: row %d out of range for %s", i, m.Shape()))
	}
	return m.Data[i*m.Cols : (i+1)*m.Cols : (i+1)*m.Cols]
}

// RowView returns rows [lo, hi) of m as a matrix sharing m's memory. It
// panics if the range is invalid.
func (m *Mat) RowView(lo, hi int) *Mat {
	v := new(Mat)
	m.RowViewInto(v, lo, hi)
	return v
}

// RowViewInto makes v a view of rows [lo, hi) of m without allocating. It
// panics if the range is invalid.
func (m *Mat) RowViewInto(v *Mat, lo, hi int) {
	if lo < 0 || hi < lo || hi > m.Rows {
		panic(fmt.Sprintf("tensor.RowView: rows [%d,%d) out of range for %s", lo, hi, m.Shape()))
	}
	v.Rows, v.Cols = hi-lo, m.Cols
	v.Data = m.Data[lo*m.Cols : hi*m.Cols : hi*m.Cols]
}

// At returns element (i, j).
func (m *Mat) At(i, j int) float32 { return m.Data[i*m.Cols+j] }

// Set sets element (i, j) to v.
func (m *Mat) Set(i, j int, v float32) { m.Data[i*m.Cols+j] = v }

// Zero sets every value to 0.
func (m *Mat) Zero() { clear(m.Data[:m.Rows*m.Cols]) }

// CopyFrom resizes m to src's shape and copies src's values into it.
func (m *Mat) CopyFrom(src *Mat) {
	m.Resize(src.Rows, src.Cols)
	copy(m.Data, src.Data[:src.Rows*src.Cols])
}

// Clone returns a new matrix with a copy of m's values.
func (m *Mat) Clone() *Mat {
	c := New(m.Rows, m.Cols)
	copy(c.Data, m.Data[:m.Rows*m.Cols])
	return c
}

// SameShape reports whether a and b have the same rows and columns.
func SameShape(a, b *Mat) bool { return a.Rows == b.Rows && a.Cols == b.Cols }

func mustSame(op string, a, b *Mat) {
	if a.Rows != b.Rows || a.Cols != b.Cols {
		panic(fmt.Sprintf("tensor.%s: shape mismatch %s vs %s", op, a.Shape(), b.Shape()))
	}
}
