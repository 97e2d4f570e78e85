//go:build cgo && !nomujoco

package datagen

import (
	"bytes"
	"context"
	"os"
	"slices"
	"testing"

	"github.com/dwm-rl/dwm/dataset"
)

// Each Adroit kind gives a byte-identical file for the same config (made
// with different worker counts, which must not matter), whole episodes with
// a per-step success column, and the cloned mix is half demos.
func TestAdroitKindsDeterministic(t *testing.T) {
	for _, c := range []Config{
		{Env: "door", Kind: "expert", Size: 250},
		{Env: "door", Kind: "demo", Episodes: 2},
		{Env: "door", Kind: "cloned", Episodes: 1, BCSteps: 30, Size: 300},
	} {
		var files [][]byte
		var data []*dataset.Dataset
		for _, w := range []int{2, 2, 1} {
			c := c
			c.Seed, c.Workers, c.CacheDir = 5, w, t.TempDir()
			p, err := Make(context.Background(), c, nil)
			if err != nil {
				t.Fatalf("%s-%s: %v", c.Env, c.Kind, err)
			}
			b, _ := os.ReadFile(p)
			files = append(files, b)
			d, err := dataset.Load(p)
			if err != nil {
				t.Fatal(err)
			}
			data = append(data, d)
			want := c.Size
			if c.Kind == "demo" {
				want = 2 * 200
			}
			if d.Len() != want || d.Metadata["kind"] != c.Kind || d.Metadata["recipe"] != "dwm-adroit" {
				t.Fatalf("%s-%s: %d rows (want %d), metadata %v", c.Env, c.Kind, d.Len(), want, d.Metadata)
			}
			s, ok := d.Infos["success"]
			if !ok || s.Dim != 1 || len(s.Data) != d.Len() {
				t.Fatalf("%s-%s: success column %+v", c.Env, c.Kind, s)
			}
			if e := d.EpisodeEnds(); e[len(e)-1] != d.Len() {
				t.Fatalf("%s-%s: episode ends %v", c.Env, c.Kind, e)
			}
		}
		if !bytes.Equal(files[0], files[1]) {
			t.Errorf("%s-%s: the same config gave different files", c.Env, c.Kind)
		}
		// The worker count is in the cache key (and metadata) but does not
		// change the data.
		a, b := data[0], data[2]
		if !slices.Equal(a.Observations, b.Observations) || !slices.Equal(a.Actions, b.Actions) ||
			!slices.Equal(a.Rewards, b.Rewards) || !slices.Equal(a.Infos["success"].Data, b.Infos["success"].Data) {
			t.Errorf("%s-%s: 1 and 2 workers gave different data", c.Env, c.Kind)
		}
	}
}
