// Package h5 is dwm's thin, error-checked binding to the HDF5 C library
// (libhdf5 1.10, serial, thread-safe build) for the dataset package: open a
// file read-only, list groups, inspect and read datasets and attributes, and
// build a file in memory whose bytes the caller writes atomically.
//
// Every C helper switches off HDF5's automatic error printing for its own
// thread and, on failure, walks the thread's error stack into a Go error in
// the same call, because the stack is per OS thread and a goroutine may move
// between threads between cgo calls.
//
// Built with the nohdf5 tag, or without cgo, every function returns
// ErrUnavailable.
package h5
