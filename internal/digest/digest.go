// Package digest writes numeric columns into a hash, for caches keyed by
// the content of the data they were computed from (BDWM's world-model
// cache, DAWM's generated transitions).
package digest

import (
	"encoding/binary"
	"io"
	"math"
)

// Floats writes the little-endian bytes of v to h, in blocks.
func Floats(h io.Writer, v []float32) {
	var buf [4096]byte
	for len(v) > 0 {
		n := min(len(v), len(buf)/4)
		for i, x := range v[:n] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
		}
		h.Write(buf[:4*n])
		v = v[n:]
	}
}

// Bools writes one byte per value of v (1 for true, 0 for false) to h; a
// nil v writes n zero bytes, so a missing column hashes as all false.
func Bools(h io.Writer, v []bool, n int) {
	b := make([]byte, n)
	for i := range min(n, len(v)) {
		if v[i] {
			b[i] = 1
		}
	}
	h.Write(b)
}
