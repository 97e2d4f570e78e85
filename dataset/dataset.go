package dataset

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/dwm-rl/dwm/spec"
)

// Keys of Metadata that record a dataset's provenance. Writers of generated
// data fill them; readers keep whatever the file carries.
const (
	MetaEnvID      = "env_id"      // environment id, e.g. "hopper"
	MetaPolicyHash = "policy_hash" // hash of the behaviour policy's parameters
	MetaSeed       = "seed"        // base seed of the collection run
	MetaVersion    = "dwm_version" // dwm version that wrote the data
	// MetaNextObs is set by readers that had to derive next_observations,
	// describing how.
	MetaNextObs = "next_observations"
)

// Column is an extra per-row array (D4RL's infos/qpos, infos/qvel, ...):
// len(Data) == rows × Dim, row-major.
type Column struct {
	Dim  int
	Data []float32
}

// Dataset is a set of transitions in flat, row-major float32 columns. Row i
// is the transition (Observations[i], Actions[i], Rewards[i],
// NextObservations[i]) followed by its end flags. The zero value is an empty
// dataset with no dimensions; use New to start one to Append to.
type Dataset struct {
	// ObsDim and ActDim are the widths of the observation and action rows.
	ObsDim, ActDim int
	// Observations is [N×ObsDim], Actions [N×ActDim], Rewards [N],
	// NextObservations [N×ObsDim].
	Observations, Actions, Rewards, NextObservations []float32
	// Terminals[i] is set when step i ended the task (no bootstrapping).
	// Timeouts[i] is set when the episode was cut after step i by a time
	// limit. A row never has both.
	Terminals, Timeouts []bool
	// Infos holds extra per-row columns by name (without the "infos/"
	// prefix), e.g. "qpos". May be nil.
	Infos map[string]Column
	// Metadata holds provenance as text (see the Meta* keys). May be nil.
	Metadata map[string]string
}

// New returns an empty dataset of the given dimensions with room for
// capacity rows. It panics if a dimension is < 1 or capacity < 0.
func New(obsDim, actDim, capacity int) *Dataset {
	if obsDim < 1 || actDim < 1 || capacity < 0 {
		panic(fmt.Sprintf("dataset: New(obsDim=%d, actDim=%d, capacity=%d)", obsDim, actDim, capacity))
	}
	return &Dataset{
		ObsDim:           obsDim,
		ActDim:           actDim,
		Observations:     make([]float32, 0, capacity*obsDim),
		Actions:          make([]float32, 0, capacity*actDim),
		Rewards:          make([]float32, 0, capacity),
		NextObservations: make([]float32, 0, capacity*obsDim),
		Terminals:        make([]bool, 0, capacity),
		Timeouts:         make([]bool, 0, capacity),
		Metadata:         map[string]string{},
	}
}

// Len returns the number of transitions (rows).
func (d *Dataset) Len() int { return len(d.Rewards) }

// Append adds one transition. It panics if obs, act or nextObs has the wrong
// length, or if terminal and timeout are both set (programmer errors).
func (d *Dataset) Append(obs, act []float32, reward float32, nextObs []float32, terminal, timeout bool) {
	if len(obs) != d.ObsDim || len(nextObs) != d.ObsDim || len(act) != d.ActDim {
		panic(fmt.Sprintf("dataset: Append lengths obs=%d act=%d next_obs=%d, want %d, %d, %d",
			len(obs), len(act), len(nextObs), d.ObsDim, d.ActDim, d.ObsDim))
	}
	if terminal && timeout {
		panic("dataset: Append with terminal and timeout both set")
	}
	d.Observations = append(d.Observations, obs...)
	d.Actions = append(d.Actions, act...)
	d.Rewards = append(d.Rewards, reward)
	d.NextObservations = append(d.NextObservations, nextObs...)
	d.Terminals = append(d.Terminals, terminal)
	d.Timeouts = append(d.Timeouts, timeout)
}

// Obs returns row i of Observations (a view).
func (d *Dataset) Obs(i int) []float32 { return d.Observations[i*d.ObsDim : (i+1)*d.ObsDim] }

// Act returns row i of Actions (a view).
func (d *Dataset) Act(i int) []float32 { return d.Actions[i*d.ActDim : (i+1)*d.ActDim] }

// NextObs returns row i of NextObservations (a view).
func (d *Dataset) NextObs(i int) []float32 {
	return d.NextObservations[i*d.ObsDim : (i+1)*d.ObsDim]
}

// Clone returns a deep copy.
func (d *Dataset) Clone() *Dataset {
	c := &Dataset{
		ObsDim:           d.ObsDim,
		ActDim:           d.ActDim,
		Observations:     slices.Clone(d.Observations),
		Actions:          slices.Clone(d.Actions),
		Rewards:          slices.Clone(d.Rewards),
		NextObservations: slices.Clone(d.NextObservations),
		Terminals:        slices.Clone(d.Terminals),
		Timeouts:         slices.Clone(d.Timeouts),
		Metadata:         maps.Clone(d.Metadata),
	}
	if d.Infos != nil {
		c.Infos = make(map[string]Column, len(d.Infos))
		for k, v := range d.Infos {
			c.Infos[k] = Column{Dim: v.Dim, Data: slices.Clone(v.Data)}
		}
	}
	return c
}

// Validate checks the dataset's shape and values. The error names the key
// (D4RL's names: observations, actions, rewards, next_observations,
// terminals, timeouts, infos/<name>) and the index: dimensions below 1,
// columns whose lengths disagree with rewards, NaN or ±Inf values, and a row
// with both a terminal and a timeout.
func (d *Dataset) Validate() error {
	if err := d.checkShape(); err != nil {
		return err
	}
	for _, c := range []struct {
		key  string
		data []float32
		dim  int
	}{
		{"observations", d.Observations, d.ObsDim},
		{"actions", d.Actions, d.ActDim},
		{"rewards", d.Rewards, 0},
		{"next_observations", d.NextObservations, d.ObsDim},
	} {
		if err := checkFinite(c.key, c.data, c.dim); err != nil {
			return err
		}
	}
	for i := range d.Len() {
		if d.Terminals[i] && d.Timeouts[i] {
			return fmt.Errorf("terminals[%d] and timeouts[%d] are both set: a step ends the task or hits the time limit, not both", i, i)
		}
	}
	for k, v := range d.Metadata {
		if !validMeta(k, v) {
			return fmt.Errorf("metadata key %q: keys must be non-empty and keys and values free of NUL characters", k)
		}
	}
	return nil
}

// validInfoName reports whether name can key an infos column in every
// format: a non-empty slash-separated path without NUL characters.
func validInfoName(name string) bool {
	return name != "" && !strings.ContainsRune(name, 0) && !strings.HasPrefix(name, "/") &&
		!strings.HasSuffix(name, "/") && !strings.Contains(name, "//")
}

// validMeta reports whether a metadata entry can be stored in every format:
// a non-empty key, and no NUL characters.
func validMeta(k, v string) bool {
	return k != "" && !strings.ContainsRune(k, 0) && !strings.ContainsRune(v, 0)
}

// checkShape checks the dimensions and that every column's length agrees
// with rewards.
func (d *Dataset) checkShape() error {
	if d.ObsDim < 1 {
		return fmt.Errorf("obs_dim is %d, want ≥ 1", d.ObsDim)
	}
	if d.ActDim < 1 {
		return fmt.Errorf("act_dim is %d, want ≥ 1", d.ActDim)
	}
	n := len(d.Rewards)
	for _, c := range []struct {
		key  string
		got  int
		dim  int
		what string
	}{
		{"observations", len(d.Observations), d.ObsDim, "obs_dim"},
		{"actions", len(d.Actions), d.ActDim, "act_dim"},
		{"next_observations", len(d.NextObservations), d.ObsDim, "obs_dim"},
	} {
		if c.got != n*c.dim {
			return fmt.Errorf("length mismatch: %s has %d values, want %d (%d rows as in rewards × %s %d)",
				c.key, c.got, n*c.dim, n, c.what, c.dim)
		}
	}
	if len(d.Terminals) != n {
		return fmt.Errorf("length mismatch: terminals has %d rows, rewards has %d", len(d.Terminals), n)
	}
	if len(d.Timeouts) != n {
		return fmt.Errorf("length mismatch: timeouts has %d rows, rewards has %d", len(d.Timeouts), n)
	}
	for _, name := range slices.Sorted(maps.Keys(d.Infos)) {
		c := d.Infos[name]
		if !validInfoName(name) {
			return fmt.Errorf("infos name %q: want a non-empty slash-separated path without NUL characters", name)
		}
		if c.Dim < 1 || len(c.Data) != n*c.Dim {
			return fmt.Errorf("length mismatch: infos/%s has %d values of width %d, rewards has %d rows",
				name, len(c.Data), c.Dim, n)
		}
	}
	return nil
}

// checkFinite returns an error naming key and index of the first NaN or
// ±Inf in data, a [rows×dim] matrix indexed [row][col], or for dim 0 a
// vector indexed [i].
func checkFinite(key string, data []float32, dim int) error {
	for i, v := range data {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			if dim <= 0 {
				return fmt.Errorf("%s[%d] is %v", key, i, v)
			}
			return fmt.Errorf("%s[%d][%d] is %v", key, i/dim, i%dim, v)
		}
	}
	return nil
}

// ValidateSpaces checks that the observation and action widths match the
// spaces of the environment the data is meant for.
func (d *Dataset) ValidateSpaces(obs, act spec.Space) error {
	if d.ObsDim != obs.Dim {
		return fmt.Errorf("observations have %d dims, observation space %v has %d", d.ObsDim, obs, obs.Dim)
	}
	if d.ActDim != act.Dim {
		return fmt.Errorf("actions have %d dims, action space %v has %d", d.ActDim, act, act.Dim)
	}
	return nil
}

// Episode is a view of the rows [Start, End) of a dataset that form one
// episode. Its slices share memory with the dataset.
type Episode struct {
	Start, End                                       int
	Observations, Actions, Rewards, NextObservations []float32
	Terminals, Timeouts                              []bool
}

// Len returns the number of steps.
func (e Episode) Len() int { return e.End - e.Start }

// Terminated reports whether the episode ended with a terminal step.
func (e Episode) Terminated() bool { return e.Len() > 0 && e.Terminals[e.Len()-1] }

// TimedOut reports whether the episode ended with a timeout. An episode cut
// by the end of the data has neither Terminated nor TimedOut.
func (e Episode) TimedOut() bool { return e.Len() > 0 && e.Timeouts[e.Len()-1] }

// Return returns the undiscounted sum of rewards, accumulated in float64.
func (e Episode) Return() float64 {
	var s float64
	for _, r := range e.Rewards {
		s += float64(r)
	}
	return s
}

// EpisodeEnds returns the exclusive end row of every episode, in order. An
// episode ends after a terminal, after a timeout, or at the end of the data.
func (d *Dataset) EpisodeEnds() []int {
	var ends []int
	n := d.Len()
	for i := range n {
		if d.Terminals[i] || d.Timeouts[i] || i == n-1 {
			ends = append(ends, i+1)
		}
	}
	return ends
}

// Episodes returns a view of every episode, in order.
func (d *Dataset) Episodes() []Episode {
	ends := d.EpisodeEnds()
	eps := make([]Episode, len(ends))
	start := 0
	for k, end := range ends {
		eps[k] = Episode{
			Start:            start,
			End:              end,
			Observations:     d.Observations[start*d.ObsDim : end*d.ObsDim],
			Actions:          d.Actions[start*d.ActDim : end*d.ActDim],
			Rewards:          d.Rewards[start:end],
			NextObservations: d.NextObservations[start*d.ObsDim : end*d.ObsDim],
			Terminals:        d.Terminals[start:end],
			Timeouts:         d.Timeouts[start:end],
		}
		start = end
	}
	return eps
}

// EpisodeReturns returns the undiscounted return of every episode, in order.
func (d *Dataset) EpisodeReturns() []float64 {
	eps := d.Episodes()
	out := make([]float64, len(eps))
	for k, e := range eps {
		out[k] = e.Return()
	}
	return out
}

// ReturnsToGo returns, for every row i, the discounted sum of the rewards
// from i to the end of its episode: G_i = r_i + γ·G_{i+1}, with nothing
// after the episode's last step (whether it ended by terminal, timeout or
// the end of the data). Sums are accumulated in float64. gamma must be in
// [0, 1].
func (d *Dataset) ReturnsToGo(gamma float64) ([]float32, error) {
	if !(gamma >= 0 && gamma <= 1) {
		return nil, fmt.Errorf("returns-to-go: gamma %v, want in [0, 1]", gamma)
	}
	out := make([]float32, d.Len())
	for _, e := range d.Episodes() {
		var g float64
		for i := e.Len() - 1; i >= 0; i-- {
			g = float64(e.Rewards[i]) + gamma*g
			out[e.Start+i] = float32(g)
		}
	}
	return out, nil
}

// MCOptions configures MCReturns.
type MCOptions struct {
	// Sparse marks a sparse-reward task whose failure reward is
	// FailureReward (after any reward scaling and bias). See MCReturns.
	Sparse bool
	// FailureReward is the reward of every step that is not a success
	// (e.g. 0, or −1 after Cal-QL's antmaze bias). Used only when Sparse.
	FailureReward float32
}

// MCReturns returns the Monte-Carlo return of every row, the lower bound
// Cal-QL (Nakamoto et al., 2023) calibrates its Q-values against:
//
//	G_i = r_i + γ·(1 − terminal_i)·G_{i+1}
//
// summed to the end of the row's episode. At a terminal nothing follows. At
// a timeout, or at the end of the data, the unobserved future is taken as 0,
// as Cal-QL's reference code does for dense rewards.
//
// The infinite-horizon tail: with opt.Sparse, an episode that ends by
// timeout (or the end of the data) with every reward equal to
// opt.FailureReward failed throughout, and a policy that fails forever earns
// FailureReward/(1−γ); every row of such an episode gets that value, as
// Cal-QL does for its sparse-reward tasks (antmaze, adroit). Two documented
// differences from the references: Cal-QL's original code tests every
// reward of the episode but not how it ended, and CORL's port tests only the
// last reward; here the episode must also not end with a terminal, since a
// terminated episode has no tail.
//
// gamma must be in [0, 1], and below 1 when opt.Sparse.
func (d *Dataset) MCReturns(gamma float64, opt MCOptions) ([]float32, error) {
	if !(gamma >= 0 && gamma <= 1) || (opt.Sparse && gamma == 1) {
		return nil, fmt.Errorf("MC returns: gamma %v, want in [0, 1] (and < 1 with a sparse failure tail)", gamma)
	}
	out := make([]float32, d.Len())
	for _, e := range d.Episodes() {
		episodeMC(out[e.Start:e.End], e.Rewards, e.Terminals, gamma, opt)
	}
	return out, nil
}

// EpisodeMCReturns writes into dst the Monte-Carlo returns of one episode,
// given its rewards and terminal flags, by the rules of MCReturns: the
// episode is taken to end with its last step, by a terminal if
// terminals[len-1] is set and otherwise by a timeout. Replay buffers use it
// to fill the MC column of online episodes as they finish. It returns an
// error if the lengths differ or gamma is out of range.
func EpisodeMCReturns(dst, rewards []float32, terminals []bool, gamma float64, opt MCOptions) error {
	if len(dst) != len(rewards) || len(terminals) != len(rewards) {
		return fmt.Errorf("episode MC returns: lengths dst %d, rewards %d, terminals %d", len(dst), len(rewards), len(terminals))
	}
	if !(gamma >= 0 && gamma <= 1) || (opt.Sparse && gamma == 1) {
		return fmt.Errorf("episode MC returns: gamma %v, want in [0, 1] (and < 1 with a sparse failure tail)", gamma)
	}
	episodeMC(dst, rewards, terminals, gamma, opt)
	return nil
}

func episodeMC(dst, rewards []float32, terminals []bool, gamma float64, opt MCOptions) {
	n := len(rewards)
	if n == 0 {
		return
	}
	if opt.Sparse && !terminals[n-1] && allEqual(rewards, opt.FailureReward) {
		tail := float32(float64(opt.FailureReward) / (1 - gamma))
		for i := range dst {
			dst[i] = tail
		}
		return
	}
	var g float64
	for i := n - 1; i >= 0; i-- {
		if terminals[i] {
			g = 0
		}
		g = float64(rewards[i]) + gamma*g
		dst[i] = float32(g)
	}
}

func allEqual(x []float32, v float32) bool {
	for _, a := range x {
		if a != v {
			return false
		}
	}
	return len(x) > 0
}
