package experiment

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dwm-rl/dwm/track"
	"github.com/dwm-rl/dwm/worldmodel"
)

// cancelOnWrite cancels a context a moment after a line containing marker
// is written to it, and records when.
type cancelOnWrite struct {
	marker string
	cancel context.CancelFunc
	once   sync.Once
	at     chan time.Time
}

func (w *cancelOnWrite) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(w.marker)) {
		w.once.Do(func() {
			time.AfterFunc(300*time.Millisecond, func() { w.at <- time.Now(); w.cancel() })
		})
	}
	return len(p), nil
}

// A signal (the run's context cancelled) during BDWM's world-model fit
// ends the run within a second, marked interrupted, not failed.
func TestBDWMFitStopsOnCancel(t *testing.T) {
	c := Default("bdwm", "pendulum")
	c.Dataset = "pendulum-medium"
	c.RunsDir = t.TempDir()
	c.Train.OfflineSteps, c.Train.OnlineSteps = 60, 60
	c.Train.BatchSize, c.Train.EvalEpisodes, c.Train.EvalEvery = 32, 1, 1000
	c.SAC.Hidden = []int{32, 32}
	c.BDWM.Model = worldmodel.Config{Members: 2, Samples: 2, LatentDim: 8, EncoderHidden: []int{16}, Width: 16, Blocks: 1,
		TimeDim: 8, DiffusionSteps: 10, SampleSteps: 5, BatchSize: 32}
	c.BDWM.ModelSteps = 100_000_000 // hours: only the cancellation can end it
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &cancelOnWrite{marker: "fitting the world model", cancel: cancel, at: make(chan time.Time, 1)}
	done := make(chan struct{})
	var res Result
	var err error
	go func() {
		defer close(done)
		res, err = Run(ctx, c, Options{Out: w, Quiet: true})
	}()
	var at time.Time
	select {
	case at = <-w.at:
	case <-time.After(2 * time.Minute):
		t.Fatal("the run never started fitting its world model")
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not stop within 30 s of the cancellation")
	}
	if d := time.Since(at); d > time.Second {
		t.Errorf("the run stopped %v after the cancellation, want < 1 s", d)
	}
	if err != nil || !res.Interrupted {
		t.Fatalf("run cancelled during the fit: interrupted %v, error %v; want interrupted and no error", res.Interrupted, err)
	}
	s, err := track.Open(c.storePath())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.RunByName(res.Name)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != track.StatusInterrupted {
		t.Errorf("status %q, want interrupted", r.Status)
	}
}

// `dwm worldmodel fit` stops with Stop's error and writes no file.
func TestWorldModelFitStops(t *testing.T) {
	out := filepath.Join(t.TempDir(), "wm.safetensors")
	stop := errors.New("stop now")
	_, err := FitWorldModel(WorldModelFit{Dataset: "pendulum-medium", Steps: 1_000_000, Out: out,
		Model: worldmodel.Config{Members: 2, Samples: 2, LatentDim: 8, EncoderHidden: []int{16}, Width: 16, Blocks: 1, TimeDim: 8,
			DiffusionSteps: 10, SampleSteps: 5, BatchSize: 32},
		Stop: func() error { return stop }}, nil)
	if !errors.Is(err, stop) || !strings.Contains(err.Error(), "stopped at step 0") {
		t.Errorf("fit with Stop failing: error %v, want %v at step 0", err, stop)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stopped fit wrote %s (%v)", out, err)
	}
}
