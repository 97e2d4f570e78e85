//go:build cgo && !nomujoco

package mujoco

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dwm-rl/dwm/env"
)

// BenchmarkEnvStep measures env steps per second through dwm (Env.Step with
// its checks, observation and reward) against a plain C loop of mj_step calls
// (frame_skip per env step, no checks) on the same model in the same run.
//
// Work is split into chunks of 200 env steps; every chunk of every loop
// starts from the same reset state and replays the same random actions, so
// all chunks simulate the same trajectory (bitwise for the planar tasks; the
// raw loop renormalises the ant's quaternion once more at reset). The loops
// alternate chunk by chunk, and each loop's rate is taken from its fastest
// chunk, which makes the ratio robust to load from other processes on the
// machine. Metrics:
//
//	dwm-steps/s   dwm's rate
//	raw-steps/s   the raw mj_step loop's rate
//	dwm/raw       their ratio
//	dwm/raw+rne   dwm against a raw loop that also calls mj_rnePostConstraint
//	              after each env step, as dwm and Gymnasium do: the binding's
//	              own overhead, without that MuJoCo call's cost
func BenchmarkEnvStep(b *testing.B) {
	for _, id := range baseIDs() {
		b.Run(id, func(b *testing.B) { benchEnvStep(b, id) })
	}
}

func benchEnvStep(b *testing.B, id string) {
	const chunk = 200
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
	sp := e.Spec()
	nu := sp.Act.Dim
	r := rand.New(rand.NewPCG(7, 7))
	acts := make([]float32, chunk*nu)
	ctrls := make([]float64, chunk*nu) // the controls Env.Step writes for acts
	for i := range acts {
		acts[i] = float32(r.Float64()*2 - 1)
		c := float64(acts[i])
		if e.ctrlRange != nil {
			lo, hi := e.ctrlRange[2*(i%nu)], e.ctrlRange[2*(i%nu)+1]
			c = min(max(lo+(c+1)*0.5*(hi-lo), lo), hi)
		}
		ctrls[i] = c
	}
	obs := make([]float32, sp.Obs.Dim)
	if err := e.Reset(1, obs); err != nil {
		b.Fatal(err)
	}
	init := append(append([]float64(nil), e.Data().QPos()...), e.Data().QVel()...)
	alignMocap(mk.Model(), e.Data()) // Adroit: the raw loop's resets place the objects as Reset(1) does
	fs := e.task.frameSkip
	best := func(cur *time.Duration, d time.Duration) {
		if *cur == 0 || d < *cur {
			*cur = d
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	var dwmBest, rawBest, rneBest time.Duration
	for done := 0; done < b.N; done += chunk {
		t0 := time.Now()
		if err := e.Reset(1, obs); err != nil {
			b.Fatal(err)
		}
		for i := range chunk {
			if _, err := e.Step(acts[i*nu:(i+1)*nu], obs); err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now()
		b.StopTimer()
		raw.rawLoop(ctrls, chunk, fs, false, init, chunk)
		t2 := time.Now()
		raw.rawLoop(ctrls, chunk, fs, true, init, chunk)
		t3 := time.Now()
		b.StartTimer()
		best(&dwmBest, t1.Sub(t0))
		best(&rawBest, t2.Sub(t1))
		best(&rneBest, t3.Sub(t2))
	}
	b.StopTimer()
	rate := func(d time.Duration) float64 { return chunk / d.Seconds() }
	b.ReportMetric(rate(dwmBest), "dwm-steps/s")
	b.ReportMetric(rate(rawBest), "raw-steps/s")
	b.ReportMetric(rate(dwmBest)/rate(rawBest), "dwm/raw")
	b.ReportMetric(rate(dwmBest)/rate(rneBest), "dwm/raw+rne")
}

// BenchmarkVectorStep measures env.Vector throughput over 16 copies of a
// MuJoCo task (random actions, auto-reset) with 1 and 2 workers: what
// evaluation and data collection get from the machine's two cores.
func BenchmarkVectorStep(b *testing.B) {
	const n = 16
	for _, id := range []string{"hopper", "halfcheetah", "ant"} {
		for _, w := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", id, w), func(b *testing.B) {
				mk, err := NewMaker(id)
				if err != nil {
					b.Fatal(err)
				}
				defer mk.Close()
				v, err := env.NewVector(n, w, func(int) (env.Env, error) {
					e, err := mk.New()
					if err != nil {
						return nil, err
					}
					return e, nil
				})
				if err != nil {
					b.Fatal(err)
				}
				defer v.Close()
				sp := v.Spec()
				obs, final := make([]float32, n*sp.Obs.Dim), make([]float32, n*sp.Obs.Dim)
				act, res := make([]float32, n*sp.Act.Dim), make([]env.VecResult, n)
				r := rand.New(rand.NewPCG(3, 3))
				if err := v.Reset(1, obs); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					for i := range act {
						act[i] = float32(r.Float64()*2 - 1)
					}
					if err := v.Step(act, obs, final, res); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "steps/s")
			})
		}
	}
}
