package dataset

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

var (
	zipMagic  = []byte("PK\x03\x04")
	zipEmpty  = []byte("PK\x05\x06")
	hdf5Magic = []byte("\x89HDF\r\n\x1a\n")
)

// Format is a file format Load and Save know.
type Format int

// Formats.
const (
	FormatUnknown Format = iota
	FormatNPZ
	FormatHDF5
)

// String names the format: "npz", "HDF5" or "unknown".
func (f Format) String() string {
	switch f {
	case FormatNPZ:
		return "npz"
	case FormatHDF5:
		return "HDF5"
	}
	return "unknown"
}

// FormatOf returns the format a file name's extension implies: .npz, or
// .hdf5/.h5/.he5.
func FormatOf(path string) Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".npz":
		return FormatNPZ
	case ".hdf5", ".h5", ".he5":
		return FormatHDF5
	}
	return FormatUnknown
}

// Sniff returns the format of a file from its first bytes: a zip archive is
// npz; HDF5's signature, at offset 0 or at 512, 1024, 2048, … (after a user
// block), is HDF5.
func Sniff(path string) (Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return FormatUnknown, err
	}
	defer f.Close()
	var head [8]byte
	n, err := io.ReadFull(f, head[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return FormatUnknown, err
	}
	switch {
	case bytes.HasPrefix(head[:n], zipMagic), bytes.HasPrefix(head[:n], zipEmpty):
		return FormatNPZ, nil
	case bytes.Equal(head[:n], hdf5Magic):
		return FormatHDF5, nil
	}
	st, err := f.Stat()
	if err != nil {
		return FormatUnknown, err
	}
	for off := int64(512); off+8 <= st.Size(); off *= 2 {
		if _, err := f.ReadAt(head[:], off); err != nil {
			return FormatUnknown, err
		}
		if bytes.Equal(head[:], hdf5Magic) {
			return FormatHDF5, nil
		}
	}
	return FormatUnknown, nil
}

// Load reads a dataset, choosing the reader by the file's content (see
// Sniff). A directory is taken as a Minari dataset directory and its
// data/main_data.hdf5 is read. The result has passed Validate.
func Load(path string) (*Dataset, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("load dataset: %w", err)
	}
	if st.IsDir() {
		main := filepath.Join(path, "data", "main_data.hdf5")
		if _, err := os.Stat(main); err != nil {
			return nil, fmt.Errorf("load dataset %s: a directory, but not a Minari dataset (no data/main_data.hdf5)", path)
		}
		return ReadHDF5(main)
	}
	format, err := Sniff(path)
	if err != nil {
		return nil, fmt.Errorf("load dataset %s: %w", path, err)
	}
	switch format {
	case FormatNPZ:
		return ReadNPZ(path)
	case FormatHDF5:
		return ReadHDF5(path)
	}
	if ext := FormatOf(path); ext != FormatUnknown {
		return nil, fmt.Errorf("load dataset %s: named like %s but its content is not (truncated or corrupt?)", path, ext)
	}
	return nil, fmt.Errorf("load dataset %s: neither an npz (zip) archive nor an HDF5 file", path)
}

// Save writes d in the format its extension names (.npz, or .hdf5/.h5/.he5),
// replacing any file atomically.
func Save(path string, d *Dataset) error {
	switch FormatOf(path) {
	case FormatNPZ:
		return WriteNPZ(path, d)
	case FormatHDF5:
		return WriteHDF5(path, d)
	}
	return fmt.Errorf("save dataset %s: unknown extension %q (want .npz, .hdf5 or .h5)", path, filepath.Ext(path))
}
