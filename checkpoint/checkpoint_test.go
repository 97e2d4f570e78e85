package checkpoint

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/rng"
)

func sampleCheckpoint(t *testing.T, step int64) *Checkpoint {
	t.Helper()
	c := &Checkpoint{
		Step:     step,
		Counters: map[string]int64{"offline_step": step, "online_step": 0, "env_steps": 7},
		Config:   json.RawMessage(`{"algo":"sac","lr":0.0003}`),
		Model:    sampleTensors(),
		Optimizer: []Tensor{
			{Name: "adam/m/critic/q0/l1/w", Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}},
			{Name: "adam/t", Shape: []int{}, Data: []float32{float32(step)}},
		},
		Extra: json.RawMessage(`{"lambda":0.7,"w_bc":[1,0.5]}`),
	}
	s := rng.Derive(1, "agent")
	s.Float64()
	if err := c.SetRNG("agent", s); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestWriteReadDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ck")
	c := sampleCheckpoint(t, 12)
	if err := WriteDir(dir, c); err != nil {
		t.Fatal(err)
	}
	got, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Step != 12 || got.Counters["env_steps"] != 7 || got.Path != dir || got.Created.IsZero() {
		t.Errorf("read back %+v", got)
	}
	if !sameTensors(got.Model, sortedByName(c.Model)) || !sameTensors(got.Optimizer, sortedByName(c.Optimizer)) {
		t.Error("tensors changed in the round trip")
	}
	var cfg, extra map[string]any
	if json.Unmarshal(got.Config, &cfg) != nil || cfg["algo"] != "sac" || json.Unmarshal(got.Extra, &extra) != nil || extra["lambda"] != 0.7 {
		t.Errorf("config %s extra %s", got.Config, got.Extra)
	}
	// The restored stream continues exactly where the saved one was.
	want := rng.Derive(1, "agent")
	want.Float64()
	s := rng.New(99)
	if err := got.RestoreRNG("agent", s); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if a, b := s.Uint64(), want.Uint64(); a != b {
			t.Fatalf("restored stream draw %d = %d, want %d", i, a, b)
		}
	}
	if err := got.RestoreRNG("critic", s); err == nil || !strings.Contains(err.Error(), `no random stream "critic"`) {
		t.Errorf("RestoreRNG of an unknown name: %v", err)
	}
	// Loading into a model checks shapes and names the file and tensor.
	model := slices.Clone(c.Model)
	for i := range model {
		model[i].Data = make([]float32, len(model[i].Data))
	}
	if err := got.LoadModel(model); err != nil {
		t.Fatal(err)
	}
	if !sameTensors(sortedByName(model), sortedByName(c.Model)) {
		t.Error("LoadModel did not restore the parameters")
	}
	model[0] = Tensor{Name: model[0].Name, Shape: []int{3, 2}, Data: make([]float32, 6)}
	err = got.LoadModel(model)
	if err == nil || !strings.Contains(err.Error(), "model.safetensors") || !strings.Contains(err.Error(), "tensor critic/q0/l1/w: shape [2 3] in the checkpoint, want [3 2]") {
		t.Errorf("shape mismatch: err = %v", err)
	}
	opt := []Tensor{{Name: "adam/t", Shape: []int{}, Data: []float32{0}}}
	if err := got.LoadOptimizer(opt); err == nil || !strings.Contains(err.Error(), "optimizer.safetensors: tensor adam/m/critic/q0/l1/w: in the checkpoint but not in the model") {
		t.Errorf("optimizer extra tensor: err = %v", err)
	}
}

func TestReadDirDamage(t *testing.T) {
	for _, tc := range []struct {
		name    string
		damage  func(dir string)
		wantErr string
	}{
		{"flipped byte", func(dir string) {
			p := filepath.Join(dir, ModelFile)
			b, _ := os.ReadFile(p)
			b[len(b)-1] ^= 1
			os.WriteFile(p, b, 0o644)
		}, "model.safetensors: SHA-256"},
		{"truncated", func(dir string) {
			p := filepath.Join(dir, OptimizerFile)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)/2], 0o644)
		}, "optimizer.safetensors: "},
		{"missing tensor file", func(dir string) { os.Remove(filepath.Join(dir, ModelFile)) }, "model.safetensors: open"},
		{"missing manifest", func(dir string) { os.Remove(filepath.Join(dir, ManifestFile)) }, "no manifest.json"},
		{"manifest not JSON", func(dir string) { os.WriteFile(filepath.Join(dir, ManifestFile), []byte("PK\x03\x04"), 0o644) }, "manifest.json: invalid JSON"},
		{"newer format", func(dir string) { editManifest(dir, func(m map[string]any) { m["format"] = 2 }) }, "manifest.json: format version 2 is newer than this dwm reads (1); upgrade dwm"},
		{"newer format with new fields", func(dir string) {
			editManifest(dir, func(m map[string]any) { m["format"] = 7; m["shards"] = 3 })
		}, "format version 7 is newer"},
		{"not dwm", func(dir string) { editManifest(dir, func(m map[string]any) { m["kind"] = "other" }) }, `kind "other", want "dwm-checkpoint"`},
		{"zero format", func(dir string) { editManifest(dir, func(m map[string]any) { m["format"] = 0 }) }, "format version 0 is not a positive integer"},
		{"unknown field", func(dir string) { editManifest(dir, func(m map[string]any) { m["surprise"] = 1 }) }, `unknown field "surprise"`},
		{"negative step", func(dir string) { editManifest(dir, func(m map[string]any) { m["step"] = -3 }) }, "step -3 is negative"},
		{"file unlisted", func(dir string) {
			editManifest(dir, func(m map[string]any) { delete(m["files"].(map[string]any), OptimizerFile) })
		}, "files: optimizer.safetensors not listed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "ck")
			if err := WriteDir(dir, sampleCheckpoint(t, 3)); err != nil {
				t.Fatal(err)
			}
			tc.damage(dir)
			_, err := ReadDir(dir)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), dir) {
				t.Errorf("err = %v, want the path and %q", err, tc.wantErr)
			}
		})
	}
}

func editManifest(dir string, f func(map[string]any)) {
	p := filepath.Join(dir, ManifestFile)
	b, _ := os.ReadFile(p)
	var m map[string]any
	json.Unmarshal(b, &m)
	f(m)
	b, _ = json.Marshal(m)
	os.WriteFile(p, b, 0o644)
}

func TestWriteDirFailureKeepsPrevious(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "ck")
	if err := WriteDir(dir, sampleCheckpoint(t, 1)); err != nil {
		t.Fatal(err)
	}
	bad := sampleCheckpoint(t, 2)
	bad.Optimizer = append(bad.Optimizer, Tensor{Name: "broken", Shape: []int{5}, Data: make([]float32, 4)})
	err := WriteDir(dir, bad)
	if err == nil || !strings.Contains(err.Error(), "optimizer.safetensors") || !strings.Contains(err.Error(), "tensor broken: shape [5] holds 5 elements but data has 4") {
		t.Fatalf("err = %v", err)
	}
	bad = sampleCheckpoint(t, 2)
	bad.Config = json.RawMessage(`{"unclosed":`)
	if err := WriteDir(dir, bad); err == nil || !strings.Contains(err.Error(), "config is not valid JSON") {
		t.Fatalf("bad config: err = %v", err)
	}
	got, err := ReadDir(dir)
	if err != nil || got.Step != 1 {
		t.Fatalf("previous checkpoint damaged: %v, %+v", err, got)
	}
	des, _ := os.ReadDir(root)
	if len(des) != 1 {
		var names []string
		for _, d := range des {
			names = append(names, d.Name())
		}
		t.Errorf("left behind: %v", names)
	}
}

func TestDirKeepsLastN(t *testing.T) {
	root := filepath.Join(t.TempDir(), "checkpoints")
	if _, err := Latest(root); !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("Latest of a missing dir: %v, want ErrNoCheckpoint", err)
	}
	d := Dir{Path: root, Keep: 2}
	for _, step := range []int64{100, 200, 300, 400, 500} {
		if _, err := d.Save(sampleCheckpoint(t, step)); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := d.List()
	if err != nil || len(entries) != 2 || entries[0].Step != 400 || entries[1].Step != 500 {
		t.Fatalf("kept %+v, %v; want steps 400 and 500", entries, err)
	}
	e, err := Latest(root)
	if err != nil || e.Step != 500 || filepath.Base(e.Path) != "step-000000000500" {
		t.Fatalf("Latest = %+v, %v", e, err)
	}
	// An interrupted save leaves a hidden temporary directory and a step
	// directory without a manifest: neither counts, the next Save cleans up.
	os.MkdirAll(filepath.Join(root, ".step-000000000600.tmp-123"), 0o755)
	os.MkdirAll(filepath.Join(root, "step-000000000700"), 0o755)
	if e, _ := Latest(root); e.Step != 500 {
		t.Errorf("Latest counted an incomplete checkpoint: %+v", e)
	}
	// Saving the same step again replaces it.
	c := sampleCheckpoint(t, 500)
	c.Counters["env_steps"] = 99
	if _, err := d.Save(c); err != nil {
		t.Fatal(err)
	}
	got, err := LoadLatest(root)
	if err != nil || got.Step != 500 || got.Counters["env_steps"] != 99 {
		t.Fatalf("LoadLatest = %+v, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(root, ".step-000000000600.tmp-123")); !os.IsNotExist(err) {
		t.Error("stale temporary directory not removed")
	}
	// A damaged newest checkpoint is reported, not skipped.
	os.Remove(filepath.Join(root, "step-000000000500", ModelFile))
	if _, err := LoadLatest(root); err == nil || !strings.Contains(err.Error(), "step-000000000500") {
		t.Errorf("LoadLatest of a damaged checkpoint: %v", err)
	}
	// Keep < 0 keeps everything.
	all := Dir{Path: filepath.Join(t.TempDir(), "all"), Keep: -1}
	for step := int64(0); step < 5; step++ {
		all.Save(sampleCheckpoint(t, step))
	}
	if entries, _ := all.List(); len(entries) != 5 {
		t.Errorf("Keep -1 kept %d, want 5", len(entries))
	}
	// A pinned step survives pruning and does not count against Keep.
	pinned := Dir{Path: filepath.Join(t.TempDir(), "pinned"), Keep: 2, Pinned: []int64{200}}
	for _, step := range []int64{100, 200, 300, 400, 500} {
		if _, err := pinned.Save(sampleCheckpoint(t, step)); err != nil {
			t.Fatal(err)
		}
	}
	if entries, _ := pinned.List(); len(entries) != 3 || entries[0].Step != 200 || entries[1].Step != 400 || entries[2].Step != 500 {
		t.Errorf("Pinned [200], Keep 2 kept %+v, want steps 200, 400 and 500", entries)
	}
	if _, err := (Dir{}).Save(sampleCheckpoint(t, 1)); err == nil {
		t.Error("Save with an empty path: no error")
	}
	if err := WriteDir(filepath.Join(t.TempDir(), "neg"), &Checkpoint{Step: -1}); err == nil || !strings.Contains(err.Error(), "step -1 is negative") {
		t.Errorf("negative step: %v", err)
	}
}
