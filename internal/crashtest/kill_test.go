package crashtest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/track"
)

// small are the settings that make a run take a few seconds: tiny networks
// and batches, short evaluations, a checkpoint every Pendulum episode (200
// steps) and metrics every 50 steps.
var small = []string{
	"--set", "train.eval_episodes=2", "--set", "train.eval_every=400",
	"--set", "train.checkpoint_every=200", "--set", "train.log_every=50",
	"--set", "train.batch_size=32",
}

// runCase is one kind of run to crash.
type runCase struct {
	name string
	// args returns the `dwm train` arguments after "train", without
	// --runs, --name and --quiet.
	args func(t *testing.T) []string
	// total is the run's global step count (offline + online).
	total int64
}

func sacCase() runCase {
	return runCase{name: "sac", total: 1200, args: func(*testing.T) []string {
		return append([]string{"sac", "--env", "pendulum", "--steps", "1200", "--seed", "7",
			"--set", "train.learning_starts=200", "--set", "sac.hidden=[16,16]"}, small...)
	}}
}

func iqlCase() runCase {
	return runCase{name: "iql", total: 1600, args: func(t *testing.T) []string {
		return append([]string{"iql", "--env", "pendulum", "--dataset", scriptedDataset(t),
			"--offline-steps", "800", "--online-steps", "800", "--seed", "7",
			"--set", "iql.hidden=[16,16]"}, small...)
	}}
}

// calqlCase is Cal-QL offline→online with symmetric sampling (half of each
// online batch from the dataset) and Monte-Carlo bounds on online episodes.
func calqlCase() runCase {
	return runCase{name: "calql", total: 1600, args: func(t *testing.T) []string {
		return append([]string{"calql", "--env", "pendulum", "--dataset", scriptedDataset(t),
			"--offline-steps", "800", "--online-steps", "800", "--seed", "7", "--set", "buffer.mix=symmetric",
			"--set", "calql.cql.hidden=[16,16]", "--set", "calql.cql.actor_hidden=[16,16]"}, small...)
	}}
}

// bdwmSmall sizes BDWM's diffusion world model and periods so that every
// mechanism (model fit, η, imagination, λ, BC decay, model training on
// online data) runs within a run of a second.
var bdwmSmall = []string{
	"--set", "bdwm.model.members=2", "--set", "bdwm.model.samples=2", "--set", "bdwm.model.latent_dim=8",
	"--set", "bdwm.model.encoder_hidden=[16]", "--set", "bdwm.model.width=16", "--set", "bdwm.model.blocks=1",
	"--set", "bdwm.model.time_dim=8", "--set", "bdwm.model.diffusion_steps=10", "--set", "bdwm.model.sample_steps=5",
	"--set", "bdwm.model.batch_size=32", "--set", "bdwm.model_steps=100", "--set", "bdwm.eta_samples=200",
	"--set", "bdwm.horizon=2", "--set", "bdwm.rollout_batch=32", "--set", "bdwm.rollout_every=100",
	"--set", "bdwm.sigma_batch=32", "--set", "bdwm.sigma_every=50", "--set", "bdwm.sigma_max_episodes=1",
	"--set", "bdwm.bc_steps=300", "--set", "bdwm.model_train_every=100", "--set", "bdwm.model_train_steps=3",
	"--set", "bdwm.quality_every=400", "--set", "bdwm.quality_samples=100", "--set", "sac.hidden=[16,16]",
}

func bdwmCase() runCase {
	return runCase{name: "bdwm", total: 1600, args: func(t *testing.T) []string {
		a := []string{"bdwm", "--env", "pendulum", "--dataset", scriptedDataset(t),
			"--offline-steps", "800", "--online-steps", "800", "--seed", "7"}
		return append(append(a, bdwmSmall...), small...)
	}}
}

var (
	datasetOnce sync.Once
	datasetPath string
	datasetErr  string
)

// scriptedDataset makes (once) a 1000-transition Pendulum dataset of the
// scripted controller with `dwm dataset make`.
func scriptedDataset(t *testing.T) string {
	t.Helper()
	datasetOnce.Do(func() {
		p := start(t, "dataset", "make", "pendulum-scripted", "--size", "1000", "--seed", "3",
			"--cache", filepath.Join(workDir, "cache"))
		if err := p.wait(t); err != nil {
			datasetErr = err.Error() + ": " + p.stderr.String()
			return
		}
		datasetPath = strings.TrimSpace(p.stdout.String())
	})
	if datasetPath == "" {
		t.Fatalf("dwm dataset make pendulum-scripted: %s", datasetErr)
	}
	return datasetPath
}

// killPoints returns n increasing steps in [total/10, 9·total/10) drawn
// from seed: where the store must show progress before each SIGKILL.
func killPoints(seed uint64, n int, total int64) []int64 {
	r := rand.New(rand.NewPCG(seed, 0x6b696c6c))
	out := make([]int64, n)
	for i := range out {
		out[i] = total/10 + r.Int64N(total*8/10)
	}
	slices.Sort(out)
	return out
}

// killResume runs c uninterrupted and, beside it, with a SIGKILL at each of
// kills seeded points followed by `dwm train --resume`, then checks that
// both end identical.
func killResume(t *testing.T, c runCase, seed uint64, kills int) {
	killResumeAt(t, c, seed, killPoints(seed, kills, c.total))
}

// killResumeAt is killResume with the steps the store must show before
// each SIGKILL given (increasing); seed draws the short random delays
// between seeing a step and killing.
func killResumeAt(t *testing.T, c runCase, seed uint64, targets []int64) {
	args := append([]string{"train"}, c.args(t)...)
	want, got := t.TempDir(), t.TempDir()
	ref := start(t, append(args, "--runs", want, "--name", "run", "--quiet")...)
	s := openStore(t, got)
	p := start(t, append(args, "--runs", got, "--name", "run", "--quiet")...)
	r := rand.New(rand.NewPCG(seed, 1))
	for i, target := range targets {
		seen, running := waitProgress(t, s, "run", target, p)
		if !running {
			t.Logf("run finished (step %d) before kill %d at step %d", seen, i+1, target)
			break
		}
		time.Sleep(time.Duration(r.IntN(40)) * time.Millisecond)
		p.signal(t, syscall.SIGKILL)
		p.wait(t)
		ck := "none"
		if e, err := checkpoint.Latest(filepath.Join(got, "run", "checkpoints")); err == nil {
			ck = filepath.Base(e.Path)
		}
		t.Logf("kill %d: SIGKILL once the store showed step %d (target %d); latest checkpoint %s", i+1, seen, target, ck)
		p = start(t, "train", "--resume", "run", "--runs", got, "--quiet")
	}
	if err := p.wait(t); err != nil {
		if !strings.Contains(p.stderr.String(), "already finished") {
			t.Fatalf("resumed run: %v\nstderr:\n%s", err, p.stderr.String())
		}
		t.Logf("the last kill came after the final checkpoint: %s", strings.TrimSpace(p.stderr.String()))
	}
	mustSucceed(t, ref, "uninterrupted run")
	sameRun(t, want, got, "run")
}

// SIGKILL at random points, then --resume, gives the uninterrupted run's
// metrics and final state exactly: online SAC.
func TestKillResumeSAC(t *testing.T) {
	t.Parallel()
	killResume(t, sacCase(), 1, kills())
}

// The same for an offline→online agent (IQL on a scripted Pendulum
// dataset); the kill points fall in either phase.
func TestKillResumeIQL(t *testing.T) {
	t.Parallel()
	killResume(t, iqlCase(), 2, kills())
}

// The same for Cal-QL.
func TestKillResumeCalQL(t *testing.T) {
	t.Parallel()
	killResume(t, calqlCase(), 4, kills())
}

// The same for BDWM: world model, imagination buffer, λ and w_BC
// schedules and σ_max resume exactly too.
func TestKillResumeBDWM(t *testing.T) {
	t.Parallel()
	killResume(t, bdwmCase(), 3, kills())
}

func kills() int {
	if testing.Short() {
		return 1
	}
	return 2
}

// SIGINT and SIGTERM stop a run at its next boundary after saving a
// checkpoint; dwm exits 130 or 143, the store says "interrupted", the output
// says how to resume, and the resumed run ends as an uninterrupted one. A
// signal that a starved test sends after the run's last step exits 0 with
// the run done (then the test tries again).
func TestSignalSavesCheckpoint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sig  syscall.Signal
		c    runCase
		step int64
	}{
		{syscall.SIGINT, sacCase(), 500},
		{syscall.SIGTERM, iqlCase(), 300}, // in the offline phase
		{syscall.SIGTERM, bdwmCase(), 1000},
	} {
		t.Run(fmt.Sprintf("%s-%d", tc.c.name, tc.sig), func(t *testing.T) {
			args := append([]string{"train"}, tc.c.args(t)...)
			want := t.TempDir()
			ref := start(t, append(args, "--runs", want, "--name", "run", "--quiet")...)
			var (
				got string
				s   *track.Store
				p   *proc
			)
			for try := 1; ; try++ {
				got = t.TempDir()
				s = openStore(t, got)
				p = start(t, append(args, "--runs", got, "--name", "run", "--quiet")...)
				if _, running := waitProgress(t, s, "run", tc.step, p); running {
					p.signal(t, tc.sig)
					if p.wait(t) != nil {
						break
					}
					// Exit 0: the run finished its last step before the
					// signal came (a loaded machine starved the test). A late
					// signal changes nothing: the run must be done.
					if !strings.Contains(p.stdout.String(), "run run done") {
						t.Errorf("exit 0 after %v, but the output says no finished run: %q", tc.sig, p.stdout.String())
					}
					if r, err := s.RunByName("run"); err != nil || r.Status != track.StatusDone {
						t.Fatalf("exit 0 after %v, but the store says %+v (%v), not done", tc.sig, r.Status, err)
					}
				}
				if try == 3 {
					t.Fatalf("run ended before the signal three times: %s", p.stderr.String())
				}
				t.Logf("run ended before the signal (a loaded machine starved the test); again")
			}
			mustExit(t, p, 128+int(tc.sig), "interrupted run") // 130 for SIGINT, 143 for SIGTERM
			if !strings.Contains(p.stdout.String(), "interrupted; checkpoint saved. Continue with: dwm train --resume run") {
				t.Errorf("output after %v: %q", tc.sig, p.stdout.String())
			}
			r, err := s.RunByName("run")
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != track.StatusInterrupted {
				t.Errorf("status after %v: %s, want interrupted", tc.sig, r.Status)
			}
			e, err := checkpoint.Latest(filepath.Join(got, "run", "checkpoints"))
			if err != nil {
				t.Fatalf("no checkpoint after %v: %v", tc.sig, err)
			}
			// Online the loop stops at an episode's end, where it logs the
			// episode's return; offline after the current update, between
			// two logs (every 50 steps).
			if last := progress(s, "run"); e.Step < last || e.Step >= last+50 {
				t.Errorf("checkpoint at step %d, but the run logged up to step %d: the interrupt did not save where it stopped", e.Step, last)
			}
			t.Logf("%v: stopped and saved at step %d", tc.sig, e.Step)
			p = start(t, "train", "--resume", "run", "--runs", got, "--quiet")
			mustSucceed(t, p, "resumed run")
			mustSucceed(t, ref, "uninterrupted run")
			sameRun(t, want, got, "run")
		})
	}
}

// A run killed while it starts (its directory written, maybe not yet its
// store record or first checkpoint) resumes from scratch to the same end.
func TestKillAtStart(t *testing.T) {
	t.Parallel()
	c := sacCase()
	args := append([]string{"train"}, c.args(t)...)
	want := t.TempDir()
	ref := start(t, append(args, "--runs", want, "--name", "run", "--quiet")...)
	var (
		got string
		p   *proc
	)
	for try := 1; ; try++ {
		got = t.TempDir()
		p = start(t, append(args, "--runs", got, "--name", "run", "--quiet")...)
		cfg := filepath.Join(got, "run", "config.yaml")
		for !p.exited() {
			if _, err := os.Stat(cfg); err == nil {
				break
			}
			time.Sleep(time.Millisecond)
		}
		p.signal(t, syscall.SIGKILL)
		if p.wait(t) != nil {
			break
		}
		if try == 3 {
			t.Fatal("the run finished before it could be killed, three times")
		}
		t.Logf("the run finished before it could be killed (a loaded machine starved the test); again")
	}
	_, err := openStore(t, got).RunByName("run")
	t.Logf("killed at start: recorded in the store: %v", err == nil)
	p = start(t, "train", "--resume", "run", "--runs", got, "--quiet")
	mustSucceed(t, p, "resumed run")
	mustSucceed(t, ref, "uninterrupted run")
	sameRun(t, want, got, "run")
}

// `dwm dataset make` of a kind that trains an expert, killed during that
// training and run again, makes the same dataset, byte for byte, as an
// uninterrupted make. datagen checkpoints the expert every 5000 steps here
// (max(steps/20, 5000)): the first kill comes before that checkpoint (the
// expert run starts again from scratch, its policy snapshots rewritten),
// the second after it (the run resumes from it).
func TestKillDatasetMake(t *testing.T) {
	t.Parallel()
	args := []string{"dataset", "make", "pendulum-medium", "--size", "2000", "--expert-steps", "10000", "--seed", "5",
		"--set", "sac.hidden=[16,16]", "--set", "train.batch_size=32"}
	want, got := t.TempDir(), t.TempDir()
	ref := start(t, append(args, "--cache", want)...)
	s := openStore(t, filepath.Join(got, "runs"))
	p := start(t, append(args, "--cache", got)...)
	r := rand.New(rand.NewPCG(5, 1))
	targets := []int64{1000 + r.Int64N(3800), 5200 + r.Int64N(4300)}
	if testing.Short() {
		targets = targets[1:]
	}
	for i, target := range targets {
		seen := int64(-1)
		for !p.exited() && seen < target {
			runs, _ := s.ListRuns(track.Filter{})
			if len(runs) > 0 {
				seen = progress(s, runs[0].Name)
			}
			time.Sleep(5 * time.Millisecond)
		}
		if p.exited() {
			t.Logf("make finished before kill %d", i+1)
			break
		}
		time.Sleep(time.Duration(r.IntN(40)) * time.Millisecond)
		p.signal(t, syscall.SIGKILL)
		p.wait(t)
		ck := "none"
		if runs, _ := s.ListRuns(track.Filter{}); len(runs) > 0 {
			if e, err := checkpoint.Latest(filepath.Join(got, "runs", runs[0].Name, "checkpoints")); err == nil {
				ck = filepath.Base(e.Path)
			}
		}
		t.Logf("kill %d: SIGKILL once the expert run showed step %d (target %d); latest checkpoint %s", i+1, seen, target, ck)
		p = start(t, append(args, "--cache", got)...)
	}
	mustSucceed(t, p, "resumed make")
	mustSucceed(t, ref, "uninterrupted make")
	wp, gp := strings.TrimSpace(ref.stdout.String()), strings.TrimSpace(p.stdout.String())
	wb, err := os.ReadFile(wp)
	if err != nil {
		t.Fatal(err)
	}
	gb, err := os.ReadFile(gp)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(wp) != filepath.Base(gp) || !bytes.Equal(wb, gb) {
		t.Fatalf("datasets differ: %s (%d bytes) vs %s (%d bytes)", wp, len(wb), gp, len(gb))
	}
	t.Logf("%s identical (%d bytes)", filepath.Base(gp), len(gb))
}
