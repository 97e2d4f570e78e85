package train

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dwm-rl/dwm/agent/sac"
	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/envs"
	"github.com/dwm-rl/dwm/eval"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
)

type memLog struct{ rows []string }

func (m *memLog) Log(step int64, phase string, metrics map[string]float64) error { return nil }

func makeEnv(t testing.TB) env.Env {
	e, err := envs.Make("pendulum")
	if err != nil {
		t.Fatal(err)
	}
	r, err := env.Rescale(e)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// newLoop builds a small online SAC run on Pendulum.
func newLoop(t testing.TB, dir string, steps int64) *Loop {
	a, err := sac.New(3, 1, sac.Config{Hidden: []int{32, 32}}, 5)
	if err != nil {
		t.Fatal(err)
	}
	buf, _ := replay.New(int(steps), 3, 1, false)
	ev, err := eval.New(2, 1, func(int) (env.Env, error) { return makeEnv(t), nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ev.Close() })
	l := &Loop{
		Config: Config{OnlineSteps: steps, LearningStarts: 200, BatchSize: 64, EvalEvery: 500, EvalEpisodes: 2,
			CheckpointEvery: 150, LogEvery: 100},
		Seed: 9, Agent: a, Env: makeEnv(t), Eval: ev, OnlineBuffer: buf, OnlineSampler: buf,
		Logger: &memLog{},
	}
	if dir != "" {
		l.Checkpoints = &checkpoint.Dir{Path: dir, Keep: 2}
	}
	return l
}

func finalState(t *testing.T, l *Loop) []float32 {
	model, _, _, err := l.Agent.State()
	if err != nil {
		t.Fatal(err)
	}
	var out []float32
	for _, m := range model {
		out = append(out, m.Data...)
	}
	return out
}

// An interrupted run resumed from its checkpoint ends bitwise where an
// uninterrupted run ends: the same evaluations and the same parameters.
func TestInterruptAndResumeIsExact(t *testing.T) {
	const steps = 1000
	ref := newLoop(t, t.TempDir(), steps)
	if err := ref.Run(context.Background()); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	first := newLoop(t, dir, steps)
	ctx, cancel := context.WithCancel(context.Background())
	first.Hooks.AfterEnvStep = func(step int64, _ Transition) error {
		if step == 530 {
			cancel()
		}
		return nil
	}
	if err := first.Run(ctx); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("interrupted run returned %v", err)
	}
	if first.st.OnlineStep != 600 {
		t.Fatalf("stopped at online step %d, want the episode boundary 600", first.st.OnlineStep)
	}
	ck, err := checkpoint.LoadLatest(dir)
	if err != nil {
		t.Fatal(err)
	}
	second := newLoop(t, dir, steps)
	if err := second.Restore(ck); err != nil {
		t.Fatal(err)
	}
	if err := second.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(finalState(t, ref), finalState(t, second)) {
		t.Fatal("resumed run's parameters differ from the uninterrupted run's")
	}
	last := func(l *Loop) Evaluation { return l.Evaluations[len(l.Evaluations)-1] }
	if last(ref).Return != last(second).Return || last(ref).Step != last(second).Step {
		t.Fatalf("final evaluation differs: %+v vs %+v", last(ref).Return, last(second).Return)
	}
	if !second.Done() {
		t.Fatal("resumed run not marked done")
	}
}

func TestSameSeedSameNumbers(t *testing.T) {
	a, b := newLoop(t, "", 400), newLoop(t, "", 400)
	if err := a.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := b.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(finalState(t, a), finalState(t, b)) {
		t.Fatal("same seed gave different parameters")
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{
		{OnlineSteps: -1}, {}, {OnlineSteps: 5, UTD: -2}, {OnlineSteps: 5, EvalEpisodes: -1}, {OfflineSteps: 3, BatchSize: -4},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
	l := &Loop{Config: Config{OfflineSteps: 10}}
	if err := l.Run(context.Background()); err == nil {
		t.Error("run without agent or data accepted")
	}
}

// Checkpoints also come by wall time (CheckpointMinutes): with a clock
// that advances a minute per reading and a 2-minute period, episode ends
// write checkpoints although the step period is never reached; with the
// period off only the final one is written; the numbers are the same.
func TestCheckpointMinutes(t *testing.T) {
	const steps = 1000
	run := func(minutes float64) ([]int64, []float32) {
		dir := t.TempDir()
		l := newLoop(t, dir, steps)
		l.Config.CheckpointEvery, l.Config.CheckpointMinutes = 1_000_000, minutes
		now := time.Unix(0, 0)
		l.clock = func() time.Time { now = now.Add(time.Minute); return now }
		if err := l.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		es, err := (&checkpoint.Dir{Path: dir}).List()
		if err != nil {
			t.Fatal(err)
		}
		var at []int64
		for _, e := range es {
			at = append(at, e.Step)
		}
		return at, finalState(t, l)
	}
	timed, a := run(2)
	off, b := run(-1)
	if len(timed) < 2 || timed[0] >= steps || !slices.Equal(off, []int64{steps}) {
		t.Errorf("checkpoints at steps %v with a 2-minute period (want one before %d), %v without (want only %d)", timed, steps, off, steps)
	}
	if !slices.Equal(a, b) {
		t.Error("checkpointing by wall time changed the run's parameters")
	}
	if err := (Config{OnlineSteps: 1, CheckpointMinutes: math.Inf(1)}).Validate(); err == nil || !strings.Contains(err.Error(), "train.checkpoint_minutes") {
		t.Errorf("infinite checkpoint_minutes: %v", err)
	}
}

// A run with both phases keeps the checkpoint taken at the switch (here
// between the periodic ones, and past Keep), and a run restored from it
// ends exactly where the uninterrupted run ends: what `dwm train --fork`
// branches from.
func TestSwitchCheckpointPinned(t *testing.T) {
	const offline, online = 130, 400
	build := func(dir string) *Loop {
		l := newLoop(t, dir, online)
		l.Config.OfflineSteps = offline
		off, _ := replay.New(500, 3, 1, false)
		s := rng.New(3)
		obs, next := make([]float32, 3), make([]float32, 3)
		for range 500 {
			for j := range obs {
				obs[j], next[j] = float32(s.NormFloat64()), float32(s.NormFloat64())
			}
			off.Add(obs, []float32{float32(2*s.Float64() - 1)}, float32(-s.Float64()), next, false)
		}
		l.OfflineSampler = off
		if dir != "" {
			l.Checkpoints.Keep = 1
		}
		return l
	}
	dir := t.TempDir()
	ref := build(dir)
	if err := ref.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	entries, err := ref.Checkpoints.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Step != offline || entries[1].Step != offline+online {
		t.Fatalf("kept %+v; want the switch (%d) and the last (%d)", entries, offline, offline+online)
	}
	ck, err := checkpoint.ReadDir(entries[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Counters["offline_step"] != offline || ck.Counters["online_step"] != 0 {
		t.Fatalf("switch checkpoint counters %v", ck.Counters)
	}
	branch := build(t.TempDir())
	if err := branch.Restore(ck); err != nil {
		t.Fatal(err)
	}
	if err := branch.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(finalState(t, ref), finalState(t, branch)) {
		t.Fatal("a run restored from the switch checkpoint ends with other parameters than the uninterrupted run")
	}
}
