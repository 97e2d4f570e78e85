package dataset

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"os"
	"os/exec"
	"slices"
	"testing"

	"github.com/dwm-rl/dwm/dataset/internal/h5"
)

// sameDataset fails the test unless a and b hold bit-identical data.
func sameDataset(t *testing.T, a, b *Dataset) {
	t.Helper()
	if a.ObsDim != b.ObsDim || a.ActDim != b.ActDim || a.Len() != b.Len() {
		t.Fatalf("shape: %d×(%d,%d) vs %d×(%d,%d)", a.Len(), a.ObsDim, a.ActDim, b.Len(), b.ObsDim, b.ActDim)
	}
	for _, c := range []struct {
		key  string
		x, y []float32
	}{
		{"observations", a.Observations, b.Observations},
		{"actions", a.Actions, b.Actions},
		{"rewards", a.Rewards, b.Rewards},
		{"next_observations", a.NextObservations, b.NextObservations},
	} {
		sameFloats(t, c.key, c.x, c.y)
	}
	if !slices.Equal(a.Terminals, b.Terminals) || !slices.Equal(a.Timeouts, b.Timeouts) {
		t.Errorf("flags differ")
	}
	if len(a.Infos) != len(b.Infos) {
		t.Errorf("infos %v vs %v", slices.Sorted(maps.Keys(a.Infos)), slices.Sorted(maps.Keys(b.Infos)))
	}
	for k, c := range a.Infos {
		if b.Infos[k].Dim != c.Dim {
			t.Errorf("infos/%s dim %d vs %d", k, c.Dim, b.Infos[k].Dim)
		}
		sameFloats(t, "infos/"+k, c.Data, b.Infos[k].Data)
	}
	if !maps.Equal(a.Metadata, b.Metadata) {
		t.Errorf("metadata %v vs %v", a.Metadata, b.Metadata)
	}
}

func sameFloats(t *testing.T, key string, x, y []float32) {
	t.Helper()
	if len(x) != len(y) {
		t.Errorf("%s: length %d vs %d", key, len(x), len(y))
		return
	}
	for i := range x {
		if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
			t.Errorf("%s[%d]: %v vs %v", key, i, x[i], y[i])
			return
		}
	}
}

// python returns /usr/bin/python3 if it can import h5py and numpy. Otherwise
// it skips the test, or fails it when CI=true.
func python(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	out, err := exec.Command(py, "-c", "import h5py, numpy").CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("needs %s with h5py and numpy (apt-get install python3-h5py): %v %s", py, err, out)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return py
}

// runPython runs a Python script with args, failing the test on error.
func runPython(t *testing.T, script string, args ...string) {
	t.Helper()
	py := python(t)
	out, err := exec.Command(py, append([]string{"-c", script}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
}

// col is one array of a hand-built test file.
type col struct {
	key   string
	data  any // []float32, []float64, []bool, []int64, []uint8, []int32, []int8, or string
	shape []int
}

// npyDescr returns the dtype string and little-endian bytes of data.
func npyBytes(data any) (string, []byte) {
	var b bytes.Buffer
	switch v := data.(type) {
	case []float32:
		binary.Write(&b, binary.LittleEndian, v)
		return "<f4", b.Bytes()
	case []float64:
		binary.Write(&b, binary.LittleEndian, v)
		return "<f8", b.Bytes()
	case []bool:
		binary.Write(&b, binary.LittleEndian, v)
		return "|b1", b.Bytes()
	case []int64:
		binary.Write(&b, binary.LittleEndian, v)
		return "<i8", b.Bytes()
	case []uint8:
		return "|u1", v
	case []int32:
		binary.Write(&b, binary.LittleEndian, v)
		return "<i4", b.Bytes()
	case []int8:
		binary.Write(&b, binary.LittleEndian, v)
		return "|i1", b.Bytes()
	}
	panic(fmt.Sprintf("npyBytes: %T", data))
}

// npzBytes builds an npz archive of the columns.
func npzBytes(t testing.TB, cols []col) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, c := range cols {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: c.key + ".npy", Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		if s, ok := c.data.(string); ok {
			if err := writeNPYString(w, s); err != nil {
				t.Fatal(err)
			}
			continue
		}
		descr, raw := npyBytes(c.data)
		if err := writeNPYHeader(w, descr, c.shape); err != nil {
			t.Fatal(err)
		}
		w.Write(raw)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// hdf5Bytes builds an HDF5 file of the columns with the package's writer.
func hdf5Bytes(t testing.TB, cols []col) []byte {
	t.Helper()
	w, err := h5.NewWriter(fmt.Sprintf("test-%p", &cols), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, c := range cols {
		if s, ok := c.data.(string); ok {
			err = w.WriteString(c.key, s)
		} else {
			err = w.Write(c.key, c.data, c.shape)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	b, err := w.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// d4rlCols returns a valid D4RL-layout column set of n rows (obs dim 3, act
// dim 2) with two episodes: a terminal at row 2 and a timeout at row n-1.
func d4rlCols(n int) []col {
	obs := make([]float32, n*3)
	next := make([]float32, n*3)
	act := make([]float32, n*2)
	rew := make([]float32, n)
	term := make([]bool, n)
	tout := make([]bool, n)
	for i := range obs {
		obs[i] = float32(i) / 10
		next[i] = float32(i+3) / 10
	}
	for i := range act {
		act[i] = float32(i%5) / 5
	}
	for i := range rew {
		rew[i] = float32(i)
	}
	term[2] = true
	tout[n-1] = true
	return []col{
		{"observations", obs, []int{n, 3}},
		{"actions", act, []int{n, 2}},
		{"rewards", rew, []int{n}},
		{"next_observations", next, []int{n, 3}},
		{"terminals", term, []int{n}},
		{"timeouts", tout, []int{n}},
	}
}

// replaceCol returns cols with key replaced (data nil: removed).
func replaceCol(cols []col, key string, data any, shape []int) []col {
	out := make([]col, 0, len(cols))
	for _, c := range cols {
		if c.key == key {
			if data != nil {
				out = append(out, col{key, data, shape})
			}
			continue
		}
		out = append(out, c)
	}
	return out
}

func toF64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}
