// Cal-QL: calibrated conservative Q-learning for offline pre-training and
// online fine-tuning.
//
// Paper: M. Nakamoto, Y. Zhai, A. Singh, M. S. Mark, Y. Ma, C. Finn,
// A. Kumar, S. Levine, "Cal-QL: Calibrated Offline RL Pre-Training for
// Efficient Online Fine-Tuning", NeurIPS 2023, arXiv:2303.05479, section 5.
// Code and defaults: CORL's algorithms/finetune/cal_ql.py, a port of
// nakamotoo/Cal-QL.
//
// Cal-QL is CQL with one line changed, so this package shares package cql's
// update (cql.NewCalibrated) instead of copying it; cql.go shows the whole
// update rule. CQL's conservative term for critic member k is
//
//	D_k = mean_i [ T·log Σ_j exp(c_kij/T) - Q_k(s_i, a_i) ],
//	c_kij = [ Q_k(s_i, aᴿ_ij) - log 0.5^|A|,  Q_k(s_i, aⁿ_ij) - log π(aⁿ_ij|s'_i),  Q_k(s_i, aᵖ_ij) - log π(aᵖ_ij|s_i) ]
//
// with random actions aᴿ, next-policy actions aⁿ ~ π(·|s') and current-policy
// actions aᵖ ~ π(·|s). Cal-QL lower-bounds the two policy-action groups by
// the Monte-Carlo return MC_i = Σ_t γᵗ r_t of the data's behaviour policy
// from s_i (a replay.Batch's MC column):
//
//	Q_k(s_i, aᵖ_ij) → max(Q_k(s_i, aᵖ_ij), MC_i),   Q_k(s_i, aⁿ_ij) → max(Q_k(s_i, aⁿ_ij), MC_i).
//
// Where a policy's value is already below what the data achieved, the
// conservative term no longer pushes it down (its gradient there is zero),
// so the pre-trained Q-function is calibrated: not below the behaviour
// policy's value, which avoids the "unlearning" dip when fine-tuning starts.
//
// Where the MC returns come from:
//   - offline data: Config.MCReturns (dataset.MCReturns with the agent's γ
//     and the sparse-reward tail of Config.SparseReward);
//   - online data: OnlineMC fills each online episode's returns when the
//     episode ends, as the Cal-QL authors' TrajSampler does; until then its
//     transitions have no bound (-∞). CORL's cal_ql.py instead stores MC 0
//     for online transitions and switches calibration off at the
//     offline→online switch; dwm keeps calibration on (the authors' code).
//
// Offline→online, Cal-QL samples half of each batch from the offline data
// and half from the online buffer (CORL mixing_ratio 0.5; replay.Mixed with
// ratio 0.5). Every other hyperparameter is CQL's: CORL's cal_ql.py
// TrainConfig has the same defaults as its finetune/cql.py.

package calql

import (
	"errors"
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/agent/cql"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/replay"
)

// Agent is a Cal-QL agent: a cql.Agent built by cql.NewCalibrated. Its
// Update needs batches with an MC column.
type Agent = cql.Agent

// Config holds Cal-QL's hyperparameters: CQL's and the sparse-reward tail
// of the Monte-Carlo returns. Zero fields take the defaults listed.
type Config struct {
	// CQL holds every CQL hyperparameter, with CQL's defaults (CORL's
	// cal_ql.py TrainConfig equals its finetune/cql.py one).
	CQL cql.Config `yaml:"cql"`
	// SparseReward marks a sparse-reward task (CORL is_sparse_reward): an
	// episode that ends by timeout with every reward equal to FailureReward
	// gets the return of failing forever, FailureReward/(1-γ), for all its
	// rows (see dataset.MCReturns). Default off (CORL).
	SparseReward bool `yaml:"sparse_reward"`
	// FailureReward is the reward of a failed step in a sparse-reward task,
	// after any reward scaling and bias (CORL's AntMaze configs: 0·10 - 5 =
	// -5). Used only with SparseReward. Default 0.
	FailureReward float32 `yaml:"failure_reward"`
}

// Validate reports the first invalid field, naming it and its value.
func (c Config) Validate() error {
	if err := c.CQL.Validate(); err != nil {
		return fmt.Errorf("calql: %w", err)
	}
	if f := float64(c.FailureReward); math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("calql.Config.FailureReward = %v: must be finite", c.FailureReward)
	}
	if c.SparseReward && c.Gamma() == 1 {
		return errors.New("calql.Config.SparseReward: needs a discount below 1 (CQL.Gamma = 1 makes the failure tail infinite)")
	}
	return nil
}

// Gamma returns the discount γ the agent uses (CQL.Gamma or its default),
// which its Monte-Carlo returns must use too.
func (c Config) Gamma() float64 { return float64(c.CQL.WithDefaults(1).Gamma) }

// MCOptions returns the options of the Monte-Carlo returns.
func (c Config) MCOptions() dataset.MCOptions {
	return dataset.MCOptions{Sparse: c.SparseReward, FailureReward: c.FailureReward}
}

// MCReturns returns the Monte-Carlo return of every row of d with the
// agent's γ: the lower bounds to give replay.FromDataset.
func (c Config) MCReturns(d *dataset.Dataset) ([]float32, error) {
	mc, err := d.MCReturns(c.Gamma(), c.MCOptions())
	if err != nil {
		return nil, fmt.Errorf("calql: %w", err)
	}
	return mc, nil
}

// New returns a Cal-QL agent for observations of obsDim and actions of
// actDim values, with networks initialised and random streams derived from
// seed. It returns an error if a dimension is not positive or cfg is
// invalid.
func New(obsDim, actDim int, cfg Config, seed uint64) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cql.NewCalibrated(obsDim, actDim, cfg.CQL, seed)
}

// OnlineMC fills in the Monte-Carlo returns of online episodes in a replay
// buffer as the episodes end. Call Step after each online transition is
// added to the buffer (train.Hooks.AfterEnvStep runs there): while an
// episode runs, its transitions get MC -∞ (no bound); when it ends (a
// terminal or a truncation), all of them get dataset.EpisodeMCReturns of
// their rewards. If an episode outgrows the
// buffer, only its stored tail is filled, as if it had started there. It is
// not safe for concurrent use.
type OnlineMC struct {
	buf   *replay.Buffer
	gamma float64
	opt   dataset.MCOptions

	n    int // transitions of the running episode
	rew  []float32
	term []bool
	mc   []float32
	none [1]float32
}

// OnlineMC returns an OnlineMC for buf, which must keep MC returns, with
// the config's γ and sparse-reward options.
func (c Config) OnlineMC(buf *replay.Buffer) (*OnlineMC, error) {
	if buf == nil || !buf.HasMC() {
		return nil, errors.New("calql: online MC returns need a replay buffer that keeps MC returns")
	}
	o := &OnlineMC{buf: buf, gamma: c.Gamma(), opt: c.MCOptions()}
	o.none[0] = float32(math.Inf(-1))
	return o, nil
}

// Step records that one transition of the running episode was just added
// to the buffer, with its end flags, and fills the episode's MC returns if
// it ended. It does not allocate once its buffers have grown to the longest
// episode.
func (o *OnlineMC) Step(terminal, truncated bool) error {
	o.n++
	if !terminal && !truncated {
		return o.buf.SetRecentMC(o.none[:])
	}
	k := min(o.n, o.buf.Len())
	o.n = 0
	o.rew, o.term = o.buf.Recent(k, o.rew[:0], o.term[:0])
	if cap(o.mc) < k {
		o.mc = make([]float32, k)
	}
	o.mc = o.mc[:k]
	if err := dataset.EpisodeMCReturns(o.mc, o.rew, o.term, o.gamma, o.opt); err != nil {
		return fmt.Errorf("calql: online MC returns: %w", err)
	}
	return o.buf.SetRecentMC(o.mc)
}

// Pending returns the number of transitions of the running episode, whose
// MC returns are not known yet.
func (o *OnlineMC) Pending() int { return o.n }
