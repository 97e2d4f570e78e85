// Package floatio reads and writes float32 and bool columns as raw
// little-endian bytes: the replay-buffer file format and the content hashes
// that key BDWM's world-model cache and DAWM's generated-data cache.
package floatio

import (
	"encoding/binary"
	"io"
	"math"
)

// Write writes the little-endian bytes of x to w, in blocks. Write errors
// are left to w (a hash never fails; a file writer records its first
// error, as replay's counting writer does).
func Write(w io.Writer, x []float32) {
	var buf [4096]byte
	for len(x) > 0 {
		n := min(len(x), len(buf)/4)
		for i, v := range x[:n] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
		}
		w.Write(buf[:4*n])
		x = x[n:]
	}
}

// Read fills x with little-endian float32 values read from r.
func Read(r io.Reader, x []float32) error {
	var buf [4096]byte
	for len(x) > 0 {
		n := min(len(x), len(buf)/4)
		if _, err := io.ReadFull(r, buf[:4*n]); err != nil {
			return err
		}
		for i := range x[:n] {
			x[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
		}
		x = x[n:]
	}
	return nil
}

// WriteBools writes one byte per value of v (1 for true, 0 for false) to
// w; a v shorter than n is padded with zeros, so a missing column writes as
// all false.
func WriteBools(w io.Writer, v []bool, n int) {
	b := make([]byte, n)
	for i := range min(n, len(v)) {
		if v[i] {
			b[i] = 1
		}
	}
	w.Write(b)
}
