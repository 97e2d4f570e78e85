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
			return fmt.Errorf("load config %s: %w", path, tomlError(err, y))
		}
	}
	return nil
}

// tomlError rewrites err, from decoding y (the YAML re-encoding of a TOML
// file), to speak of the TOML file: "toml:" instead of "yaml:", each
// problem at the dotted key it concerns instead of a line of y (which is
// not a line of the file), and TOML's type names.
func tomlError(err error, y []byte) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("toml: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	msgs := make([]string, len(te.Errors))
	for i, e := range locateTypeErrors(te, y) {
		m := e.msg
		if e.located {
			m = "key " + e.key + ": " + e.tail
		}
		msgs[i] = tomlTypeNames.Replace(m)
	}
	return fmt.Errorf("toml: decode errors:\n  %s", strings.Join(msgs, "\n  "))
}

// typeError is one message of a yaml.TypeError with the config key it is
// about: located when the message starts "line N: " (tail is the rest) and
// key is the key on line N of the document (or "?").
type typeError struct {
	msg, key, line, tail string
	located              bool
}

// locateTypeErrors finds, for each message of te, the key of the document y
// it is about.
func locateTypeErrors(te *yaml.TypeError, y []byte) []typeError {
	var root yaml.Node
	keys := map[int]string{}
	if yaml.Unmarshal(y, &root) == nil {
		keyLines(&root, "", keys)
	}
	out := make([]typeError, len(te.Errors))
	for i, m := range te.Errors {
		out[i].msg = m
		rest, ok := strings.CutPrefix(m, "line ")
		if !ok {
			continue
		}
		n, tail, ok := strings.Cut(rest, ": ")
		var line int
		if _, err := fmt.Sscanf(n, "%d", &line); !ok || err != nil {
			continue
		}
		key := keys[line]
		if key == "" {
			key = "?"
		}
		out[i] = typeError{msg: m, key: key, line: n, tail: tail, located: true}
	}
	return out
}

// tomlTypeNames renames YAML's tags in decoder messages to TOML's types.
var tomlTypeNames = strings.NewReplacer("!!str", "string", "!!int", "integer", "!!float", "float",
	"!!bool", "boolean", "!!seq", "array", "!!map", "table", "!!timestamp", "datetime", "!!null", "empty value")

// keyLines records in keys, for every line of the YAML tree n, the dotted
// path ("agent.sizes[1]") of the key or element on it.
func keyLines(n *yaml.Node, path string, keys map[int]string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			keyLines(c, path, keys)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if path != "" {
				k = path + "." + k
			}
			if _, ok := keys[n.Content[i].Line]; !ok {
				keys[n.Content[i].Line] = k
			}
			keyLines(n.Content[i+1], k, keys)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			if _, ok := keys[c.Line]; !ok {
				keys[c.Line] = p
			}
			keyLines(c, p, keys)
		}
	}
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
