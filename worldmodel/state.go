package worldmodel

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/optim"
)

// File format version written by Save.
const fileFormat = "dwm-worldmodel-1"

// tensors returns the model's parameters, normalizers and elites as
// checkpoint tensors named under prefix (copies).
func (m *Model) tensors(prefix string) ([]checkpoint.Tensor, error) {
	if m.inNorm == nil {
		return nil, fmt.Errorf("worldmodel: save: %w", ErrNotFitted)
	}
	var ts []checkpoint.Tensor
	for _, p := range m.Params() {
		ts = append(ts, checkpoint.Tensor{Name: prefix + p.Name, Shape: slices.Clone(p.Shape), Data: slices.Clone(p.W)})
	}
	for _, n := range []struct {
		name string
		nm   *dataset.Normalizer
	}{{"norm/in", m.inNorm}, {"norm/target", m.outNorm}} {
		d := len(n.nm.Mean)
		ts = append(ts,
			checkpoint.Tensor{Name: prefix + n.name + "/mean", Shape: []int{d}, Data: slices.Clone(n.nm.Mean)},
			checkpoint.Tensor{Name: prefix + n.name + "/std", Shape: []int{d}, Data: slices.Clone(n.nm.Std)},
			checkpoint.Tensor{Name: prefix + n.name + "/eps", Shape: []int{1}, Data: []float32{n.nm.Eps}})
	}
	if m.gauss != nil {
		el := make([]float32, len(m.gauss.elites))
		for i, e := range m.gauss.elites {
			el[i] = float32(e)
		}
		ts = append(ts, checkpoint.Tensor{Name: prefix + "elites", Shape: []int{len(el)}, Data: el})
	}
	ts = append(ts, counterTensor(prefix+"steps", m.steps))
	return ts, nil
}

// setTensors restores what tensors wrote under prefix. Names are checked
// before anything is changed.
func (m *Model) setTensors(prefix string, ts []checkpoint.Tensor) error {
	by := make(map[string]checkpoint.Tensor, len(ts))
	for _, t := range ts {
		if name, ok := strings.CutPrefix(t.Name, prefix); ok {
			by[name] = t
		}
	}
	sd := make(map[string]nn.Tensor, len(by))
	for name, t := range by {
		sd[name] = nn.Tensor{Shape: t.Shape, Data: t.Data}
	}
	if err := nn.LoadStateDict(m.Params(), sd, false); err != nil {
		return fmt.Errorf("worldmodel: %w", err)
	}
	vec := func(name string, d int) ([]float32, error) {
		t, ok := by[name]
		if !ok {
			return nil, fmt.Errorf("worldmodel: tensor %s%s missing", prefix, name)
		}
		if len(t.Data) != d {
			return nil, fmt.Errorf("worldmodel: tensor %s%s has %d values, want %d", prefix, name, len(t.Data), d)
		}
		return slices.Clone(t.Data), nil
	}
	norms := make([]*dataset.Normalizer, 2)
	for i, n := range []struct {
		name string
		d    int
	}{{"norm/in", m.obsDim + m.actDim}, {"norm/target", m.obsDim + 1}} {
		mean, err := vec(n.name+"/mean", n.d)
		if err != nil {
			return err
		}
		std, err := vec(n.name+"/std", n.d)
		if err != nil {
			return err
		}
		eps, err := vec(n.name+"/eps", 1)
		if err != nil {
			return err
		}
		norms[i] = &dataset.Normalizer{Mean: mean, Std: std, Eps: eps[0]}
		if err := norms[i].Validate(); err != nil {
			return fmt.Errorf("worldmodel: %s: %w", n.name, err)
		}
	}
	var elites []int
	if m.gauss != nil {
		el, err := vec("elites", m.cfg.Elites)
		if err != nil {
			return err
		}
		for _, e := range el {
			k := int(e)
			if float32(k) != e || k < 0 || k >= m.cfg.Members {
				return fmt.Errorf("worldmodel: tensor %selites: %v is not a member index below %d", prefix, e, m.cfg.Members)
			}
			elites = append(elites, k)
		}
	}
	steps := int64(0)
	if t, ok := by["steps"]; ok {
		v, err := parseCounter(t)
		if err != nil {
			return fmt.Errorf("worldmodel: %w", err)
		}
		steps = v
	}
	// All checks passed: commit (parameters were loaded above, atomically).
	m.setNormalizers(norms[0], norms[1])
	if m.gauss != nil {
		m.gauss.elites = elites
	}
	m.steps = steps
	return nil
}

// fileMeta is the metadata a model file carries next to its tensors.
type fileMeta struct {
	Format string `json:"format"`
	ObsDim int    `json:"obs_dim"`
	ActDim int    `json:"act_dim"`
	Config Config `json:"config"`
}

// maxLoadSteps bounds the diffusion steps a model file may claim: New
// allocates the noise schedule's tables before any tensor is checked, and
// no model needs more than a few thousand (DDPM: 1000).
const maxLoadSteps = 1 << 20

// fits returns an error unless the model the metadata describes could be
// the one whose tensors ts were read from the file: the widths must match
// the normalizers' tensors, and the model's weight matrices alone must not
// hold more values than all of ts (whose size the file bounds). A corrupt
// or hostile header claiming huge sizes is thus refused before New
// allocates anything.
func (meta fileMeta) fits(ts []checkpoint.Tensor) error {
	var have float64
	lens := make(map[string]int, len(ts))
	for _, t := range ts {
		have += float64(len(t.Data))
		lens[t.Name] = len(t.Data)
	}
	O, A := meta.ObsDim, meta.ActDim
	if O < 1 || A < 1 {
		return fmt.Errorf("observation dim %d and action dim %d must be ≥ 1", O, A)
	}
	for _, w := range []struct {
		name string
		n    int
	}{{"norm/in/mean", O + A}, {"norm/target/mean", O + 1}} {
		if n, ok := lens[w.name]; !ok || n != w.n {
			return fmt.Errorf("header says observation dim %d and action dim %d, but tensor %s has %d values (want %d)", O, A, w.name, n, w.n)
		}
	}
	if err := meta.Config.Validate(); err != nil {
		return err
	}
	c := meta.Config.WithDefaults()
	if c.Kind == Diffusion && c.DiffusionSteps > maxLoadSteps {
		return fmt.Errorf("worldmodel.diffusion_steps = %d: more than the %d a model file may claim", c.DiffusionSteps, maxLoadSteps)
	}
	// Weight values of the MLP with k members and layer widths sizes.
	mlp := func(k int, first float64, hidden []int, last float64) float64 {
		n, prev := 0.0, first
		for _, h := range hidden {
			n += prev * float64(h)
			prev = float64(h)
		}
		return float64(k) * (n + prev*last)
	}
	in, d := float64(O+A), float64(O+1)
	var need float64
	switch c.Kind {
	case Diffusion:
		ke, cond := c.Members, float64(c.Members)*float64(c.LatentDim)
		if c.SharedEncoder || c.Members == 1 {
			ke, cond = 1, float64(c.LatentDim)
		}
		k, W := float64(c.Members), float64(c.Width)
		need = mlp(ke, in, c.EncoderHidden, float64(c.LatentDim)) + // encoder
			k*(d+cond+1+float64(c.TimeDim))*W + float64(c.Blocks)*2*k*W*W + k*W*d // decoder in, blocks, out
	case Gaussian:
		need = mlp(c.Members, in, c.GaussianHidden, 2*d)
	}
	if c.Termination == Learned {
		need += mlp(1, in+d, c.TerminalHidden, 1)
	}
	if need > have {
		return fmt.Errorf("header describes a model of at least %.0f parameter values, the file holds %.0f: corrupt", need, have)
	}
	return nil
}

// Save writes the fitted model (parameters, normalizers, elites and its
// configuration; not the optimizer) to path as one safetensors file,
// atomically.
func (m *Model) Save(path string) error {
	ts, err := m.tensors("")
	if err != nil {
		return err
	}
	meta, err := json.Marshal(fileMeta{Format: fileFormat, ObsDim: m.obsDim, ActDim: m.actDim, Config: m.cfg})
	if err != nil {
		return fmt.Errorf("worldmodel: save %s: %w", path, err)
	}
	if err := checkpoint.WriteSafetensors(path, ts, map[string]string{"dwm": string(meta)}); err != nil {
		return fmt.Errorf("worldmodel: save %s: %w", path, err)
	}
	return nil
}

// ErrNotModelFile is wrapped by Load's error for a safetensors file
// without a model file's metadata (another program's file, or a BDWM
// world-model cache entry: bdwm.LoadCacheEntry reads those).
var ErrNotModelFile = errors.New(`not a model file written by dwm worldmodel fit (no "dwm" metadata)`)

// Load reads a model written by Save. Training continued after Load
// starts a fresh optimizer; seed seeds the training streams.
func Load(path string, seed uint64) (*Model, error) {
	ts, md, err := checkpoint.ReadSafetensors(path)
	if err != nil {
		return nil, fmt.Errorf("worldmodel: load %s: %w", path, err)
	}
	raw, ok := md["dwm"]
	if !ok {
		return nil, fmt.Errorf("worldmodel: load %s: %w (its metadata keys: %s)", path, ErrNotModelFile, strings.Join(slices.Sorted(maps.Keys(md)), ", "))
	}
	var meta fileMeta
	if err := json.Unmarshal([]byte(raw), &meta); err != nil {
		return nil, fmt.Errorf("worldmodel: load %s: metadata: %w", path, err)
	}
	if meta.Format != fileFormat {
		return nil, fmt.Errorf("worldmodel: load %s: format %q, want %q", path, meta.Format, fileFormat)
	}
	if err := meta.fits(ts); err != nil {
		return nil, fmt.Errorf("worldmodel: load %s: %w", path, err)
	}
	m, err := New(meta.ObsDim, meta.ActDim, meta.Config, seed)
	if err != nil {
		return nil, fmt.Errorf("worldmodel: load %s: %w", path, err)
	}
	if err := m.setTensors("", ts); err != nil {
		return nil, fmt.Errorf("worldmodel: load %s: %w", path, err)
	}
	return m, nil
}

// State returns everything needed to continue training exactly, for a
// checkpoint: the tensors (parameters, normalizers, elites, step counter
// and optimizer moments) named under prefix, and the training streams'
// states.
func (m *Model) State(prefix string) ([]checkpoint.Tensor, map[string][]byte, error) {
	ts, err := m.tensors(prefix)
	if err != nil {
		return nil, nil, err
	}
	for _, o := range m.optimizers() {
		step, st := o.opt.State()
		for _, p := range o.opt.Params() {
			for _, key := range []string{"m/" + p.Name, "v/" + p.Name} {
				ts = append(ts, checkpoint.Tensor{Name: prefix + o.name + key, Shape: st[key].Shape, Data: slices.Clone(st[key].Data)})
			}
		}
		ts = append(ts, counterTensor(prefix+o.name+"step", step),
			checkpoint.Tensor{Name: prefix + o.name + "lr", Shape: []int{1}, Data: []float32{o.lr()}})
	}
	rngs := map[string][]byte{}
	for k, s := range m.batch {
		b, err := s.State()
		if err != nil {
			return nil, nil, err
		}
		rngs["batch/"+strconv.Itoa(k)] = b
	}
	b, err := m.noise.State()
	if err != nil {
		return nil, nil, err
	}
	rngs["noise"] = b
	return ts, rngs, nil
}

type namedOpt struct {
	name string
	opt  *optim.Adam
}

func (o namedOpt) lr() float32 { return o.opt.LR }

func (m *Model) optimizers() []namedOpt {
	os := []namedOpt{{"opt/", m.opt}}
	if m.termOpt != nil {
		os = append(os, namedOpt{"opt_terminal/", m.termOpt})
	}
	return os
}

// SetState restores what State returned.
func (m *Model) SetState(prefix string, ts []checkpoint.Tensor, rngs map[string][]byte) error {
	if err := m.setTensors(prefix, ts); err != nil {
		return err
	}
	for _, o := range m.optimizers() {
		st := map[string]nn.Tensor{}
		var step int64 = -1
		lr := float32(-1)
		for _, t := range ts {
			name, ok := strings.CutPrefix(t.Name, prefix+o.name)
			if !ok {
				continue
			}
			if name == "lr" && len(t.Data) == 1 {
				lr = t.Data[0]
				continue
			}
			if name == "step" {
				v, err := parseCounter(t)
				if err != nil {
					return fmt.Errorf("worldmodel: %w", err)
				}
				step = v
				continue
			}
			st[name] = nn.Tensor{Shape: t.Shape, Data: t.Data}
		}
		if step < 0 {
			return fmt.Errorf("worldmodel: optimizer state %s%sstep missing", prefix, o.name)
		}
		if !(lr > 0) {
			return fmt.Errorf("worldmodel: optimizer state %s%slr missing or not positive", prefix, o.name)
		}
		if err := o.opt.SetState(step, st); err != nil {
			return fmt.Errorf("worldmodel: %w", err)
		}
		o.opt.LR = lr
	}
	for k, s := range m.batch {
		b, ok := rngs["batch/"+strconv.Itoa(k)]
		if !ok {
			return fmt.Errorf("worldmodel: random stream batch/%d missing", k)
		}
		if err := s.SetState(b); err != nil {
			return err
		}
	}
	b, ok := rngs["noise"]
	if !ok {
		return fmt.Errorf("worldmodel: random stream noise missing")
	}
	return m.noise.SetState(b)
}

// counterTensor encodes a non-negative counter below 2⁴⁸ exactly as two
// float32 halves of 24 bits (the encoding of agent.CounterTensor).
func counterTensor(name string, v int64) checkpoint.Tensor {
	return checkpoint.Tensor{Name: name, Shape: []int{2}, Data: []float32{float32(v >> 24), float32(v & (1<<24 - 1))}}
}

// parseCounter decodes counterTensor's encoding.
func parseCounter(t checkpoint.Tensor) (int64, error) {
	if len(t.Data) != 2 {
		return 0, fmt.Errorf("counter %s: %d values, want 2", t.Name, len(t.Data))
	}
	var v int64
	for _, h := range t.Data {
		if !(h >= 0 && h < 1<<24) || h != float32(int64(h)) {
			return 0, fmt.Errorf("counter %s: half %v is not an integer in [0, 2^24)", t.Name, h)
		}
		v = v<<24 + int64(h)
	}
	return v, nil
}
