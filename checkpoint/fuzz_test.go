package checkpoint

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the safetensors reader: it must return
// an error or tensors, never panic or allocate beyond the input's size, and
// whatever it accepts must survive an encode/decode round trip unchanged.
func FuzzLoad(f *testing.F) {
	f.Add(encode(f, sampleTensors(), map[string]string{"format": "pt"}))
	f.Add(encode(f, nil, nil))
	f.Add(raw(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)))
	f.Add(raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)))
	f.Add(raw(`{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, make([]byte, 8)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, meta, err := DecodeSafetensors(b)
		if err != nil {
			return
		}
		var n int
		for _, x := range ts {
			n += 4 * len(x.Data)
		}
		if n > len(b) {
			t.Fatalf("decoded %d bytes of tensors from a %d-byte file", n, len(b))
		}
		var buf bytes.Buffer
		if err := EncodeSafetensors(&buf, ts, meta); err != nil {
			t.Fatalf("re-encoding accepted tensors: %v", err)
		}
		again, meta2, err := DecodeSafetensors(buf.Bytes())
		if err != nil {
			t.Fatalf("decoding re-encoded file: %v", err)
		}
		if !sameTensors(ts, again) || len(meta) != len(meta2) {
			t.Fatal("round trip changed the tensors or metadata")
		}
	})
}

// FuzzManifest feeds arbitrary bytes to the manifest parser.
func FuzzManifest(f *testing.F) {
	good, _ := json.Marshal(Manifest{
		Format: FormatVersion, Kind: manifestKind, Step: 5,
		Counters: map[string]int64{"online_step": 5},
		Config:   json.RawMessage(`{"a":1}`),
		RNG:      map[string][]byte{"agent": {1, 2, 3}},
		Files: map[string]FileInfo{
			ModelFile:     {Size: 8, SHA256: "0000000000000000000000000000000000000000000000000000000000000000"},
			OptimizerFile: {Size: 8, SHA256: "0000000000000000000000000000000000000000000000000000000000000000"},
		},
	})
	f.Add(good)
	f.Add([]byte(`{"format":2,"kind":"dwm-checkpoint"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest(b)
		if err != nil {
			return
		}
		if m.Format < 1 || m.Format > FormatVersion || m.Step < 0 || len(m.Files) != 2 {
			t.Fatalf("accepted an invalid manifest: %+v", m)
		}
	})
}
