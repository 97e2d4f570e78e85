package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dwm-rl/dwm/agent/dual"
	"github.com/dwm-rl/dwm/rng"
)

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Suites: []string{"nope"}}, "Suites[0]"},
		{Config{Threads: -1}, "Threads"},
		{Config{MinTime: -time.Second}, "MinTime"},
		{Config{Repeats: -2}, "Repeats"},
		{Config{Dims: "ant"}, "Dims"},
	} {
		err := tc.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one naming %s", tc.cfg, err, tc.want)
		}
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("zero config: %v", err)
	}
}

// TestRunCore runs the core suite briefly and checks the table, the JSON
// report and that GOMAXPROCS is restored.
func TestRunCore(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	rep, err := Run(context.Background(), Config{MinTime: time.Millisecond, Repeats: 2, Out: dir}, &out, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := len(coreMatMuls) + len(coreNets) + 1
	if len(rep.Results) != want {
		t.Fatalf("%d results, want %d", len(rep.Results), want)
	}
	for _, r := range rep.Results {
		if !(r.WallNs > 0) || !(r.MinNs > 0) || r.MinNs > r.WallNs || r.Calls < 2 || r.Suite != "core" {
			t.Errorf("implausible result %+v", r)
		}
		if !strings.Contains(out.String(), r.Name) {
			t.Errorf("table lacks %q:\n%s", r.Name, out.String())
		}
	}
	if rep.Machine.GOMAXPROCS != 2 {
		t.Errorf("GOMAXPROCS during the run = %d, want 2", rep.Machine.GOMAXPROCS)
	}
	b, err := os.ReadFile(filepath.Join(dir, "bench.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Results) != want || back.Results[0].Name != rep.Results[0].Name {
		t.Errorf("bench.json holds %d results, want %d", len(back.Results), want)
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, Config{MinTime: time.Millisecond, Repeats: 1}, &bytes.Buffer{}, nil); err == nil {
		t.Error("Run with a cancelled context returned no error")
	}
}

// TestDualActorStep runs DUAL's acting path (distilled planner, aggregate,
// shift-aware sample) at batch 1 and 3 and checks the actions.
func TestDualActorStep(t *testing.T) {
	d, err := dualData("hopper", 1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := dual.NewPlanner(d, dualPlannerConfig(dualT), rng.New(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := distill(p, 4, rng.New(2)); err != nil {
		t.Fatal(err)
	}
	for _, b := range []int{1, 3} {
		a, err := newDualActor(p, d, true, b, rng.New(3))
		if err != nil {
			t.Fatal(err)
		}
		if err := a.step(states(d, b)); err != nil {
			t.Fatal(err)
		}
		for _, v := range a.act.Values() {
			if !(v >= -1 && v <= 1) {
				t.Fatalf("batch %d: action %v outside [-1, 1]", b, v)
			}
		}
		if len(a.subs) != laplaceSamples {
			t.Errorf("%d sub-policies, want %d", len(a.subs), laplaceSamples)
		}
	}
}

// TestPlot writes the steps-vs-latency plot of a synthetic report.
func TestPlot(t *testing.T) {
	rep := &Report{Results: []Result{
		{Name: "a1", Series: "A", Batch: 1, Steps: 4, WallNs: 5e6, MinNs: 4.5e6, CPUNs: 4e6},
		{Name: "a0", Series: "A", Batch: 1, Steps: 1, WallNs: 2e6, MinNs: 1.5e6, CPUNs: 1e6},
		{Name: "b", Series: "B", Batch: 1, Steps: 2, WallNs: 3e6, MinNs: 3e6, CPUNs: 3e6},
		{Name: "throughput", Series: "A", Batch: 256, Steps: 2, WallNs: 9e6},
		{Name: "other", Batch: 1, WallNs: 1},
	}}
	names, pts, wall := seriesPoints(rep)
	if len(names) != 2 || len(pts["A"]) != 2 || pts["A"][0].X != 1 || pts["A"][1].Y != 4 || wall["A"][0].Y != 1.5 {
		t.Fatalf("series %v %v %v", names, pts, wall)
	}
	dir := t.TempDir()
	if err := writePlots(dir, rep); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(dir, "dual-steps-latency.png")); err != nil || st.Size() == 0 {
		t.Fatalf("plot: %v", err)
	}
}

// TestRunDual runs the whole dual suite once per figure. It is slow (it
// builds and distils every network and times Diffuser at batch 256: about
// 20 CPU-seconds), so it runs only with DWM_BENCH_DUAL=1:
//
//	DWM_BENCH_DUAL=1 go test -run TestRunDual -v ./bench/
func TestRunDual(t *testing.T) {
	if os.Getenv("DWM_BENCH_DUAL") == "" {
		t.Skip("set DWM_BENCH_DUAL=1 to run the whole dual suite")
	}
	dir := t.TempDir()
	rep, err := Run(context.Background(), Config{Suites: []string{"dual"}, MinTime: time.Nanosecond, Repeats: 1, Out: dir}, &bytes.Buffer{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Networks) != 5 {
		t.Errorf("%d networks described, want 5", len(rep.Networks))
	}
	if _, err := os.Stat(filepath.Join(dir, "dual-steps-latency.png")); err != nil {
		t.Error(err)
	}
}

func TestOnly(t *testing.T) {
	rep, err := Run(context.Background(), Config{MinTime: time.Millisecond, Repeats: 1, Only: "matmul 1×"}, &bytes.Buffer{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || !strings.HasPrefix(rep.Results[0].Name, "matmul 1×") {
		t.Errorf("Only kept %+v", rep.Results)
	}
}

// BenchmarkDualActor times DUAL's acting path with the 4-step distilled
// planner at batch 1 and 256 (pendulum sizes), as the dual suite does.
func BenchmarkDualActor(b *testing.B) {
	d, err := dualData("pendulum", 0)
	if err != nil {
		b.Fatal(err)
	}
	p, err := dual.NewPlanner(d, dualPlannerConfig(dualT), rng.New(1))
	if err != nil {
		b.Fatal(err)
	}
	if err := distill(p, 4, rng.New(2)); err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, throughputBatch} {
		a, err := newDualActor(p, d, true, n, rng.New(3))
		if err != nil {
			b.Fatal(err)
		}
		obs := states(d, n)
		b.Run(fmt.Sprintf("batch%d", n), func(b *testing.B) {
			for b.Loop() {
				if err := a.step(obs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
