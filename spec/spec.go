// Package spec describes observation and action spaces.
//
// A Space is a plain value: a Box of float32 vectors with per-dimension
// bounds, or a Discrete set {0..N-1}. Discrete spaces are exchanged with
// agents as float32 vectors of length N: observations are one-hot, actions
// are scores whose argmax is taken, so continuous-action agents work on
// discrete tasks without special cases.
package spec

import (
	"fmt"
	"math"
)

// Kind tells a Box from a Discrete space.
type Kind int

const (
	// Box is a vector of Dim float32 values bounded by Low and High.
	Box Kind = iota
	// Discrete is one of N choices, carried as a length-N vector.
	Discrete
)

// Space is an observation or action space.
type Space struct {
	Kind Kind
	// Dim is the length of the float32 vector that carries a value.
	Dim int
	// Low and High bound each dimension of a Box (±Inf allowed). Nil for Discrete.
	Low, High []float32
	// N is the number of choices of a Discrete space.
	N int
}

// NewBox returns a Box with the given bounds. It panics if the lengths differ
// or a bound is reversed (a programmer error).
func NewBox(low, high []float32) Space {
	if len(low) != len(high) {
		panic("spec: NewBox bounds of different lengths")
	}
	for i := range low {
		if low[i] > high[i] {
			panic(fmt.Sprintf("spec: NewBox low[%d]=%g > high[%d]=%g", i, low[i], i, high[i]))
		}
	}
	return Space{Kind: Box, Dim: len(low), Low: append([]float32(nil), low...), High: append([]float32(nil), high...)}
}

// UniformBox returns a Box of dim dimensions, each in [lo, hi].
func UniformBox(dim int, lo, hi float32) Space {
	l, h := make([]float32, dim), make([]float32, dim)
	for i := range l {
		l[i], h[i] = lo, hi
	}
	return NewBox(l, h)
}

// NewDiscrete returns a Discrete space of n choices.
func NewDiscrete(n int) Space { return Space{Kind: Discrete, Dim: n, N: n} }

// Bounded reports whether every dimension of a Box has finite bounds.
func (s Space) Bounded() bool {
	if s.Kind != Box {
		return true
	}
	for i := range s.Low {
		if math.IsInf(float64(s.Low[i]), 0) || math.IsInf(float64(s.High[i]), 0) {
			return false
		}
	}
	return true
}

// Check returns an error naming the first index of x that has the wrong
// length, or is NaN or ±Inf. what names the value in the message (e.g.
// "hopper action").
func (s Space) Check(what string, x []float32) error {
	if len(x) != s.Dim {
		return fmt.Errorf("%s: length %d, want %d", what, len(x), s.Dim)
	}
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%s: index %d is %g", what, i, v)
		}
	}
	return nil
}

// Clip writes x clipped to the Box bounds into dst (dst may be x).
// For a Discrete space it copies.
func (s Space) Clip(dst, x []float32) {
	if s.Kind != Box {
		copy(dst, x)
		return
	}
	for i, v := range x {
		dst[i] = min(max(v, s.Low[i]), s.High[i])
	}
}

// Argmax returns the index of the largest entry of x (the chosen element of
// a Discrete action).
func Argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// String describes the space, e.g. "Box(11)[-inf,inf]" or "Discrete(4)".
func (s Space) String() string {
	if s.Kind == Discrete {
		return fmt.Sprintf("Discrete(%d)", s.N)
	}
	if s.Dim == 0 {
		return "Box(0)"
	}
	return fmt.Sprintf("Box(%d)[%g,%g]", s.Dim, s.Low[0], s.High[0])
}
