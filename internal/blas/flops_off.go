//go:build !flopcount

package blas

// FlopCounting reports whether this build counts product FLOPs (build with
// `-tags flopcount` to turn it on).
const FlopCounting = false

func countFlops(m, n, k int) {}

// Flops returns 0: this build does not count FLOPs (see FlopCounting).
func Flops() uint64 { return 0 }
