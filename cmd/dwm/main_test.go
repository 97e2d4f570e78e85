package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func dwm(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

// Bad input gets a clear error naming what is wrong, never a panic.
func TestBadInput(t *testing.T) {
	runs := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"fly"}, `unknown command "fly"`},
		{[]string{"train", "ppo", "--env", "pendulum", "--runs", runs}, "known: sac"},
		{[]string{"train", "sac", "--env", "pendlum", "--steps", "10", "--runs", runs}, "known ids"},
		{[]string{"train", "sac", "--env", "pendulum", "--steps", "-5", "--runs", runs}, "online_steps = -5"},
		{[]string{"train", "sac", "--env", "pendulum", "--steps", "10", "--set", "sac.actor_lr=.nan", "--runs", runs}, "ActorLR"},
		{[]string{"train", "sac", "--env", "pendulum", "--steps", "10", "--set", "sac.tau=-0.1", "--runs", runs}, "Tau"},
		{[]string{"train", "sac", "--env", "pendulum", "--set", "sac.gama=0.9", "--runs", runs}, "gama"},
		{[]string{"train", "sac", "--env", "pendulum", "--seeds", "0,x", "--runs", runs}, `"x"`},
		{[]string{"train", "sac", "--env", "pendulum", "--config", filepath.Join(runs, "none.yaml"), "--runs", runs}, "none.yaml"},
		{[]string{"train", "sac", "--env", "pendulum", "--steps", "10", "--set", "buffer.ratio=1.5", "--runs", runs}, "buffer.ratio = 1.5"},
		{[]string{"eval", "--run", "nosuchrun", "--runs", runs}, "nosuchrun"},
		{[]string{"train", "--resume", "nosuchrun", "--runs", runs}, "nosuchrun"},
		{[]string{"runs", "list", "--runs", filepath.Join(runs, "empty")}, "no run store"},
	}
	for _, c := range cases {
		code, _, stderr := dwm(t, c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("dwm %s: exit %d, stderr %q; want a failure mentioning %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}
}

// A short run trains, records itself, evaluates from its checkpoint, and
// refuses a second resume of a finished run.
func TestTrainEvalRuns(t *testing.T) {
	runs := t.TempDir()
	code, out, errOut := dwm(t, "train", "sac", "--env", "pendulum", "--steps", "400", "--seed", "3", "--runs", runs, "--name", "tiny",
		"--set", "train.learning_starts=200", "--set", "train.eval_episodes=2", "--set", "sac.hidden=[16,16]", "--quiet")
	if code != 0 {
		t.Fatalf("train failed: %s", errOut)
	}
	if !strings.Contains(out, "run tiny done: final eval return") {
		t.Fatalf("unexpected output %q", out)
	}
	cfg, err := os.ReadFile(filepath.Join(runs, "tiny", "config.yaml"))
	if err != nil || !strings.Contains(string(cfg), "learning_starts: 200") ||
		!strings.Contains(string(cfg), "size: 400") || !strings.Contains(string(cfg), "gamma: 0.99") {
		t.Fatalf("resolved config not saved: %v %s", err, cfg)
	}
	code, out, errOut = dwm(t, "eval", "--run", "tiny", "--runs", runs, "--episodes", "3")
	if code != 0 || !strings.Contains(out, "3 episodes: return") || !strings.Contains(out, "normalized") {
		t.Fatalf("eval: %d %q %q", code, out, errOut)
	}
	code, out, _ = dwm(t, "runs", "list", "--runs", runs)
	if code != 0 || !strings.Contains(out, "tiny") || !strings.Contains(out, "done") {
		t.Fatalf("runs list: %q", out)
	}
	code, out, _ = dwm(t, "runs", "show", "tiny", "--runs", runs)
	if code != 0 || !strings.Contains(out, "eval/return") {
		t.Fatalf("runs show: %q", out)
	}
	code, _, errOut = dwm(t, "train", "--resume", "tiny", "--runs", runs)
	if code == 0 || !strings.Contains(errOut, "already finished") {
		t.Fatalf("resume of a finished run: %d %q", code, errOut)
	}
	// A corrupt checkpoint is a clear error naming the file.
	ents, _ := filepath.Glob(filepath.Join(runs, "tiny", "checkpoints", "step-*", "model.safetensors"))
	if len(ents) == 0 {
		t.Fatal("no checkpoint written")
	}
	for _, p := range ents {
		os.WriteFile(p, []byte("garbage"), 0o644)
	}
	code, _, errOut = dwm(t, "eval", "--run", "tiny", "--runs", runs)
	if code == 0 || !strings.Contains(errOut, "model.safetensors") {
		t.Fatalf("corrupt checkpoint: %d %q", code, errOut)
	}
	code, _, errOut = dwm(t, "train", "sac", "--env", "pendulum", "--steps", "10", "--runs", runs, "--name", "tiny")
	if code == 0 || !strings.Contains(errOut, "already exists") {
		t.Fatalf("reusing a run name: %d %q", code, errOut)
	}
}

// A run stopped by SIGINT or SIGTERM saves, is marked interrupted and exits
// 130 or 143 (128 + the signal's number), not 0.
func TestSignalExitCode(t *testing.T) {
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			runs := t.TempDir()
			ctx, cancel := context.WithCancelCause(context.Background())
			cancel(signalCause{tc.sig}) // the signal arrives before the first boundary
			var o, e bytes.Buffer
			code := run(ctx, []string{"train", "sac", "--env", "pendulum", "--steps", "400", "--runs", runs, "--name", "r",
				"--set", "sac.hidden=[16,16]", "--quiet"}, &o, &e)
			if code != tc.code {
				t.Fatalf("exit %d after %v, want %d; stdout %q, stderr %q", code, tc.sig, tc.code, o.String(), e.String())
			}
			if !strings.Contains(o.String(), "run r interrupted; checkpoint saved") {
				t.Errorf("output after %v: %q", tc.sig, o.String())
			}
			if code, out, _ := dwm(t, "runs", "list", "--runs", runs); code != 0 || !strings.Contains(out, "interrupted") {
				t.Errorf("runs list after %v: exit %d, %q; want the run marked interrupted", tc.sig, code, out)
			}
		})
	}
	// A cancellation that is no signal (a library caller's) keeps exit 0.
	var o, e bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if code := run(ctx, []string{"envs"}, &o, &e); code != 0 {
		t.Errorf("dwm envs with a cancelled context: exit %d, stderr %q", code, e.String())
	}
}
