package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"
	"gopkg.in/yaml.v3"
)

// LoadFile decodes the YAML (.yaml, .yml) or TOML (.toml) file at path into
// dst, which already holds defaults; keys absent from the file keep them.
// Unknown keys are errors.
func LoadFile(path string, dst any) error {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".yaml" && ext != ".yml" && ext != ".toml" {
		return fmt.Errorf("load config %s: unknown extension %q (want .yaml, .yml or .toml)", path, filepath.Ext(path))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("load config: %w", err)
	}
	switch ext {
	case ".yaml", ".yml":
		if err := decodeYAML(b, dst); err != nil {
			return fmt.Errorf("load config %s: %w", path, err)
		}
	case ".toml":
		// TOML is decoded to a generic tree first, then re-encoded as YAML so
		// both formats share one strict decoder and one set of names.
		var tree map[string]any
		if _, err := toml.Decode(string(b), &tree); err != nil {
			return fmt.Errorf("load config %s: %w", path, err)
		}
		y, err := yaml.Marshal(tree)
		if err != nil {
			return fmt.Errorf("load config %s: %w", path, err)
		}
		if err := decodeYAML(y, dst); err != nil {
			return fmt.Errorf("load config %s: %w", path, err)
		}
	}
	return nil
}

func decodeYAML(b []byte, dst any) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(dst); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // empty file: defaults stand
		}
		return err
	}
	return nil
}

// Set applies one override "a.b.c=value" to dst. The value is parsed as a
// YAML scalar or flow value (numbers, booleans, strings, [lists]). An unknown
// key is an error naming it.
func Set(dst any, override string) error {
	key, val, ok := strings.Cut(override, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return fmt.Errorf("override %q: want key.path=value", override)
	}
	parts := strings.Split(key, ".")
	var v any
	if err := yaml.Unmarshal([]byte(val), &v); err != nil {
		return fmt.Errorf("override %s: value %q: %w", key, val, err)
	}
	var tree any = v
	for i := len(parts) - 1; i >= 0; i-- {
		if parts[i] == "" {
			return fmt.Errorf("override %q: empty key segment", override)
		}
		tree = map[string]any{parts[i]: tree}
	}
	b, err := yaml.Marshal(tree)
	if err != nil {
		return fmt.Errorf("override %s: %w", key, err)
	}
	if err := decodeYAML(b, dst); err != nil {
		return fmt.Errorf("override %s=%s: %w", key, val, err)
	}
	return nil
}

// Dump returns dst as YAML (the fully resolved config a run saves).
func Dump(dst any) ([]byte, error) {
	return yaml.Marshal(dst)
}
