package dataset

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/dwm-rl/dwm/rng"
)

// mutate returns a copy of b with a few seeded random edits: bit flips,
// byte overwrites with boundary values, truncation, insertion and deletion
// of runs. It is the reproducible half of fuzzing: `make test` runs these
// fixed mutations on every commit (the same inputs on every machine, so
// the verdict cannot vary), `make fuzz` runs Go's coverage-guided fuzzers.
func mutate(b []byte, s *rng.Stream) []byte {
	out := append([]byte(nil), b...)
	for range 1 + s.IntN(4) {
		if len(out) == 0 {
			out = append(out, byte(s.IntN(256)))
			continue
		}
		i := s.IntN(len(out))
		switch s.IntN(6) {
		case 0:
			out[i] ^= 1 << s.IntN(8)
		case 1:
			out[i] = []byte{0, 0x7f, 0x80, 0xff}[s.IntN(4)]
		case 2: // a 4- or 8-byte field set to an extreme
			n := []int{4, 8}[s.IntN(2)]
			fill := []byte{0, 0xff}[s.IntN(2)]
			for k := i; k < min(i+n, len(out)); k++ {
				out[k] = fill
			}
		case 3:
			out = out[:i]
		case 4:
			run := make([]byte, 1+s.IntN(16))
			for k := range run {
				run[k] = byte(s.IntN(256))
			}
			out = append(out[:i], append(run, out[i:]...)...)
		case 5:
			out = append(out[:i], out[min(len(out), i+1+s.IntN(16)):]...)
		}
	}
	return out
}

// TestReadersSurviveMutations: seeded mutations of valid npz and HDF5 files
// (dwm's own and h5py's) give a valid dataset or an error from the readers,
// never a panic, a hang or an invalid dataset.
func TestReadersSurviveMutations(t *testing.T) {
	d := makeDataset(t, 3, 3, 2, []int{3, 2}, "to")
	d.Infos = map[string]Column{"qpos": {Dim: 2, Data: make([]float32, 10)}}
	var npz bytes.Buffer
	if err := encodeNPZ(&npz, d); err != nil {
		t.Fatal(err)
	}
	type reader struct {
		name  string
		ext   string
		read  func(string) (*Dataset, error)
		seeds [][]byte
		n     int // mutations per seed: the HDF5 reader runs in a child process, so fewer
	}
	readers := []reader{{name: "npz", ext: ".npz", read: ReadNPZ, seeds: [][]byte{npz.Bytes()}, n: 1500}}
	if h, err := encodeHDF5(d); err == nil {
		seeds := [][]byte{h}
		for _, name := range []string{"d4rl_h5py.hdf5", "minari_h5py.hdf5"} {
			b, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			seeds = append(seeds, b)
		}
		readers = append(readers, reader{name: "hdf5", ext: ".hdf5", read: ReadHDF5, seeds: seeds, n: 40})
	}
	for _, r := range readers {
		t.Run(r.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "f"+r.ext)
			s := rng.New(20261123)
			valid := 0
			for si, seed := range r.seeds {
				for k := range r.n {
					b := mutate(seed, s)
					if err := os.WriteFile(p, b, 0o600); err != nil {
						t.Fatal(err)
					}
					got, err := r.read(p)
					if err != nil {
						continue
					}
					valid++
					if err := got.Validate(); err != nil {
						t.Fatalf("seed %d mutation %d: reader returned an invalid dataset: %v", si, k, err)
					}
				}
			}
			t.Logf("%d of %d mutated files still read as valid datasets", valid, len(r.seeds)*r.n)
		})
	}
}
