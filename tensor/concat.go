package tensor

import "fmt"

// ConcatCols sets dst to the column-wise concatenation [a | b | ...] of
// matrices with the same number of rows (e.g. a critic's input [state,
// action]). dst is resized and must not be one of the inputs. It panics if
// the row counts differ.
func ConcatCols(dst *Mat, parts ...*Mat) {
	if len(parts) == 0 {
		dst.Resize(0, 0)
		return
	}
	rows, cols := parts[0].Rows, 0
	for _, p := range parts {
		if p.Rows != rows {
			panic(fmt.Sprintf("tensor.ConcatCols: %s and %s differ in rows", parts[0].Shape(), p.Shape()))
		}
		cols += p.Cols
	}
	dst.Resize(rows, cols)
	for i := 0; i < rows; i++ {
		out := dst.Data[i*cols : (i+1)*cols]
		o := 0
		for _, p := range parts {
			o += copy(out[o:], p.Data[i*p.Cols:(i+1)*p.Cols])
		}
	}
}

// ColSlice sets dst to columns [c0, c1) of src (e.g. dQ/da from the input
// gradient of a critic fed [state, action]). dst is resized and must not be
// src. It panics if the range is invalid.
func ColSlice(dst, src *Mat, c0, c1 int) {
	if c0 < 0 || c1 < c0 || c1 > src.Cols {
		panic(fmt.Sprintf("tensor.ColSlice: columns [%d,%d) out of range for %s", c0, c1, src.Shape()))
	}
	w := c1 - c0
	dst.Resize(src.Rows, w)
	for i := 0; i < src.Rows; i++ {
		copy(dst.Data[i*w:(i+1)*w], src.Data[i*src.Cols+c0:i*src.Cols+c1])
	}
}
