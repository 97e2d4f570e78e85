//go:build cgo && !nohdf5

package dataset

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/dataset/internal/h5"
)

// richDataset is a dataset with infos and metadata for round trips.
func richDataset(t *testing.T) *Dataset {
	d := makeDataset(t, 11, 5, 3, []int{7, 1, 12, 4}, "tot-")
	d.Metadata[MetaPolicyHash] = "sha256:abc"
	d.Metadata[MetaVersion] = "0.1.0"
	d.Metadata["note"] = "ünïcödé ✓"
	d.Metadata["empty"] = ""
	n := d.Len()
	qpos := make([]float32, n*4)
	lp := make([]float32, n)
	for i := range qpos {
		qpos[i] = float32(i) * 0.25
	}
	for i := range lp {
		lp[i] = -float32(i)
	}
	d.Infos = map[string]Column{"qpos": {Dim: 4, Data: qpos}, "action_log_probs": {Dim: 1, Data: lp}}
	// Values that must survive bit-exactly: negative zero, subnormal, max.
	d.Observations[0] = float32(negZero())
	d.Observations[1] = 1e-45
	d.Observations[2] = 3.4028235e38
	return d
}

func negZero() float32 {
	z := float32(0)
	return -z
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	d := richDataset(t)
	npz := filepath.Join(dir, "a.npz")
	h5p := filepath.Join(dir, "a.hdf5")
	npz2 := filepath.Join(dir, "b.npz")
	if err := Save(npz, d); err != nil {
		t.Fatal(err)
	}
	a, err := Load(npz)
	if err != nil {
		t.Fatal(err)
	}
	sameDataset(t, d, a)
	if err := Save(h5p, a); err != nil {
		t.Fatal(err)
	}
	b, err := Load(h5p)
	if err != nil {
		t.Fatal(err)
	}
	sameDataset(t, d, b)
	if err := Save(npz2, b); err != nil {
		t.Fatal(err)
	}
	c, err := Load(npz2)
	if err != nil {
		t.Fatal(err)
	}
	sameDataset(t, d, c)
	// Deterministic bytes: the same dataset gives the same files.
	x, _ := os.ReadFile(npz)
	y, _ := os.ReadFile(npz2)
	if !bytes.Equal(x, y) {
		t.Error("npz bytes differ between identical writes")
	}
	h2 := filepath.Join(dir, "c.h5")
	if err := Save(h2, c); err != nil {
		t.Fatal(err)
	}
	x, _ = os.ReadFile(h5p)
	y, _ = os.ReadFile(h2)
	if !bytes.Equal(x, y) {
		t.Error("HDF5 bytes differ between identical writes")
	}
}

func TestRoundTripEmpty(t *testing.T) {
	dir := t.TempDir()
	d := New(2, 1, 0)
	for _, name := range []string{"e.npz", "e.hdf5"} {
		p := filepath.Join(dir, name)
		if err := Save(p, d); err != nil {
			t.Fatal(err)
		}
		got, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		if got.Len() != 0 || got.ObsDim != 2 || got.ActDim != 1 {
			t.Errorf("%s: %d rows, dims %d/%d", name, got.Len(), got.ObsDim, got.ActDim)
		}
	}
}

func TestSaveErrors(t *testing.T) {
	dir := t.TempDir()
	d := makeDataset(t, 1, 2, 1, []int{3}, "t")
	if err := Save(filepath.Join(dir, "x.csv"), d); err == nil || !strings.Contains(err.Error(), ".csv") {
		t.Errorf("unknown extension: %v", err)
	}
	// A failed write leaves the previous file intact and no temporary file.
	for _, name := range []string{"keep.npz", "keep.hdf5"} {
		p := filepath.Join(dir, name)
		if err := Save(p, d); err != nil {
			t.Fatal(err)
		}
		before, _ := os.ReadFile(p)
		bad := d.Clone()
		bad.Rewards[1] = float32(1) / float32(negZero()) // -Inf
		err := Save(p, bad)
		if err == nil || !strings.Contains(err.Error(), "rewards[1]") || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: invalid write gave %v", name, err)
		}
		after, _ := os.ReadFile(p)
		if !bytes.Equal(before, after) {
			t.Errorf("%s changed by a failed write", name)
		}
	}
	// Writing into a missing directory fails without leaving anything.
	if err := Save(filepath.Join(dir, "missing", "x.hdf5"), d); err == nil {
		t.Error("write into a missing directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

func TestLoadDispatch(t *testing.T) {
	dir := t.TempDir()
	d := makeDataset(t, 1, 2, 1, []int{3}, "t")
	// Content wins over the extension.
	npzAsH5 := filepath.Join(dir, "really-npz.hdf5")
	h5AsBin := filepath.Join(dir, "really-h5.bin")
	var buf bytes.Buffer
	if err := encodeNPZ(&buf, d); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(npzAsH5, buf.Bytes(), 0o644)
	b, err := encodeHDF5(d)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(h5AsBin, b, 0o644)
	for _, p := range []string{npzAsH5, h5AsBin} {
		got, err := Load(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		sameDataset(t, d, got)
	}
	// An HDF5 file behind a 512-byte user block.
	ub := filepath.Join(dir, "userblock.h5")
	os.WriteFile(ub, append(make([]byte, 512), b...), 0o644)
	if f, err := Sniff(ub); err != nil || f != FormatHDF5 {
		t.Errorf("Sniff(user block) = %v, %v", f, err)
	}
	// A Minari dataset directory.
	mdir := filepath.Join(dir, "minari-ds")
	os.MkdirAll(filepath.Join(mdir, "data"), 0o755)
	os.WriteFile(filepath.Join(mdir, "data", "main_data.hdf5"), minariBytes(t), 0o644)
	if got, err := Load(mdir); err != nil || got.Len() != 5 {
		t.Errorf("Load(Minari dir): %v", err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "Minari") {
		t.Errorf("Load(plain dir) = %v", err)
	}
	junk := filepath.Join(dir, "junk.npz")
	os.WriteFile(junk, []byte("hello world"), 0o644)
	if _, err := Load(junk); err == nil || !strings.Contains(err.Error(), junk) || !strings.Contains(err.Error(), "npz") {
		t.Errorf("Load(junk.npz) = %v", err)
	}
	if _, err := Load(filepath.Join(dir, "absent.npz")); err == nil {
		t.Error("Load(absent) succeeded")
	}
}

// minariBytes builds a small Minari-layout file with the package's writer:
// two episodes of 3 and 2 steps, obs dim 2, act dim 1.
func minariBytes(t *testing.T) []byte {
	w, err := h5.NewWriter("minari-test", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	must := func(err error) {
		if err != nil {
			t.Helper()
			t.Fatal(err)
		}
	}
	must(w.Write("episode_0/observations", []float64{0, 0, 1, 1, 2, 2, 3, 3}, []int{4, 2}))
	must(w.Write("episode_0/actions", []float32{1, 2, 3}, []int{3, 1}))
	must(w.Write("episode_0/rewards", []float64{1, 1, 1}, []int{3}))
	must(w.Write("episode_0/terminations", []bool{false, false, true}, []int{3}))
	must(w.Write("episode_0/truncations", []bool{false, false, false}, []int{3}))
	must(w.Write("episode_1/observations", []float64{5, 5, 6, 6, 7, 7}, []int{3, 2}))
	must(w.Write("episode_1/actions", []float32{4, 5}, []int{2, 1}))
	must(w.Write("episode_1/rewards", []float64{2, 2}, []int{2}))
	must(w.Write("episode_1/terminations", []bool{false, false}, []int{2}))
	must(w.Write("episode_1/truncations", []bool{false, true}, []int{2}))
	must(w.SetAttr("/", "total_episodes", "2"))
	b, err := w.Bytes()
	must(err)
	return b
}

func TestReadMinariGo(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.hdf5")
	os.WriteFile(p, minariBytes(t), 0o644)
	d, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 5 || d.ObsDim != 2 || d.ActDim != 1 {
		t.Fatalf("%d rows dims %d/%d", d.Len(), d.ObsDim, d.ActDim)
	}
	if got := d.EpisodeReturns(); len(got) != 2 || got[0] != 3 || got[1] != 4 {
		t.Errorf("returns %v", got)
	}
	// next_observations of row 1 is observation row 2 of episode 0.
	if d.NextObs(1)[0] != 2 || d.Obs(3)[0] != 5 || d.NextObs(4)[0] != 7 {
		t.Errorf("obs/next obs misaligned: %v / %v", d.Observations, d.NextObservations)
	}
	if d.Metadata["total_episodes"] != "2" {
		t.Errorf("metadata %v", d.Metadata)
	}
}

// TestConcurrentHDF5 writes and reads HDF5 files from several goroutines:
// the library serializes calls, and each in-memory file has its own name.
func TestConcurrentHDF5(t *testing.T) {
	dir := t.TempDir()
	d := richDataset(t)
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			p := filepath.Join(dir, fmt.Sprintf("c%d.hdf5", g))
			if err := Save(p, d); err != nil {
				errs <- err
				return
			}
			got, err := Load(p)
			if err == nil && got.Len() != d.Len() {
				err = fmt.Errorf("%s: %d rows", p, got.Len())
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// corpusBytes decodes a file of Go's fuzz corpus format holding one []byte.
func corpusBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, lit, _ := strings.Cut(string(b), "\n")
	lit = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(lit), "[]byte("), ")")
	s, err := strconv.Unquote(lit)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(s)
}

// TestHDF5CrashIsolated reads a fuzz-found file on which libhdf5 1.10.8 (and
// h5py with it) segfaults: ReadHDF5 must return an error instead of dying.
func TestHDF5CrashIsolated(t *testing.T) {
	p := filepath.Join(t.TempDir(), "crash.hdf5")
	os.WriteFile(p, corpusBytes(t, filepath.Join("testdata", "fuzz", "FuzzReadHDF5", "fe5963451e5b5215")), 0o644)
	_, err := ReadHDF5(p)
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "crashed") {
		t.Fatalf("ReadHDF5 = %v, want an error saying the library crashed", err)
	}
	// A valid file read in-process gives the same dataset as through the
	// child process.
	d := richDataset(t)
	q := filepath.Join(t.TempDir(), "ok.hdf5")
	if err := WriteHDF5(q, d); err != nil {
		t.Fatal(err)
	}
	got, err := ReadHDF5InProcess(q)
	if err != nil {
		t.Fatal(err)
	}
	sameDataset(t, d, got)
}
