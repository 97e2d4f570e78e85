package track

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Environment of a writer process started by TestConcurrentWriterProcesses.
const (
	envWriter = "DWM_TRACK_TEST_WRITER"
	envStore  = "DWM_TRACK_TEST_STORE"
	envSteps  = "DWM_TRACK_TEST_STEPS"
)

func TestMain(m *testing.M) {
	if id := os.Getenv(envWriter); id != "" {
		if err := writer(id); err != nil {
			fmt.Fprintln(os.Stderr, "writer", id+":", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// metricsPerStep is how many metric rows a writer logs per step.
var writerMetrics = []string{"train/return", "loss/critic", "loss/actor", "uncertainty/sigma_ep", "time/step_s"}

// writer is the body of one writer process: it opens the store (perhaps
// creating it at the same moment as the others), creates its run, logs
// steps × len(writerMetrics) rows one step per transaction, records an
// artifact and marks the run done.
func writer(id string) error {
	steps, err := strconv.Atoi(os.Getenv(envSteps))
	if err != nil {
		return err
	}
	s, err := Open(os.Getenv(envStore))
	if err != nil {
		return err
	}
	defer s.Close()
	seed, _ := strconv.ParseInt(id, 10, 64)
	r, err := s.CreateRun(Run{Name: "writer-" + id, Algo: "sac", Env: "pendulum", Seed: seed, Provenance: CollectProvenance("test")})
	if err != nil {
		return err
	}
	for step := 0; step < steps; step++ {
		vals := make(map[string]float64, len(writerMetrics))
		for i, name := range writerMetrics {
			vals[name] = float64(1000*seed) + float64(step) + float64(i)/10
		}
		if err := s.LogMetrics(r.ID, int64(step), PhaseOnline, vals); err != nil {
			return err
		}
	}
	if err := s.AddArtifact(r.ID, "log", "writer-"+id+".log"); err != nil {
		return err
	}
	return s.SetStatus(r.ID, StatusDone)
}

// TestConcurrentWriterProcesses starts writer processes (this test binary
// re-executed) that create a new store at the same moment and write to it
// concurrently, then checks that no row was lost.
func TestConcurrentWriterProcesses(t *testing.T) {
	procs, steps := 8, 100
	if testing.Short() {
		steps = 30
	}
	path := filepath.Join(t.TempDir(), "shared.db")
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, procs)
	out := make([][]byte, procs)
	for i := 0; i < procs; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envWriter+"="+strconv.Itoa(i), envStore+"="+path, envSteps+"="+strconv.Itoa(steps))
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = cmd.CombinedOutput()
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v\n%s", i, err, out[i])
		}
	}
	elapsed := time.Since(start)
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runs, err := s.ListRuns(Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != procs {
		t.Fatalf("%d runs, want %d", len(runs), procs)
	}
	var total int64
	for _, r := range runs {
		if r.Status != StatusDone {
			t.Errorf("run %s status %s", r.Name, r.Status)
		}
		n, err := s.CountMetrics(r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(steps * len(writerMetrics)); n != want {
			t.Errorf("run %s: %d metric rows, want %d", r.Name, n, want)
		}
		total += n
		pts, _ := s.Metrics(r.ID, "loss/critic")
		for step, p := range pts {
			if want := float64(1000*r.Seed) + float64(step) + 0.1; p.Step != int64(step) || p.Value != want {
				t.Errorf("run %s step %d: %+v, want value %v", r.Name, step, p, want)
				break
			}
		}
		if arts, _ := s.Artifacts(r.ID); len(arts) != 1 {
			t.Errorf("run %s: %d artifacts", r.Name, len(arts))
		}
	}
	t.Logf("%d processes wrote %d rows in %d transactions in %v", procs, total, procs*(steps+3), elapsed.Round(time.Millisecond))
}

// TestConcurrentGoroutines writes from many goroutines through one Store.
func TestConcurrentGoroutines(t *testing.T) {
	s := openTemp(t)
	const workers, steps = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.CreateRun(Run{Name: fmt.Sprint("g", w), Algo: "a", Env: "e", Seed: int64(w)})
			if err != nil {
				errs <- err
				return
			}
			for step := 0; step < steps; step++ {
				if err := s.LogMetrics(r.ID, int64(step), PhaseOffline, map[string]float64{"train/x": 1, "train/y": 2}); err != nil {
					errs <- err
					return
				}
				if _, err := s.Metrics(r.ID, "train/x"); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	runs, _ := s.ListRuns(Filter{})
	for _, r := range runs {
		if n, _ := s.CountMetrics(r.ID); n != 2*steps {
			t.Errorf("run %s: %d rows, want %d", r.Name, n, 2*steps)
		}
	}
}
