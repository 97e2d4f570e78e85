package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type inner struct {
	LR    float64 `yaml:"lr"`
	Sizes []int   `yaml:"sizes"`
}

type cfg struct {
	Env   string `yaml:"env"`
	Seed  uint64 `yaml:"seed"`
	Agent inner  `yaml:"agent"`
}

func TestLoadAndOverride(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, body string }{
		{"c.yaml", "env: hopper\nagent:\n  lr: 0.001\n"},
		{"c.toml", "env = \"hopper\"\n[agent]\nlr = 0.001\n"},
	} {
		p := filepath.Join(dir, tc.name)
		os.WriteFile(p, []byte(tc.body), 0o644)
		c := cfg{Env: "pendulum", Seed: 3, Agent: inner{LR: 3e-4, Sizes: []int{256, 256}}}
		if err := LoadFile(p, &c); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if c.Env != "hopper" || c.Agent.LR != 0.001 || c.Seed != 3 || len(c.Agent.Sizes) != 2 {
			t.Fatalf("%s: got %+v", tc.name, c)
		}
		if err := Set(&c, "agent.sizes=[64,64,64]"); err != nil {
			t.Fatal(err)
		}
		if len(c.Agent.Sizes) != 3 || c.Agent.LR != 0.001 {
			t.Fatalf("override lost values: %+v", c)
		}
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("env: hopper\nagnet:\n  lr: 1\n"), 0o644)
	wrongType := filepath.Join(dir, "wt.yaml")
	os.WriteFile(wrongType, []byte("seed: minus-one\n"), 0o644)
	cases := []struct {
		name string
		run  func(*cfg) error
		want string
	}{
		{"unknown key in file", func(c *cfg) error { return LoadFile(bad, c) }, "agnet"},
		{"wrong type in file", func(c *cfg) error { return LoadFile(wrongType, c) }, "minus-one"},
		{"unknown extension", func(c *cfg) error { return LoadFile(filepath.Join(dir, "x.json"), c) }, "x.json"},
		{"unknown override key", func(c *cfg) error { return Set(c, "agent.lrr=1") }, "lrr"},
		{"override without value", func(c *cfg) error { return Set(c, "seed") }, "key.path=value"},
		{"override wrong type", func(c *cfg) error { return Set(c, "seed=abc") }, "seed"},
	}
	for _, tc := range cases {
		var c cfg
		err := tc.run(&c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

// TOML files' decode errors name the format and the key, not "yaml" and a
// line of the internal YAML re-encoding.
func TestTOMLErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		body string
		want []string
	}{
		{"env = \"hopper\"\n[agnet]\nlr = 1\n", []string{"toml: ", "key agnet: field agnet not found"}},
		{"seed = \"minus-one\"\n", []string{"toml: ", "key seed: cannot unmarshal string `minus-one` into uint64"}},
		{"[agent]\nlr = \"x\"\nsizes = [1, \"a\"]\n", []string{"key agent.lr: cannot unmarshal string `x` into float64", "key agent.sizes[1]: cannot unmarshal string `a` into int"}},
		{"env = \n", []string{"toml: line 2"}},
	} {
		p := filepath.Join(dir, "c.toml")
		if err := os.WriteFile(p, []byte(tc.body), 0o644); err != nil {
			t.Fatal(err)
		}
		var c cfg
		err := LoadFile(p, &c)
		if err == nil {
			t.Errorf("%q: no error", tc.body)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q, want it to contain %q", tc.body, err, w)
			}
		}
		if strings.Contains(err.Error(), "yaml") || strings.Contains(err.Error(), "!!") {
			t.Errorf("%q: error %q speaks of YAML", tc.body, err)
		}
	}
}
