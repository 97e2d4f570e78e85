package rng

import (
	"fmt"
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
	hi, lo := derive(seed, path)
	src := rand.NewPCG(hi, lo)
	return &Stream{Rand: rand.New(src), src: src}
}

// Reseed makes s the stream Derive(seed, path...) would return, in place
// and without allocating (for per-episode streams such as an env's reset
// noise).
func (s *Stream) Reseed(seed uint64, path ...string) {
	hi, lo := derive(seed, path)
	s.src.Seed(hi, lo)
}

// derive hashes seed and path with 64-bit FNV-1a (the seed's 8 bytes
// little-endian, then a zero byte and the bytes of each name) and returns
// the PCG state of Derive.
func derive(seed uint64, path []string) (hi, lo uint64) {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := range 8 {
		h = (h ^ uint64(byte(seed>>(8*i)))) * prime
	}
	for _, p := range path {
		h *= prime // the zero byte: h ^ 0 = h
		for i := 0; i < len(p); i++ {
			h = (h ^ uint64(p[i])) * prime
		}
	}
	return h, splitmix(h ^ seed)
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
