// Package config loads plain configuration structs from YAML or TOML files
// and applies "key.path=value" overrides from the command line.
//
// A dwm config is a plain Go struct whose fields carry `yaml` tags (the TOML
// reader maps through the same names). Loading is strict: an unknown key is
// an error naming the key and the file, so a typo never silently falls back
// to a default. Overrides go through the same strict decoder, so
// `--set sac.lr=1e-3` is type-checked exactly as a file would be.
//
// A file that dwm itself wrote (a run's saved config.yaml) is read with
// LoadSavedFile instead, which first renames the keys an older dwm spelled
// differently (LegacyKeys, an explicit table naming the change that renamed
// each), so that runs written before a rename still resume; any other
// unknown key stays an error naming the file and the dotted key. User
// configs never get this leniency.
package config
