package worldmodel

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/rng"
)

// A model file whose header claims sizes its tensors do not hold is refused
// before anything is allocated for them.
func TestLoadBoundsHeader(t *testing.T) {
	dir := t.TempDir()
	for _, cfg := range []Config{smallDiffusion(), smallGaussian()} {
		m, _, err := Fit(narrowTask(400, rng.New(7)), cfg, FitOptions{Steps: 2, Seed: 8})
		if err != nil {
			t.Fatal(err)
		}
		good := filepath.Join(dir, "good.safetensors")
		if err := m.Save(good); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(good, 1); err != nil {
			t.Fatalf("%s: intact file: %v", cfg.Kind, err)
		}
		ts, md, err := checkpoint.ReadSafetensors(good)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			edit func(*fileMeta)
			want string
		}{
			{"huge width", func(f *fileMeta) { f.Config.Width = 1 << 40 }, "parameter values"},
			{"huge members", func(f *fileMeta) { f.Config.Members, f.Config.Elites = 1<<40, 1 }, "parameter values"},
			{"huge hidden", func(f *fileMeta) { f.Config.EncoderHidden, f.Config.GaussianHidden = []int{1 << 40}, []int{1 << 40} }, "parameter values"},
			{"huge dims", func(f *fileMeta) { f.ObsDim = 1 << 40 }, "norm/in/mean"},
			{"huge diffusion steps", func(f *fileMeta) { f.Config.DiffusionSteps, f.Config.SampleSteps = 1<<40, 1 }, "diffusion_steps"},
			{"learned termination", func(f *fileMeta) { f.Config.Termination, f.Config.TerminalHidden = Learned, []int{1 << 40} }, "parameter values"},
		} {
			if cfg.Kind == Gaussian && (tc.name == "huge diffusion steps" || tc.name == "huge width") {
				continue // not used by a Gaussian ensemble
			}
			var meta fileMeta
			if err := json.Unmarshal([]byte(md["dwm"]), &meta); err != nil {
				t.Fatal(err)
			}
			tc.edit(&meta)
			b, err := json.Marshal(meta)
			if err != nil {
				t.Fatal(err)
			}
			bad := filepath.Join(dir, "bad.safetensors")
			if err := checkpoint.WriteSafetensors(bad, ts, map[string]string{"dwm": string(b)}); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err = Load(bad, 1)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s, %s: error %v, want one mentioning %q", cfg.Kind, tc.name, err, tc.want)
			}
			if grown := after.TotalAlloc - before.TotalAlloc; grown > 16<<20 {
				t.Errorf("%s, %s: Load allocated %d bytes for a file of a few hundred KiB", cfg.Kind, tc.name, grown)
			}
		}
	}
}

// A cancelled context ends a long fit within a second, with an error
// wrapping the context's.
func TestFitStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	data := narrowTask(400, rng.New(7))
	at := make(chan time.Time, 1)
	timer := time.AfterFunc(200*time.Millisecond, func() { at <- time.Now(); cancel() })
	defer timer.Stop()
	_, _, err := Fit(data, smallDiffusion(), FitOptions{Steps: 1_000_000, Seed: 1, Stop: ctx.Err})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Fit with a cancelled context: error %v, want context.Canceled", err)
	}
	if d := time.Since(<-at); d > time.Second {
		t.Errorf("Fit returned %v after the cancellation, want < 1s", d)
	}
	// Stopped before it starts: no step is taken.
	_, _, err = Fit(data, smallGaussian(), FitOptions{Steps: 10, Seed: 1, Stop: ctx.Err})
	if err == nil || !strings.Contains(err.Error(), "stopped at step 0") {
		t.Errorf("Fit with a context cancelled before it: error %v, want one stopping at step 0", err)
	}
}
