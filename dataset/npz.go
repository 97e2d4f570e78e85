package dataset

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/dwm-rl/dwm/internal/atomicfile"
)

// maxDeflateRatio bounds an entry's uncompressed size by its compressed size:
// deflate cannot expand data more than 1032:1, so a larger claim is a corrupt
// or hostile archive, refused before anything is allocated.
const maxDeflateRatio = 1032

// ReadNPZ reads a dataset from a NumPy .npz archive in D4RL's layout (see the
// package documentation) and validates it. Errors name the file, the key and
// the index.
func ReadNPZ(path string) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read npz: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read npz %s: %w", path, err)
	}
	d, err := decodeNPZ(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("read npz %s: %w", path, err)
	}
	return d, nil
}

// DecodeNPZ reads a dataset from npz bytes (e.g. embedded in the binary)
// exactly as ReadNPZ reads a file.
func DecodeNPZ(r io.ReaderAt, size int64) (*Dataset, error) { return decodeNPZ(r, size) }

func decodeNPZ(r io.ReaderAt, size int64) (*Dataset, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("not a valid zip archive: %w", err)
	}
	src := &npzSource{size: size, files: map[string]*zip.File{}}
	for _, f := range zr.File {
		key, ok := strings.CutSuffix(f.Name, ".npy")
		if !ok {
			continue
		}
		if _, dup := src.files[key]; dup {
			return nil, fmt.Errorf("key %q appears twice in the archive", key)
		}
		src.files[key] = f
	}
	d, err := assembleD4RL(src)
	if err != nil {
		return nil, err
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// npzSource serves the .npy entries of a zip archive.
type npzSource struct {
	size  int64
	files map[string]*zip.File
}

func (s *npzSource) keys() []string { return slices.Sorted(maps.Keys(s.files)) }

func (s *npzSource) attrs() (map[string]string, error) { return nil, nil }

func (s *npzSource) open(key string) (array, error) {
	f, ok := s.files[key]
	if !ok {
		return nil, fmt.Errorf("missing key %q", key)
	}
	if f.CompressedSize64 > uint64(s.size) || f.UncompressedSize64 > maxDeflateRatio*f.CompressedSize64+1024 {
		return nil, fmt.Errorf("%s: entry sizes %d (compressed) / %d (uncompressed) impossible in a %d-byte archive",
			key, f.CompressedSize64, f.UncompressedSize64, s.size)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	defer rc.Close()
	a, err := readNPY(rc, int64(f.UncompressedSize64))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	return npzArray{key: key, a: a}, nil
}

// npzArray adapts a decoded .npy array to the array interface.
type npzArray struct {
	key string
	a   *npyArray
}

func (n npzArray) shape() []int                { return n.a.shape }
func (n npzArray) floats() ([]float32, error)  { return n.a.floats(n.key) }
func (n npzArray) numbers() ([]float32, error) { return n.a.numbers(n.key) }
func (n npzArray) flags() ([]bool, error)      { return n.a.flags(n.key) }
func (n npzArray) text() (string, bool)        { return n.a.text() }

// npzEpoch is the modification time of every entry, fixed so that the same
// dataset always gives the same bytes.
var npzEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// WriteNPZ validates d and writes it as an uncompressed .npz archive in
// D4RL's layout: float32 observations [N, obs_dim], actions [N, act_dim],
// rewards [N], next_observations [N, obs_dim], bool terminals and timeouts
// [N], infos/<name> float32 columns, and each Metadata entry as a 0-d
// Unicode array metadata/<key>. The file is replaced atomically.
func WriteNPZ(path string, d *Dataset) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("write npz %s: %w", path, err)
	}
	return atomicfile.Write(path, func(w io.Writer) error { return encodeNPZ(w, d) })
}

func encodeNPZ(w io.Writer, d *Dataset) error {
	zw := zip.NewWriter(w)
	entry := func(key string, fill func(io.Writer) error) error {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: key + ".npy", Method: zip.Store, Modified: npzEpoch})
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if err := fill(fw); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		return nil
	}
	n := d.Len()
	floats := func(key string, data []float32, shape []int) error {
		return entry(key, func(w io.Writer) error { return writeNPYFloat32(w, data, shape) })
	}
	bools := func(key string, data []bool) error {
		return entry(key, func(w io.Writer) error { return writeNPYBool(w, data) })
	}
	if err := floats(keyObs, d.Observations, []int{n, d.ObsDim}); err != nil {
		return err
	}
	if err := floats(keyAct, d.Actions, []int{n, d.ActDim}); err != nil {
		return err
	}
	if err := floats(keyRew, d.Rewards, []int{n}); err != nil {
		return err
	}
	if err := floats(keyNextObs, d.NextObservations, []int{n, d.ObsDim}); err != nil {
		return err
	}
	if err := bools(keyTerm, d.Terminals); err != nil {
		return err
	}
	if err := bools(keyTime, d.Timeouts); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(d.Infos)) {
		c := d.Infos[name]
		shape := []int{n, c.Dim}
		if c.Dim == 1 {
			shape = []int{n}
		}
		if err := floats("infos/"+name, c.Data, shape); err != nil {
			return err
		}
	}
	for _, k := range slices.Sorted(maps.Keys(d.Metadata)) {
		v := d.Metadata[k]
		if err := entry("metadata/"+k, func(w io.Writer) error { return writeNPYString(w, v) }); err != nil {
			return err
		}
	}
	return zw.Close()
}
