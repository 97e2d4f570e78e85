package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func sampleTensors() []Tensor {
	return []Tensor{
		{Name: "critic/q0/l1/w", Shape: []int{2, 3}, Data: []float32{1, -2, 3.5, 4e-8, 5e20, -0}},
		{Name: "actor/b", Shape: []int{4}, Data: []float32{0.25, float32(math.Inf(1)), float32(math.Inf(-1)), 7}},
		{Name: "scalar", Shape: []int{}, Data: []float32{42}},
		{Name: "empty", Shape: []int{0, 3}, Data: []float32{}},
		{Name: "cube", Shape: []int{2, 2, 2}, Data: []float32{1, 2, 3, 4, 5, 6, 7, 8}},
	}
}

func encode(t testing.TB, ts []Tensor, meta map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := EncodeSafetensors(&b, ts, meta); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func sameTensors(a, b []Tensor) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || !slices.Equal(a[i].Shape, b[i].Shape) || len(a[i].Data) != len(b[i].Data) {
			return false
		}
		for j := range a[i].Data {
			if math.Float32bits(a[i].Data[j]) != math.Float32bits(b[i].Data[j]) {
				return false
			}
		}
	}
	return true
}

func sortedByName(ts []Tensor) []Tensor {
	s := slices.Clone(ts)
	slices.SortFunc(s, func(a, b Tensor) int { return strings.Compare(a.Name, b.Name) })
	return s
}

func TestSafetensorsRoundTrip(t *testing.T) {
	in := sampleTensors()
	in = append(in, Tensor{Name: "nan", Shape: []int{1}, Data: []float32{math.Float32frombits(0x7fc00001)}})
	b := encode(t, in, map[string]string{"format": "pt", "note": "ünïcode"})
	hlen := binary.LittleEndian.Uint64(b)
	if (8+hlen)%8 != 0 {
		t.Errorf("data starts at %d, not 8-aligned", 8+hlen)
	}
	out, meta, err := DecodeSafetensors(b)
	if err != nil {
		t.Fatal(err)
	}
	if !sameTensors(out, sortedByName(in)) {
		t.Errorf("round trip changed tensors:\n%v\n%v", out, sortedByName(in))
	}
	if meta["note"] != "ünïcode" || meta["format"] != "pt" {
		t.Errorf("metadata = %v", meta)
	}
	// Decoded tensors must not alias the input bytes.
	for i := range b {
		b[i] = 0
	}
	if out[0].Data[0] == 0 && out[0].Name == "actor/b" {
		t.Error("decoded data aliases the file bytes")
	}
	// Encoding is deterministic: same tensors in another order, same bytes.
	rev := slices.Clone(in)
	slices.Reverse(rev)
	if !bytes.Equal(encode(t, in, nil), encode(t, rev, nil)) {
		t.Error("encoding depends on tensor order")
	}
}

func TestEncodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ts      []Tensor
		wantErr string
	}{
		{"shape mismatch", []Tensor{{Name: "w", Shape: []int{2, 2}, Data: make([]float32, 3)}}, "tensor w: shape [2 2] holds 4 elements but data has 3"},
		{"negative dim", []Tensor{{Name: "w", Shape: []int{-1}, Data: nil}}, "tensor w: shape [-1] holds -1 elements"},
		{"empty name", []Tensor{{Name: "", Shape: []int{}, Data: []float32{1}}}, "tensor 0 has an empty name"},
		{"reserved", []Tensor{{Name: "__metadata__", Shape: []int{1}, Data: []float32{1}}}, "reserved"},
		{"duplicate", []Tensor{{Name: "a", Shape: []int{1}, Data: []float32{1}}, {Name: "a", Shape: []int{1}, Data: []float32{1}}}, "tensor a appears twice"},
	} {
		err := EncodeSafetensors(&bytes.Buffer{}, tc.ts, nil)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.wantErr)
		}
	}
}

// raw builds a file from a header string and data bytes.
func raw(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

func TestDecodeErrors(t *testing.T) {
	d8 := make([]byte, 8)
	for _, tc := range []struct {
		name    string
		file    []byte
		wantErr string
	}{
		{"empty", nil, "truncated: 0 bytes, need at least 8"},
		{"short", []byte{1, 2, 3}, "truncated: 3 bytes"},
		{"header past end", raw(`{}`, nil)[:9], "truncated: header length 2 but only 1 bytes follow"},
		{"huge header", binary.LittleEndian.AppendUint64(nil, 1<<40), "header length 1099511627776 exceeds the limit"},
		{"not json object", raw(`[1,2]`, nil), "header does not start with '{'"},
		{"bad json", raw(`{"a":`, nil), "header: value of \"a\""},
		{"bad utf8", raw("{\"\xff\":1}", nil), "not valid UTF-8"},
		{"duplicate tensor", raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, d8), `duplicate tensor "a"`},
		{"duplicate metadata", raw(`{"__metadata__":{},"__metadata__":{}}`, nil), `duplicate key "__metadata__"`},
		{"metadata not strings", raw(`{"__metadata__":{"a":1}}`, nil), "__metadata__ must map strings to strings"},
		{"dtype", raw(`{"w":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}`, d8), `tensor w: dtype "F16", only F32 is supported`},
		{"no shape", raw(`{"w":{"dtype":"F32","data_offsets":[0,8]}}`, d8), "tensor w: no shape"},
		{"unknown field", raw(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}`, d8), `tensor "w": json: unknown field "x"`},
		{"offsets count", raw(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}}`, d8), "tensor w: data_offsets has 1 values, want 2"},
		{"offsets past end", raw(`{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, d8), "tensor w: data_offsets [0, 16] outside the 8-byte data buffer"},
		{"offsets reversed", raw(`{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}`, d8), "outside"},
		{"negative shape", raw(`{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, d8), "tensor w: shape [-2] is negative or larger than the file"},
		{"overflowing shape", raw(`{"w":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,8]}}`, d8), "larger than the file"},
		{"size mismatch", raw(`{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, make([]byte, 16)), "tensor w: shape [3] needs 12 bytes but data_offsets [0, 8] span 8"},
		{"gap", raw(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, d8), "tensor w: gap in the data buffer before offset 4"},
		{"overlap", raw(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, d8), "overlap another tensor"},
		{"trailing data", raw(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, d8), "data buffer has 8 bytes but the tensors cover 4"},
		{"after header", raw(`{} x`, nil), "unexpected bytes after the header object"},
		{"two objects", raw(`{}{}`, nil), "unexpected bytes after the header object"},
		{"not object value", raw(`{"w":3}`, nil), `tensor "w"`},
	} {
		_, _, err := DecodeSafetensors(tc.file)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.wantErr)
		}
	}
	// Padding spaces after the header are allowed; an empty file of tensors too.
	if ts, _, err := DecodeSafetensors(raw(`{}      `, nil)); err != nil || len(ts) != 0 {
		t.Errorf("padded empty header: %v, %v", ts, err)
	}
}

func TestDecodeEveryTruncation(t *testing.T) {
	b := encode(t, sampleTensors(), map[string]string{"format": "pt"})
	for n := 0; n < len(b); n++ {
		if _, _, err := DecodeSafetensors(b[:n]); err == nil {
			t.Fatalf("truncated to %d of %d bytes: no error", n, len(b))
		}
	}
}

func TestReadSafetensorsNamesFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "w.safetensors")
	if err := WriteSafetensors(p, sampleTensors(), nil); err != nil {
		t.Fatal(err)
	}
	ts, _, err := ReadSafetensors(p)
	if err != nil || !sameTensors(ts, sortedByName(sampleTensors())) {
		t.Fatalf("ReadSafetensors: %v", err)
	}
	b, _ := os.ReadFile(p)
	os.WriteFile(p, b[:len(b)-3], 0o644)
	if _, _, err := ReadSafetensors(p); err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "data buffer") {
		t.Errorf("truncated file: err = %v, want the path and the problem", err)
	}
	if _, _, err := ReadSafetensors(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing file: err = %v", err)
	}
}

func TestAssign(t *testing.T) {
	src := []Tensor{
		{Name: "w", Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}},
		{Name: "b", Shape: []int{2}, Data: []float32{5, 6}},
	}
	dst := []Tensor{
		{Name: "b", Shape: []int{2}, Data: make([]float32, 2)},
		{Name: "w", Shape: []int{2, 2}, Data: make([]float32, 4)},
	}
	if err := Assign(dst, src); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dst[1].Data, src[0].Data) || !slices.Equal(dst[0].Data, src[1].Data) {
		t.Errorf("Assign copied %v", dst)
	}
	for _, tc := range []struct {
		name    string
		dst     []Tensor
		wantErr string
	}{
		{"shape", []Tensor{{Name: "w", Shape: []int{4}, Data: make([]float32, 4)}, {Name: "b", Shape: []int{2}, Data: make([]float32, 2)}}, "tensor w: shape [2 2] in the checkpoint, want [4]"},
		{"missing", []Tensor{{Name: "w", Shape: []int{2, 2}, Data: make([]float32, 4)}, {Name: "b", Shape: []int{2}, Data: make([]float32, 2)}, {Name: "c", Shape: []int{1}, Data: make([]float32, 1)}}, "tensor c: missing from the checkpoint"},
		{"extra", []Tensor{{Name: "w", Shape: []int{2, 2}, Data: make([]float32, 4)}}, "tensor b: in the checkpoint but not in the model"},
	} {
		err := Assign(tc.dst, src)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.wantErr)
		}
		for _, d := range tc.dst {
			for _, v := range d.Data {
				if v != 0 {
					t.Errorf("%s: failed Assign changed %s", tc.name, d.Name)
				}
			}
		}
	}
}

// TestPythonReadsSafetensors checks the file is what a Python reader sees:
// the header parsed with json and the data with numpy.frombuffer, and with
// torch.frombuffer when PyTorch is installed.
func TestPythonReadsSafetensors(t *testing.T) {
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 missing in CI: %v (scripts/deps.sh test installs python3-numpy)", err)
		}
		t.Skip("python3 not installed")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "m.safetensors")
	in := sampleTensors()
	if err := WriteSafetensors(p, in, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	script := `
import json, struct, sys
import numpy as np
raw = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
out = {"metadata": header.pop("__metadata__", {}), "numpy": {}, "torch": None}
for name, e in header.items():
    assert e["dtype"] == "F32"
    b, end = e["data_offsets"]
    a = np.frombuffer(data[b:end], dtype="<f4").reshape(e["shape"])
    out["numpy"][name] = {"shape": list(a.shape), "bits": a.view("<u4").ravel().tolist()}
torch = None
if sys.argv[2] == "torch":
    try:
        import torch
    except ImportError:
        pass
if torch is not None:
    out["torch"] = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        buf = bytearray(data[b:end])
        t = torch.frombuffer(buf, dtype=torch.float32) if len(buf) else torch.empty(0)
        t = t.reshape(e["shape"])
        out["torch"][name] = {"shape": list(t.shape), "bits": t.reshape(-1).numpy().view("<u4").tolist()}
print(json.dumps(out))
`
	// Importing PyTorch takes seconds: only in the full (non -short) suite.
	withTorch := "torch"
	if testing.Short() {
		withTorch = "no"
	}
	cmd := exec.Command(py, "-c", script, p, withTorch)
	outb, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		if strings.Contains(msg, "No module named 'numpy'") && os.Getenv("CI") != "true" {
			t.Skip("numpy not installed")
		}
		t.Fatalf("python: %v\n%s", err, msg)
	}
	var got struct {
		Metadata map[string]string
		Numpy    map[string]struct {
			Shape []int
			Bits  []uint32
		}
		Torch map[string]struct {
			Shape []int
			Bits  []uint32
		}
	}
	if err := json.Unmarshal(outb, &got); err != nil {
		t.Fatalf("python output %q: %v", outb, err)
	}
	if got.Metadata["format"] != "pt" {
		t.Errorf("python metadata = %v", got.Metadata)
	}
	readers := map[string]map[string]struct {
		Shape []int
		Bits  []uint32
	}{"numpy": got.Numpy}
	if got.Torch != nil {
		readers["torch"] = got.Torch
	} else {
		t.Log("PyTorch not installed or -short: checked with numpy only")
	}
	for reader, m := range readers {
		if len(m) != len(in) {
			t.Errorf("%s read %d tensors, want %d", reader, len(m), len(in))
		}
		for _, want := range in {
			g, ok := m[want.Name]
			if !ok {
				t.Errorf("%s: tensor %s missing", reader, want.Name)
				continue
			}
			bits := make([]uint32, len(want.Data))
			for i, v := range want.Data {
				bits[i] = math.Float32bits(v)
			}
			if !slices.Equal(g.Shape, want.Shape) || !slices.Equal(g.Bits, bits) {
				t.Errorf("%s: tensor %s = shape %v bits %v, want %v %v", reader, want.Name, g.Shape, g.Bits, want.Shape, bits)
			}
		}
	}
}

func BenchmarkDecodeSafetensors(b *testing.B) {
	ts := []Tensor{{Name: "w", Shape: []int{1024, 1024}, Data: make([]float32, 1<<20)}}
	file := encode(b, ts, nil)
	b.SetBytes(int64(len(file)))
	for b.Loop() {
		DecodeSafetensors(file)
	}
}

func BenchmarkEncodeSafetensors(b *testing.B) {
	ts := []Tensor{{Name: "w", Shape: []int{1024, 1024}, Data: make([]float32, 1<<20)}}
	b.SetBytes(4 << 20)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		EncodeSafetensors(&buf, ts, nil)
	}
}
