package checkpoint

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/dwm-rl/dwm/internal/atomicfile"
	"github.com/dwm-rl/dwm/rng"
)

// FormatVersion is the manifest format this code writes and the newest it
// reads. Increase it when the layout changes incompatibly.
const FormatVersion = 1

// manifestKind marks a manifest as a dwm checkpoint's.
const manifestKind = "dwm-checkpoint"

// File names inside a checkpoint directory.
const (
	ManifestFile  = "manifest.json"
	ModelFile     = "model.safetensors"
	OptimizerFile = "optimizer.safetensors"
)

// Checkpoint is everything a run saves to resume exactly.
type Checkpoint struct {
	// Step orders checkpoints and names their directories; usually the
	// run's global step counter. It must not be negative.
	Step int64
	// Counters holds the run's step counters by name, such as
	// "offline_step", "online_step" and "env_steps".
	Counters map[string]int64
	// Config is the run's resolved configuration as JSON (may be empty).
	Config json.RawMessage
	// Model holds the network parameters.
	Model []Tensor
	// Optimizer holds the optimizer state (moments, step counts) as tensors.
	Optimizer []Tensor
	// RNG holds each random stream's state (rng.Stream.State) by name.
	RNG map[string][]byte
	// Extra holds any other state as JSON (schedules, buffer recipes).
	Extra json.RawMessage
	// Created is when the checkpoint was written; Save sets it.
	Created time.Time

	// Path is the directory the checkpoint was loaded from or saved to.
	Path string
}

// SetRNG records the state of stream s under name.
func (c *Checkpoint) SetRNG(name string, s *rng.Stream) error {
	b, err := s.State()
	if err != nil {
		return fmt.Errorf("checkpoint rng %s: %w", name, err)
	}
	if c.RNG == nil {
		c.RNG = make(map[string][]byte)
	}
	c.RNG[name] = b
	return nil
}

// RestoreRNG sets stream s to the state recorded under name.
func (c *Checkpoint) RestoreRNG(name string, s *rng.Stream) error {
	b, ok := c.RNG[name]
	if !ok {
		return fmt.Errorf("checkpoint %s: no random stream %q", c.Path, name)
	}
	if err := s.SetState(b); err != nil {
		return fmt.Errorf("checkpoint %s: random stream %q: %w", c.Path, name, err)
	}
	return nil
}

// LoadModel copies the saved parameters into dst (see Assign); errors name
// the file and the tensor.
func (c *Checkpoint) LoadModel(dst []Tensor) error {
	if err := Assign(dst, c.Model); err != nil {
		return fmt.Errorf("checkpoint %s: %w", filepath.Join(c.Path, ModelFile), err)
	}
	return nil
}

// LoadOptimizer copies the saved optimizer state into dst (see Assign).
func (c *Checkpoint) LoadOptimizer(dst []Tensor) error {
	if err := Assign(dst, c.Optimizer); err != nil {
		return fmt.Errorf("checkpoint %s: %w", filepath.Join(c.Path, OptimizerFile), err)
	}
	return nil
}

// Manifest is the JSON document describing a checkpoint.
type Manifest struct {
	Format   int                 `json:"format"`
	Kind     string              `json:"kind"`
	Step     int64               `json:"step"`
	Created  time.Time           `json:"created"`
	Counters map[string]int64    `json:"counters,omitempty"`
	Config   json.RawMessage     `json:"config,omitempty"`
	RNG      map[string][]byte   `json:"rng,omitempty"` // base64 in JSON
	Extra    json.RawMessage     `json:"extra,omitempty"`
	Files    map[string]FileInfo `json:"files"`
}

// FileInfo identifies a file of a checkpoint by size and content hash.
type FileInfo struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// ParseManifest decodes and checks a manifest: it must be a dwm checkpoint
// manifest of a format version this code reads, list the two tensor files,
// and have no unknown fields.
func ParseManifest(b []byte) (*Manifest, error) {
	// Read the version first, so a newer manifest is reported as newer
	// rather than as having unknown fields.
	var head struct {
		Format json.RawMessage `json:"format"`
		Kind   string          `json:"kind"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if head.Kind != manifestKind {
		return nil, fmt.Errorf("kind %q, want %q (not a dwm checkpoint manifest)", head.Kind, manifestKind)
	}
	var format int
	if err := json.Unmarshal(head.Format, &format); err != nil || format < 1 {
		return nil, fmt.Errorf("format version %s is not a positive integer", head.Format)
	}
	if format > FormatVersion {
		return nil, fmt.Errorf("format version %d is newer than this dwm reads (%d); upgrade dwm", format, FormatVersion)
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("invalid manifest: %w", err)
	}
	if dec.More() {
		return nil, errors.New("invalid manifest: data after the JSON object")
	}
	if m.Step < 0 {
		return nil, fmt.Errorf("step %d is negative", m.Step)
	}
	for _, name := range []string{ModelFile, OptimizerFile} {
		f, ok := m.Files[name]
		if !ok {
			return nil, fmt.Errorf("files: %s not listed", name)
		}
		if f.Size < 0 || len(f.SHA256) != 64 {
			return nil, fmt.Errorf("files: %s: bad size %d or sha256 %q", name, f.Size, f.SHA256)
		}
	}
	if len(m.Files) != 2 {
		return nil, fmt.Errorf("files: %d listed, want %s and %s", len(m.Files), ModelFile, OptimizerFile)
	}
	return &m, nil
}

// writeTensors writes a safetensors file atomically and returns its size
// and SHA-256.
func writeTensors(path string, tensors []Tensor, kind string) (FileInfo, error) {
	h := sha256.New()
	var n countWriter
	err := atomicfile.Write(path, func(w io.Writer) error {
		return EncodeSafetensors(io.MultiWriter(w, h, &n), tensors, map[string]string{"format": "pt", "dwm": kind})
	})
	if err != nil {
		return FileInfo{}, err
	}
	return FileInfo{Size: int64(n), SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

// WriteDir writes c as the checkpoint directory path. The directory is
// assembled under a hidden temporary name beside path and renamed into place
// when complete, replacing any checkpoint already at path; on error nothing
// at path changes. It sets c.Created and c.Path.
func WriteDir(path string, c *Checkpoint) (err error) {
	if c.Step < 0 {
		return fmt.Errorf("checkpoint %s: step %d is negative", path, c.Step)
	}
	for _, f := range []struct {
		name string
		v    json.RawMessage
	}{{"config", c.Config}, {"extra", c.Extra}} {
		if len(f.v) > 0 && !json.Valid(f.v) {
			return fmt.Errorf("checkpoint %s: %s is not valid JSON", path, f.name)
		}
	}
	parent, base := filepath.Split(filepath.Clean(path))
	if parent == "" {
		parent = "."
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	tmp, err := atomicfile.MkdirTemp(parent, "."+base+".tmp-")
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	created := time.Now().UTC()
	m := Manifest{
		Format:   FormatVersion,
		Kind:     manifestKind,
		Step:     c.Step,
		Created:  created,
		Counters: c.Counters,
		Config:   c.Config,
		RNG:      c.RNG,
		Extra:    c.Extra,
		Files:    map[string]FileInfo{},
	}
	for _, f := range []struct {
		name    string
		tensors []Tensor
		kind    string
	}{{ModelFile, c.Model, "model"}, {OptimizerFile, c.Optimizer, "optimizer"}} {
		info, err := writeTensors(filepath.Join(tmp, f.name), f.tensors, f.kind)
		if err != nil {
			return fmt.Errorf("checkpoint %s: %s: %w", path, f.name, err)
		}
		m.Files[f.name] = info
	}
	mb, err := json.MarshalIndent(&m, "", "  ")
	if err != nil {
		return fmt.Errorf("checkpoint %s: manifest: %w", path, err)
	}
	if err := atomicfile.WriteBytes(filepath.Join(tmp, ManifestFile), append(mb, '\n')); err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if err := replaceDir(tmp, path); err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	syncDir(parent)
	c.Created, c.Path = created, path
	return nil
}

// replaceDir renames the directory tmp to path. An existing directory at
// path is first moved aside under a hidden name and removed afterwards.
func replaceDir(tmp, path string) error {
	if _, err := os.Stat(path); err == nil {
		parent, base := filepath.Split(path)
		old, err := os.MkdirTemp(parent, "."+base+".old-")
		if err != nil {
			return err
		}
		if err := os.Remove(old); err != nil {
			return err
		}
		if err := os.Rename(path, old); err != nil {
			return err
		}
		if err := os.Rename(tmp, path); err != nil {
			os.Rename(old, path)
			return err
		}
		return os.RemoveAll(old)
	}
	return os.Rename(tmp, path)
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// ReadDir loads the checkpoint directory path, verifying each tensor file's
// size and SHA-256 against the manifest. Errors name the file and the
// problem.
func ReadDir(path string) (*Checkpoint, error) {
	mpath := filepath.Join(path, ManifestFile)
	mb, err := os.ReadFile(mpath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("checkpoint %s: no %s (not a checkpoint, or an incomplete one): %w", path, ManifestFile, err)
		}
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	m, err := ParseManifest(mb)
	if err != nil {
		return nil, fmt.Errorf("checkpoint manifest %s: %w", mpath, err)
	}
	c := &Checkpoint{
		Step:     m.Step,
		Counters: m.Counters,
		Config:   m.Config,
		RNG:      m.RNG,
		Extra:    m.Extra,
		Created:  m.Created,
		Path:     path,
	}
	for _, f := range []struct {
		name string
		dst  *[]Tensor
	}{{ModelFile, &c.Model}, {OptimizerFile, &c.Optimizer}} {
		fpath := filepath.Join(path, f.name)
		b, err := os.ReadFile(fpath)
		if err != nil {
			return nil, fmt.Errorf("checkpoint %s: %w", fpath, err)
		}
		want := m.Files[f.name]
		if int64(len(b)) != want.Size {
			return nil, fmt.Errorf("checkpoint %s: %d bytes, manifest says %d (truncated or replaced)", fpath, len(b), want.Size)
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != want.SHA256 {
			return nil, fmt.Errorf("checkpoint %s: SHA-256 %s, manifest says %s (file is corrupt)", fpath, got, want.SHA256)
		}
		t, _, err := DecodeSafetensors(b)
		if err != nil {
			return nil, fmt.Errorf("checkpoint %s: %w", fpath, err)
		}
		*f.dst = t
	}
	return c, nil
}
