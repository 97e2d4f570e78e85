package dataset

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadNPZ feeds arbitrary bytes to the npz reader through a file: it must
// return a valid dataset or an error, never panic or hang.
func FuzzReadNPZ(f *testing.F) {
	d := makeDataset(f, 3, 3, 2, []int{3, 2}, "to")
	d.Infos = map[string]Column{"qpos": {Dim: 2, Data: make([]float32, 10)}}
	var buf bytes.Buffer
	if err := encodeNPZ(&buf, d); err != nil {
		f.Fatal(err)
	}
	valid := buf.Bytes()
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(valid[:len(valid)-1])
	f.Add(npzBytes(f, d4rlCols(4)))
	cols := replaceCol(d4rlCols(4), "observations", toF64(make([]float32, 12)), []int{4, 3})
	cols = replaceCol(cols, "terminals", []uint8{0, 0, 1, 0}, []int{4})
	f.Add(npzBytes(f, cols))
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	f.Add([]byte{})
	// One file per fuzzing process (each worker runs this function), rewritten
	// for every input: cheaper than a directory per input.
	p := filepath.Join(f.TempDir(), "f.npz")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := ReadNPZ(p)
		if err != nil {
			return
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("ReadNPZ returned an invalid dataset: %v", err)
		}
	})
}
