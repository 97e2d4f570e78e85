//go:build flopcount

package blas

import "sync/atomic"

// flops counts the floating-point operations of every product since the
// program started; only a `-tags flopcount` build has it (benchmarks use it
// to report GFLOP per CPU-second for networks whose FLOPs are tedious to
// count by hand, such as the temporal U-Net).
var flops atomic.Uint64

// FlopCounting reports whether this build counts product FLOPs.
const FlopCounting = true

func countFlops(m, n, k int) { flops.Add(uint64(2 * m * n * k)) }

// Flops returns the floating-point operations (2·m·n·k per product) of
// every Sgemm and SgemmSerial call so far.
func Flops() uint64 { return flops.Load() }
