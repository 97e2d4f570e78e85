package replay

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/rng"
)

// Batch is a set of transitions in row-major float32 columns: Obs is
// B×ObsDim, Act B×ActDim, Rew and Done B, NextObs B×ObsDim. MC, when the
// source has Monte-Carlo returns (Cal-QL), is B; otherwise it is nil.
type Batch struct {
	Obs, Act, Rew, NextObs, Done []float32
	MC                           []float32
}

// NewBatch allocates a batch of n rows; withMC adds the MC column.
func NewBatch(n, obsDim, actDim int, withMC bool) *Batch {
	b := &Batch{
		Obs: make([]float32, n*obsDim), Act: make([]float32, n*actDim),
		Rew: make([]float32, n), NextObs: make([]float32, n*obsDim), Done: make([]float32, n),
	}
	if withMC {
		b.MC = make([]float32, n)
	}
	return b
}

// Len returns the number of rows.
func (b *Batch) Len() int { return len(b.Rew) }

// Sampler fills rows [lo, hi) of dst with transitions drawn with s.
type Sampler interface {
	SampleRows(s *rng.Stream, dst *Batch, lo, hi int)
	Len() int
}

// Buffer is a fixed-capacity ring of transitions. Once full, new transitions
// overwrite the oldest. It is not safe for concurrent use.
type Buffer struct {
	capacity, obsDim, actDim int
	n, pos                   int
	obs, act, rew, next      []float32
	done, mc                 []float32
	hasMC                    bool
}

// New returns an empty buffer for capacity transitions. withMC keeps a
// Monte-Carlo return per transition (for Cal-QL).
func New(capacity, obsDim, actDim int, withMC bool) (*Buffer, error) {
	if capacity < 1 || obsDim < 1 || actDim < 1 {
		return nil, fmt.Errorf("replay: capacity %d, obs dim %d, act dim %d: each must be at least 1", capacity, obsDim, actDim)
	}
	b := &Buffer{
		capacity: capacity, obsDim: obsDim, actDim: actDim, hasMC: withMC,
		obs: make([]float32, capacity*obsDim), act: make([]float32, capacity*actDim),
		rew: make([]float32, capacity), next: make([]float32, capacity*obsDim), done: make([]float32, capacity),
	}
	if withMC {
		b.mc = make([]float32, capacity)
	}
	return b, nil
}

// FromDataset returns a buffer holding every transition of d plus room for
// extra more. mc, if non-nil, gives each row's Monte-Carlo return.
func FromDataset(d *dataset.Dataset, extra int, mc []float32) (*Buffer, error) {
	if d.Len() == 0 {
		return nil, fmt.Errorf("replay: dataset is empty")
	}
	if mc != nil && len(mc) != d.Len() {
		return nil, fmt.Errorf("replay: %d MC returns for %d transitions", len(mc), d.Len())
	}
	b, err := New(d.Len()+max(extra, 0), d.ObsDim, d.ActDim, mc != nil)
	if err != nil {
		return nil, err
	}
	for i := range d.Len() {
		var m float32
		if mc != nil {
			m = mc[i]
		}
		b.AddMC(d.Obs(i), d.Act(i), d.Rewards[i], d.NextObs(i), d.Terminals[i], m)
	}
	return b, nil
}

// Len returns the number of stored transitions.
func (b *Buffer) Len() int { return b.n }

// Cap returns the capacity.
func (b *Buffer) Cap() int { return b.capacity }

// Dims returns the observation and action widths.
func (b *Buffer) Dims() (obsDim, actDim int) { return b.obsDim, b.actDim }

// HasMC reports whether the buffer keeps Monte-Carlo returns.
func (b *Buffer) HasMC() bool { return b.hasMC }

// Add stores one transition. It panics if a slice has the wrong length.
func (b *Buffer) Add(obs, act []float32, rew float32, next []float32, terminal bool) {
	b.AddMC(obs, act, rew, next, terminal, 0)
}

// AddMC stores one transition with its Monte-Carlo return (ignored when the
// buffer keeps none). It panics if a slice has the wrong length.
func (b *Buffer) AddMC(obs, act []float32, rew float32, next []float32, terminal bool, mc float32) {
	O, A := b.obsDim, b.actDim
	if len(obs) != O || len(next) != O || len(act) != A {
		panic(fmt.Sprintf("replay: Add lengths obs=%d act=%d next=%d, want %d, %d, %d", len(obs), len(act), len(next), O, A, O))
	}
	i := b.pos
	copy(b.obs[i*O:(i+1)*O], obs)
	copy(b.act[i*A:(i+1)*A], act)
	copy(b.next[i*O:(i+1)*O], next)
	b.rew[i] = rew
	b.done[i] = 0
	if terminal {
		b.done[i] = 1
	}
	if b.hasMC {
		b.mc[i] = mc
	}
	b.pos = (b.pos + 1) % b.capacity
	b.n = min(b.n+1, b.capacity)
}

// Row copies stored transition i (0 = oldest) into row j of dst.
func (b *Buffer) copyRow(dst *Batch, j, i int) {
	O, A := b.obsDim, b.actDim
	copy(dst.Obs[j*O:(j+1)*O], b.obs[i*O:(i+1)*O])
	copy(dst.Act[j*A:(j+1)*A], b.act[i*A:(i+1)*A])
	copy(dst.NextObs[j*O:(j+1)*O], b.next[i*O:(i+1)*O])
	dst.Rew[j] = b.rew[i]
	dst.Done[j] = b.done[i]
	if dst.MC != nil {
		if b.hasMC {
			dst.MC[j] = b.mc[i]
		} else {
			dst.MC[j] = float32(math.Inf(-1)) // no lower bound known
		}
	}
}

// Sample fills every row of dst with transitions drawn uniformly with
// replacement. It panics if the buffer is empty.
func (b *Buffer) Sample(s *rng.Stream, dst *Batch) { b.SampleRows(s, dst, 0, dst.Len()) }

// SampleRows fills rows [lo, hi) of dst uniformly with replacement.
func (b *Buffer) SampleRows(s *rng.Stream, dst *Batch, lo, hi int) {
	if b.n == 0 {
		panic("replay: sample from an empty buffer")
	}
	for j := lo; j < hi; j++ {
		b.copyRow(dst, j, s.IntN(b.n))
	}
}

// Mixed fills a batch with round(Ratio·B) rows from A and the rest from B.
type Mixed struct {
	A, B  Sampler
	Ratio float64
}

// NewMixed returns a Mixed sampler; ratio must lie in [0, 1].
func NewMixed(a, b Sampler, ratio float64) (*Mixed, error) {
	if !(ratio >= 0 && ratio <= 1) {
		return nil, fmt.Errorf("replay: mixing ratio %v outside [0, 1]", ratio)
	}
	return &Mixed{A: a, B: b, Ratio: ratio}, nil
}

// Len returns the total number of transitions of both sources.
func (m *Mixed) Len() int { return m.A.Len() + m.B.Len() }

// SampleRows fills rows [lo, hi): the first round(Ratio·(hi−lo)) from A, the
// rest from B. If one source is empty the other fills every row.
func (m *Mixed) SampleRows(s *rng.Stream, dst *Batch, lo, hi int) {
	k := lo + int(math.Round(m.Ratio*float64(hi-lo)))
	switch {
	case m.A.Len() == 0:
		k = lo
	case m.B.Len() == 0:
		k = hi
	}
	if k > lo {
		m.A.SampleRows(s, dst, lo, k)
	}
	if hi > k {
		m.B.SampleRows(s, dst, k, hi)
	}
}

// Sample fills every row of dst.
func (m *Mixed) Sample(s *rng.Stream, dst *Batch) { m.SampleRows(s, dst, 0, dst.Len()) }

// State returns the buffer's contents and position as checkpoint tensors
// named under prefix ("replay/online/obs", ...). Only the stored rows are
// saved.
func (b *Buffer) State(prefix string) []checkpoint.Tensor {
	n, O, A := b.n, b.obsDim, b.actDim
	ts := []checkpoint.Tensor{
		{Name: prefix + "/obs", Shape: []int{n, O}, Data: b.obs[:n*O]},
		{Name: prefix + "/act", Shape: []int{n, A}, Data: b.act[:n*A]},
		{Name: prefix + "/rew", Shape: []int{n}, Data: b.rew[:n]},
		{Name: prefix + "/next_obs", Shape: []int{n, O}, Data: b.next[:n*O]},
		{Name: prefix + "/done", Shape: []int{n}, Data: b.done[:n]},
		{Name: prefix + "/pos", Shape: []int{2}, Data: []float32{float32(b.pos / (1 << 24)), float32(b.pos % (1 << 24))}},
	}
	if b.hasMC {
		ts = append(ts, checkpoint.Tensor{Name: prefix + "/mc", Shape: []int{n}, Data: b.mc[:n]})
	}
	return ts
}

// SetState restores contents saved by State under prefix. The buffer must
// have the same dimensions and at least the saved number of rows of
// capacity; errors name the tensor at fault.
func (b *Buffer) SetState(prefix string, ts []checkpoint.Tensor) error {
	get := func(name string, cols int) ([]float32, int, error) {
		for _, t := range ts {
			if t.Name != prefix+"/"+name {
				continue
			}
			rows := 0
			if len(t.Shape) > 0 {
				rows = t.Shape[0]
			}
			if cols > 0 && (len(t.Shape) != 2 || t.Shape[1] != cols) || cols == 0 && len(t.Shape) != 1 {
				return nil, 0, fmt.Errorf("replay state %s: shape %v does not fit width %d", t.Name, t.Shape, cols)
			}
			return t.Data, rows, nil
		}
		return nil, 0, fmt.Errorf("replay state: tensor %s/%s missing", prefix, name)
	}
	O, A := b.obsDim, b.actDim
	obs, n, err := get("obs", O)
	if err != nil {
		return err
	}
	if n > b.capacity {
		return fmt.Errorf("replay state %s: %d rows exceed capacity %d", prefix, n, b.capacity)
	}
	cols := []struct {
		name string
		w    int
		dst  []float32
	}{{"act", A, b.act}, {"rew", 0, b.rew}, {"next_obs", O, b.next}, {"done", 0, b.done}}
	if b.hasMC {
		cols = append(cols, struct {
			name string
			w    int
			dst  []float32
		}{"mc", 0, b.mc})
	}
	for _, c := range cols {
		d, rows, err := get(c.name, c.w)
		if err != nil {
			return err
		}
		if rows != n {
			return fmt.Errorf("replay state %s/%s: %d rows, obs has %d", prefix, c.name, rows, n)
		}
		copy(c.dst, d)
	}
	copy(b.obs, obs)
	pos, _, err := get("pos", 0)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return fmt.Errorf("replay state %s/pos: %d values, want 2", prefix, len(pos))
	}
	p := int(pos[0])*(1<<24) + int(pos[1])
	if p < 0 || p >= b.capacity || (n < b.capacity && p != n) {
		return fmt.Errorf("replay state %s/pos: position %d invalid for %d rows of capacity %d", prefix, p, n, b.capacity)
	}
	b.n, b.pos = n, p
	return nil
}
