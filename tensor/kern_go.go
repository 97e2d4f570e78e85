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

func im2col(col, x []float32, B int, g ConvGeom) { im2colGo(col, x, B, g) }

func col2im(x, col []float32, B int, g ConvGeom) { col2imGo(x, col, B, g) }

func normForward(z, xhat, x, gamma, beta, rstd []float32, rows, cols, seg int, eps float32) {
	normForwardGo(z, xhat, x, gamma, beta, rstd, rows, cols, seg, eps)
}

func normBackward(dx, dz, xhat, gamma, rstd, dgamma, dbeta []float32, rows, cols, seg int) {
	normBackwardGo(dx, dz, xhat, gamma, rstd, dgamma, dbeta, rows, cols, seg)
}
