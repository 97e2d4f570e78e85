package runlock

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestAcquireExcludes(t *testing.T) {
	dir := t.TempDir()
	if held, err := Held(dir); held || err != nil {
		t.Fatalf("a fresh directory: held %v, %v", held, err)
	}
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	if held, err := Held(dir); !held || err != nil {
		t.Fatalf("while locked: held %v, %v", held, err)
	}
	// A second holder (another open file: flock excludes it even within
	// one process) is refused, with this process's pid named.
	_, err = Acquire(dir)
	if !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("second Acquire: %v, want ErrHeld naming pid %d", err, os.Getpid())
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if held, _ := Held(dir); held {
		t.Fatal("held after Close")
	}
	l2, err := Acquire(dir)
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	l2.Close()
}

// TestReleasedWhenKilled: the lock of a process killed with SIGKILL is free
// again (the kernel releases it), which is how a stale "running" record is
// told from a live run.
func TestReleasedWhenKilled(t *testing.T) {
	if os.Getenv("RUNLOCK_HOLD") != "" {
		l, err := Acquire(os.Getenv("RUNLOCK_HOLD"))
		if err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("locked\n")
		time.Sleep(time.Minute) // killed long before
		l.Close()
		os.Exit(0)
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestReleasedWhenKilled$")
	cmd.Env = append(os.Environ(), "RUNLOCK_HOLD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 7)
	if _, err := out.Read(buf); err != nil || string(buf) != "locked\n" {
		t.Fatalf("child: %q, %v", buf, err)
	}
	if held, _ := Held(dir); !held {
		t.Fatal("the child's lock is not seen")
	}
	if _, err := Acquire(dir); !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(cmd.Process.Pid)) {
		t.Fatalf("Acquire while the child holds it: %v", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if held, _ := Held(dir); held {
		t.Fatal("still held after the holder was killed")
	}
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
}
