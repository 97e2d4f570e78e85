package dataset

// The .npy array format (NumPy's NEP 1), read and written here rather than
// through a library so that every malformed header or size is an error, never
// a panic or an allocation sized by untrusted input.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

var npyMagic = []byte("\x93NUMPY")

// maxNPYHeader bounds the header length we accept (NumPy writes < 1 KiB for
// the arrays here; 1 MiB leaves room for long structured descriptions).
const maxNPYHeader = 1 << 20

// maxElems bounds any array's element count (2^40), far above real data and
// low enough that count × item size cannot overflow an int64.
const maxElems = 1 << 40

// npyArray is one decoded .npy array: its dtype, shape and raw bytes.
type npyArray struct {
	kind    byte // NumPy kind: 'f' float, 'b' bool, 'u' unsigned, 'i' signed, 'U' UTF-32 text, 'S' bytes, ...
	size    int  // item size in bytes
	order   binary.ByteOrder
	descr   string // the dtype as written, for messages
	shape   []int
	fortran bool
	data    []byte
}

// elems returns the number of elements of a shape.
func elems(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// shapeString formats a shape as NumPy does: (3,), (3, 4), ().
func shapeString(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.Itoa(d)
	}
	if len(shape) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// readNPY reads one array of at most avail bytes from r. The whole array must
// be exactly its header plus count × item size bytes.
func readNPY(r io.Reader, avail int64) (*npyArray, error) {
	var pre [10]byte
	if _, err := io.ReadFull(r, pre[:8]); err != nil {
		return nil, fmt.Errorf("npy header: %w", noEOF(err))
	}
	if !bytes.Equal(pre[:6], npyMagic) {
		return nil, fmt.Errorf("not a .npy array (starts with %q)", pre[:6])
	}
	var hlen, prefix int64
	switch pre[6] {
	case 1:
		if _, err := io.ReadFull(r, pre[8:10]); err != nil {
			return nil, fmt.Errorf("npy header: %w", noEOF(err))
		}
		hlen, prefix = int64(binary.LittleEndian.Uint16(pre[8:10])), 10
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("npy header: %w", noEOF(err))
		}
		hlen, prefix = int64(binary.LittleEndian.Uint32(b[:])), 12
	default:
		return nil, fmt.Errorf("npy format version %d.%d not supported", pre[6], pre[7])
	}
	if hlen > maxNPYHeader || prefix+hlen > avail {
		return nil, fmt.Errorf("npy header length %d exceeds the %d bytes available", hlen, avail-prefix)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, fmt.Errorf("npy header: %w", noEOF(err))
	}
	a, err := parseNPYHeader(hdr)
	if err != nil {
		return nil, err
	}
	n := int64(elems(a.shape))
	need := n * int64(a.size)
	if have := avail - prefix - hlen; need > have {
		return nil, fmt.Errorf("shape %s of %s needs %d data bytes, only %d present (truncated?)", shapeString(a.shape), a.descr, need, have)
	}
	a.data = make([]byte, need)
	if _, err := io.ReadFull(r, a.data); err != nil {
		return nil, fmt.Errorf("npy data (%d bytes): %w", need, noEOF(err))
	}
	var one [1]byte
	if k, err := r.Read(one[:]); k > 0 {
		return nil, fmt.Errorf("npy data: trailing bytes after %d elements of shape %s", n, shapeString(a.shape))
	} else if err != nil && err != io.EOF {
		return nil, fmt.Errorf("npy data: %w", err)
	}
	return a, nil
}

// noEOF turns a bare EOF into ErrUnexpectedEOF: inside an array, running out
// of bytes always means truncation.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// parseNPYHeader parses the Python dict literal of a .npy header, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }.
func parseNPYHeader(h []byte) (*npyArray, error) {
	p := &lit{s: h}
	bad := func(what string) error {
		return fmt.Errorf("npy header %q: %s at byte %d", truncate(h, 120), what, p.i)
	}
	p.space()
	if !p.eat('{') {
		return nil, bad("want '{'")
	}
	a := &npyArray{}
	var haveDescr, haveOrder, haveShape bool
	for {
		p.space()
		if p.eat('}') {
			break
		}
		key, ok := p.str()
		if !ok {
			return nil, bad("want a quoted key")
		}
		p.space()
		if !p.eat(':') {
			return nil, bad("want ':'")
		}
		p.space()
		switch key {
		case "descr":
			d, ok := p.str()
			if !ok {
				return nil, bad("descr is not a simple dtype string (structured dtypes are not supported)")
			}
			if err := a.setDescr(d); err != nil {
				return nil, err
			}
			haveDescr = true
		case "fortran_order":
			switch {
			case p.word("True"):
				a.fortran = true
			case p.word("False"):
				a.fortran = false
			default:
				return nil, bad("fortran_order is not True or False")
			}
			haveOrder = true
		case "shape":
			s, ok := p.tuple()
			if !ok {
				return nil, bad("shape is not a tuple of non-negative integers below 2^40")
			}
			a.shape = s
			haveShape = true
		default:
			return nil, bad(fmt.Sprintf("unexpected key %q", key))
		}
		p.space()
		if !p.eat(',') {
			p.space()
			if !p.eat('}') {
				return nil, bad("want ',' or '}'")
			}
			break
		}
	}
	p.space()
	if p.i != len(h) {
		return nil, bad("trailing characters after the dict")
	}
	if !haveDescr || !haveOrder || !haveShape {
		return nil, fmt.Errorf("npy header %q: missing descr, fortran_order or shape", truncate(h, 120))
	}
	return a, nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// setDescr parses a simple dtype string such as '<f4', '|b1', '<U12'.
func (a *npyArray) setDescr(d string) error {
	a.descr = d
	s := d
	a.order = binary.LittleEndian
	if s != "" && strings.ContainsRune("<>|=", rune(s[0])) {
		if s[0] == '>' {
			a.order = binary.BigEndian
		}
		s = s[1:]
	}
	if len(s) < 2 {
		return fmt.Errorf("dtype %q not supported", d)
	}
	a.kind = s[0]
	n, err := strconv.Atoi(s[1:])
	if err != nil || n < 1 || n > 1<<20 {
		return fmt.Errorf("dtype %q not supported", d)
	}
	a.size = n
	if a.kind == 'U' {
		a.size = 4 * n
	}
	return nil
}

// lit is a cursor over a Python literal.
type lit struct {
	s []byte
	i int
}

func (p *lit) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\n' || p.s[p.i] == '\t' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *lit) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *lit) word(w string) bool {
	if bytes.HasPrefix(p.s[p.i:], []byte(w)) {
		p.i += len(w)
		return true
	}
	return false
}

// str parses a '...' or "..." string without escapes.
func (p *lit) str() (string, bool) {
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", false
	}
	q := p.s[p.i]
	end := bytes.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", false
	}
	v := string(p.s[p.i+1 : p.i+1+end])
	if strings.ContainsRune(v, '\\') {
		return "", false
	}
	p.i += end + 2
	return v, true
}

// tuple parses (d0, d1, ...) of non-negative integers whose product stays
// below maxElems; Python 2 long suffixes (3L) are accepted.
func (p *lit) tuple() ([]int, bool) {
	if !p.eat('(') {
		return nil, false
	}
	shape := []int{}
	total := 1
	for {
		p.space()
		if p.eat(')') {
			return shape, true
		}
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if p.i == start || p.i-start > 13 {
			return nil, false
		}
		v, err := strconv.Atoi(string(p.s[start:p.i]))
		if err != nil || v > maxElems || len(shape) >= 32 {
			return nil, false
		}
		p.eat('L')
		if v > 0 && total > maxElems/v {
			return nil, false
		}
		total *= v
		shape = append(shape, v)
		p.space()
		if !p.eat(',') {
			p.space()
			if !p.eat(')') {
				return nil, false
			}
			return shape, true
		}
	}
}

// matrixShape interprets an array's shape as rows × cols: (N,) is N×1, (N, D)
// is N×D. Higher ranks and 0-d arrays are errors.
func matrixShape(key string, shape []int) (rows, cols int, err error) {
	switch len(shape) {
	case 1:
		return shape[0], 1, nil
	case 2:
		return shape[0], shape[1], nil
	}
	return 0, 0, fmt.Errorf("%s has shape %s, want (N,) or (N, dim)", key, shapeString(shape))
}

// matrixDim returns the row width to index a rank-2 array's elements as
// [row][col], or 0 to index a rank-1 array as [i].
func matrixDim(shape []int) int {
	if len(shape) == 2 {
		return shape[1]
	}
	return 0
}

// cIndex returns the position in data of row-major element k: k itself,
// or for a Fortran-ordered (column-major) 2-D array of shape (r, c) the
// transposed position (k mod c)·r + k div c. Callers reject Fortran order
// above rank 2.
func (a *npyArray) cIndex(k int) int {
	if !a.fortran || len(a.shape) < 2 {
		return k
	}
	r, c := a.shape[0], a.shape[1]
	return (k%c)*r + k/c
}

// floats decodes a float32 or float64 array into float32 in row-major order.
// A float64 value that is finite but overflows float32 is an error naming
// its index; other dtypes are errors naming the key.
func (a *npyArray) floats(key string) ([]float32, error) {
	if a.kind != 'f' || (a.size != 4 && a.size != 8) {
		return nil, fmt.Errorf("%s has dtype %s, want float32 or float64", key, a.descr)
	}
	if a.fortran && len(a.shape) > 2 {
		return nil, fmt.Errorf("%s: Fortran-ordered arrays of rank %d not supported", key, len(a.shape))
	}
	n := elems(a.shape)
	out := make([]float32, n)
	for k := range out {
		j := a.cIndex(k) * a.size
		if a.size == 4 {
			out[k] = math.Float32frombits(a.order.Uint32(a.data[j:]))
			continue
		}
		v := math.Float64frombits(a.order.Uint64(a.data[j:]))
		f := float32(v)
		if math.IsInf(float64(f), 0) && !math.IsInf(v, 0) {
			return nil, fmt.Errorf("%s%s = %g overflows float32", key, indexString(a.shape, k), v)
		}
		out[k] = f
	}
	return out, nil
}

// numbers decodes any numeric array (float, bool, integer) into float32;
// used for infos columns, where precision loss of large integers is
// acceptable. Other dtypes are errors.
func (a *npyArray) numbers(key string) ([]float32, error) {
	if a.kind == 'f' {
		return a.floats(key)
	}
	if !(a.kind == 'b' && a.size == 1) && !((a.kind == 'u' || a.kind == 'i') && (a.size == 1 || a.size == 2 || a.size == 4 || a.size == 8)) {
		return nil, fmt.Errorf("%s has dtype %s, want a numeric dtype", key, a.descr)
	}
	if a.fortran && len(a.shape) > 2 {
		return nil, fmt.Errorf("%s: Fortran-ordered arrays of rank %d not supported", key, len(a.shape))
	}
	out := make([]float32, elems(a.shape))
	for k := range out {
		j := a.cIndex(k) * a.size
		b := a.data[j : j+a.size]
		switch {
		case a.kind == 'b' || (a.kind == 'u' && a.size == 1):
			out[k] = float32(b[0])
		case a.kind == 'i' && a.size == 1:
			out[k] = float32(int8(b[0]))
		case a.kind == 'u' && a.size == 2:
			out[k] = float32(a.order.Uint16(b))
		case a.kind == 'i' && a.size == 2:
			out[k] = float32(int16(a.order.Uint16(b)))
		case a.kind == 'u' && a.size == 4:
			out[k] = float32(a.order.Uint32(b))
		case a.kind == 'i' && a.size == 4:
			out[k] = float32(int32(a.order.Uint32(b)))
		case a.kind == 'u':
			out[k] = float32(a.order.Uint64(b))
		default:
			out[k] = float32(int64(a.order.Uint64(b)))
		}
	}
	return out, nil
}

// flags decodes an end-flag array: bool, uint8 or float32/float64, whose
// every value must be 0 or 1.
func (a *npyArray) flags(key string) ([]bool, error) {
	var v []float32
	switch {
	case a.kind == 'b' && a.size == 1, a.kind == 'u' && a.size == 1, a.kind == 'f' && (a.size == 4 || a.size == 8):
		var err error
		if v, err = a.numbers(key); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%s has dtype %s, want bool, uint8 or float", key, a.descr)
	}
	return toFlags(key, v)
}

// toFlags converts 0/1 values to bools; anything else is an error naming the
// key and index.
func toFlags(key string, v []float32) ([]bool, error) {
	out := make([]bool, len(v))
	for i, x := range v {
		switch x {
		case 0:
		case 1:
			out[i] = true
		default:
			return nil, fmt.Errorf("%s[%d] is %v, want 0 or 1", key, i, x)
		}
	}
	return out, nil
}

// text returns a scalar (or single-element) array as text: strings as they
// are, numbers formatted. ok is false for anything else.
func (a *npyArray) text() (s string, ok bool) {
	if elems(a.shape) != 1 {
		return "", false
	}
	switch a.kind {
	case 'U':
		var b strings.Builder
		for j := 0; j+4 <= len(a.data); j += 4 {
			r := rune(a.order.Uint32(a.data[j:]))
			if r == 0 {
				break
			}
			if !utf8.ValidRune(r) {
				return "", false
			}
			b.WriteRune(r)
		}
		return b.String(), true
	case 'S':
		return string(bytes.TrimRight(a.data, "\x00")), true
	case 'f', 'b', 'u', 'i':
		v, err := a.numbers("")
		if err != nil {
			return "", false
		}
		if a.kind == 'f' && a.size == 8 {
			return strconv.FormatFloat(math.Float64frombits(a.order.Uint64(a.data)), 'g', -1, 64), true
		}
		return strconv.FormatFloat(float64(v[0]), 'g', -1, 32), true
	}
	return "", false
}

// indexString formats the index of row-major element k of shape, e.g. [3][1].
func indexString(shape []int, k int) string {
	if len(shape) <= 1 {
		return fmt.Sprintf("[%d]", k)
	}
	idx := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		if shape[d] > 0 {
			idx[d] = k % shape[d]
			k /= shape[d]
		}
	}
	var b strings.Builder
	for _, i := range idx {
		fmt.Fprintf(&b, "[%d]", i)
	}
	return b.String()
}

// writeNPYHeader writes a version 1.0 header for descr and shape, padded so
// the data starts on a 64-byte boundary as NumPy does.
func writeNPYHeader(w io.Writer, descr string, shape []int) error {
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shapeString(shape))
	total := 10 + len(dict) + 1
	pad := (64 - total%64) % 64
	hlen := len(dict) + pad + 1
	if hlen > math.MaxUint16 {
		return fmt.Errorf("npy header of %d bytes too long", hlen)
	}
	var pre [10]byte
	copy(pre[:], npyMagic)
	pre[6], pre[7] = 1, 0
	binary.LittleEndian.PutUint16(pre[8:], uint16(hlen))
	if _, err := w.Write(pre[:]); err != nil {
		return err
	}
	_, err := io.WriteString(w, dict+strings.Repeat(" ", pad)+"\n")
	return err
}

// writeNPYFloat32 writes a little-endian float32 array of the given shape.
func writeNPYFloat32(w io.Writer, data []float32, shape []int) error {
	if err := writeNPYHeader(w, "<f4", shape); err != nil {
		return err
	}
	var buf [4096]byte
	for len(data) > 0 {
		k := min(len(data), len(buf)/4)
		for i, v := range data[:k] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
		}
		if _, err := w.Write(buf[:4*k]); err != nil {
			return err
		}
		data = data[k:]
	}
	return nil
}

// writeNPYBool writes a bool array (NumPy '|b1').
func writeNPYBool(w io.Writer, data []bool) error {
	if err := writeNPYHeader(w, "|b1", []int{len(data)}); err != nil {
		return err
	}
	var buf [4096]byte
	for len(data) > 0 {
		k := min(len(data), len(buf))
		for i, v := range data[:k] {
			buf[i] = 0
			if v {
				buf[i] = 1
			}
		}
		if _, err := w.Write(buf[:k]); err != nil {
			return err
		}
		data = data[k:]
	}
	return nil
}

// writeNPYString writes a 0-d Unicode string array (NumPy '<U<n>'), which
// np.load returns as array('text', dtype='<U4').
func writeNPYString(w io.Writer, s string) error {
	runes := []rune(s)
	n := max(len(runes), 1)
	if err := writeNPYHeader(w, fmt.Sprintf("<U%d", n), []int{}); err != nil {
		return err
	}
	buf := make([]byte, 4*n)
	for i, r := range runes {
		binary.LittleEndian.PutUint32(buf[4*i:], uint32(r))
	}
	_, err := w.Write(buf)
	return err
}
