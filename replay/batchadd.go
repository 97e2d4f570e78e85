package replay

import (
	"errors"
	"fmt"

	"github.com/dwm-rl/dwm/dataset"
)

// AddBatch stores len(rew) transitions given as row-major columns (obs and
// next [n×ObsDim], act [n×ActDim], rew and terminal [n]), in order, copying
// them in contiguous runs. mc gives their Monte-Carlo returns (nil: zeros;
// ignored when the buffer keeps none). If n exceeds the capacity only the
// last Cap() rows remain, as if added one by one. It panics if a column's
// length disagrees with n or the buffer's widths (a programmer error; use
// AddDataset for data read from files).
func (b *Buffer) AddBatch(obs, act, rew, next []float32, terminal []bool, mc []float32) {
	n, O, A := len(rew), b.obsDim, b.actDim
	if len(obs) != n*O || len(next) != n*O || len(act) != n*A || len(terminal) != n || (mc != nil && len(mc) != n) {
		panic(fmt.Sprintf("replay: AddBatch lengths obs=%d act=%d rew=%d next=%d terminal=%d mc=%d, want %d×%d, %d×%d, %d, %d×%d, %d, %d or nil",
			len(obs), len(act), n, len(next), len(terminal), len(mc), n, O, n, A, n, n, O, n, n))
	}
	k := 0
	if n > b.capacity {
		// Rows that would be overwritten within this call are skipped; the
		// position moves as if they had been written.
		k = n - b.capacity
		b.pos = (b.pos + k) % b.capacity
	}
	for k < n {
		i := b.pos
		m := min(n-k, b.capacity-i) // rows before the ring wraps
		copy(b.obs[i*O:(i+m)*O], obs[k*O:(k+m)*O])
		copy(b.act[i*A:(i+m)*A], act[k*A:(k+m)*A])
		copy(b.next[i*O:(i+m)*O], next[k*O:(k+m)*O])
		copy(b.rew[i:i+m], rew[k:k+m])
		for j := range m {
			b.done[i+j] = 0
			if terminal[k+j] {
				b.done[i+j] = 1
			}
		}
		if b.hasMC {
			if mc != nil {
				copy(b.mc[i:i+m], mc[k:k+m])
			} else {
				clear(b.mc[i : i+m])
			}
		}
		b.pos = (b.pos + m) % b.capacity
		b.n = min(b.n+m, b.capacity)
		k += m
	}
}

// AddDataset stores every transition of d, with mc (may be nil) as their
// Monte-Carlo returns, e.g. from d.MCReturns. Timeouts are not stored: they
// bootstrap like any non-terminal step. It returns an error, adding nothing,
// if d's widths differ from the buffer's, d does not fit in the free space
// (offline data is never silently overwritten), or mc has the wrong length.
func (b *Buffer) AddDataset(d *dataset.Dataset, mc []float32) error {
	if d.ObsDim != b.obsDim || d.ActDim != b.actDim {
		return fmt.Errorf("replay: dataset has obs dim %d, act dim %d; buffer %d, %d", d.ObsDim, d.ActDim, b.obsDim, b.actDim)
	}
	n := d.Len()
	if n > b.capacity-b.n {
		return fmt.Errorf("replay: dataset of %d transitions does not fit: buffer holds %d of %d", n, b.n, b.capacity)
	}
	if mc != nil && len(mc) != n {
		return fmt.Errorf("replay: %d MC returns for %d transitions", len(mc), n)
	}
	if len(d.Observations) != n*b.obsDim || len(d.NextObservations) != n*b.obsDim || len(d.Actions) != n*b.actDim || len(d.Terminals) != n {
		return errors.New("replay: dataset columns have inconsistent lengths (run its Validate)")
	}
	b.AddBatch(d.Observations, d.Actions, d.Rewards, d.NextObservations, d.Terminals, mc)
	return nil
}

// SetRecentMC overwrites the Monte-Carlo returns of the len(mc) most
// recently added transitions, oldest first. Call it when an online episode
// ends, with dataset.EpisodeMCReturns of the rewards Recent returns. It
// returns an error if the buffer keeps no MC returns or holds fewer
// transitions.
func (b *Buffer) SetRecentMC(mc []float32) error {
	if !b.hasMC {
		return errors.New("replay: SetRecentMC on a buffer without MC returns")
	}
	if len(mc) > b.n {
		return fmt.Errorf("replay: SetRecentMC of %d values, buffer holds %d", len(mc), b.n)
	}
	start := b.pos - len(mc) + b.capacity
	for k, v := range mc {
		b.mc[(start+k)%b.capacity] = v
	}
	return nil
}

// Recent appends the rewards and terminal flags of the n most recently added
// transitions, oldest first, to rew and term and returns them. It panics if
// n > Len().
func (b *Buffer) Recent(n int, rew []float32, term []bool) ([]float32, []bool) {
	if n < 0 || n > b.n {
		panic(fmt.Sprintf("replay: Recent(%d) of a buffer holding %d", n, b.n))
	}
	start := b.pos - n + b.capacity
	for k := range n {
		i := (start + k) % b.capacity
		rew = append(rew, b.rew[i])
		term = append(term, b.done[i] == 1)
	}
	return rew, term
}
