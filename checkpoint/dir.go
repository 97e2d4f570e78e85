package checkpoint

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// DefaultKeep is how many checkpoints a Dir keeps when Keep is zero: the
// newest plus two to fall back on should it be damaged after it was written
// (dwm's choice; each costs one model's worth of disk).
const DefaultKeep = 3

// ErrNoCheckpoint is returned (wrapped) by Latest and LoadLatest when a
// directory holds no complete checkpoint, including when it does not exist:
// the caller starts fresh.
var ErrNoCheckpoint = errors.New("no checkpoint")

// stepPrefix and stepDigits name checkpoint directories step-000000012345,
// zero-padded so that names sort by step.
const (
	stepPrefix = "step-"
	stepDigits = 12
)

// Dir is a directory of checkpoints, one subdirectory per saved step.
type Dir struct {
	// Path is the directory holding the checkpoints, e.g.
	// runs/<run>/checkpoints. It is created on the first Save.
	Path string
	// Keep is how many of the newest checkpoints Save keeps; older ones are
	// deleted. Zero means DefaultKeep; negative keeps all.
	Keep int
	// Pinned are steps whose checkpoints Save never deletes and does not
	// count against Keep (the training loop pins the offline→online switch,
	// from which `dwm train --fork` branches runs).
	Pinned []int64
}

// Entry is one complete checkpoint in a Dir.
type Entry struct {
	Step int64
	Path string
}

// StepDir returns the name of the checkpoint directory for step.
func StepDir(step int64) string {
	return fmt.Sprintf("%s%0*d", stepPrefix, stepDigits, step)
}

func parseStepDir(name string) (int64, bool) {
	digits, ok := strings.CutPrefix(name, stepPrefix)
	if !ok || digits == "" {
		return 0, false
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	step, err := strconv.ParseInt(digits, 10, 64)
	return step, err == nil
}

// Save writes c into the directory as StepDir(c.Step) (replacing one of the
// same step), then deletes the oldest checkpoints beyond Keep and any
// temporary directories left by an interrupted save. It returns the new
// checkpoint's path.
func (d Dir) Save(c *Checkpoint) (string, error) {
	if d.Path == "" {
		return "", errors.New("checkpoint: Dir.Path is empty")
	}
	if err := os.MkdirAll(d.Path, 0o755); err != nil {
		return "", fmt.Errorf("checkpoint dir %s: %w", d.Path, err)
	}
	d.removeStale()
	path := filepath.Join(d.Path, StepDir(c.Step))
	if err := WriteDir(path, c); err != nil {
		return "", err
	}
	keep := d.Keep
	if keep == 0 {
		keep = DefaultKeep
	}
	if keep > 0 {
		entries, err := d.List()
		if err != nil {
			return path, err
		}
		entries = slices.DeleteFunc(entries, func(e Entry) bool { return slices.Contains(d.Pinned, e.Step) })
		for len(entries) > keep {
			if err := os.RemoveAll(entries[0].Path); err != nil {
				return path, fmt.Errorf("checkpoint dir %s: remove old checkpoint: %w", d.Path, err)
			}
			entries = entries[1:]
		}
	}
	return path, nil
}

// removeStale deletes hidden temporary directories left by interrupted saves.
func (d Dir) removeStale() {
	des, err := os.ReadDir(d.Path)
	if err != nil {
		return
	}
	for _, de := range des {
		n := de.Name()
		if de.IsDir() && strings.HasPrefix(n, "."+stepPrefix) && (strings.Contains(n, ".tmp-") || strings.Contains(n, ".old-")) {
			os.RemoveAll(filepath.Join(d.Path, n))
		}
	}
}

// List returns the complete checkpoints (directories named by StepDir that
// hold a manifest) in increasing step order. A missing directory is empty.
func (d Dir) List() ([]Entry, error) {
	des, err := os.ReadDir(d.Path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("checkpoint dir %s: %w", d.Path, err)
	}
	var out []Entry
	for _, de := range des {
		step, ok := parseStepDir(de.Name())
		if !ok || !de.IsDir() {
			continue
		}
		p := filepath.Join(d.Path, de.Name())
		if _, err := os.Stat(filepath.Join(p, ManifestFile)); err != nil {
			continue
		}
		out = append(out, Entry{Step: step, Path: p})
	}
	slices.SortFunc(out, func(a, b Entry) int { return cmpU64(uint64(a.Step), uint64(b.Step)) })
	return out, nil
}

// Latest returns the newest complete checkpoint in dir. It returns an error
// wrapping ErrNoCheckpoint if there is none (or dir does not exist). It does
// not read the checkpoint; LoadLatest does, and reports a damaged one rather
// than silently falling back to an older one.
func Latest(dir string) (Entry, error) {
	entries, err := Dir{Path: dir}.List()
	if err != nil {
		return Entry{}, err
	}
	if len(entries) == 0 {
		return Entry{}, fmt.Errorf("checkpoint dir %s: %w", dir, ErrNoCheckpoint)
	}
	return entries[len(entries)-1], nil
}

// LoadLatest reads the newest complete checkpoint in dir (see Latest and
// ReadDir).
func LoadLatest(dir string) (*Checkpoint, error) {
	e, err := Latest(dir)
	if err != nil {
		return nil, err
	}
	return ReadDir(e.Path)
}
