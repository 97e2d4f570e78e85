//go:build !cgo || nohdf5

package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Without HDF5 the module still builds, npz works, and HDF5 calls say why
// they fail.
func TestWithoutHDF5(t *testing.T) {
	dir := t.TempDir()
	d := makeDataset(t, 1, 2, 1, []int{3}, "t")
	if err := Save(filepath.Join(dir, "x.hdf5"), d); !errors.Is(err, ErrNoHDF5) {
		t.Errorf("WriteHDF5 = %v, want ErrNoHDF5", err)
	}
	h := filepath.Join(dir, "y.hdf5")
	os.WriteFile(h, []byte("\x89HDF\r\n\x1a\n rest"), 0o644)
	if _, err := Load(h); !errors.Is(err, ErrNoHDF5) {
		t.Errorf("ReadHDF5 = %v, want ErrNoHDF5", err)
	}
	p := filepath.Join(dir, "x.npz")
	if err := Save(p, d); err != nil {
		t.Fatal(err)
	}
	got, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	sameDataset(t, d, got)
}
