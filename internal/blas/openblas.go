//go:build cgo && !noopenblas

package blas

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>

extern void openblas_set_num_threads(int);
*/
import "C"

import "unsafe"

// Backend names the compiled-in matrix multiply implementation.
const Backend = "openblas"

func initBackend() {
	// Parallelism is done by Sgemm itself (see the package comment).
	C.openblas_set_num_threads(1)
}

func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ta, tb := C.enum_CBLAS_TRANSPOSE(C.CblasNoTrans), C.enum_CBLAS_TRANSPOSE(C.CblasNoTrans)
	if transA {
		ta = C.CblasTrans
	}
	if transB {
		tb = C.CblasTrans
	}
	var pa, pb *C.float
	if k > 0 {
		pa = (*C.float)(unsafe.Pointer(&a[0]))
		pb = (*C.float)(unsafe.Pointer(&b[0]))
	}
	C.cblas_sgemm(C.CblasRowMajor, ta, tb, C.blasint(m), C.blasint(n), C.blasint(k),
		C.float(alpha), pa, C.blasint(lda), pb, C.blasint(ldb),
		C.float(beta), (*C.float)(unsafe.Pointer(&c[0])), C.blasint(ldc))
}
