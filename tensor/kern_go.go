//go:build !cgo || purego

package tensor

// Native reports whether the elementwise kernels are the C (vectorised)
// implementation; false means the portable Go loops.
const Native = false

func biasActBlock(act Activation, y, z, bias []float32, rows, cols, ld int) {
	biasActGo(act, y, z, bias, rows, cols, ld)
}

func actBackwardBlock(act Activation, dz, dy, z, y, dbias []float32, rows, cols, ld int) {
	actBackwardGo(act, dz, dy, z, y, dbias, rows, cols, ld)
}

func expTo(dst, src []float32) { expToGo(dst, src) }
