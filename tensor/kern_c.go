//go:build cgo && !purego

package tensor

/*
#cgo CFLAGS: -O3
#cgo LDFLAGS: -lm
#include "kernels.h"
*/
import "C"

import "unsafe"

// Native reports whether the elementwise kernels are the C (vectorised)
// implementation; false means the portable Go loops.
const Native = true

func fp(s []float32) *C.float {
	if len(s) == 0 {
		return nil
	}
	return (*C.float)(unsafe.Pointer(&s[0]))
}

// biasActBlock and actBackwardBlock process rows×cols values with row
// stride ld; the slices start at the block's first value.
func biasActBlock(act Activation, y, z, bias []float32, rows, cols, ld int) {
	if rows*cols == 0 {
		return
	}
	C.dwm_bias_act(C.int(act), fp(y), fp(z), fp(bias), C.long(rows), C.long(cols), C.long(ld))
}

func actBackwardBlock(act Activation, dz, dy, z, y, dbias []float32, rows, cols, ld int) {
	if rows*cols == 0 {
		return
	}
	C.dwm_act_backward(C.int(act), fp(dz), fp(dy), fp(z), fp(y), fp(dbias), C.long(rows), C.long(cols), C.long(ld))
}

func expTo(dst, src []float32) {
	if len(src) == 0 {
		return
	}
	C.dwm_exp(fp(dst), fp(src), C.long(len(src)))
}

func im2col(col, x []float32, B int, g ConvGeom) {
	if B == 0 {
		return
	}
	C.dwm_im2col(fp(col), fp(x), C.long(B), C.long(g.C), C.long(g.L), C.long(g.K), C.long(g.S), C.long(g.P), C.long(g.Lo))
}

func col2im(x, col []float32, B int, g ConvGeom) {
	if B == 0 {
		return
	}
	C.dwm_col2im(fp(x), fp(col), C.long(B), C.long(g.C), C.long(g.L), C.long(g.K), C.long(g.S), C.long(g.P), C.long(g.Lo))
}

func normForward(z, xhat, x, gamma, beta, rstd []float32, rows, cols, seg int, eps float32) {
	if rows*cols == 0 {
		return
	}
	C.dwm_norm_forward(fp(z), fp(xhat), fp(x), fp(gamma), fp(beta), fp(rstd), C.long(rows), C.long(cols), C.long(seg), C.float(eps))
}

func normBackward(dx, dz, xhat, gamma, rstd, dgamma, dbeta []float32, rows, cols, seg int) {
	if rows*cols == 0 {
		return
	}
	C.dwm_norm_backward(fp(dx), fp(dz), fp(xhat), fp(gamma), fp(rstd), fp(dgamma), fp(dbeta), C.long(rows), C.long(cols), C.long(seg))
}
