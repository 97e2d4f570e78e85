package h5

import (
	"errors"
	"strconv"
)

// ErrUnavailable is returned by every function when the package was built
// without HDF5 (the nohdf5 build tag, or cgo disabled).
var ErrUnavailable = errors.New("HDF5 support is not built in (binary built with the nohdf5 tag or without cgo)")

// Kind is what a path in a file names.
type Kind int

// Kinds of objects.
const (
	Missing Kind = iota // nothing at the path
	Group
	Dataset
	Other // a named datatype or an unresolvable link
)

// Class is the HDF5 type class of a dataset's elements.
type Class int

// Type classes dwm distinguishes.
const (
	ClassOther Class = iota
	ClassInteger
	ClassFloat
	ClassString
	ClassEnum
)

// Info describes a dataset's shape and element type.
type Info struct {
	// Shape has one entry per dimension; empty for a scalar dataspace.
	Shape []int
	// Null is set for a dataspace holding no elements at all.
	Null bool
	// Class and Size (bytes per element; for an enum, of its base integer)
	// describe the element type; Signed applies to integers.
	Class  Class
	Size   int
	Signed bool
	// VarString is set for variable-length strings.
	VarString bool
	// Layout is how the data is stored; ChunkElems the elements per chunk
	// of a chunked dataset (the library allocates whole chunks when
	// reading); External is set when the data lives in external raw files.
	Layout     Layout
	ChunkElems uint64
	External   bool
}

// Layout is a dataset's storage layout.
type Layout int

// Storage layouts.
const (
	LayoutUnknown    Layout = -1
	LayoutCompact    Layout = 0
	LayoutContiguous Layout = 1
	LayoutChunked    Layout = 2
	LayoutVirtual    Layout = 3 // data mapped from other datasets or files
)

// Elems returns the number of elements (1 for a scalar, 0 for Null).
func (i Info) Elems() int {
	if i.Null {
		return 0
	}
	n := 1
	for _, d := range i.Shape {
		n *= d
	}
	return n
}

// TypeName describes the element type for messages, e.g. "float64",
// "uint8", "enum(1 byte)", "string".
func (i Info) TypeName() string {
	if (i.Class == ClassFloat || i.Class == ClassInteger) && i.Size != 1 && i.Size != 2 && i.Size != 4 && i.Size != 8 && i.Size != 16 {
		return "number of " + strconv.Itoa(i.Size) + " bytes"
	}
	switch i.Class {
	case ClassFloat:
		return "float" + strconv.Itoa(8*i.Size)
	case ClassInteger:
		if i.Signed {
			return "int" + strconv.Itoa(8*i.Size)
		}
		return "uint" + strconv.Itoa(8*i.Size)
	case ClassEnum:
		return "enum(" + strconv.Itoa(i.Size) + " byte)"
	case ClassString:
		return "string"
	}
	return "unsupported type"
}

// Attr is an attribute rendered as text: strings as they are, numbers
// formatted. Attributes of other types or with more than one element are
// not returned.
type Attr struct {
	Name, Value string
}
