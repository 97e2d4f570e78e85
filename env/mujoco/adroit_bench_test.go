//go:build cgo && !nomujoco && linux

package mujoco

import (
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// threadCPU is the calling OS thread's CPU time (CLOCK_THREAD_CPUTIME_ID).
func threadCPU(b *testing.B) time.Duration {
	var ts syscall.Timespec
	const clockThreadCPUTime = 3
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		b.Fatalf("clock_gettime: %v", errno)
	}
	return time.Duration(ts.Nano())
}

// BenchmarkAdroitStepCPU is BenchmarkEnvStep for the Adroit tasks measured
// in CPU time of the benchmark's own thread instead of wall time, so that
// other processes on a shared machine do not enter the figures (only their
// cache pressure does). The same chunks of 200 env steps from Reset(1) with
// the same random actions alternate between Env.Step and the raw C loop
// (with mj_rnePostConstraint, as Env.Step does); the trajectories are
// bitwise equal. Metrics: dwm-cpu-steps/s and raw-cpu-steps/s (total steps
// over total thread CPU time) and their ratio dwm/raw-cpu.
func BenchmarkAdroitStepCPU(b *testing.B) {
	for _, id := range []string{"pen", "door", "hammer", "relocate"} {
		b.Run(id, func(b *testing.B) { benchAdroitCPU(b, id) })
	}
}

func benchAdroitCPU(b *testing.B, id string) {
	const chunk = 200
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	mk, err := NewMaker(id)
	if err != nil {
		b.Fatal(err)
	}
	defer mk.Close()
	e, err := mk.New()
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	raw, err := NewData(mk.Model())
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	nu := e.Spec().Act.Dim
	r := rand.New(rand.NewPCG(7, 7))
	acts := make([]float32, chunk*nu)
	ctrls := make([]float64, chunk*nu)
	for i := range acts {
		acts[i] = float32(r.Float64()*2 - 1)
		lo, hi := e.ctrlRange[2*(i%nu)], e.ctrlRange[2*(i%nu)+1]
		ctrls[i] = min(max(lo+(float64(acts[i])+1)*0.5*(hi-lo), lo), hi)
	}
	obs := make([]float32, e.Spec().Obs.Dim)
	if err := e.Reset(1, obs); err != nil {
		b.Fatal(err)
	}
	init := append(append([]float64(nil), e.Data().QPos()...), e.Data().QVel()...)
	alignMocap(mk.Model(), e.Data())
	b.ReportAllocs()
	b.ResetTimer()
	var dwmCPU, rawCPU time.Duration
	steps := 0
	for ; steps < b.N; steps += chunk {
		c0 := threadCPU(b)
		if err := e.Reset(1, obs); err != nil {
			b.Fatal(err)
		}
		for i := range chunk {
			if _, err := e.Step(acts[i*nu:(i+1)*nu], obs); err != nil {
				b.Fatal(err)
			}
		}
		c1 := threadCPU(b)
		b.StopTimer()
		raw.rawLoop(ctrls, chunk, e.task.frameSkip, true, init, chunk)
		c2 := threadCPU(b)
		b.StartTimer()
		dwmCPU += c1 - c0
		rawCPU += c2 - c1
	}
	b.StopTimer()
	if !slicesEqual(e.Data().State(), raw.State()) {
		b.Fatal("dwm and the raw loop simulated different trajectories")
	}
	rate := func(d time.Duration) float64 { return float64(steps) / d.Seconds() }
	b.ReportMetric(rate(dwmCPU), "dwm-cpu-steps/s")
	b.ReportMetric(rate(rawCPU), "raw-cpu-steps/s")
	b.ReportMetric(rate(dwmCPU)/rate(rawCPU), "dwm/raw-cpu")
}
