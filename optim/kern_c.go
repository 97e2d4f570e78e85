//go:build cgo && !purego

package optim

/*
#cgo CFLAGS: -O3
#cgo LDFLAGS: -lm
void dwm_adam(float *w, const float *g, float *m, float *v, long n,
              float b1, float b2, float step, float rbc2, float eps, float shrink, float l2);
*/
import "C"

import "unsafe"

// Native reports whether the fused update is the C (vectorised) kernel.
const Native = true

func adamUpdate(w, g, m, v []float32, k *kernelArgs) {
	if len(w) == 0 {
		return
	}
	_, _, _ = g[len(w)-1], m[len(w)-1], v[len(w)-1]
	C.dwm_adam((*C.float)(unsafe.Pointer(&w[0])), (*C.float)(unsafe.Pointer(&g[0])),
		(*C.float)(unsafe.Pointer(&m[0])), (*C.float)(unsafe.Pointer(&v[0])), C.long(len(w)),
		C.float(k.b1), C.float(k.b2), C.float(k.stepSize), C.float(k.rbc2), C.float(k.eps), C.float(k.shrink), C.float(k.l2))
}
