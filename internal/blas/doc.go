// Package blas is dwm's one small interface to single-precision matrix
// multiplication.
//
// Everything in dwm that multiplies matrices goes through Sgemm:
//
//	Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
//
// computes C = alpha*op(A)*op(B) + beta*C on row-major float32 slices, where
// op(X) is X or its transpose, op(A) is m×k, op(B) is k×n and C is m×n.
// SgemmSerial is the same operation on the calling goroutine only; it is safe to
// call from several goroutines at once (the ensemble layers in package nn run
// one member per goroutine this way).
//
// # Backends
//
// The default build (cgo enabled, no build tags) links OpenBLAS through cgo
// (#cgo LDFLAGS: -lopenblas) and calls cblas_sgemm. Building with the tag
// noopenblas, or with CGO_ENABLED=0, uses gonum's pure-Go implementation
// instead (3–6× slower on the shapes dwm uses, but needs no C toolchain).
// Backend names which one was compiled in.
//
// # Threads
//
// OpenBLAS's own thread pool is pinned to one thread at start-up. Parallelism
// is done here instead: Sgemm splits a large product into row (or column)
// blocks of C and runs them on Threads() goroutines, each calling the
// single-threaded kernel. This keeps the thread count a per-call decision
// rather than a process-wide OpenBLAS setting, so that ensemble members can run
// concurrently with one BLAS thread each while a plain network uses both cores,
// and no OpenBLAS thread pool ever competes with Go's scheduler.
//
// Measured on the 2-core AMD Zen5 machine this was developed on (see
// BenchmarkSgemm and scripts/bench.sh): products below splitThreshold
// multiply-adds (about 256×64×64) are faster on one thread because the
// goroutine hand-off costs more than it saves, so acting (batch 1) always runs
// on one thread; training batches (256 rows) use Threads() workers. The
// default is runtime.NumCPU() workers; SetThreads changes it.
//
// Functions panic if sizes, leading dimensions or slice lengths are
// inconsistent: such calls are programmer errors.
package blas
