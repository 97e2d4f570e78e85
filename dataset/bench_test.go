//go:build cgo && !nohdf5

package dataset

import (
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkFormats measures writing (with fsync) and reading a hopper-shaped
// dataset of 100k transitions (obs 11, act 3; 10.4 MB of columns) in each
// format. read-hdf5 includes starting the child process.
func BenchmarkFormats(b *testing.B) {
	lens := make([]int, 100)
	for i := range lens {
		lens[i] = 1000
	}
	d := makeDataset(b, 1, 11, 3, lens, strings.Repeat("o", 100))
	dir := b.TempDir()
	for _, ext := range []string{"npz", "hdf5"} {
		p := filepath.Join(dir, "bench."+ext)
		if err := Save(p, d); err != nil {
			b.Fatal(err)
		}
		b.Run("write-"+ext, func(b *testing.B) {
			for b.Loop() {
				if err := Save(p, d); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("read-"+ext, func(b *testing.B) {
			for b.Loop() {
				if _, err := Load(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
