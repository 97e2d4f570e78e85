//go:build !cgo || nohdf5

package dataset

// Without HDF5 there is nothing to isolate: readHDF5 returns ErrNoHDF5.
func readHDF5Isolated(path string) (*Dataset, error) { return readHDF5(path) }
