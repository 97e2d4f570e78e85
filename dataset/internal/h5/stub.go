//go:build !cgo || nohdf5

package h5

// File is an HDF5 file open for reading; without HDF5 support it cannot be
// opened.
type File struct{}

// Open returns ErrUnavailable.
func Open(path string) (*File, error) { return nil, ErrUnavailable }

// Size returns 0.
func (f *File) Size() int64 { return 0 }

// Close does nothing.
func (f *File) Close() error { return nil }

// Kind returns ErrUnavailable.
func (f *File) Kind(path string) (Kind, error) { return Missing, ErrUnavailable }

// Children returns ErrUnavailable.
func (f *File) Children(group string) ([]string, error) { return nil, ErrUnavailable }

// Info returns ErrUnavailable.
func (f *File) Info(path string) (Info, error) { return Info{}, ErrUnavailable }

// ReadFloat32 returns ErrUnavailable.
func (f *File) ReadFloat32(path string, dst []float32) error { return ErrUnavailable }

// ReadFloat64 returns ErrUnavailable.
func (f *File) ReadFloat64(path string, dst []float64) error { return ErrUnavailable }

// ReadRaw1 returns ErrUnavailable.
func (f *File) ReadRaw1(path string, dst []byte) error { return ErrUnavailable }

// ReadText returns ErrUnavailable.
func (f *File) ReadText(path string) (string, bool, error) { return "", false, ErrUnavailable }

// Attrs returns ErrUnavailable.
func (f *File) Attrs(path string) ([]Attr, error) { return nil, ErrUnavailable }

// Writer builds an HDF5 file in memory; without HDF5 support it cannot be
// created.
type Writer struct{}

// NewWriter returns ErrUnavailable.
func NewWriter(name string, sizeHint int64) (*Writer, error) { return nil, ErrUnavailable }

// Close does nothing.
func (w *Writer) Close() error { return nil }

// CreateGroup returns ErrUnavailable.
func (w *Writer) CreateGroup(path string) error { return ErrUnavailable }

// Write returns ErrUnavailable.
func (w *Writer) Write(path string, data any, shape []int) error { return ErrUnavailable }

// WriteString returns ErrUnavailable.
func (w *Writer) WriteString(path, value string) error { return ErrUnavailable }

// SetAttr returns ErrUnavailable.
func (w *Writer) SetAttr(path, name, value string) error { return ErrUnavailable }

// Bytes returns ErrUnavailable.
func (w *Writer) Bytes() ([]byte, error) { return nil, ErrUnavailable }
