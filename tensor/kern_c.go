//go:build cgo && !purego

package tensor

/*
#cgo CFLAGS: -O3
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
