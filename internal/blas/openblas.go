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
	if k > 0 && (m == 1 || n == 1) {
		// A matrix-vector product: OpenBLAS's sgemv skips sgemm's packing
		// buffers. (A hand-written AVX-512 row-vector kernel was no faster:
		// streaming the 256 KB of a 256×256 weight matrix from L2 bounds it.)
		gemv(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
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

func gemv(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	pa := (*C.float)(unsafe.Pointer(&a[0]))
	pb := (*C.float)(unsafe.Pointer(&b[0]))
	pc := (*C.float)(unsafe.Pointer(&c[0]))
	if m == 1 {
		// c (1×n) = x·op(B) with x = row 0 of op(A): c = op(B)ᵀ·x.
		incx := 1
		if transA {
			incx = lda
		}
		if transB { // B is n×k: c = B·x
			C.cblas_sgemv(C.CblasRowMajor, C.CblasNoTrans, C.blasint(n), C.blasint(k), C.float(alpha), pb, C.blasint(ldb), pa, C.blasint(incx), C.float(beta), pc, 1)
		} else { // B is k×n: c = Bᵀ·x
			C.cblas_sgemv(C.CblasRowMajor, C.CblasTrans, C.blasint(k), C.blasint(n), C.float(alpha), pb, C.blasint(ldb), pa, C.blasint(incx), C.float(beta), pc, 1)
		}
		return
	}
	// n == 1: c (m×1, stride ldc) = op(A)·v with v = column 0 of op(B).
	incv := ldb
	if transB {
		incv = 1
	}
	if transA { // A is k×m: c = Aᵀ·v
		C.cblas_sgemv(C.CblasRowMajor, C.CblasTrans, C.blasint(k), C.blasint(m), C.float(alpha), pa, C.blasint(lda), pb, C.blasint(incv), C.float(beta), pc, C.blasint(ldc))
	} else {
		C.cblas_sgemv(C.CblasRowMajor, C.CblasNoTrans, C.blasint(m), C.blasint(k), C.float(alpha), pa, C.blasint(lda), pb, C.blasint(incv), C.float(beta), pc, C.blasint(ldc))
	}
}
