package blas

import (
	"sync"
	"sync/atomic"
)

// Task is work split into independent items, run by ParallelFor.
type Task interface {
	// Run does item i. Items may run concurrently on different goroutines.
	Run(i int)
}

// batch is one ParallelFor call shared with the workers it was sent to.
type batch struct {
	task Task
	n    int
	next atomic.Int64
	wg   sync.WaitGroup
}

func (b *batch) work() {
	for {
		i := int(b.next.Add(1) - 1)
		if i >= b.n {
			return
		}
		b.task.Run(i)
	}
}

var (
	// free holds idle batches (a free list rather than a sync.Pool, which
	// the garbage collector empties, so steady state never allocates).
	freeMu  sync.Mutex
	free    []*batch
	workCh  = make(chan *batch, 64)
	workMu  sync.Mutex
	workers int
)

func ensureWorkers(n int) {
	workMu.Lock()
	defer workMu.Unlock()
	for ; workers < n; workers++ {
		go func() {
			for b := range workCh {
				b.work()
				b.wg.Done()
			}
		}()
	}
}

// ParallelFor runs t.Run(i) for every i in [0, n) on up to p goroutines (the
// caller and p-1 long-lived workers), returning when all items are done. It
// does not allocate in steady state when t is a pointer. Items must not call
// ParallelFor or Sgemm themselves (use SgemmSerial inside items): nested
// calls can deadlock once every worker waits for another.
func ParallelFor(n, p int, t Task) {
	p = min(p, n)
	if p <= 1 {
		for i := 0; i < n; i++ {
			t.Run(i)
		}
		return
	}
	ensureWorkers(p - 1)
	b := getBatch()
	b.task, b.n = t, n
	b.next.Store(0)
	b.wg.Add(p - 1)
	for w := 1; w < p; w++ {
		workCh <- b
	}
	b.work()
	b.wg.Wait()
	b.task = nil
	freeMu.Lock()
	free = append(free, b)
	freeMu.Unlock()
}

func getBatch() *batch {
	freeMu.Lock()
	defer freeMu.Unlock()
	if n := len(free); n > 0 {
		b := free[n-1]
		free = free[:n-1]
		return b
	}
	return new(batch)
}
