package rollout

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/worldmodel"
)

// Policy chooses actions for a batch of observations (train.Agent and
// agent/sac satisfy it).
type Policy interface {
	// ActBatch writes one action in [−1, 1] per observation row.
	ActBatch(obs, act []float32, deterministic bool) error
}

// Model predicts a batch of transitions with their uncertainty
// (*worldmodel.Model satisfies it).
type Model interface {
	Dims() (obsDim, actDim int)
	Predict(dst *worldmodel.Prediction, obs, act []float32, opt worldmodel.PredictOptions, s *rng.Stream) error
}

// Filter names how imagined transitions are screened.
type Filter string

// The filters.
const (
	// Epistemic rejects a transition when its σ_ep > η (BDWM, Section
	// IV-B). A NaN σ_ep is rejected too.
	Epistemic Filter = "epistemic"
	// None accepts every finite transition (the ablation without the
	// uncertainty buffer, MOPO, DIAMOND).
	None Filter = "none"
)

// OnReject names what a rejected transition does to its rollout.
type OnReject string

// The rejection behaviours (both are the paper's: "the rollout terminates
// (or transitions to an absorbing zero-reward state)").
const (
	// Stop ends the rollout; the rejected transition is not written.
	Stop OnReject = "stop"
	// Absorb writes (s, a, r = Config.AbsorbReward, s' = s, done) in its
	// place — an absorbing terminal that teaches the critic that leaving
	// the model's confident region pays nothing (reward 0, the paper's
	// choice) or, with a negative AbsorbReward, less than anything the data
	// shows — and ends the rollout.
	Absorb OnReject = "absorb"
)

// Config describes a batch of rollouts. Zero fields take the defaults
// listed on each field.
type Config struct {
	// Horizon is H, the most model steps per rollout (required, ≥ 1).
	Horizon int
	// Filter is Epistemic (default) or None.
	Filter Filter
	// Eta is the threshold η of the Epistemic filter (≥ 0).
	Eta float32
	// OnReject is Stop (default) or Absorb.
	OnReject OnReject
	// AbsorbReward is the reward of the absorbing terminal OnReject Absorb
	// writes (default 0, the paper's zero-reward state; must be finite).
	AbsorbReward float32
	// RewardPenalty is MOPO's λ: accepted transitions are written with
	// reward r − λ·u(s, a), u the model's Prediction.Penalty (default 0,
	// no penalty; must be ≥ 0).
	RewardPenalty float32
	// Predict is passed to every Model.Predict call.
	Predict worldmodel.PredictOptions
	// Deterministic makes the policy act by its mode (default false: the
	// policy samples, as MBPO's rollouts do).
	Deterministic bool
	// Bounds, if set, is the per-dimension range of the real states seen
	// (D_off, and D_on online). Imagined next states outside it are
	// counted (Stats.OutOfBounds, Stats.MaxExcess) and, with
	// RejectOutOfBounds, rejected: a state beyond every real state is out
	// of distribution whatever the ensemble's agreement says.
	Bounds *Bounds
	// RejectOutOfBounds rejects (as OnReject says) an imagined transition
	// whose next state leaves Bounds widened by BoundsMargin range widths
	// on each side. It needs Bounds.
	RejectOutOfBounds bool
	// BoundsMargin widens Bounds by this many range widths on each side
	// for RejectOutOfBounds (default 0; must be ≥ 0).
	BoundsMargin float32
}

// Bounds is a per-dimension range [Lo[j], Hi[j]] of observations.
type Bounds struct {
	Lo, Hi []float32
}

// NewBounds returns the per-dimension range of the n×dim rows in x (empty
// bounds, Lo > Hi, when x has no rows).
func NewBounds(x []float32, dim int) *Bounds {
	b := &Bounds{Lo: make([]float32, dim), Hi: make([]float32, dim)}
	for j := range dim {
		b.Lo[j], b.Hi[j] = float32(math.Inf(1)), float32(math.Inf(-1))
	}
	b.Extend(x)
	return b
}

// Extend widens b to hold every row of x (rows of len(b.Lo) values;
// non-finite values are ignored).
func (b *Bounds) Extend(x []float32) {
	d := len(b.Lo)
	for i := 0; i+d <= len(x); i += d {
		for j, v := range x[i : i+d] {
			if !finite(v) {
				continue
			}
			if v < b.Lo[j] {
				b.Lo[j] = v
			}
			if v > b.Hi[j] {
				b.Hi[j] = v
			}
		}
	}
}

// Excess returns how far x lies outside b, in range widths: the largest
// over dimensions of (x_j − Hi_j)/w_j or (Lo_j − x_j)/w_j with w_j =
// Hi_j − Lo_j (1 where the range is a point), and 0 inside.
func (b *Bounds) Excess(x []float32) float32 {
	var e float32
	for j, v := range x {
		w := b.Hi[j] - b.Lo[j]
		if !(w > 0) {
			w = 1
		}
		if d := (v - b.Hi[j]) / w; d > e {
			e = d
		}
		if d := (b.Lo[j] - v) / w; d > e {
			e = d
		}
	}
	return e
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.Horizon < 1:
		return fmt.Errorf("rollout: horizon = %d: must be ≥ 1", c.Horizon)
	case c.Filter != "" && c.Filter != Epistemic && c.Filter != None:
		return fmt.Errorf("rollout: filter = %q: want %q or %q", c.Filter, Epistemic, None)
	case !(c.Eta >= 0) || math.IsInf(float64(c.Eta), 0):
		return fmt.Errorf("rollout: eta = %v: must be finite and ≥ 0", c.Eta)
	case c.OnReject != "" && c.OnReject != Stop && c.OnReject != Absorb:
		return fmt.Errorf("rollout: on_reject = %q: want %q or %q", c.OnReject, Stop, Absorb)
	case !(c.RewardPenalty >= 0) || math.IsInf(float64(c.RewardPenalty), 0):
		return fmt.Errorf("rollout: reward_penalty = %v: must be finite and ≥ 0", c.RewardPenalty)
	case math.IsNaN(float64(c.AbsorbReward)) || math.IsInf(float64(c.AbsorbReward), 0):
		return fmt.Errorf("rollout: absorb_reward = %v: must be finite", c.AbsorbReward)
	case c.RejectOutOfBounds && c.Bounds == nil:
		return fmt.Errorf("rollout: reject_out_of_bounds needs the bounds of the real states")
	case !(c.BoundsMargin >= 0) || math.IsInf(float64(c.BoundsMargin), 0):
		return fmt.Errorf("rollout: bounds_margin = %v: must be finite and ≥ 0", c.BoundsMargin)
	}
	return nil
}

// Stats counts what a Run did.
type Stats struct {
	// Rollouts is the number of start states.
	Rollouts int
	// Steps is the number of model predictions made (transitions
	// attempted).
	Steps int
	// Accepted transitions were written as predicted (with the penalty).
	Accepted int
	// Rejected transitions had σ_ep > η (or a NaN σ_ep); NonFinite ones a
	// non-finite predicted state or reward (rejected whatever the filter).
	Rejected, NonFinite int
	// OutOfBounds counts the finite next states outside Config.Bounds
	// (whether or not rejected for it); BoundsRejected those rejected for
	// it (RejectOutOfBounds; counted in Rejected too). MaxExcess is the
	// largest Bounds.Excess seen.
	OutOfBounds, BoundsRejected int
	MaxExcess                   float64
	// Absorbed is the number of absorbing terminals written for rejected
	// transitions (OnReject Absorb).
	Absorbed int
	// Terminated rollouts ended by a predicted terminal transition;
	// Completed ones reached the horizon.
	Terminated, Completed int
	// SigmaEp and SigmaAl sum the finite σ_ep and σ_al of the attempted
	// transitions (σ_al only when asked for); Penalty sums the finite
	// u(s, a).
	SigmaEp, SigmaAl, Penalty float64
	// Reward sums the rewards written for accepted transitions (after the
	// penalty); RewardMin and RewardMax are their extremes (0 when none).
	Reward               float64
	RewardMin, RewardMax float64
}

// MeanReward is the mean reward of the accepted transitions.
func (s Stats) MeanReward() float64 { return s.Reward / float64(max(s.Accepted, 1)) }

// RejectRate is the fraction of attempted transitions that were rejected
// (by the filter or for non-finite values); 0 when none were attempted.
func (s Stats) RejectRate() float64 {
	if s.Steps == 0 {
		return 0
	}
	return float64(s.Rejected+s.NonFinite) / float64(s.Steps)
}

// MeanSigmaEp is the mean σ_ep of the attempted transitions.
func (s Stats) MeanSigmaEp() float64 { return s.SigmaEp / float64(max(s.Steps, 1)) }

// Add accumulates o into s.
func (s *Stats) Add(o Stats) {
	s.Rollouts += o.Rollouts
	s.Steps += o.Steps
	s.Accepted += o.Accepted
	s.Rejected += o.Rejected
	s.NonFinite += o.NonFinite
	s.OutOfBounds += o.OutOfBounds
	s.BoundsRejected += o.BoundsRejected
	s.MaxExcess = max(s.MaxExcess, o.MaxExcess)
	if o.Accepted > 0 {
		if s.Accepted == o.Accepted { // s had none before
			s.RewardMin, s.RewardMax = o.RewardMin, o.RewardMax
		} else {
			s.RewardMin, s.RewardMax = min(s.RewardMin, o.RewardMin), max(s.RewardMax, o.RewardMax)
		}
	}
	s.Reward += o.Reward
	s.Absorbed += o.Absorbed
	s.Terminated += o.Terminated
	s.Completed += o.Completed
	s.SigmaEp += o.SigmaEp
	s.SigmaAl += o.SigmaAl
	s.Penalty += o.Penalty
}

// Runner runs batches of imagined rollouts with reusable buffers: after
// the first Run of a given size it does not allocate. A Runner is not safe
// for concurrent use.
type Runner struct {
	obs, next, act []float32
	pred           worldmodel.Prediction
	starts         *replay.Batch
}

// Starts fills and returns n start observations (n×obsDim) drawn uniformly
// from src with s, in a buffer owned by the Runner.
func (r *Runner) Starts(src replay.Sampler, n, obsDim, actDim int, s *rng.Stream) []float32 {
	if r.starts == nil || r.starts.Len() != n || len(r.starts.Obs) != n*obsDim {
		r.starts = replay.NewBatch(n, obsDim, actDim, false)
	}
	src.SampleRows(s, r.starts, 0, n)
	return r.starts.Obs
}

func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

// Run unrolls the policy in the model from each of the B start
// observations in starts (B×obsDim) for up to cfg.Horizon steps, all
// rollouts advancing together (one Predict call per step for the rollouts
// still running), and writes the accepted transitions into dst:
//
//   - a transition whose next state or reward is not finite is rejected
//     and ends its rollout (nothing is written);
//   - with the Epistemic filter, a transition with σ_ep > Eta is rejected:
//     with Stop nothing is written, with Absorb the absorbing terminal
//     (s, a, AbsorbReward, s, done); either way its rollout ends;
//   - an accepted transition is written with reward r − λ·u(s, a); a
//     predicted terminal ends its rollout.
//
// Randomness (the model's samples) comes from s; the policy uses its own.
func (r *Runner) Run(dst *replay.Buffer, starts []float32, model Model, pol Policy, cfg Config, s *rng.Stream) (Stats, error) {
	if err := cfg.Validate(); err != nil {
		return Stats{}, err
	}
	O, A := model.Dims()
	if do, da := dst.Dims(); do != O || da != A {
		return Stats{}, fmt.Errorf("rollout: buffer of widths %d, %d for a model of %d, %d", do, da, O, A)
	}
	b := len(starts) / O
	if b < 1 || len(starts) != b*O {
		return Stats{}, fmt.Errorf("rollout: %d start values do not form whole observations of %d", len(starts), O)
	}
	filter := cfg.Filter != None
	absorb := cfg.OnReject == Absorb
	lam := cfg.RewardPenalty
	r.obs = grow(r.obs, b*O)
	r.next = grow(r.next, b*O)
	r.act = grow(r.act, b*A)
	copy(r.obs, starts)
	st := Stats{Rollouts: b}
	active := b
	for h := 0; h < cfg.Horizon && active > 0; h++ {
		obs, act := r.obs[:active*O], r.act[:active*A]
		if err := pol.ActBatch(obs, act, cfg.Deterministic); err != nil {
			return st, fmt.Errorf("rollout: policy at step %d: %w", h, err)
		}
		p := &r.pred
		if err := model.Predict(p, obs, act, cfg.Predict, s); err != nil {
			return st, fmt.Errorf("rollout: model at step %d: %w", h, err)
		}
		st.Steps += active
		keep := 0 // rollouts that continue are compacted to the front
		for i := 0; i < active; i++ {
			so, sa := obs[i*O:(i+1)*O], act[i*A:(i+1)*A]
			nx := p.Next[i*O : (i+1)*O]
			sig := p.SigmaEp[i]
			if finite(sig) {
				st.SigmaEp += float64(sig)
			}
			if p.SigmaAl != nil && finite(p.SigmaAl[i]) {
				st.SigmaAl += float64(p.SigmaAl[i])
			}
			if finite(p.Penalty[i]) {
				st.Penalty += float64(p.Penalty[i])
			}
			rew := p.Reward[i]
			if !finite(rew) || !finiteAll(nx) {
				st.NonFinite++
				continue
			}
			oob := false
			if cfg.Bounds != nil {
				if e := cfg.Bounds.Excess(nx); e > 0 {
					st.OutOfBounds++
					st.MaxExcess = max(st.MaxExcess, float64(e))
					oob = cfg.RejectOutOfBounds && e > cfg.BoundsMargin
				}
			}
			if oob {
				st.BoundsRejected++
			}
			if oob || (filter && (sig > cfg.Eta || sig != sig)) {
				st.Rejected++
				if absorb {
					dst.Add(so, sa, cfg.AbsorbReward, so, true)
					st.Absorbed++
				}
				continue
			}
			term := p.Terminal[i]
			wr := rew - lam*p.Penalty[i]
			dst.Add(so, sa, wr, nx, term)
			if st.Accepted == 0 {
				st.RewardMin, st.RewardMax = float64(wr), float64(wr)
			}
			st.RewardMin, st.RewardMax = min(st.RewardMin, float64(wr)), max(st.RewardMax, float64(wr))
			st.Reward += float64(wr)
			st.Accepted++
			if term {
				st.Terminated++
				continue
			}
			if h == cfg.Horizon-1 {
				st.Completed++
				continue
			}
			copy(r.next[keep*O:(keep+1)*O], nx)
			keep++
		}
		active = keep
		r.obs, r.next = r.next, r.obs
	}
	return st, nil
}

func finite(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

func finiteAll(x []float32) bool {
	for _, v := range x {
		if !finite(v) {
			return false
		}
	}
	return true
}
