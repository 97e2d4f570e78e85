// Package rng provides seeded, derivable random streams.
//
// dwm has no global randomness: every component that needs random numbers is
// handed its own *Stream, derived from the run seed and a path of names, so
// that adding a random draw in one component never shifts the numbers of
// another. Streams use PCG (math/rand/v2) and their state can be saved and
// restored exactly, which is what makes kill-and-resume bitwise reproducible.
package rng
