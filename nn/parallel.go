package nn

import "github.com/dwm-rl/dwm/internal/blas"

// minParallelWork is the smallest per-member multiply-add count for which
// ensemble members are run in parallel goroutines.
const minParallelWork = 64 * 64 * 64

// parallelMembers runs t.Run(k) for k in [0, K), spreading members over
// blas.Threads() goroutines when K > 1 and each member's work (multiply-adds)
// is at least minParallelWork; otherwise it runs them in order. Items use
// blas.SgemmSerial, one BLAS thread each.
func parallelMembers(K, work int, t blas.Task) {
	p := blas.Threads()
	if work < minParallelWork {
		p = 1
	}
	blas.ParallelFor(K, p, t)
}
