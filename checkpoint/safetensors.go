package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/dwm-rl/dwm/internal/atomicfile"
)

// MaxHeaderBytes bounds the JSON header a reader accepts (the safetensors
// reference implementation's limit, 100 MB), so a corrupt length cannot make
// the reader allocate without bound.
const MaxHeaderBytes = 100_000_000

// metadataKey is the reserved header key of the string-to-string metadata.
const metadataKey = "__metadata__"

// Tensor is a named, dense, row-major float32 array.
type Tensor struct {
	Name  string
	Shape []int // empty for a scalar
	Data  []float32
}

// numel returns the element count of shape, or −1 if a dimension is negative
// or the product exceeds limit.
func numel(shape []int, limit int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return -1
		}
		if d == 0 {
			n = 0
			continue
		}
		if n > limit/d {
			return -1
		}
		n *= d
	}
	if n > limit {
		return -1
	}
	return n
}

func checkTensors(tensors []Tensor) error {
	seen := make(map[string]bool, len(tensors))
	for i, t := range tensors {
		switch {
		case t.Name == "":
			return fmt.Errorf("tensor %d has an empty name", i)
		case t.Name == metadataKey:
			return fmt.Errorf("tensor %d: name %q is reserved", i, t.Name)
		case !utf8.ValidString(t.Name):
			return fmt.Errorf("tensor %d: name %q is not valid UTF-8", i, t.Name)
		case seen[t.Name]:
			return fmt.Errorf("tensor %s appears twice", t.Name)
		}
		seen[t.Name] = true
		if n := numel(t.Shape, math.MaxInt/4); n != len(t.Data) {
			return fmt.Errorf("tensor %s: shape %v holds %d elements but data has %d", t.Name, t.Shape, n, len(t.Data))
		}
	}
	return nil
}

// EncodeSafetensors writes tensors and metadata to w in the safetensors
// format, tensors in name order. It returns an error for an empty, reserved
// or duplicate name, or a shape that does not match its data length.
func EncodeSafetensors(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	if err := checkTensors(tensors); err != nil {
		return err
	}
	for k, v := range metadata {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return fmt.Errorf("metadata %q: not valid UTF-8", k)
		}
	}
	order := make([]int, len(tensors))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(tensors[a].Name, tensors[b].Name) })

	var h bytes.Buffer
	h.WriteByte('{')
	first := true
	if len(metadata) > 0 {
		b, err := json.Marshal(metadata) // sorted keys
		if err != nil {
			return err
		}
		h.WriteString(`"` + metadataKey + `":`)
		h.Write(b)
		first = false
	}
	var off uint64
	for _, i := range order {
		t := tensors[i]
		if !first {
			h.WriteByte(',')
		}
		first = false
		name, _ := json.Marshal(t.Name)
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		sb, _ := json.Marshal(shape)
		end := off + 4*uint64(len(t.Data))
		fmt.Fprintf(&h, `%s:{"dtype":"F32","shape":%s,"data_offsets":[%d,%d]}`, name, sb, off, end)
		off = end
	}
	h.WriteByte('}')
	// Pad with spaces (allowed by the format) so the data starts 8-aligned.
	for (8+h.Len())%8 != 0 {
		h.WriteByte(' ')
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(h.Len()))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	if _, err := w.Write(h.Bytes()); err != nil {
		return err
	}
	buf := make([]byte, 0, 1<<16)
	for _, i := range order {
		for _, v := range tensors[i].Data {
			if len(buf) == cap(buf) {
				if _, err := w.Write(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
	}
	_, err := w.Write(buf)
	return err
}

type namedEntry struct {
	name string
	headerEntry
}

type headerEntry struct {
	Dtype       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets []uint64 `json:"data_offsets"`
}

// DecodeSafetensors parses a whole safetensors file held in b. It accepts
// only F32 tensors and checks everything the format requires: the header
// length against the file size, the header is one JSON object beginning with
// '{' with no duplicate keys and string-only metadata, every shape matches
// its byte range, and the ranges tile the data buffer exactly (no gaps, no
// overlaps, nothing after). The tensors come back in name order and do not
// alias b.
func DecodeSafetensors(b []byte) ([]Tensor, map[string]string, error) {
	if len(b) < 8 {
		return nil, nil, fmt.Errorf("truncated: %d bytes, need at least 8 for the header length", len(b))
	}
	hlen := binary.LittleEndian.Uint64(b[:8])
	if hlen > MaxHeaderBytes {
		return nil, nil, fmt.Errorf("header length %d exceeds the limit of %d bytes (not a safetensors file?)", hlen, MaxHeaderBytes)
	}
	if hlen > uint64(len(b)-8) {
		return nil, nil, fmt.Errorf("truncated: header length %d but only %d bytes follow", hlen, len(b)-8)
	}
	header := b[8 : 8+hlen]
	data := b[8+hlen:]
	if len(header) == 0 || header[0] != '{' {
		return nil, nil, errors.New("header does not start with '{' (not a safetensors file?)")
	}
	if !utf8.Valid(header) {
		return nil, nil, errors.New("header is not valid UTF-8")
	}
	entries, meta, err := parseHeader(header)
	if err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}

	type span struct {
		name       string
		begin, end uint64
		shape      []int
	}
	spans := make([]span, 0, len(entries))
	for _, e := range entries {
		name := e.name
		if e.Dtype != "F32" {
			return nil, nil, fmt.Errorf("tensor %s: dtype %q, only F32 is supported", name, e.Dtype)
		}
		if e.Shape == nil {
			return nil, nil, fmt.Errorf("tensor %s: no shape", name)
		}
		if len(e.DataOffsets) != 2 {
			return nil, nil, fmt.Errorf("tensor %s: data_offsets has %d values, want 2", name, len(e.DataOffsets))
		}
		begin, end := e.DataOffsets[0], e.DataOffsets[1]
		if begin > end || end > uint64(len(data)) {
			return nil, nil, fmt.Errorf("tensor %s: data_offsets [%d, %d] outside the %d-byte data buffer", name, begin, end, len(data))
		}
		n := numel(e.Shape, len(data)/4)
		if n < 0 {
			return nil, nil, fmt.Errorf("tensor %s: shape %v is negative or larger than the file", name, e.Shape)
		}
		if end-begin != 4*uint64(n) {
			return nil, nil, fmt.Errorf("tensor %s: shape %v needs %d bytes but data_offsets [%d, %d] span %d", name, e.Shape, 4*n, begin, end, end-begin)
		}
		spans = append(spans, span{name, begin, end, e.Shape})
	}
	slices.SortFunc(spans, func(a, c span) int {
		if a.begin != c.begin {
			return cmpU64(a.begin, c.begin)
		}
		return cmpU64(a.end, c.end)
	})
	var pos uint64
	for _, s := range spans {
		if s.begin != pos {
			if s.begin < pos {
				return nil, nil, fmt.Errorf("tensor %s: data_offsets [%d, %d] overlap another tensor", s.name, s.begin, s.end)
			}
			return nil, nil, fmt.Errorf("tensor %s: gap in the data buffer before offset %d", s.name, s.begin)
		}
		pos = s.end
	}
	if pos != uint64(len(data)) {
		return nil, nil, fmt.Errorf("data buffer has %d bytes but the tensors cover %d (trailing bytes or truncated header?)", len(data), pos)
	}
	out := make([]Tensor, len(spans))
	for i, s := range spans {
		raw := data[s.begin:s.end]
		vals := make([]float32, len(raw)/4)
		for j := range vals {
			vals[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:]))
		}
		out[i] = Tensor{Name: s.name, Shape: s.shape, Data: vals}
	}
	slices.SortFunc(out, func(a, c Tensor) int { return strings.Compare(a.Name, c.Name) })
	return out, meta, nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// parseHeader reads the header object key by key so that duplicate keys,
// which encoding/json would silently merge, are an error.
func parseHeader(header []byte) ([]namedEntry, map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(header))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, fmt.Errorf("not a JSON object")
	}
	var entries []namedEntry
	seen := make(map[string]bool)
	var meta map[string]string
	seenMeta := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, nil, fmt.Errorf("object key %v is not a string", tok)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, fmt.Errorf("value of %q: %w", key, err)
		}
		if key == metadataKey {
			if seenMeta {
				return nil, nil, fmt.Errorf("duplicate key %q", key)
			}
			seenMeta = true
			if err := json.Unmarshal(raw, &meta); err != nil {
				return nil, nil, fmt.Errorf("%s must map strings to strings: %w", metadataKey, err)
			}
			continue
		}
		if seen[key] {
			return nil, nil, fmt.Errorf("duplicate tensor %q", key)
		}
		var e headerEntry
		ed := json.NewDecoder(bytes.NewReader(raw))
		ed.DisallowUnknownFields()
		if err := ed.Decode(&e); err != nil {
			return nil, nil, fmt.Errorf("tensor %q: %w", key, err)
		}
		seen[key] = true
		entries = append(entries, namedEntry{key, e})
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, nil, fmt.Errorf("header object not closed")
	}
	// Only padding may follow the object.
	if tail := header[dec.InputOffset():]; len(bytes.Trim(tail, " \t\r\n")) != 0 {
		return nil, nil, fmt.Errorf("unexpected bytes after the header object")
	}
	return entries, meta, nil
}

// WriteSafetensors writes tensors and metadata to path in the safetensors
// format, atomically (see internal/atomicfile).
func WriteSafetensors(path string, tensors []Tensor, metadata map[string]string) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		return EncodeSafetensors(w, tensors, metadata)
	})
}

// ReadSafetensors reads the safetensors file at path; errors name the file.
// See DecodeSafetensors for what is checked.
func ReadSafetensors(path string) ([]Tensor, map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read safetensors %s: %w", path, err)
	}
	t, m, err := DecodeSafetensors(b)
	if err != nil {
		return nil, nil, fmt.Errorf("read safetensors %s: %w", path, err)
	}
	return t, m, nil
}

// Assign copies each tensor of src into the tensor of dst with the same name.
// It returns an error naming the tensor if one in dst is missing from src,
// one in src has no place in dst, or shapes differ; dst is left unchanged
// unless every tensor matches.
func Assign(dst, src []Tensor) error {
	byName := make(map[string]*Tensor, len(src))
	for i := range src {
		byName[src[i].Name] = &src[i]
	}
	for _, d := range dst {
		s, ok := byName[d.Name]
		if !ok {
			return fmt.Errorf("tensor %s: missing from the checkpoint", d.Name)
		}
		if !slices.Equal(s.Shape, d.Shape) {
			return fmt.Errorf("tensor %s: shape %v in the checkpoint, want %v", d.Name, s.Shape, d.Shape)
		}
		if len(s.Data) != len(d.Data) {
			return fmt.Errorf("tensor %s: %d values in the checkpoint, want %d", d.Name, len(s.Data), len(d.Data))
		}
	}
	if len(src) != len(dst) {
		want := make(map[string]bool, len(dst))
		for _, d := range dst {
			want[d.Name] = true
		}
		for _, s := range src {
			if !want[s.Name] {
				return fmt.Errorf("tensor %s: in the checkpoint but not in the model", s.Name)
			}
		}
		return fmt.Errorf("%d tensors in the checkpoint, want %d (duplicate names?)", len(src), len(dst))
	}
	for _, d := range dst {
		copy(d.Data, byName[d.Name].Data)
	}
	return nil
}
