//go:build cgo && !nohdf5

package dataset

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadHDF5 feeds arbitrary bytes to the HDF5 reader through a file: it
// must return a valid dataset or an error, never panic or hang. Seeds: files
// from dwm's writer (D4RL and Minari layouts) and from h5py (testdata/, made
// by testdata/gen.py).
func FuzzReadHDF5(f *testing.F) {
	d := makeDataset(f, 3, 3, 2, []int{3, 2}, "to")
	d.Infos = map[string]Column{"qpos": {Dim: 2, Data: make([]float32, 10)}}
	d.Metadata["k"] = "v"
	valid, err := encodeHDF5(d)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(hdf5Bytes(f, d4rlCols(4)))
	f.Add(hdf5Bytes(f, replaceCol(d4rlCols(4), "next_observations", nil, nil)))
	f.Add(hdf5Bytes(f, []col{
		{"episode_0/observations", []float64{0, 1, 2}, []int{3, 1}},
		{"episode_0/actions", []float32{1, 2}, []int{2, 1}},
		{"episode_0/rewards", []float64{1, 1}, []int{2}},
		{"episode_0/terminations", []bool{false, true}, []int{2}},
		{"episode_0/truncations", []bool{false, false}, []int{2}},
	}))
	for _, name := range []string{"d4rl_h5py.hdf5", "minari_h5py.hdf5"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(hdf5Magic))
	// One file per fuzzing process (each worker runs this function), rewritten
	// for every input: cheaper than a directory per input.
	p := filepath.Join(f.TempDir(), "f.hdf5")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := ReadHDF5(p)
		if err != nil {
			return
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("ReadHDF5 returned an invalid dataset: %v", err)
		}
	})
}
