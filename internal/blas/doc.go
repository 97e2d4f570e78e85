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
// blocks of C and runs them through ParallelFor on Threads() goroutines, each
// calling the single-threaded kernel. This keeps the thread count a per-call
// decision rather than a process-wide OpenBLAS setting, so that ensemble
// members can run concurrently with one BLAS thread each while a plain
// network uses both cores, and no spinning OpenBLAS pool competes with Go's
// scheduler. ParallelFor is also the pool that runs ensemble members,
// activation kernels and Adam chunks in the other packages.
//
// Settings, measured on the 2-core AMD EPYC (Zen 5, AVX-512) development
// machine with BenchmarkSgemm (see also scripts/bench.sh):
//
//   - Acting (batch 1): one thread. A 1×256×256 product takes about 2.7 µs on
//     one thread and gains nothing from a second; every product below
//     splitThreshold (256·64·64 multiply-adds) runs unsplit.
//   - Training (batch 256): Threads() workers, by default
//     runtime.GOMAXPROCS(0) (2 here). For
//     256×512×512 one thread reaches about 100 GFLOPS and two about 150
//     (wall time, quiet machine); for 256×23×256, 52 µs on one thread and 37 µs
//     on two.
//   - The split cuts the larger of m and n, because every block repacks the
//     whole operand it does not cut.
//   - Letting OpenBLAS thread a large product itself (openblas_set_num_threads(2)
//     around the call) was measured on 2026-11-23 and rejected: its results
//     are bitwise identical to the single-threaded ones (OpenBLAS cuts M and
//     N, never K), and on a quiet machine PyTorch's 2-thread OpenBLAS reaches
//     about 184 GFLOPS on 256×512×512 against about 147 for this split, but
//     on the shared machine (load average 15–20) its workers' barrier and
//     spin-waits collapsed it to 3–11 GFLOPS wall and 22–51 GFLOP per
//     CPU-second, against 14–33 GFLOPS and 68–76 GFLOP/cpu-s for the split,
//     and its spinning pool would compete with the Go workers that run
//     everything else. The training paths that matter (nn's MLP, the
//     diffusion ResMLP, ensemble members) instead give each goroutine whole
//     single-threaded products over its own rows (see package nn).
//
// The ceiling: a loop of independent 512-bit FMAs runs at about 113 GFLOPS
// per core on this machine (measured against thread CPU time, so other
// processes do not distort it), and single-threaded OpenBLAS sustains 85–90%
// of that on 256×512×512 (about 90–100 GFLOP per CPU-second). A hand-written
// 12×32 AVX-512 micro-kernel with GotoBLAS packing matched OpenBLAS within
// ±5% on every training shape, so OpenBLAS stays: the remaining time in a
// training step is packing, elementwise work and synchronisation, not the
// multiply kernel.
//
// Functions panic if sizes, leading dimensions or slice lengths are
// inconsistent: such calls are programmer errors.
package blas
