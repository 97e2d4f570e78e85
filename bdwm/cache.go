package bdwm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/internal/floatio"
	"github.com/dwm-rl/dwm/worldmodel"
)

// The world-model cache: runs that would fit the same world model — the
// same D_off, model configuration, ModelSteps and seed, as BDWM and its
// filter, λ, BC and epistemic-only ablations do — fit it once. The first
// run writes the fitted model's whole training state (parameters,
// normalizers, optimizer moments, step counter and random streams) to
// Config.ModelCache; the others load it and continue exactly as if they
// had fitted it themselves, so a run's numbers do not depend on whether
// its model came from the cache.

// cacheMetaKey names the metadata entry of a cache file.
const cacheMetaKey = "dwm-bdwm-worldmodel"

// cacheMeta is what a cache file carries next to the model's tensors.
type cacheMeta struct {
	Format  string            `json:"format"`
	ObsDim  int               `json:"obs_dim"`
	ActDim  int               `json:"act_dim"`
	Config  worldmodel.Config `json:"config"`
	RNG     map[string][]byte `json:"rng"`
	FitLoss float64           `json:"fit_loss"`
}

const cacheFormat = "bdwm-worldmodel-cache/1"

// cachePath returns the cache file of this run's world model, or "" when
// the cache is off.
func (m *Method) cachePath() string {
	dir := m.cfg.ModelCache
	if dir == "" || dir == "off" || m.cfg.ModelPath != "" {
		return ""
	}
	return filepath.Join(dir, m.cacheKey()+".safetensors")
}

// cacheKey identifies a fitted world model by what determines it: D_off's
// transitions, the model configuration, the number of fitting steps and
// the seed.
func (m *Method) cacheKey() string {
	h := sha256.New()
	d := m.data
	fmt.Fprintf(h, "%s\n%d %d %d\n", cacheFormat, d.ObsDim, d.ActDim, d.Len())
	for _, col := range [][]float32{d.Obs, d.Act, d.Rew, d.Next} {
		floatio.Write(h, col)
	}
	floatio.WriteBools(h, d.Done, d.Len())
	js, _ := json.Marshal(m.cfg.Model.WithDefaults())
	fmt.Fprintf(h, "\n%s\nsteps %d seed %d", js, m.cfg.ModelSteps, m.seed)
	return hex.EncodeToString(h.Sum(nil))[:24]
}

// loadCached returns the cached world model at path and its fit loss, or
// a nil model when there is no usable entry (a broken one is reported and
// ignored: the run fits anew).
func (m *Method) loadCached(path string) (*worldmodel.Model, float64) {
	wm, meta, err := readCacheEntry(path, m.seed)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, 0
	case err != nil:
		m.progress("world-model cache entry %s unusable (%v): fitting anew", path, err)
		return nil, 0
	case meta.ObsDim != m.obsDim || meta.ActDim != m.actDim:
		m.progress("world-model cache entry %s is not a model for this run (widths %d, %d): fitting anew", path, meta.ObsDim, meta.ActDim)
		return nil, 0
	}
	return wm, meta.FitLoss
}

// LoadCacheEntry reads a world model from a BDWM cache entry (a file of
// Config.ModelCache), with its whole training state; seed seeds its
// streams. `dwm worldmodel eval` inspects cached models with it.
func LoadCacheEntry(path string, seed uint64) (*worldmodel.Model, error) {
	wm, _, err := readCacheEntry(path, seed)
	if err != nil {
		return nil, fmt.Errorf("bdwm: world-model cache entry %s: %w", path, err)
	}
	return wm, nil
}

func readCacheEntry(path string, seed uint64) (*worldmodel.Model, cacheMeta, error) {
	var meta cacheMeta
	ts, md, err := checkpoint.ReadSafetensors(path)
	if err != nil {
		return nil, meta, err
	}
	if err := json.Unmarshal([]byte(md[cacheMetaKey]), &meta); err != nil || meta.Format != cacheFormat {
		return nil, meta, fmt.Errorf("not a cache entry (format %q, want %q)", meta.Format, cacheFormat)
	}
	wm, err := worldmodel.New(meta.ObsDim, meta.ActDim, meta.Config, seed)
	if err == nil {
		err = wm.SetState("", ts, meta.RNG)
	}
	if err != nil {
		return nil, meta, err
	}
	return wm, meta, nil
}

// saveCached writes the fitted model's training state to path. A failed
// write costs later runs a fit, nothing else: it is reported, not returned.
func (m *Method) saveCached(path string, wm *worldmodel.Model, fitLoss float64) {
	ts, rngs, err := wm.State("")
	if err == nil {
		var js []byte
		js, err = json.Marshal(cacheMeta{Format: cacheFormat, ObsDim: m.obsDim, ActDim: m.actDim, Config: wm.Config(), RNG: rngs, FitLoss: fitLoss})
		if err == nil {
			if err = os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
				err = checkpoint.WriteSafetensors(path, ts, map[string]string{cacheMetaKey: string(js)})
			}
		}
	}
	if err != nil {
		m.progress("world-model cache: %v", err)
	}
}
