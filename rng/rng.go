package rng

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
)

// Stream is a seeded random stream whose state can be saved and restored.
// It embeds *rand.Rand so all the usual methods (Float64, IntN, NormFloat64,
// Perm, Shuffle) are available. A Stream is not safe for concurrent use.
type Stream struct {
	*rand.Rand
	src *rand.PCG
}

// New returns a stream seeded with seed.
func New(seed uint64) *Stream {
	return Derive(seed)
}

// Derive returns a stream for the component named by path under seed, e.g.
// Derive(seed, "worldmodel", "member", "3"). Different paths give
// statistically independent streams; the same seed and path always give the
// same stream.
func Derive(seed uint64, path ...string) *Stream {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	for _, p := range path {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	hi := h.Sum64()
	lo := splitmix(hi ^ seed)
	src := rand.NewPCG(hi, lo)
	return &Stream{Rand: rand.New(src), src: src}
}

// Child derives a new independent stream from this stream's next value and
// the given name. It advances the parent by one draw.
func (s *Stream) Child(name string) *Stream {
	return Derive(s.Uint64(), name)
}

// State returns the stream's exact state for a checkpoint.
func (s *Stream) State() ([]byte, error) {
	b, err := s.src.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("rng: save state: %w", err)
	}
	return b, nil
}

// SetState restores a state previously returned by State.
func (s *Stream) SetState(b []byte) error {
	if err := s.src.UnmarshalBinary(b); err != nil {
		return fmt.Errorf("rng: restore state: %w", err)
	}
	return nil
}

// NormFloat32 returns a standard normal float32.
func (s *Stream) NormFloat32() float32 { return float32(s.NormFloat64()) }

// FillNormal fills dst with independent N(0, 1) draws.
func (s *Stream) FillNormal(dst []float32) {
	for i := range dst {
		dst[i] = float32(s.NormFloat64())
	}
}

// FillUniform fills dst with independent U(lo, hi) draws.
func (s *Stream) FillUniform(dst []float32, lo, hi float32) {
	w := float64(hi - lo)
	for i := range dst {
		dst[i] = lo + float32(s.Float64()*w)
	}
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Seeds returns n distinct seeds derived from base, for vector envs or
// multi-seed runs.
func Seeds(base uint64, n int) []uint64 {
	out := make([]uint64, n)
	x := base
	for i := range out {
		x = splitmix(x + uint64(i))
		out[i] = x & math.MaxInt64
	}
	return out
}
