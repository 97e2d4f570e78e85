// Package runlock is the lock a process holds on a run directory while it
// trains the run: an exclusive advisory lock (flock) on <dir>/run.lock. Two
// processes cannot train one run at once (a second `dwm train --resume` of a
// running run is refused with the holder's pid instead of interleaving
// checkpoints and metric rows), and whether a run whose record says
// "running" still has a process is a question the lock answers: the kernel
// releases it when the process ends, however it ends (SIGKILL, a machine
// stop), so a stale record is told apart from a live run.
package runlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// File is the lock file's name inside a run directory.
const File = "run.lock"

// ErrHeld is wrapped by Acquire's error when another process holds the
// lock.
var ErrHeld = errors.New("the run is being trained by another process")

// Lock is a held run lock.
type Lock struct {
	f *os.File
}

// Acquire takes the lock of the run directory dir, writing this process's
// pid into the lock file, or returns an error wrapping ErrHeld that names
// the holder's pid. A probe by Held can hold the lock for an instant, so a
// busy lock is retried for a moment before Acquire gives up.
func Acquire(dir string) (*Lock, error) {
	path := filepath.Join(dir, File)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock run %s: %w", dir, err)
	}
	for try := 0; ; try++ {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || try == 20 {
			holder := readPid(f)
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, fmt.Errorf("run %s: %w (pid %s); wait for it to end or stop it first", dir, ErrHeld, holder)
			}
			return nil, fmt.Errorf("lock run %s: %w", dir, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// Close releases the lock.
func (l *Lock) Close() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the last descriptor releases the flock
	l.f = nil
	return err
}

// Held reports whether some process holds the lock of the run directory
// dir. A directory without a lock file was never trained by a dwm that
// locks (or never trained): not held, and Known says which.
func Held(dir string) (bool, error) {
	f, err := os.Open(filepath.Join(dir, File))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	switch err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); {
	case err == nil:
		return false, nil // released when f closes
	case errors.Is(err, syscall.EWOULDBLOCK):
		return true, nil
	default:
		return false, err
	}
}

func readPid(f *os.File) string {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	if s := strings.TrimSpace(string(b[:n])); s != "" {
		return s
	}
	return "unknown"
}

// Known reports whether dir has a lock file: whether Held can tell a live
// run from a dead one there. A run started by a dwm from before the lock
// has none while it runs.
func Known(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, File))
	return err == nil
}
