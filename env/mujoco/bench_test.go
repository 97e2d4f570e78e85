//go:build cgo && !nomujoco

package mujoco

import (
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkEnvStep measures env steps per second through dwm (Env.Step with
// its checks, observation and reward) against a plain C loop of mj_step calls
// (frame_skip per env step, no checks) on the same model in the same run.
// Both run the same fixed random action sequence from the same start state,
// resetting every 1000 steps and ignoring termination, so they simulate the
// same trajectories (bitwise for the planar tasks; the ant's quaternion is
// renormalised once more by the raw loop's reset). The two loops alternate in chunks of 1000
// steps so machine load affects both alike. Metrics: dwm-steps/s,
// raw-steps/s, and dwm/raw (the fraction of the raw loop's speed).
func BenchmarkEnvStep(b *testing.B) {
	for _, id := range baseIDs() {
		b.Run(id, func(b *testing.B) { benchEnvStep(b, id) })
	}
}

func benchEnvStep(b *testing.B, id string) {
	const chunk = 1000
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
	fs := e.task.frameSkip
	b.ReportAllocs()
	b.ResetTimer()
	var dwmTime, rawTime time.Duration
	for done := 0; done < b.N; {
		n := min(chunk, b.N-done)
		t0 := time.Now()
		if err := e.Reset(1, obs); err != nil {
			b.Fatal(err)
		}
		for i := range n {
			if _, err := e.Step(acts[i*nu:(i+1)*nu], obs); err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now()
		b.StopTimer()
		raw.rawLoop(ctrls, int64(n), fs, init, chunk)
		rawTime += time.Since(t1)
		b.StartTimer()
		dwmTime += t1.Sub(t0)
		done += n
	}
	b.StopTimer()
	dwmRate := float64(b.N) / dwmTime.Seconds()
	rawRate := float64(b.N) / rawTime.Seconds()
	b.ReportMetric(dwmRate, "dwm-steps/s")
	b.ReportMetric(rawRate, "raw-steps/s")
	b.ReportMetric(dwmRate/rawRate, "dwm/raw")
}
