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

func biasAct(act Activation, y, z, bias []float32, rows, cols int) {
	if rows*cols == 0 {
		return
	}
	C.dwm_bias_act(C.int(act), fp(y), fp(z), fp(bias), C.long(rows), C.long(cols))
}

func actBackward(act Activation, dz, dy, z, y, dbias []float32, rows, cols int) {
	if rows*cols == 0 {
		return
	}
	C.dwm_act_backward(C.int(act), fp(dz), fp(dy), fp(z), fp(y), fp(dbias), C.long(rows), C.long(cols))
}

func expTo(dst, src []float32) {
	if len(src) == 0 {
		return
	}
	C.dwm_exp(fp(dst), fp(src), C.long(len(src)))
}
