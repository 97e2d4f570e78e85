// Package config loads plain configuration structs from YAML or TOML files
// and applies "key.path=value" overrides from the command line.
//
// A dwm config is a plain Go struct whose fields carry `yaml` tags (the TOML
// reader maps through the same names). Loading is strict: an unknown key is
// an error naming the key and the file, so a typo never silently falls back
// to a default. Overrides go through the same strict decoder, so
// `--set sac.lr=1e-3` is type-checked exactly as a file would be.
package config
