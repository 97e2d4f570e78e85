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
//
// The caller waits only until every item is done, not until every worker it
// notified has woken up: on a loaded machine a descheduled worker must not
// hold the caller back when the caller has done the items itself. The batch
// is therefore reference counted (the caller plus one reference per
// notification) and goes back to the free list when the last participant
// lets go of it.
type batch struct {
	task     Task
	n        int64
	next     atomic.Int64
	done     atomic.Int64
	refs     atomic.Int32
	finished chan struct{}
}

func (b *batch) work() {
	for {
		i := b.next.Add(1) - 1
		if i >= b.n {
			return
		}
		b.task.Run(int(i))
		if b.done.Add(1) == b.n {
			b.finished <- struct{}{}
		}
	}
}

func (b *batch) release() {
	if b.refs.Add(-1) == 0 {
		b.task = nil
		freeMu.Lock()
		free = append(free, b)
		freeMu.Unlock()
	}
}

var (
	// free holds idle batches (a free list rather than a sync.Pool, which
	// the garbage collector empties, so steady state never allocates).
	freeMu  sync.Mutex
	free    []*batch
	workCh  = make(chan *batch, 256)
	workMu  sync.Mutex
	workers int
)

// sparePerWorker is how many batches are preallocated per worker. Each
// notification a lagging worker has not yet picked up holds its batch; when
// all are held, ParallelFor runs the items on the caller instead of
// allocating more.
const sparePerWorker = 32

func ensureWorkers(n int) {
	workMu.Lock()
	defer workMu.Unlock()
	for ; workers < n; workers++ {
		freeMu.Lock()
		for range sparePerWorker {
			free = append(free, &batch{finished: make(chan struct{}, 1)})
		}
		freeMu.Unlock()
		go func() {
			for b := range workCh {
				b.work()
				b.release()
			}
		}()
	}
}

// getBatch returns an idle batch, or nil if all are still held by lagging
// workers.
func getBatch() *batch {
	freeMu.Lock()
	defer freeMu.Unlock()
	if n := len(free); n > 0 {
		b := free[n-1]
		free = free[:n-1]
		return b
	}
	return nil
}

// ParallelFor runs t.Run(i) for every i in [0, n) on up to p goroutines (the
// caller and p-1 long-lived workers), returning when all items are done.
// Items are claimed dynamically, so a slow or descheduled goroutine delays
// only the item it is running, and the caller never waits for a worker that
// has not started. Nested calls (an item calling ParallelFor or Sgemm) are
// safe: the inner caller does whatever no idle worker picks up. It does not
// allocate in steady state when t is a pointer.
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
	if b == nil {
		// The workers are far behind (an overloaded machine): running the
		// items here is as fast as waiting for them and allocates nothing.
		for i := 0; i < n; i++ {
			t.Run(i)
		}
		return
	}
	b.task, b.n = t, int64(n)
	b.next.Store(0)
	b.done.Store(0)
	b.refs.Store(int32(p))
	for w := 1; w < p; w++ {
		select {
		case workCh <- b:
		default:
			// Every worker is far behind: do without this one.
			b.release()
		}
	}
	b.work()
	<-b.finished
	b.release()
}
