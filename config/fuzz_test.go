package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes as YAML and TOML config files and arbitrary
// override strings: each must load or fail with an error, never panic.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("env: hopper\nagent:\n  lr: 0.001\n"), "agent.lr=1e-3")
	f.Add([]byte("env = \"hopper\"\n[agent]\nsizes = [1, 2]\n"), "agent.sizes=[64,64]")
	f.Add([]byte("{{{"), "=")
	f.Add([]byte("agent: [1, 2"), "a..b=3")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, body []byte, override string) {
		for _, ext := range []string{".yaml", ".toml"} {
			p := filepath.Join(dir, "c"+ext)
			if err := os.WriteFile(p, body, 0o644); err != nil {
				t.Fatal(err)
			}
			var c cfg
			_ = LoadFile(p, &c)
		}
		var c cfg
		_ = Set(&c, override)
	})
}
