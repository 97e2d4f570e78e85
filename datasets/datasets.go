// Package datasets ships the small datasets embedded in the dwm binary: the
// default task of `make demo` and of the tests, usable with no generation
// step. Everything larger is made on demand by datagen and cached.
//
// pendulum-medium: 50,000 transitions of Pendulum (actions in [-1, 1], torque
// 2·a) made with D4RL's medium recipe by
//
//	dwm dataset make pendulum-medium --size 50000 --seed 0
//
// (a SAC expert trained for 20,000 steps; the medium policy is its snapshot
// closest to a third of the way from the random to the expert return). Its
// provenance is in the file's metadata (`dwm dataset inspect pendulum-medium`).
package datasets

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/internal/atomicfile"
)

//go:embed pendulum-medium.npz
var pendulumMedium []byte

var embedded = map[string][]byte{
	"pendulum-medium": pendulumMedium,
}

// Names lists the embedded datasets.
func Names() []string {
	var out []string
	for k := range embedded {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Has reports whether name is embedded.
func Has(name string) bool { _, ok := embedded[name]; return ok }

// Load decodes the embedded dataset name.
func Load(name string) (*dataset.Dataset, error) {
	b, ok := embedded[name]
	if !ok {
		return nil, fmt.Errorf("no embedded dataset %q; embedded: %s", name, strings.Join(Names(), ", "))
	}
	d, err := dataset.DecodeNPZ(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("embedded dataset %s: %w", name, err)
	}
	return d, nil
}

// Extract writes the embedded dataset name to dir/<name>.npz (atomically)
// and returns the path, for tools that want a file.
func Extract(name, dir string) (string, error) {
	b, ok := embedded[name]
	if !ok {
		return "", fmt.Errorf("no embedded dataset %q; embedded: %s", name, strings.Join(Names(), ", "))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	p := filepath.Join(dir, name+".npz")
	return p, atomicfile.WriteBytes(p, b)
}
