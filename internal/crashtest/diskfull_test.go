package crashtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/report"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/track"
)

// tmpfs mounts a tmpfs of size (e.g. "1m") on a new temporary directory and
// returns it with a function that resizes it. It skips the test where
// mounting is not allowed (not root, no mount(8), a container without the
// capability); the subprocess tests below fall back to a file-size limit.
func tmpfs(t *testing.T, size string) (string, func(size string)) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() }) // before TempDir's removal
	return dir, func(size string) {
		if out, err := exec.Command("mount", "-o", "remount,size="+size, dir).CombinedOutput(); err != nil {
			t.Fatalf("resize tmpfs: %v %s", err, out)
		}
	}
}

// fill writes a file in dir until the file system is full and returns a
// function that deletes it again.
func fill(t *testing.T, dir string) func() {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", dir, err)
			}
			break
		}
	}
	f.Close()
	return func() { os.Remove(p) }
}

// noTemporaries fails if dir holds a temporary file or directory of an
// atomic write (".…tmp-…").
func noTemporaries(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp-") {
			t.Errorf("temporary %s left behind", p)
		}
		return nil
	})
}

// Every kind of file dwm writes, written over a previous version on a full
// disk: the write fails with an error naming the file and saying the disk is
// full, the previous version stays intact and readable, no temporary file
// remains, and once space is freed the write succeeds.
func TestDiskFullKeepsPreviousFiles(t *testing.T) {
	root, _ := tmpfs(t, "2m")
	s := rng.New(1)
	small := func(n int) *dataset.Dataset {
		d := dataset.New(3, 1, n)
		o, a, nx := make([]float32, 3), make([]float32, 1), make([]float32, 3)
		for i := range n {
			s.FillNormal(o)
			s.FillNormal(a)
			s.FillNormal(nx)
			d.Append(o, a, float32(i), nx, false, i == n-1)
		}
		return d
	}
	for _, c := range []struct {
		name string
		// write writes version v (1 or 2; 2 is larger) into dir and
		// returns the path to check; read returns a digest of the file.
		write func(dir string, v int) (string, error)
		read  func(path string) (string, error)
		// full is what the error must say.
		full string
	}{
		{"checkpoint", func(dir string, v int) (string, error) {
			d := checkpoint.Dir{Path: dir, Keep: 2}
			w := make([]float32, 1000*v*v)
			return d.Save(&checkpoint.Checkpoint{Step: int64(v), Model: []checkpoint.Tensor{{Name: "w", Shape: []int{len(w)}, Data: w}}})
		}, func(string) (string, error) {
			return "", nil // checked below through LoadLatest
		}, "no space left on device"},
		{"dataset.npz", func(dir string, v int) (string, error) {
			p := filepath.Join(dir, "d.npz")
			return p, dataset.Save(p, small(2000*v*v))
		}, datasetDigest, "no space left on device"},
		{"dataset.hdf5", func(dir string, v int) (string, error) {
			p := filepath.Join(dir, "d.hdf5")
			return p, dataset.Save(p, small(2000*v*v))
		}, datasetDigest, "no space left on device"},
		{"replay", func(dir string, v int) (string, error) {
			b, _ := replay.New(3000*v*v, 3, 1, false)
			for range b.Cap() {
				b.Add([]float32{1, 2, 3}, []float32{float32(v)}, 1, []float32{1, 2, 3}, false)
			}
			p := filepath.Join(dir, "b.rpl")
			return p, b.Save(p)
		}, func(p string) (string, error) {
			b, err := replay.Load(p)
			if err != nil {
				return "", err
			}
			return fmt.Sprint(b.Len()), nil
		}, "no space left on device"},
		{"normalizer", func(dir string, v int) (string, error) {
			n, err := dataset.FitNormalizer(make([]float32, 3000*v), 3000*v, 1e-3)
			if err != nil {
				return "", err
			}
			p := filepath.Join(dir, "n.json")
			return p, n.Save(p)
		}, func(p string) (string, error) {
			n, err := dataset.LoadNormalizer(p)
			if err != nil {
				return "", err
			}
			return fmt.Sprint(len(n.Mean)), nil
		}, "no space left on device"},
		{"report", func(dir string, v int) (string, error) {
			st := reportStore(t, v)
			res, err := report.BuildFile(st, track.Filter{}, dir, report.Options{})
			if err != nil {
				return filepath.Join(dir, report.MarkdownFile), err
			}
			return res.Markdown, nil
		}, func(p string) (string, error) {
			b, err := os.ReadFile(p)
			return string(b), err
		}, "no space left on device"},
		{"store", func(dir string, v int) (string, error) {
			p := filepath.Join(dir, "dwm.db")
			st, err := track.Open(p)
			if err != nil {
				return p, err
			}
			defer st.Close()
			r, err := st.RunByName("r")
			if errors.Is(err, track.ErrNotFound) {
				r, err = st.CreateRun(track.Run{Name: "r", Algo: "sac", Env: "pendulum"})
			}
			if err != nil {
				return p, err
			}
			rows := make([]track.Row, 3000*v*v)
			for i := range rows {
				rows[i] = track.Row{Step: int64(i), Phase: "online", Name: fmt.Sprintf("train/v%d", v), Value: float64(i)}
			}
			return p, st.LogRows(r.ID, rows)
		}, func(p string) (string, error) {
			st, err := track.Open(p)
			if err != nil {
				return "", err
			}
			defer st.Close()
			r, err := st.RunByName("r")
			if err != nil {
				return "", err
			}
			names, err := st.MetricNames(r.ID)
			n, _ := st.CountMetrics(r.ID)
			return fmt.Sprint(names, n), err
		}, "out of disk space"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(root, c.name)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			p, err := c.write(dir, 1)
			if err != nil {
				t.Fatalf("first write: %v", err)
			}
			before, err := c.read(p)
			if err != nil {
				t.Fatal(err)
			}
			free := fill(t, root)
			_, err = c.write(dir, 2)
			if err == nil {
				free()
				t.Fatal("write on a full disk succeeded")
			}
			if !strings.Contains(err.Error(), c.full) || !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q does not say %q and name a file in %s", err, c.full, dir)
			}
			t.Logf("error: %v", err)
			free()
			after, err := c.read(p)
			if err != nil || after != before {
				t.Errorf("previous file changed or unreadable after the failed write: %v", err)
			}
			if c.name == "checkpoint" {
				ck, err := checkpoint.LoadLatest(dir)
				if err != nil || ck.Step != 1 {
					t.Errorf("latest checkpoint after the failed save: %v %v", ck, err)
				}
			}
			noTemporaries(t, dir)
			if _, err := c.write(dir, 2); err != nil {
				t.Errorf("write after freeing space: %v", err)
			}
		})
	}
}

func datasetDigest(p string) (string, error) {
	d, err := dataset.Load(p)
	if err != nil {
		return "", err
	}
	return fmt.Sprint(d.Len(), d.Rewards[d.Len()-1], d.Observations[:3]), nil
}

// reportStore returns a store (outside the tmpfs) with two runs of 10·v
// evaluations each, for report.Build.
func reportStore(t *testing.T, v int) string {
	p := filepath.Join(t.TempDir(), "dwm.db")
	st, err := track.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for seed := range int64(2) {
		r, err := st.CreateRun(track.Run{Name: fmt.Sprintf("pendulum__sac__%d", seed), Algo: "sac", Env: "pendulum", Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 10 * v {
			if err := st.LogMetrics(r.ID, int64(100*i), "online", map[string]float64{"eval/return": float64(i - int(seed))}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return p
}

// limitedRun starts dwm with its runs directory on a small file system: a
// tmpfs of tmpfsKiB where mounting works, else a temporary directory under
// a per-file size limit of ulimitKiB (bash's ulimit -f; forced with
// DWM_CRASHTEST_NO_TMPFS=1). lift removes the limit.
func limitedRun(t *testing.T, tmpfsKiB, ulimitKiB int) (runs string, start func(args ...string) *proc, lift func()) {
	t.Helper()
	if os.Geteuid() == 0 && os.Getenv("DWM_CRASHTEST_NO_TMPFS") == "" {
		dir := t.TempDir()
		if exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%dk", tmpfsKiB), "tmpfs", dir).Run() == nil {
			t.Cleanup(func() { exec.Command("umount", dir).Run() })
			t.Logf("runs directory on a %d KiB tmpfs", tmpfsKiB)
			return dir, func(args ...string) *proc {
					return startProc(t, exec.Command(dwmBin, args...))
				}, func() {
					if out, err := exec.Command("mount", "-o", "remount,size=64m", dir).CombinedOutput(); err != nil {
						t.Fatalf("resize tmpfs: %v %s", err, out)
					}
				}
		}
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("neither a tmpfs nor bash's ulimit -f to limit file sizes")
	}
	t.Logf("files limited to %d KiB", ulimitKiB)
	limit := ulimitKiB
	return t.TempDir(), func(args ...string) *proc {
		if limit == 0 {
			return startProc(t, exec.Command(dwmBin, args...))
		}
		a := append([]string{"-c", fmt.Sprintf(`ulimit -f %d && exec "$0" "$@"`, limit), dwmBin}, args...)
		return startProc(t, exec.Command("bash", a...))
	}, func() { limit = 0 }
}

// A run whose disk fills up stops with an error naming the file it could
// not write and saying why; its checkpoints stay intact, and once there is
// space again --resume finishes it exactly as an uninterrupted run. The
// smaller size fills up on a store write, the larger on a checkpoint.
func TestRunOutOfSpaceResumes(t *testing.T) {
	t.Parallel()
	for _, size := range []struct{ tmpfs, ulimit int }{{256, 64}, {384, 96}} {
		t.Run(fmt.Sprint(size.tmpfs), func(t *testing.T) {
			t.Parallel()
			c := sacCase()
			args := append([]string{"train"}, c.args(t)...)
			want := t.TempDir()
			ref := start(t, append(args, "--runs", want, "--name", "run", "--quiet")...)
			got, startLimited, lift := limitedRun(t, size.tmpfs, size.ulimit)
			p := startLimited(append(args, "--runs", got, "--name", "run", "--quiet")...)
			if err := p.wait(t); err == nil {
				t.Fatalf("the run fit into the limit; stdout:\n%s", p.stdout.String())
			}
			msg := p.stderr.String()
			t.Logf("out of space: %s", strings.TrimSpace(msg))
			if !strings.Contains(msg, got) || !slices.ContainsFunc([]string{"no space left on device", "file too large", "out of disk space"},
				func(s string) bool { return strings.Contains(msg, s) }) {
				t.Errorf("error does not name a file in %s and say it is out of space:\n%s", got, msg)
			}
			e, err := checkpoint.Latest(filepath.Join(got, "run", "checkpoints"))
			if err != nil {
				t.Fatalf("no checkpoint survived: %v", err)
			}
			if _, err := checkpoint.ReadDir(e.Path); err != nil {
				t.Fatalf("latest checkpoint damaged: %v", err)
			}
			t.Logf("latest checkpoint %s", filepath.Base(e.Path))
			noTemporaries(t, filepath.Join(got, "run", "checkpoints"))
			lift()
			p = startLimited("train", "--resume", "run", "--runs", got, "--quiet")
			mustSucceed(t, p, "resumed run")
			mustSucceed(t, ref, "uninterrupted run")
			sameRun(t, want, got, "run")
		})
	}
}
