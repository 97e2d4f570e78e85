package blas

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// threads is the number of goroutines Sgemm may use for one product; 0
// means runtime.GOMAXPROCS(0).
var threads atomic.Int32

func init() { initBackend() }

// SetThreads sets how many goroutines Sgemm (and the parallel loops of the
// packages built on it) may use. n < 1 restores the default, which follows
// runtime.GOMAXPROCS(0) (so GOMAXPROCS, go test -cpu and container CPU limits
// apply). It is safe to call at any time.
func SetThreads(n int) { threads.Store(int32(max(n, 0))) }

// Threads returns the number of goroutines Sgemm may use for one product.
func Threads() int {
	if n := threads.Load(); n > 0 {
		return int(n)
	}
	return runtime.GOMAXPROCS(0)
}

// splitThreshold is the smallest m*n*k for which Sgemm splits the work across
// goroutines. Below it, one thread is faster (measured with BenchmarkSgemm).
const splitThreshold = 256 * 64 * 64

// minBlock is the smallest number of rows or columns of C given to one worker.
const minBlock = 32

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, where
// op(A) is m×k (A is m×k with leading dimension lda, or k×m if transA),
// op(B) is k×n (B is k×n with leading dimension ldb, or n×k if transB) and C
// is m×n with leading dimension ldc. When beta is 0, C need not be
// initialised. Large products are split across Threads() goroutines.
//
// It panics if the sizes, leading dimensions or slice lengths are
// inconsistent.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	check(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	countFlops(m, n, k)
	p := Threads()
	if p <= 1 || m*n*k < splitThreshold {
		sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	// Each block packs all of the operand it does not split: splitting C's
	// rows repeats B's packing (k×n values), splitting columns repeats A's
	// (m×k). Split the larger of m and n.
	splitRows := m > n || n < 2*minBlock
	size := n
	if splitRows {
		size = m
	}
	if size < 2*minBlock {
		sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if p > size/minBlock {
		p = size / minBlock
	}
	// Blocks are multiples of 16 rows/columns so the kernel's panels stay whole.
	blk := (size + p - 1) / p
	blk = (blk + 15) &^ 15
	g := getGemmTask()
	*g = gemmTask{splitRows, transA, transB, m, n, k, size, blk, alpha, a, lda, b, ldb, beta, c, ldc}
	ParallelFor((size+blk-1)/blk, p, g)
	*g = gemmTask{}
	gemmMu.Lock()
	gemmFree = append(gemmFree, g)
	gemmMu.Unlock()
}

// gemmTask is one split Sgemm: item i computes block i of C's rows (or
// columns).
type gemmTask struct {
	rows, transA, transB bool
	m, n, k, size, blk   int
	alpha                float32
	a                    []float32
	lda                  int
	b                    []float32
	ldb                  int
	beta                 float32
	c                    []float32
	ldc                  int
}

var (
	gemmMu   sync.Mutex
	gemmFree []*gemmTask // idle tasks (a free list, see parallel.go)
)

func getGemmTask() *gemmTask {
	gemmMu.Lock()
	defer gemmMu.Unlock()
	if n := len(gemmFree); n > 0 {
		g := gemmFree[n-1]
		gemmFree = gemmFree[:n-1]
		return g
	}
	return new(gemmTask)
}

// Run computes block i.
func (g *gemmTask) Run(i int) {
	lo := i * g.blk
	hi := min(lo+g.blk, g.size)
	block(g.rows, g.transA, g.transB, g.m, g.n, g.k, lo, hi, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, g.c, g.ldc)
}

// block computes rows (or columns) [lo, hi) of C.
func block(rows, transA, transB bool, m, n, k, lo, hi int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if rows {
		aoff := lo * lda
		if transA {
			aoff = lo
		}
		sgemm(transA, transB, hi-lo, n, k, alpha, a[aoff:], lda, b, ldb, beta, c[lo*ldc:], ldc)
		return
	}
	boff := lo
	if transB {
		boff = lo * ldb
	}
	sgemm(transA, transB, m, hi-lo, k, alpha, a, lda, b[boff:], ldb, beta, c[lo:], ldc)
}

// SgemmSerial is Sgemm on the calling goroutine only, never splitting the
// work. It is safe for concurrent use on disjoint outputs.
//
// It panics if the sizes, leading dimensions or slice lengths are
// inconsistent.
func SgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	check(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	countFlops(m, n, k)
	sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func check(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("blas: negative size m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	need := func(name string, s []float32, rows, cols, ld int) {
		if ld < max(cols, 1) {
			panic(fmt.Sprintf("blas: ld%s=%d < %d columns", name, ld, cols))
		}
		if rows > 0 && cols > 0 && len(s) < (rows-1)*ld+cols {
			panic(fmt.Sprintf("blas: %s has %d elements, need %d for %d×%d with ld %d", name, len(s), (rows-1)*ld+cols, rows, cols, ld))
		}
	}
	need("a", a, ar, ac, lda)
	need("b", b, br, bc, ldb)
	need("c", c, m, n, ldc)
}
