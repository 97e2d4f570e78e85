//go:build cgo && !nohdf5

package dataset

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// HDF5 files are parsed by libhdf5, and libhdf5 1.10 crashes (SIGSEGV in
// C, which no Go code can recover) on some corrupt files: fuzzing found
// malformed datatype messages that make H5Oopen copy through wild pointers,
// and h5py dies on the same files. ReadHDF5 therefore parses the file in a
// child process: the running executable re-executed with readerEnv set,
// which this package's init notices before main runs. The child validates
// the dataset and sends it back in the npz encoding on stdout; a crash
// becomes an error naming the file.

// readerEnv names the file a child process should read.
const readerEnv = "DWM_DATASET_READ_HDF5"

// readerFailed is the child's exit status for an ordinary read error, whose
// message it writes to stderr.
const readerFailed = 3

func init() {
	if path, ok := os.LookupEnv(readerEnv); ok {
		os.Exit(readerChild(path))
	}
}

// readerChild reads path and writes the dataset to stdout as npz; it
// returns the process exit status.
func readerChild(path string) int {
	d, err := readHDF5(path)
	if err != nil {
		fmt.Fprint(os.Stderr, err)
		return readerFailed
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	if err := encodeNPZ(w, d); err != nil {
		fmt.Fprint(os.Stderr, err)
		return readerFailed
	}
	if err := w.Flush(); err != nil {
		fmt.Fprint(os.Stderr, err)
		return readerFailed
	}
	return 0
}

// readHDF5Isolated reads path in a child process (see above). If the
// executable cannot be found it reads in this process.
func readHDF5Isolated(path string) (*Dataset, error) {
	exe, err := os.Executable()
	if err != nil {
		return readHDF5(path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), readerEnv+"="+abs)
	var out bytes.Buffer
	stderr := &limitedBuffer{max: 64 << 10}
	cmd.Stdout, cmd.Stderr = &out, stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit) && exit.ExitCode() == readerFailed:
			return nil, errors.New(msg)
		case errors.As(err, &exit) && exit.ExitCode() < 0:
			return nil, fmt.Errorf("the HDF5 library crashed reading the file (%v): it is corrupt or not supported", exit)
		case strings.Contains(msg, "signal arrived during cgo execution"):
			// The Go runtime reports a fault in C code and exits with 2.
			return nil, fmt.Errorf("the HDF5 library crashed reading the file (%s): it is corrupt or not supported", firstLine(msg))
		}
		return nil, fmt.Errorf("HDF5 reader process %s: %v %s", exe, err, lastLine(msg))
	}
	d, err := decodeNPZ(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		return nil, fmt.Errorf("HDF5 reader process sent a bad result: %w", err)
	}
	return d, nil
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.Len(); room > 0 {
		l.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

var _ io.Writer = (*limitedBuffer)(nil)

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
