package dataset

import (
	"fmt"
	"slices"
	"strings"
)

// array is one stored array, opened by a source: its shape is known, its
// values are decoded on request.
type array interface {
	shape() []int
	// floats decodes a float32/float64 array to float32.
	floats() ([]float32, error)
	// numbers decodes any numeric array to float32.
	numbers() ([]float32, error)
	// flags decodes a bool/uint8/float array of 0s and 1s.
	flags() ([]bool, error)
	// text returns a scalar string or number as text; ok is false for
	// anything else.
	text() (s string, ok bool)
}

// source is a file holding arrays under '/'-separated keys in D4RL's layout.
type source interface {
	// keys lists every array key, sorted.
	keys() []string
	// open opens the array under key.
	open(key string) (array, error)
	// attrs returns root-level attributes as text (nil if the format has
	// none).
	attrs() (map[string]string, error)
}

// The keys of D4RL's layout.
const (
	keyObs     = "observations"
	keyAct     = "actions"
	keyRew     = "rewards"
	keyNextObs = "next_observations"
	keyTerm    = "terminals"
	keyTime    = "timeouts"
)

// assembleD4RL builds a dataset from a source in D4RL's layout: the six
// columns at the root (next_observations and timeouts optional), infos/<name>
// numeric columns and metadata/<path> scalars. Values are checked as they are
// read so that errors name the file's own row indices.
func assembleD4RL(src source) (*Dataset, error) {
	keys := src.keys()
	have := make(map[string]bool, len(keys))
	for _, k := range keys {
		have[k] = true
	}
	for _, k := range []string{keyObs, keyAct, keyRew, keyTerm} {
		if !have[k] {
			return nil, fmt.Errorf("missing key %q (found: %s)", k, listKeys(keys))
		}
	}
	d := &Dataset{Metadata: map[string]string{}}

	rew, n, cols, err := readColumn(src, keyRew, -1)
	if err != nil {
		return nil, err
	}
	if cols != 1 {
		return nil, fmt.Errorf("rewards has %d columns, want shape (N,) or (N, 1)", cols)
	}
	d.Rewards = rew
	if d.Observations, d.ObsDim, err = readMatrix(src, keyObs, n); err != nil {
		return nil, err
	}
	if d.Actions, d.ActDim, err = readMatrix(src, keyAct, n); err != nil {
		return nil, err
	}
	if d.Terminals, err = readFlags(src, keyTerm, n); err != nil {
		return nil, err
	}
	haveTimeouts := have[keyTime]
	if haveTimeouts {
		if d.Timeouts, err = readFlags(src, keyTime, n); err != nil {
			return nil, err
		}
		for i := range n {
			if d.Terminals[i] && d.Timeouts[i] {
				return nil, fmt.Errorf("terminals[%d] and timeouts[%d] are both set: a step ends the task or hits the time limit, not both", i, i)
			}
		}
	} else {
		d.Timeouts = make([]bool, n)
	}
	if have[keyNextObs] {
		var dim int
		if d.NextObservations, dim, err = readMatrix(src, keyNextObs, n); err != nil {
			return nil, err
		}
		if dim != d.ObsDim {
			return nil, fmt.Errorf("next_observations has %d columns, observations has %d", dim, d.ObsDim)
		}
	}
	for _, k := range keys {
		switch {
		case strings.HasPrefix(k, "infos/"):
			a, err := src.open(k)
			if err != nil {
				return nil, err
			}
			rows, dim, err := matrixShape(k, a.shape())
			if err != nil || dim < 1 {
				continue // non-tabular infos are not kept
			}
			if rows != n {
				return nil, fmt.Errorf("%s has %d rows, rewards has %d", k, rows, n)
			}
			v, err := a.numbers()
			if err != nil {
				continue // non-numeric infos (strings, objects) are not kept
			}
			name := strings.TrimPrefix(k, "infos/")
			if !validInfoName(name) {
				continue
			}
			if d.Infos == nil {
				d.Infos = map[string]Column{}
			}
			d.Infos[name] = Column{Dim: dim, Data: v}
		case strings.HasPrefix(k, "metadata/"):
			a, err := src.open(k)
			if err != nil {
				return nil, err
			}
			name := strings.TrimPrefix(k, "metadata/")
			if s, ok := a.text(); ok && validMeta(name, s) {
				d.Metadata[name] = s
			}
		}
	}
	attrs, err := src.attrs()
	if err != nil {
		return nil, err
	}
	copyMeta(d.Metadata, attrs)

	if !haveTimeouts {
		if d.NextObservations != nil {
			inferred := inferTimeouts(d)
			d.Metadata[keyTime] = fmt.Sprintf("absent in the file; set at %d rows where next_observations[i] != observations[i+1] without a terminal (as CORL's Cal-QL finds episode ends)", inferred)
		} else {
			d.Metadata[keyTime] = "absent in the file; episodes end only at terminals"
		}
	}
	if d.NextObservations == nil {
		dropped := deriveNextObs(d)
		d.Metadata[MetaNextObs] = fmt.Sprintf("absent in the file; derived as D4RL's qlearning_dataset (terminate_on_end=False): next_observations[i] = observations[i+1], dropping %d rows (each timeout row and the last row) and marking the row before each dropped timeout as the episode's timeout", dropped)
	}
	return d, nil
}

// copyMeta copies the entries of src that every format can store into dst.
func copyMeta(dst, src map[string]string) {
	for k, v := range src {
		if validMeta(k, v) {
			dst[k] = v
		}
	}
}

// listKeys formats keys for an error message, eliding long lists.
func listKeys(keys []string) string {
	if len(keys) == 0 {
		return "no arrays"
	}
	if len(keys) > 12 {
		return strings.Join(keys[:12], ", ") + fmt.Sprintf(", … (%d in all)", len(keys))
	}
	return strings.Join(keys, ", ")
}

// readColumn reads a float array of rank 1 or 2 and checks it is finite.
// wantRows < 0 accepts any row count.
func readColumn(src source, key string, wantRows int) (data []float32, rows, cols int, err error) {
	a, err := src.open(key)
	if err != nil {
		return nil, 0, 0, err
	}
	if rows, cols, err = matrixShape(key, a.shape()); err != nil {
		return nil, 0, 0, err
	}
	if wantRows >= 0 && rows != wantRows {
		return nil, 0, 0, fmt.Errorf("length mismatch: %s has %d rows, rewards has %d", key, rows, wantRows)
	}
	if data, err = a.floats(); err != nil {
		return nil, 0, 0, err
	}
	if err := checkFinite(key, data, matrixDim(a.shape())); err != nil {
		return nil, 0, 0, err
	}
	return data, rows, cols, nil
}

// readMatrix reads an [n×dim] float matrix ((n,) counts as dim 1).
func readMatrix(src source, key string, n int) ([]float32, int, error) {
	data, _, cols, err := readColumn(src, key, n)
	if err != nil {
		return nil, 0, err
	}
	if cols < 1 {
		return nil, 0, fmt.Errorf("%s has 0 columns", key)
	}
	return data, cols, nil
}

// readFlags reads an (n,) or (n, 1) array of end flags.
func readFlags(src source, key string, n int) ([]bool, error) {
	a, err := src.open(key)
	if err != nil {
		return nil, err
	}
	rows, cols, err := matrixShape(key, a.shape())
	if err != nil {
		return nil, err
	}
	if cols != 1 {
		return nil, fmt.Errorf("%s has shape %s, want (N,) or (N, 1)", key, shapeString(a.shape()))
	}
	if rows != n {
		return nil, fmt.Errorf("length mismatch: %s has %d rows, rewards has %d", key, rows, n)
	}
	return a.flags()
}

// inferTimeouts marks as a timeout every non-terminal row whose next
// observation is not the following row's observation, and returns how many
// it marked.
func inferTimeouts(d *Dataset) int {
	k := 0
	for i := 0; i+1 < d.Len(); i++ {
		if !d.Terminals[i] && !slices.Equal(d.NextObs(i), d.Obs(i+1)) {
			d.Timeouts[i] = true
			k++
		}
	}
	return k
}

// deriveNextObs fills NextObservations as D4RL's qlearning_dataset does with
// terminate_on_end=False: row i gets observations[i+1]; rows with a timeout
// are dropped (their successor starts the next episode) and so is the last
// row (it has no successor). Unlike qlearning_dataset, which returns no
// timeouts at all, the kept row before a dropped timeout is marked as a
// timeout so the episode boundary survives. Infos rows are dropped alike. It
// returns the number of rows dropped.
func deriveNextObs(d *Dataset) int {
	n := d.Len()
	keep := make([]int, 0, n)
	for i := 0; i+1 < n; i++ {
		if !d.Timeouts[i] {
			keep = append(keep, i)
		}
	}
	od, ad := d.ObsDim, d.ActDim
	next := make([]float32, 0, len(keep)*od)
	obs := make([]float32, 0, len(keep)*od)
	act := make([]float32, 0, len(keep)*ad)
	rew := make([]float32, 0, len(keep))
	term := make([]bool, 0, len(keep))
	tout := make([]bool, 0, len(keep))
	for _, i := range keep {
		obs = append(obs, d.Obs(i)...)
		next = append(next, d.Obs(i+1)...)
		act = append(act, d.Act(i)...)
		rew = append(rew, d.Rewards[i])
		term = append(term, d.Terminals[i])
		tout = append(tout, !d.Terminals[i] && d.Timeouts[i+1])
	}
	for name, c := range d.Infos {
		data := make([]float32, 0, len(keep)*c.Dim)
		for _, i := range keep {
			data = append(data, c.Data[i*c.Dim:(i+1)*c.Dim]...)
		}
		d.Infos[name] = Column{Dim: c.Dim, Data: data}
	}
	d.Observations, d.NextObservations, d.Actions, d.Rewards = obs, next, act, rew
	d.Terminals, d.Timeouts = term, tout
	return n - len(keep)
}
