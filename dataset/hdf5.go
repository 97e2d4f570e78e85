package dataset

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/dwm-rl/dwm/dataset/internal/h5"
	"github.com/dwm-rl/dwm/internal/atomicfile"
)

// ErrNoHDF5 is returned (wrapped) by the HDF5 functions in a binary built
// with the nohdf5 tag or without cgo.
var ErrNoHDF5 = h5.ErrUnavailable

// ReadHDF5 reads a dataset from an HDF5 file in D4RL's layout or Minari's
// (see the package documentation), and validates it. Errors name the file,
// the key and the index.
//
// D4RL: observations, actions, rewards, terminals (required), timeouts and
// next_observations (optional) at the root, with rewards and flags of shape
// (N,) or (N, 1); numeric infos/<name> datasets become Infos; one-element
// metadata/<path> datasets and the root's attributes become Metadata
// (arrays there, such as policy weights, are skipped). Without
// next_observations they are derived as D4RL's qlearning_dataset does (see
// MetaNextObs); without timeouts they are inferred from
// next_observations[i] != observations[i+1].
//
// Minari: every episode_<id> group, in id order, with observations of
// episode length + 1 rows, actions, rewards, terminations, truncations. A
// step with both terminated and truncated set (Gymnasium allows it) is kept
// as terminal; an episode whose last step has neither is marked timed out
// at its last step, since the group ends there. Root attributes become
// Metadata; Minari's infos are not read.
//
// The file is parsed in a child process (the running executable, re-run),
// because libhdf5 1.10 can crash on corrupt files; a crash is returned as an
// error. This costs one process start per call; ReadHDF5InProcess skips it
// for trusted files.
func ReadHDF5(path string) (*Dataset, error) {
	d, err := readHDF5Isolated(path)
	if err != nil {
		return nil, fmt.Errorf("read HDF5 %s: %w", path, err)
	}
	return d, nil
}

// ReadHDF5InProcess is ReadHDF5 without the child process: faster, but a
// corrupt file that crashes libhdf5 takes the whole program down. Use it
// only for files dwm wrote itself or otherwise trusts.
func ReadHDF5InProcess(path string) (*Dataset, error) {
	d, err := readHDF5(path)
	if err != nil {
		return nil, fmt.Errorf("read HDF5 %s: %w", path, err)
	}
	return d, nil
}

func readHDF5(path string) (*Dataset, error) {
	f, err := h5.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	root, err := f.Children("/")
	if err != nil {
		return nil, err
	}
	var d *Dataset
	switch {
	case slices.Contains(root, keyObs):
		src, err := newH5Source(f)
		if err != nil {
			return nil, err
		}
		if d, err = assembleD4RL(src); err != nil {
			return nil, err
		}
	case slices.ContainsFunc(root, isEpisodeName):
		if d, err = readMinari(f, root); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("neither D4RL's layout (no %q at the root) nor Minari's (no episode_<id> groups); the root holds: %s", keyObs, listKeys(root))
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// maxBytes bounds the memory one dataset's values may claim: what deflate
// could expand the whole file to, plus 1 MiB. A larger claim is a corrupt
// file, refused before allocating.
func maxBytes(f *h5.File) int64 { return maxDeflateRatio*f.Size() + 1<<20 }

// h5Source serves the datasets of an HDF5 file in D4RL's layout.
type h5Source struct {
	f    *h5.File
	list []string
}

// Limits on walking a file's groups: crafted files can link a group into
// itself.
const (
	maxDepth = 8
	maxKeys  = 1 << 16
)

func newH5Source(f *h5.File) (*h5Source, error) {
	s := &h5Source{f: f}
	if err := s.walk("", 0); err != nil {
		return nil, err
	}
	slices.Sort(s.list)
	return s, nil
}

func (s *h5Source) walk(group string, depth int) error {
	if depth > maxDepth {
		return nil
	}
	names, err := s.f.Children(cmp.Or(group, "/"))
	if err != nil {
		return err
	}
	for _, name := range names {
		key := name
		if group != "" {
			key = group + "/" + name
		}
		kind, err := s.f.Kind(key)
		if err != nil {
			return err
		}
		switch kind {
		case h5.Dataset:
			if len(s.list) >= maxKeys {
				return fmt.Errorf("more than %d datasets", maxKeys)
			}
			s.list = append(s.list, key)
		case h5.Group:
			// Only the groups of D4RL's layout are walked.
			if group == "" && name != "infos" && name != "metadata" {
				continue
			}
			if err := s.walk(key, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *h5Source) keys() []string { return s.list }

func (s *h5Source) open(key string) (array, error) {
	info, err := s.f.Info(key)
	if err != nil {
		return nil, err
	}
	return &h5Array{f: s.f, key: key, info: info}, nil
}

func (s *h5Source) attrs() (map[string]string, error) {
	as, err := s.f.Attrs("/")
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(as))
	for _, a := range as {
		m[a.Name] = a.Value
	}
	return m, nil
}

// h5Array is one dataset of an HDF5 file.
type h5Array struct {
	f    *h5.File
	key  string
	info h5.Info
}

func (a *h5Array) shape() []int {
	if a.info.Null {
		return []int{0}
	}
	return a.info.Shape
}

// alloc checks, before anything is read, that the dataset's elements at
// size bytes each, and its chunks at their stored width, fit the file's
// bound, and that its data lives in the file itself.
func (a *h5Array) alloc(size int) error {
	bound := maxBytes(a.f)
	if need := int64(a.info.Elems()) * int64(size); need > bound {
		return fmt.Errorf("%s claims %d elements (%d bytes), impossible for a file of %d bytes", a.key, a.info.Elems(), need, a.f.Size())
	}
	if a.info.ChunkElems > uint64(bound)/uint64(max(a.info.Size, 1)) {
		return fmt.Errorf("%s has chunks of %d elements, impossible for a file of %d bytes", a.key, a.info.ChunkElems, a.f.Size())
	}
	switch {
	case a.info.External:
		return fmt.Errorf("%s keeps its data in external files, which dwm does not read", a.key)
	case a.info.Layout == h5.LayoutVirtual:
		return fmt.Errorf("%s is a virtual dataset, which dwm does not read", a.key)
	case a.info.Layout == h5.LayoutUnknown:
		return fmt.Errorf("%s has an unknown storage layout", a.key)
	}
	return nil
}

func (a *h5Array) floats() ([]float32, error) {
	if a.info.Class != h5.ClassFloat || (a.info.Size != 4 && a.info.Size != 8) {
		return nil, fmt.Errorf("%s has dtype %s, want float32 or float64", a.key, a.info.TypeName())
	}
	if a.info.Size == 4 {
		if err := a.alloc(4); err != nil {
			return nil, err
		}
		out := make([]float32, a.info.Elems())
		if err := a.f.ReadFloat32(a.key, out); err != nil {
			return nil, err
		}
		return out, nil
	}
	v, err := a.float64s()
	if err != nil {
		return nil, err
	}
	return narrow(a.key, a.shape(), v)
}

func (a *h5Array) float64s() ([]float64, error) {
	if err := a.alloc(12); err != nil {
		return nil, err
	}
	v := make([]float64, a.info.Elems())
	if err := a.f.ReadFloat64(a.key, v); err != nil {
		return nil, err
	}
	return v, nil
}

// narrow converts float64 values to float32; a finite value that overflows
// is an error naming its index.
func narrow(key string, shape []int, v []float64) ([]float32, error) {
	out := make([]float32, len(v))
	for k, x := range v {
		f := float32(x)
		if math.IsInf(float64(f), 0) && !math.IsInf(x, 0) {
			return nil, fmt.Errorf("%s%s = %g overflows float32", key, indexString(shape, k), x)
		}
		out[k] = f
	}
	return out, nil
}

// raw1 reads a 1-byte integer or enum dataset's stored values.
func (a *h5Array) raw1() ([]float32, error) {
	if err := a.alloc(5); err != nil {
		return nil, err
	}
	b := make([]byte, a.info.Elems())
	if err := a.f.ReadRaw1(a.key, b); err != nil {
		return nil, err
	}
	out := make([]float32, len(b))
	for i, x := range b {
		if a.info.Signed || a.info.Class == h5.ClassEnum {
			out[i] = float32(int8(x))
		} else {
			out[i] = float32(x)
		}
	}
	return out, nil
}

func (a *h5Array) numbers() ([]float32, error) {
	switch {
	case a.info.Class == h5.ClassFloat:
		return a.floats()
	case a.info.Class == h5.ClassEnum && a.info.Size == 1:
		return a.raw1()
	case a.info.Class == h5.ClassInteger && (a.info.Size == 1 || a.info.Size == 2 || a.info.Size == 4 || a.info.Size == 8):
		v, err := a.float64s()
		if err != nil {
			return nil, err
		}
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = float32(x)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s has dtype %s, want a numeric dtype", a.key, a.info.TypeName())
}

func (a *h5Array) flags() ([]bool, error) {
	var (
		v   []float32
		err error
	)
	switch {
	case a.info.Class == h5.ClassEnum && a.info.Size == 1, // h5py's bool
		a.info.Class == h5.ClassInteger && a.info.Size == 1 && !a.info.Signed:
		v, err = a.raw1()
	case a.info.Class == h5.ClassFloat && (a.info.Size == 4 || a.info.Size == 8):
		v, err = a.floats()
	default:
		return nil, fmt.Errorf("%s has dtype %s, want bool, uint8 or float", a.key, a.info.TypeName())
	}
	if err != nil {
		return nil, err
	}
	return toFlags(a.key, v)
}

func (a *h5Array) text() (string, bool) {
	s, ok, err := a.f.ReadText(a.key)
	return s, ok && err == nil
}

// isEpisodeName reports whether name is Minari's episode_<id>.
func isEpisodeName(name string) bool {
	_, ok := episodeID(name)
	return ok
}

func episodeID(name string) (int, bool) {
	s, ok := strings.CutPrefix(name, "episode_")
	if !ok || s == "" || len(s) > 12 {
		return 0, false
	}
	id, err := strconv.Atoi(s)
	if err != nil || id < 0 || strconv.Itoa(id) != s {
		return 0, false
	}
	return id, true
}

// readMinari concatenates the episode groups of a Minari file.
func readMinari(f *h5.File, root []string) (*Dataset, error) {
	var eps []string
	for _, name := range root {
		if isEpisodeName(name) {
			eps = append(eps, name)
		}
	}
	slices.SortFunc(eps, func(a, b string) int {
		x, _ := episodeID(a)
		y, _ := episodeID(b)
		return cmp.Compare(x, y)
	})
	d := &Dataset{Metadata: map[string]string{}}
	var both, cut int
	for _, ep := range eps {
		kind, err := f.Kind(ep)
		if err != nil {
			return nil, err
		}
		if kind != h5.Group {
			return nil, fmt.Errorf("%s is not a group", ep)
		}
		src := &h5Source{f: f}
		get := func(name string) (array, error) {
			key := ep + "/" + name
			k, err := f.Kind(key)
			if err != nil {
				return nil, err
			}
			switch k {
			case h5.Missing:
				return nil, fmt.Errorf("missing key %q", key)
			case h5.Group:
				return nil, fmt.Errorf("%s is a group (a Dict or Tuple space); only flat Box spaces are supported", key)
			case h5.Other:
				return nil, fmt.Errorf("%s is not a dataset", key)
			}
			return src.open(key)
		}
		rewA, err := get("rewards")
		if err != nil {
			return nil, err
		}
		steps, cols, err := matrixShape(ep+"/rewards", rewA.shape())
		if err != nil {
			return nil, err
		}
		if cols != 1 {
			return nil, fmt.Errorf("%s/rewards has shape %s, want (N,) or (N, 1)", ep, shapeString(rewA.shape()))
		}
		rew, err := rewA.floats()
		if err != nil {
			return nil, err
		}
		if err := checkFinite(ep+"/rewards", rew, matrixDim(rewA.shape())); err != nil {
			return nil, err
		}
		obsA, err := get("observations")
		if err != nil {
			return nil, err
		}
		rows, od, err := matrixShape(ep+"/observations", obsA.shape())
		if err != nil {
			return nil, err
		}
		if rows != steps+1 {
			return nil, fmt.Errorf("%s/observations has %d rows, want %d (one more than the %d steps of %s/rewards)", ep, rows, steps+1, steps, ep)
		}
		obs, err := obsA.floats()
		if err != nil {
			return nil, err
		}
		if err := checkFinite(ep+"/observations", obs, matrixDim(obsA.shape())); err != nil {
			return nil, err
		}
		actA, err := get("actions")
		if err != nil {
			return nil, err
		}
		rows, ad, err := matrixShape(ep+"/actions", actA.shape())
		if err != nil {
			return nil, err
		}
		if rows != steps {
			return nil, fmt.Errorf("length mismatch: %s/actions has %d rows, %s/rewards has %d", ep, rows, ep, steps)
		}
		act, err := actA.floats()
		if err != nil {
			return nil, err
		}
		if err := checkFinite(ep+"/actions", act, matrixDim(actA.shape())); err != nil {
			return nil, err
		}
		flag := func(name string) ([]bool, error) {
			a, err := get(name)
			if err != nil {
				return nil, err
			}
			rows, cols, err := matrixShape(ep+"/"+name, a.shape())
			if err != nil {
				return nil, err
			}
			if cols != 1 || rows != steps {
				return nil, fmt.Errorf("length mismatch: %s/%s has shape %s, %s/rewards has %d steps", ep, name, shapeString(a.shape()), ep, steps)
			}
			return a.flags()
		}
		term, err := flag("terminations")
		if err != nil {
			return nil, err
		}
		trunc, err := flag("truncations")
		if err != nil {
			return nil, err
		}
		if d.ObsDim == 0 {
			d.ObsDim, d.ActDim = od, ad
		}
		if od != d.ObsDim {
			return nil, fmt.Errorf("%s/observations has %d columns, %s has %d", ep, od, eps[0], d.ObsDim)
		}
		if ad != d.ActDim {
			return nil, fmt.Errorf("%s/actions has %d columns, %s has %d", ep, ad, eps[0], d.ActDim)
		}
		if steps == 0 {
			continue
		}
		for t := range steps {
			if term[t] && trunc[t] {
				trunc[t] = false
				both++
			}
		}
		if !term[steps-1] && !trunc[steps-1] {
			trunc[steps-1] = true
			cut++
		}
		d.Observations = append(d.Observations, obs[:steps*od]...)
		d.NextObservations = append(d.NextObservations, obs[od:]...)
		d.Actions = append(d.Actions, act...)
		d.Rewards = append(d.Rewards, rew...)
		d.Terminals = append(d.Terminals, term...)
		d.Timeouts = append(d.Timeouts, trunc...)
	}
	if d.ObsDim == 0 {
		return nil, fmt.Errorf("no episode has observations")
	}
	attrs, err := (&h5Source{f: f}).attrs()
	if err != nil {
		return nil, err
	}
	copyMeta(d.Metadata, attrs)
	if both > 0 || cut > 0 {
		d.Metadata["minari_conversion"] = fmt.Sprintf("%d steps had both terminations and truncations set and were kept as terminal; %d episodes ended with neither and were marked as timeouts at their last step", both, cut)
	}
	return d, nil
}

// WriteHDF5 validates d and writes it as an HDF5 file in D4RL's layout:
// float32 observations [N, obs_dim], actions [N, act_dim], rewards [N],
// next_observations [N, obs_dim]; terminals and timeouts [N] stored as h5py
// stores NumPy bools; infos/<name> float32 datasets; and every Metadata
// entry as a UTF-8 string attribute of the root group. The file is built in
// memory and replaced atomically.
func WriteHDF5(path string, d *Dataset) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("write HDF5 %s: %w", path, err)
	}
	b, err := encodeHDF5(d)
	if err != nil {
		return fmt.Errorf("write HDF5 %s: %w", path, err)
	}
	return atomicfile.WriteBytes(path, b)
}

func encodeHDF5(d *Dataset) ([]byte, error) {
	// The in-memory file needs a name unique among open files; the address
	// of a live allocation is.
	tag := new(int64)
	n := d.Len()
	size := int64(4*n*(2*d.ObsDim+d.ActDim+1) + 2*n)
	for _, c := range d.Infos {
		size += int64(4 * len(c.Data))
	}
	w, err := h5.NewWriter(fmt.Sprintf("dwm-dataset-%p.h5", tag), size)
	if err != nil {
		return nil, err
	}
	defer runtime.KeepAlive(tag)
	defer w.Close()
	cols := []struct {
		key   string
		data  any
		shape []int
	}{
		{keyObs, d.Observations, []int{n, d.ObsDim}},
		{keyAct, d.Actions, []int{n, d.ActDim}},
		{keyRew, d.Rewards, []int{n}},
		{keyNextObs, d.NextObservations, []int{n, d.ObsDim}},
		{keyTerm, d.Terminals, []int{n}},
		{keyTime, d.Timeouts, []int{n}},
	}
	for _, name := range slices.Sorted(maps.Keys(d.Infos)) {
		c := d.Infos[name]
		shape := []int{n, c.Dim}
		if c.Dim == 1 {
			shape = []int{n}
		}
		cols = append(cols, struct {
			key   string
			data  any
			shape []int
		}{"infos/" + name, c.Data, shape})
	}
	for _, c := range cols {
		if err := w.Write(c.key, c.data, c.shape); err != nil {
			return nil, err
		}
	}
	for _, k := range slices.Sorted(maps.Keys(d.Metadata)) {
		if err := w.SetAttr("/", k, d.Metadata[k]); err != nil {
			return nil, err
		}
	}
	return w.Bytes()
}
