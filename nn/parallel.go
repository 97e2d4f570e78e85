package nn

import (
	"sync"

	"github.com/dwm-rl/dwm/internal/blas"
)

// minParallelWork is the smallest per-member multiply-add count for which
// ensemble members are run in parallel goroutines.
const minParallelWork = 64 * 64 * 64

// parallelMembers calls f(k) for k in [0, K), spreading members over
// blas.Threads() goroutines when K > 1 and each member's work (multiply-adds)
// is at least minParallelWork; otherwise it runs them in order.
func parallelMembers(K, work int, f func(k int)) {
	p := min(blas.Threads(), K)
	if p <= 1 || work < minParallelWork {
		for k := 0; k < K; k++ {
			f(k)
		}
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		k := next
		next++
		return k
	}
	worker := func() {
		for k := take(); k < K; k = take() {
			f(k)
		}
	}
	for w := 1; w < p; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			worker()
		}()
	}
	worker()
	wg.Wait()
}
