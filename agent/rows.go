package agent

import (
	"fmt"

	"github.com/dwm-rl/dwm/replay"
)

// BatchRows returns the number of rows of b after checking that each of its
// columns holds exactly that many rows of the agent's widths (obsDim values
// per state, actDim per action, one reward and one done flag per row). It
// panics otherwise, with a message starting "<who>.Update:": the training
// loops build batches from validated data with the agent's own widths, so a
// mismatch is a programmer error.
func BatchRows(who string, b *replay.Batch, obsDim, actDim int) int {
	n := b.Len()
	O, A := obsDim, actDim
	if n <= 0 || len(b.Obs) != n*O || len(b.Act) != n*A || len(b.NextObs) != n*O || len(b.Rew) != n || len(b.Done) != n {
		panic(fmt.Sprintf("%s.Update: batch of %d rows has obs %d, act %d, rew %d, next obs %d, done %d values; want %d, %d, %d, %d, %d",
			who, n, len(b.Obs), len(b.Act), len(b.Rew), len(b.NextObs), len(b.Done), n*O, n*A, n, n*O, n))
	}
	return n
}

// ActRows checks the arguments of an agent's Act (single: one observation
// and one action) or ActBatch (B ≥ 1 row-major observations and as many
// actions) and returns the number of rows. The error names who ("sac") and
// the lengths it got and wanted.
func ActRows(who string, obs, act []float32, obsDim, actDim int, single bool) (int, error) {
	if single {
		if len(obs) != obsDim || len(act) != actDim {
			return 0, fmt.Errorf("%s: act: observation of %d values and action of %d, want %d and %d", who, len(obs), len(act), obsDim, actDim)
		}
		return 1, nil
	}
	n := 0
	if obsDim > 0 {
		n = len(obs) / obsDim
	}
	if n == 0 || len(obs) != n*obsDim || len(act) != n*actDim {
		return 0, fmt.Errorf("%s: act batch: %d observation values and %d action values do not make whole rows of %d and %d", who, len(obs), len(act), obsDim, actDim)
	}
	return n, nil
}
