package classic

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/spec"
)

// Gymnasium's FrozenLake maps (gymnasium/envs/toy_text/frozen_lake.py, MAPS):
// S start, F frozen, H hole, G goal.
var (
	// FrozenLake4x4 is Gymnasium's "4x4" map.
	FrozenLake4x4 = []string{"SFFF", "FHFH", "FFFH", "HFFG"}
	// FrozenLake8x8 is Gymnasium's "8x8" map.
	FrozenLake8x8 = []string{
		"SFFFFFFF", "FFFFFFFF", "FFFHFFFF", "FFFFFHFF",
		"FFFHFFFF", "FHHFFFHF", "FHFFHFHF", "FFFHFFFG",
	}
)

// GymnasiumSlip is the slip probability equivalent to Gymnasium's
// is_slippery=True: the intended move and each perpendicular one have
// probability 1/3.
const GymnasiumSlip = 2.0 / 3.0

// FrozenLake actions, numbered as in Gymnasium.
const (
	Left = iota
	Down
	Right
	Up
)

// FrozenLakeConfig configures a FrozenLake. The zero value is a
// non-slippery 4×4 lake.
type FrozenLakeConfig struct {
	// ID is the env id; "" means "frozenlake".
	ID string
	// Map is the grid, one string per row, of S (one start), F, H and G
	// cells; nil means FrozenLake4x4.
	Map []string
	// Slip is the probability p in [0, 1] that the agent does not move as
	// intended: with probability 1−p it moves in the chosen direction,
	// otherwise in one of the two perpendicular directions, each with
	// probability p/2. 0 (the default) is deterministic; GymnasiumSlip is
	// Gymnasium's is_slippery=True.
	Slip float64
	// MaxSteps is the episode limit; 0 means Gymnasium's: 100 for a 4×4 map
	// (FrozenLake-v1), 200 otherwise (FrozenLake8x8-v1).
	MaxSteps int
}

// Validate reports the first invalid field.
func (c FrozenLakeConfig) Validate() error {
	if !(c.Slip >= 0 && c.Slip <= 1) {
		return fmt.Errorf("frozenlake config: Slip %g outside [0, 1]", c.Slip)
	}
	if c.MaxSteps < 0 {
		return fmt.Errorf("frozenlake config: MaxSteps %d is negative", c.MaxSteps)
	}
	if c.Map == nil {
		return nil
	}
	if len(c.Map) == 0 || len(c.Map[0]) == 0 {
		return fmt.Errorf("frozenlake config: Map is empty")
	}
	starts := 0
	for i, row := range c.Map {
		if len(row) != len(c.Map[0]) {
			return fmt.Errorf("frozenlake config: Map row %d has length %d, row 0 has %d", i, len(row), len(c.Map[0]))
		}
		for j, ch := range row {
			switch ch {
			case 'S':
				starts++
			case 'F', 'H', 'G':
			default:
				return fmt.Errorf("frozenlake config: Map row %d column %d is %q, want S, F, H or G", i, j, ch)
			}
		}
	}
	if starts != 1 {
		return fmt.Errorf("frozenlake config: Map has %d start cells, want 1", starts)
	}
	return nil
}

// withDefaults returns c with every zero field replaced by its default.
func (c FrozenLakeConfig) withDefaults() FrozenLakeConfig {
	if c.ID == "" {
		c.ID = "frozenlake"
	}
	if c.Map == nil {
		c.Map = FrozenLake4x4
	}
	if c.MaxSteps == 0 {
		c.MaxSteps = 200
		if len(c.Map) == 4 && len(c.Map[0]) == 4 {
			c.MaxSteps = 100
		}
	}
	return c
}

// FrozenLake is Gymnasium's FrozenLake with a slip-probability parameter.
// The agent walks a grid from S to G; entering a hole H or the goal G ends the
// episode (terminated), with reward 1 at G and 0 everywhere else; a move off
// the grid leaves the agent in place. The observation is the one-hot cell
// index row·ncol+col (Discrete(rows·cols)); the action is a length-4 score
// vector whose argmax is taken (0 left, 1 down, 2 right, 3 up). Stepping from
// an ended episode stays put with reward 0 and terminated set, as Gymnasium's
// transition table does. Reset always starts at S; the seed drives the slips.
type FrozenLake struct {
	cfg        FrozenLakeConfig
	spec       env.Spec
	rows, cols int
	grid       []byte
	start      int
	state      int
	stream     *rng.Stream
	act        [4]float32
	started    bool
}

// NewFrozenLake returns a FrozenLake configured by cfg.
func NewFrozenLake(cfg FrozenLakeConfig) (*FrozenLake, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	f := &FrozenLake{cfg: cfg, rows: len(cfg.Map), cols: len(cfg.Map[0])}
	for i, row := range cfg.Map {
		for j := range len(row) {
			if row[j] == 'S' {
				f.start = i*f.cols + j
			}
			f.grid = append(f.grid, row[j])
		}
	}
	n := f.rows * f.cols
	f.spec = env.Spec{ID: cfg.ID, Obs: spec.NewDiscrete(n), Act: spec.NewDiscrete(4), MaxSteps: cfg.MaxSteps}
	return f, nil
}

// Spec describes the env.
func (f *FrozenLake) Spec() env.Spec { return f.spec }

// Config returns the configuration with defaults applied.
func (f *FrozenLake) Config() FrozenLakeConfig { return f.cfg }

// Reset puts the agent on S and seeds the slip stream.
func (f *FrozenLake) Reset(seed uint64, obs []float32) error {
	if err := checkObs(&f.spec, obs); err != nil {
		return err
	}
	f.stream = rng.Derive(seed, f.spec.ID, "slip")
	f.state, f.started = f.start, true
	f.observe(obs)
	return nil
}

// State returns the agent's cell index.
func (f *FrozenLake) State() int { return f.state }

// SetState puts the agent on cell s (for tests and dataset tools). The env
// must have been Reset once (for its slip stream).
func (f *FrozenLake) SetState(s int) error {
	if s < 0 || s >= len(f.grid) {
		return fmt.Errorf("%s: state %d outside [0, %d)", f.spec.ID, s, len(f.grid))
	}
	if !f.started {
		return fmt.Errorf("%s: SetState before reset", f.spec.ID)
	}
	f.state = s
	return nil
}

// Step takes the argmax of the action scores and moves, maybe slipping.
func (f *FrozenLake) Step(action, obs []float32) (env.Result, error) {
	if err := env.CheckAction(&f.spec, action, f.act[:]); err != nil {
		return env.Result{}, err
	}
	if err := checkObs(&f.spec, obs); err != nil {
		return env.Result{}, err
	}
	if !f.started {
		return env.Result{}, fmt.Errorf("%s: step before reset", f.spec.ID)
	}
	if f.terminal(f.state) {
		f.observe(obs)
		return env.Result{Terminated: true, Success: f.grid[f.state] == 'G'}, nil
	}
	a := spec.Argmax(f.act[:])
	p := f.cfg.Slip
	if u := f.stream.Float64(); u >= 1-p {
		if u < 1-p/2 {
			a = (a + 3) % 4 // the perpendicular move counter-clockwise in the action order
		} else {
			a = (a + 1) % 4
		}
	}
	f.state = f.move(f.state, a)
	f.observe(obs)
	c := f.grid[f.state]
	r := env.Result{Terminated: c == 'H' || c == 'G', Success: c == 'G'}
	if c == 'G' {
		r.Reward = 1
	}
	return r, nil
}

// Close does nothing.
func (f *FrozenLake) Close() error { return nil }

func (f *FrozenLake) observe(obs []float32) {
	clear(obs)
	obs[f.state] = 1
}

func (f *FrozenLake) terminal(s int) bool { return f.grid[s] == 'H' || f.grid[s] == 'G' }

// move returns the cell reached from s by action a without slipping.
func (f *FrozenLake) move(s, a int) int {
	i, j := s/f.cols, s%f.cols
	switch a {
	case Left:
		j = max(j-1, 0)
	case Down:
		i = min(i+1, f.rows-1)
	case Right:
		j = min(j+1, f.cols-1)
	case Up:
		i = max(i-1, 0)
	}
	return i*f.cols + j
}

// Outcome is one possible result of a FrozenLake transition.
type Outcome struct {
	Next     int
	Prob     float64
	Reward   float64
	Terminal bool
}

// Transitions returns the outcomes of action a in cell s with their
// probabilities (outcomes reaching the same cell are merged; zero
// probabilities are dropped). From a hole or the goal the only outcome is
// staying there with reward 0.
func (f *FrozenLake) Transitions(s, a int) []Outcome {
	if f.terminal(s) {
		return []Outcome{{Next: s, Prob: 1, Terminal: true}}
	}
	p := f.cfg.Slip
	var out []Outcome
	for _, m := range []struct {
		a    int
		prob float64
	}{{a, 1 - p}, {(a + 3) % 4, p / 2}, {(a + 1) % 4, p / 2}} {
		if m.prob == 0 {
			continue
		}
		n := f.move(s, m.a)
		merged := false
		for k := range out {
			if out[k].Next == n {
				out[k].Prob += m.prob
				merged = true
			}
		}
		if !merged {
			c := f.grid[n]
			o := Outcome{Next: n, Prob: m.prob, Terminal: c == 'H' || c == 'G'}
			if c == 'G' {
				o.Reward = 1
			}
			out = append(out, o)
		}
	}
	return out
}

// FrozenLakeOptimal is the optimal stationary policy of a FrozenLake found
// by value iteration with discount Gamma on its exact transition model. It
// is the "expert" for FrozenLake reference returns.
type FrozenLakeOptimal struct {
	// Gamma is the discount used.
	Gamma float64
	// V and Action are the value and greedy action of every cell.
	V      []float64
	Action []int
}

// NewFrozenLakeOptimal solves f's MDP by value iteration to a sup-norm change
// below 1e-12 (gamma in (0, 1]; with gamma 1, V is the probability of
// reaching the goal and ties between equally safe actions are broken by
// action order). A gamma slightly below 1 (0.999) prefers shorter paths.
func NewFrozenLakeOptimal(f *FrozenLake, gamma float64) (*FrozenLakeOptimal, error) {
	if !(gamma > 0 && gamma <= 1) {
		return nil, fmt.Errorf("frozenlake optimal: gamma %g outside (0, 1]", gamma)
	}
	n := len(f.grid)
	o := &FrozenLakeOptimal{Gamma: gamma, V: make([]float64, n), Action: make([]int, n)}
	q := func(s, a int) float64 {
		var v float64
		for _, t := range f.Transitions(s, a) {
			next := 0.0
			if !t.Terminal {
				next = o.V[t.Next]
			}
			v += t.Prob * (t.Reward + gamma*next)
		}
		return v
	}
	for range 100000 {
		delta := 0.0
		for s := range n {
			if f.terminal(s) {
				continue
			}
			best := math.Inf(-1)
			for a := range 4 {
				best = max(best, q(s, a))
			}
			delta = max(delta, math.Abs(best-o.V[s]))
			o.V[s] = best
		}
		if delta < 1e-12 {
			break
		}
	}
	for s := range n {
		best := math.Inf(-1)
		for a := range 4 {
			if v := q(s, a); v > best+1e-12 {
				best, o.Action[s] = v, a
			}
		}
	}
	return o, nil
}

// Act writes a one-hot score vector for the optimal action of the cell
// observed (the argmax of the one-hot observation).
func (o *FrozenLakeOptimal) Act(obs, act []float32) error {
	if len(obs) != len(o.Action) || len(act) != 4 {
		return fmt.Errorf("frozenlake optimal: obs/action lengths %d/%d, want %d/4", len(obs), len(act), len(o.Action))
	}
	clear(act)
	act[o.Action[spec.Argmax(obs)]] = 1
	return nil
}

// SuccessProb returns the exact probability that the stationary policy
// (one action per cell) reaches the goal from the start within horizon
// steps, by dynamic programming over f's transition model.
func (f *FrozenLake) SuccessProb(policy []int, horizon int) float64 {
	n := len(f.grid)
	p, next := make([]float64, n), make([]float64, n)
	for range horizon {
		for s := range n {
			if f.terminal(s) {
				next[s] = 0
				continue
			}
			var v float64
			for _, t := range f.Transitions(s, policy[s]) {
				switch {
				case f.grid[t.Next] == 'G':
					v += t.Prob
				case !t.Terminal:
					v += t.Prob * p[t.Next]
				}
			}
			next[s] = v
		}
		p, next = next, p
	}
	return p[f.start]
}

// expertGammas are the discounts NewFrozenLakeExpert tries.
var expertGammas = []float64{0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999, 1}

// NewFrozenLakeExpert returns the best stationary policy for f's episode
// limit among the value-iteration policies of a few discounts (0.9 to 1):
// the one whose exact probability of reaching the goal within
// Spec().MaxSteps steps (SuccessProb) is highest. The discount matters
// because the limit makes the truly optimal policy time-dependent: with
// discount 1 the policy maximizes eventual success and may dawdle past the
// limit, with a low discount it takes risks to be fast.
func NewFrozenLakeExpert(f *FrozenLake) *FrozenLakeOptimal {
	var best *FrozenLakeOptimal
	bestP := -1.0
	for _, g := range expertGammas {
		o, err := NewFrozenLakeOptimal(f, g)
		if err != nil {
			panic(err) // the gammas above are valid
		}
		if p := f.SuccessProb(o.Action, f.spec.MaxSteps); p > bestP+1e-12 {
			best, bestP = o, p
		}
	}
	return best
}
