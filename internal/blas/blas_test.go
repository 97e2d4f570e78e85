package blas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"syscall"
	"testing"
)

func naive(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			old := float64(0)
			if beta != 0 {
				old = float64(beta) * float64(c[i*ldc+j])
			}
			c[i*ldc+j] = float32(float64(alpha)*s + old)
		}
	}
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func TestSgemmMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sizes := [][3]int{{1, 1, 1}, {3, 5, 7}, {1, 256, 23}, {256, 23, 256}, {130, 70, 65}, {64, 300, 40}, {5, 4, 0}, {1, 7, 9}, {9, 1, 7}, {1, 1, 5}}
	for _, th := range []int{1, 2, 3} {
		SetThreads(th)
		for _, sz := range sizes {
			for _, ta := range []bool{false, true} {
				for _, tb := range []bool{false, true} {
					for _, ab := range [][2]float32{{1, 0}, {0.5, 1}, {-2, 0.25}} {
						m, n, k := sz[0], sz[1], sz[2]
						name := fmt.Sprintf("th%d/%dx%dx%d/ta%v/tb%v/a%v/b%v", th, m, n, k, ta, tb, ab[0], ab[1])
						ar, ac := m, k
						if ta {
							ar, ac = k, m
						}
						br, bc := k, n
						if tb {
							br, bc = n, k
						}
						lda, ldb, ldc := ac+2, bc+1, n+3
						a := randSlice(r, max(ar*lda, 1))
						b := randSlice(r, max(br*ldb, 1))
						c := randSlice(r, m*ldc)
						want := append([]float32(nil), c...)
						naive(ta, tb, m, n, k, ab[0], a, lda, b, ldb, ab[1], want, ldc)
						Sgemm(ta, tb, m, n, k, ab[0], a, lda, b, ldb, ab[1], c, ldc)
						for i := range c {
							if d := math.Abs(float64(c[i] - want[i])); d > 1e-3*(1+math.Abs(float64(want[i]))) {
								t.Fatalf("%s: c[%d]=%v want %v", name, i, c[i], want[i])
							}
						}
					}
				}
			}
		}
	}
	SetThreads(0)
}

func TestSgemmSerialConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const m, n, k = 64, 96, 80
	a, b := randSlice(r, m*k), randSlice(r, k*n)
	want := make([]float32, m*n)
	naive(false, false, m, n, k, 1, a, k, b, n, 0, want, n)
	var wg sync.WaitGroup
	outs := make([][]float32, 8)
	for g := range outs {
		outs[g] = make([]float32, m*n)
		wg.Add(1)
		go func(c []float32) {
			defer wg.Done()
			for range 20 {
				SgemmSerial(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
			}
		}(outs[g])
	}
	wg.Wait()
	for g, c := range outs {
		for i := range c {
			if math.Abs(float64(c[i]-want[i])) > 1e-3*(1+math.Abs(float64(want[i]))) {
				t.Fatalf("goroutine %d: c[%d]=%v want %v", g, i, c[i], want[i])
			}
		}
	}
}

func TestSgemmPanicsOnBadShape(t *testing.T) {
	cases := map[string]func(){
		"short a": func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		},
		"small lda": func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 1, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		},
		"short c": func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 3), 2)
		},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
}

func TestSetThreads(t *testing.T) {
	old := Threads()
	defer SetThreads(old)
	SetThreads(0)
	if Threads() != runtime.GOMAXPROCS(0) {
		t.Fatalf("Threads()=%d after SetThreads(0), want GOMAXPROCS %d", Threads(), runtime.GOMAXPROCS(0))
	}
	SetThreads(3)
	if Threads() != 3 {
		t.Fatalf("Threads()=%d, want 3", Threads())
	}
}

func benchSgemm(bm *testing.B, m, n, k int, serial bool, threads int) {
	old := Threads()
	SetThreads(threads)
	defer SetThreads(old)
	r := rand.New(rand.NewPCG(1, 1))
	a, b, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
	c0 := cpuSeconds()
	bm.ResetTimer()
	for bm.Loop() {
		if serial {
			SgemmSerial(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		} else {
			Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		}
	}
	bm.ReportMetric(2*float64(m*n*k)*float64(bm.N)/bm.Elapsed().Seconds()/1e9, "GFLOPS")
	bm.ReportMetric(2*float64(m*n*k)*float64(bm.N)/(cpuSeconds()-c0)/1e9, "GFLOP/cpu-s")
}

// cpuSeconds returns the process's user+system CPU time, which unlike wall
// time is not inflated by other processes competing for the cores.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// BenchmarkSgemm times C = A·B for the M×K×N shapes of scripts/bench.sh
// (A is M×K, B is K×N) with one and two threads.
func BenchmarkSgemm(b *testing.B) {
	for _, sz := range [][3]int{{256, 23, 256}, {256, 256, 256}, {256, 512, 512}, {1, 256, 256}, {256, 64, 64}} {
		m, k, n := sz[0], sz[1], sz[2]
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%dx%d/threads%d", m, k, n, th), func(b *testing.B) {
				benchSgemm(b, m, n, k, false, th)
			})
		}
	}
}

// BenchmarkSgemmTrainingShapes times, on one thread, the products of one
// training step of the denoiser MLP (batch 256, widths 40→512→…→17):
// forward x·W, weight gradient xᵀ·dz and input gradient dz·Wᵀ.
func BenchmarkSgemmTrainingShapes(b *testing.B) {
	type shape struct {
		name    string
		ta, tb  bool
		m, n, k int
	}
	shapes := []shape{
		{"fwd_256x40x512", false, false, 256, 512, 40},
		{"fwd_256x512x512", false, false, 256, 512, 512},
		{"fwd_256x512x17", false, false, 256, 17, 512},
		{"dW_40x256x512", true, false, 40, 512, 256},
		{"dW_512x256x512", true, false, 512, 512, 256},
		{"dW_512x256x17", true, false, 512, 17, 256},
		{"dx_256x512x512", false, true, 256, 512, 512},
		{"dx_256x17x512", false, true, 256, 512, 17},
	}
	for _, s := range shapes {
		b.Run(s.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			lda, ldb := s.k, s.n
			if s.ta {
				lda = s.m
			}
			if s.tb {
				ldb = s.k
			}
			a, bb, c := randSlice(r, s.m*s.k), randSlice(r, s.k*s.n), make([]float32, s.m*s.n)
			c0 := cpuSeconds()
			for b.Loop() {
				SgemmSerial(s.ta, s.tb, s.m, s.n, s.k, 1, a, lda, bb, ldb, 1, c, s.n)
			}
			b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
			b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/(cpuSeconds()-c0)/1e9, "GFLOP/cpu-s")
		})
	}
}
