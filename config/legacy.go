package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"
	"gopkg.in/yaml.v3"
)

// Rename is a config key that an older dwm wrote under another name.
type Rename struct {
	// Section is the dotted path of the mapping that holds the key
	// ("sac", "calql.cql").
	Section string
	// Old is the key as the older dwm wrote it, New as dwm writes it now.
	Old, New string
	// Since names the dwm change that renamed the key.
	Since string
}

// String returns "section.old → section.new".
func (r Rename) String() string {
	return r.Section + "." + r.Old + " → " + r.Section + "." + r.New
}

// since68c0a79 is commit 68c0a79 (2026-11-23), which gave SAC's, CQL's and
// Cal-QL's config fields snake_case keys; before it yaml.v3 wrote them as
// the lower-cased field names.
const since68c0a79 = "commit 68c0a79 (2026-11-23, SAC's, CQL's and Cal-QL's keys to snake_case)"

// legacyGroups are the renames of LegacyKeys, one group a set of keys
// renamed together in the sections that hold them.
var legacyGroups = []struct {
	since    string
	sections []string
	keys     [][2]string // old, new
}{
	{since68c0a79, []string{"sac"}, [][2]string{
		{"actorlr", "actor_lr"}, {"criticlr", "critic_lr"}, {"alphalr", "alpha_lr"}, {"batchsize", "batch_size"},
		{"initalpha", "init_alpha"}, {"fixedalpha", "fixed_alpha"}, {"targetentropy", "target_entropy"},
		{"logstdmin", "log_std_min"}, {"logstdmax", "log_std_max"}, {"bcweight", "bc_weight"},
	}},
	// Cal-QL holds a CQL config; DUAL's Cal-QL critic holds a Cal-QL one.
	{since68c0a79, []string{"cql", "calql.cql", "dual.calql.cql"}, [][2]string{
		{"actorhidden", "actor_hidden"}, {"actorlr", "actor_lr"}, {"criticlr", "critic_lr"}, {"alphalr", "alpha_lr"},
		{"batchsize", "batch_size"}, {"initalpha", "init_alpha"}, {"fixedalpha", "fixed_alpha"},
		{"targetentropy", "target_entropy"}, {"backupentropy", "backup_entropy"}, {"cqlalpha", "cql_alpha"},
		{"cqlalphaonline", "cql_alpha_online"}, {"numactions", "num_actions"},
		{"noimportancesample", "no_importance_sample"}, {"targetactiongap", "target_action_gap"},
		{"maxtargetbackup", "max_target_backup"}, {"clipdiffmin", "clip_diff_min"}, {"clipdiffmax", "clip_diff_max"},
		{"logstdmin", "log_std_min"}, {"logstdmax", "log_std_max"}, {"logstdmultiplier", "log_std_multiplier"},
		{"logstdoffset", "log_std_offset"}, {"defaultinit", "default_init"},
	}},
	{since68c0a79, []string{"calql", "dual.calql"}, [][2]string{
		{"sparsereward", "sparse_reward"}, {"failurereward", "failure_reward"},
	}},
}

// LegacyKeys returns every key of a saved run config that an older dwm
// spelled differently, oldest change first: the renames LoadSavedFile
// undoes. A change that renames a key of experiment.Config (or of a config
// it holds) adds its renames here, so that runs written before it still
// resume.
func LegacyKeys() []Rename {
	var out []Rename
	for _, g := range legacyGroups {
		for _, s := range g.sections {
			for _, k := range g.keys {
				out = append(out, Rename{Section: s, Old: k[0], New: k[1], Since: g.since})
			}
		}
	}
	return out
}

// LoadSavedFile decodes a config file that dwm itself wrote (a run's
// config.yaml) into dst, as LoadFile does, except that keys an older dwm
// spelled differently (LegacyKeys) are read under their current names
// first; it returns the renames it applied. Every other key is still
// strict: an unknown one is an error naming the file and the dotted key,
// saying that no known older spelling matches. A file holding a key under
// both its old and its new name is an error.
//
// Use it only for files dwm wrote: a user's config keeps LoadFile's strict
// names, so that an old spelling there is reported, not silently read.
func LoadSavedFile(path string, dst any) ([]Rename, error) {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".yaml" && ext != ".yml" && ext != ".toml" {
		return nil, fmt.Errorf("load saved config %s: unknown extension %q (want .yaml, .yml or .toml)", path, filepath.Ext(path))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load saved config: %w", err)
	}
	if ext == ".toml" {
		var tree map[string]any
		if _, err := toml.Decode(string(b), &tree); err != nil {
			return nil, fmt.Errorf("load saved config %s: %w", path, err)
		}
		if b, err = yaml.Marshal(tree); err != nil {
			return nil, fmt.Errorf("load saved config %s: %w", path, err)
		}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("load saved config %s: %w", path, err)
	}
	applied, err := migrate(&root)
	if err != nil {
		return nil, fmt.Errorf("load saved config %s: %w", path, err)
	}
	if len(applied) > 0 {
		if b, err = yaml.Marshal(&root); err != nil {
			return nil, fmt.Errorf("load saved config %s: %w", path, err)
		}
	}
	if err := decodeYAML(b, dst); err != nil {
		return nil, fmt.Errorf("load saved config %s: %w", path, savedError(err, b, ext == ".toml" || len(applied) > 0))
	}
	return applied, nil
}

// migrate renames the LegacyKeys found in the YAML tree root in place and
// returns those it renamed.
func migrate(root *yaml.Node) ([]Rename, error) {
	var applied []Rename
	for _, r := range LegacyKeys() {
		m := mapping(root, r.Section)
		if m == nil {
			continue
		}
		var old, cur *yaml.Node
		for i := 0; i+1 < len(m.Content); i += 2 {
			switch k := m.Content[i]; k.Value {
			case r.Old:
				old = k
			case r.New:
				cur = k
			}
		}
		if old == nil {
			continue
		}
		if cur != nil {
			return nil, fmt.Errorf("key %s.%s and %s.%s, its spelling before %s, are both present", r.Section, r.New, r.Section, r.Old, r.Since)
		}
		old.Value = r.New
		applied = append(applied, r)
	}
	return applied, nil
}

// mapping returns the mapping node at the dotted path in the YAML tree n,
// or nil if there is none.
func mapping(n *yaml.Node, path string) *yaml.Node {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	for _, seg := range strings.Split(path, ".") {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == seg {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	return n
}

// savedError rewrites err, from strictly decoding y, to name each unknown
// key by its dotted path and say that it is neither a current key nor a
// known older spelling. rewritten says that y is not the file's text (a
// migrated or TOML file), so its line numbers are left out.
func savedError(err error, y []byte, rewritten bool) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	msgs := make([]string, len(te.Errors))
	for i, e := range locateTypeErrors(te, y) {
		msgs[i] = e.msg
		if !e.located {
			continue
		}
		where := " (line " + e.line + ")"
		if rewritten {
			where = ""
		}
		if strings.HasPrefix(e.tail, "field ") && strings.Contains(e.tail, " not found in type ") {
			msgs[i] = "key " + e.key + where + ": not a key of this dwm's config, nor an older spelling of one that it reads (config.LegacyKeys)"
		} else {
			msgs[i] = "key " + e.key + where + ": " + e.tail
		}
	}
	return fmt.Errorf("decode errors:\n  %s", strings.Join(msgs, "\n  "))
}
