//go:build cgo && !nomujoco

package datagen

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/dwm-rl/dwm/agent/sac"
	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/env/mujoco"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/optim"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// adroitPolicy acts for one Adroit episode at a time.
type adroitPolicy interface {
	// begin starts episode k (called after the env's Reset).
	begin(k int)
	// act writes the action for obs.
	act(obs, act []float32) error
	close()
}

// adroitEpisode is one collected episode with its per-step success flags.
type adroitEpisode struct {
	d       *dataset.Dataset
	success []bool
}

// runAdroitEpisodes runs episodes first..first+n−1 on up to workers env
// copies and returns them in episode order. Episode k resets the env with
// seed rng.Derive(seed, "datagen", "adroit", "episode", k) and its policy
// from begin(k), so the result does not depend on workers.
func runAdroitEpisodes(c Config, newPolicy func(e *mujoco.Env) (adroitPolicy, error), first, n int) ([]adroitEpisode, error) {
	w := min(c.Workers, n)
	out := make([]adroitEpisode, n)
	errs := make([]error, w)
	done := make(chan struct{}, w)
	for i := range w {
		go func() {
			defer func() { done <- struct{}{} }()
			errs[i] = func() error {
				mk, err := mujoco.NewMaker(c.Env)
				if err != nil {
					return err
				}
				e, err := mk.New()
				mk.Close()
				if err != nil {
					return err
				}
				defer e.Close()
				p, err := newPolicy(e)
				if err != nil {
					return err
				}
				defer p.close()
				for j := i; j < n; j += w {
					if out[j], err = runAdroitEpisode(c, e, p, first+j); err != nil {
						return err
					}
				}
				return nil
			}()
		}()
	}
	for range w {
		<-done
	}
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("collect %s data on %s (worker %d): %w", c.Kind, c.Env, i, err)
		}
	}
	return out, nil
}

func runAdroitEpisode(c Config, e *mujoco.Env, p adroitPolicy, k int) (adroitEpisode, error) {
	s := e.Spec()
	d := dataset.New(s.Obs.Dim, s.Act.Dim, s.MaxSteps)
	obs, next, act := make([]float32, s.Obs.Dim), make([]float32, s.Obs.Dim), make([]float32, s.Act.Dim)
	seed := rng.Derive(c.Seed, "datagen", "adroit", "episode", strconv.Itoa(k)).Uint64()
	if err := e.Reset(seed, obs); err != nil {
		return adroitEpisode{}, err
	}
	p.begin(k)
	var succ []bool
	for t := 1; ; t++ {
		if err := p.act(obs, act); err != nil {
			return adroitEpisode{}, err
		}
		r, err := e.Step(act, next)
		if err != nil {
			return adroitEpisode{}, fmt.Errorf("episode %d step %d: %w", k, t, err)
		}
		timeout := !r.Terminated && (r.Truncated || t >= s.MaxSteps)
		d.Append(obs, act, float32(r.Reward), next, r.Terminated, timeout)
		succ = append(succ, r.Success)
		if r.Terminated || timeout {
			return adroitEpisode{d: d, success: succ}, nil
		}
		copy(obs, next)
	}
}

// appendEpisodes appends whole episodes to d (and success flags to succ)
// until d holds size rows, cutting the last with a timeout; it reports
// whether d is full.
func appendEpisodes(d *dataset.Dataset, succ *[]float32, eps []adroitEpisode, size int) bool {
	for _, ep := range eps {
		for j := range ep.d.Len() {
			if d.Len() == size {
				return true
			}
			last := d.Len() == size-1
			term := ep.d.Terminals[j]
			d.Append(ep.d.Obs(j), ep.d.Act(j), ep.d.Rewards[j], ep.d.NextObs(j), term, ep.d.Timeouts[j] || (last && !term))
			*succ = append(*succ, b2f(ep.success[j]))
		}
	}
	return d.Len() == size
}

func b2f(b bool) float32 {
	if b {
		return 1
	}
	return 0
}

// collectAdroit gathers episodes from policy until size rows (whole
// episodes, the last cut by a timeout), in waves of Workers episodes.
func collectAdroit(ctx context.Context, c Config, newPolicy func(e *mujoco.Env) (adroitPolicy, error), size, firstEpisode int) (*dataset.Dataset, []float32, error) {
	obsDim, actDim, err := adroitDims(c.Env)
	if err != nil {
		return nil, nil, err
	}
	d := dataset.New(obsDim, actDim, size)
	var succ []float32
	for k := firstEpisode; ; k += c.Workers {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		eps, err := runAdroitEpisodes(c, newPolicy, k, c.Workers)
		if err != nil {
			return nil, nil, err
		}
		if appendEpisodes(d, &succ, eps, size) {
			return d, succ, nil
		}
	}
}

func adroitDims(id string) (obs, act int, err error) {
	mk, err := mujoco.NewMaker(id)
	if err != nil {
		return 0, 0, err
	}
	defer mk.Close()
	s := mk.Spec()
	return s.Obs.Dim, s.Act.Dim, nil
}

// noisy adds N(0, noise²) to act per entry from s and clips to [-1, 1].
func noisy(act []float32, noise float64, s *rng.Stream) {
	for j := range act {
		act[j] = float32(min(max(float64(act[j])+noise*s.NormFloat64(), -1), 1))
	}
}

// generateAdroit makes the expert, demo and cloned kinds of an Adroit task.
func generateAdroit(ctx context.Context, c Config, meta map[string]string, out io.Writer) (*dataset.Dataset, error) {
	var d *dataset.Dataset
	var succ []float32
	var err error
	var x adroitSource
	if c.Kind != "random" {
		if x, err = adroitExpertSource(ctx, c, out); err != nil {
			return nil, err
		}
		meta["expert"] = x.desc
	}
	switch c.Kind {
	case "random":
		d, succ, err = collectAdroit(ctx, c, randomAdroit(c), c.Size, 0)
		meta[dataset.MetaPolicyHash] = "uniform-random"
	case "expert":
		d, succ, err = collectAdroit(ctx, c, x.policy(0), c.Size, 0)
		meta[dataset.MetaPolicyHash] = x.desc
	case "demo":
		d, succ, err = adroitDemos(c, x)
		meta[dataset.MetaPolicyHash] = fmt.Sprintf("%s+N(0,%g)", x.desc, c.Noise)
	case "cloned":
		d, succ, err = adroitCloned(ctx, c, x, meta, out)
	default:
		return nil, fmt.Errorf("dataset kind %q has no Adroit recipe", c.Kind)
	}
	if err != nil {
		return nil, err
	}
	meta["recipe"] = "dwm-adroit"
	d.Infos = map[string]dataset.Column{"success": {Dim: 1, Data: succ}}
	return d, nil
}

// adroitSource is the expert an Adroit dataset is made from: the scripted
// controller of adroitctl where the task has one (door, hammer, relocate),
// otherwise (pen) a demonstrations-free SAC expert trained on the task.
type adroitSource struct {
	// policy returns the expert with N(0, noise²) action noise drawn from
	// rng.Derive(seed, "datagen", "adroit", "noise", k) in episode k.
	policy func(noise float64) func(e *mujoco.Env) (adroitPolicy, error)
	// desc names the expert (the policy hash of the expert kind).
	desc string
}

// adroitExpertSource resolves the expert of c's task, training (or
// resuming, or reusing) the SAC expert run when the task has no scripted
// controller.
func adroitExpertSource(ctx context.Context, c Config, out io.Writer) (adroitSource, error) {
	if adroitExpertFor(c.Env) == nil {
		return adroitSource{policy: func(noise float64) func(e *mujoco.Env) (adroitPolicy, error) { return expertPolicy(c, noise) },
			desc: "adroitctl.Expert(" + c.Env + ")"}, nil
	}
	fmt.Fprintf(out, "dataset %s-%s: %s has no scripted expert; its expert is SAC trained without demonstrations (%d steps)\n",
		c.Env, c.Kind, c.Env, c.ExpertSteps)
	ex, err := trainExpert(ctx, c, out)
	if err != nil {
		return adroitSource{}, err
	}
	snap := ex.evals[len(ex.evals)-1]
	ts, _, err := checkpoint.ReadSafetensors(snap.Path)
	if err != nil {
		return adroitSource{}, fmt.Errorf("expert run %s: %w", filepath.Base(ex.dir), err)
	}
	sacCfg, err := expertSACConfig(ex.final.Config)
	if err != nil {
		return adroitSource{}, fmt.Errorf("expert run %s: %w", filepath.Base(ex.dir), err)
	}
	f, err := os.ReadFile(snap.Path)
	if err != nil {
		return adroitSource{}, fmt.Errorf("expert run %s: %w", filepath.Base(ex.dir), err)
	}
	h := sha256.Sum256(f)
	fmt.Fprintf(out, "expert: the SAC policy of step %d (evaluation return %.1f)\n", snap.Step, snap.Return)
	return adroitSource{
		policy: func(noise float64) func(e *mujoco.Env) (adroitPolicy, error) {
			return func(e *mujoco.Env) (adroitPolicy, error) {
				sp := e.Spec()
				a, err := sac.New(sp.Obs.Dim, sp.Act.Dim, sacCfg, rng.Derive(c.Seed, "datagen", "adroit", "sac").Uint64())
				if err != nil {
					return nil, err
				}
				if err := loadModel(a, ts); err != nil {
					return nil, fmt.Errorf("expert run %s: %w", filepath.Base(ex.dir), err)
				}
				return &sacActor{a: a, noise: noise, seed: c.Seed}, nil
			}
		},
		desc: fmt.Sprintf("sac-expert(%s,step=%d,sha256=%s)", c.Env, snap.Step, hex.EncodeToString(h[:8])),
	}, nil
}

// sacActor acts with a SAC expert's deterministic (mean) action plus
// N(0, noise²) noise.
type sacActor struct {
	a     *sac.Agent
	noise float64
	seed  uint64
	s     *rng.Stream
}

func (a *sacActor) begin(k int) {
	a.s = rng.Derive(a.seed, "datagen", "adroit", "noise", strconv.Itoa(k))
}

func (a *sacActor) act(obs, act []float32) error {
	if err := a.a.Act(obs, act, true); err != nil {
		return err
	}
	if a.noise > 0 {
		noisy(act, a.noise, a.s)
	}
	return nil
}

func (a *sacActor) close() {}

// adroitDemos runs c.Episodes noisy expert episodes (episodes 0..E−1).
func adroitDemos(c Config, x adroitSource) (*dataset.Dataset, []float32, error) {
	eps, err := runAdroitEpisodes(c, x.policy(c.Noise), 0, c.Episodes)
	if err != nil {
		return nil, nil, err
	}
	n := 0
	for _, ep := range eps {
		n += ep.d.Len()
	}
	d := dataset.New(eps[0].d.ObsDim, eps[0].d.ActDim, n)
	var succ []float32
	appendEpisodes(d, &succ, eps, n)
	return d, succ, nil
}

// adroitCloned is D4RL's cloned recipe: a behaviour-cloned policy trained
// on the demos, its rollouts (half of Size) followed by the demos repeated
// in whole episodes (the other half), so the mix is 50/50 by transitions.
func adroitCloned(ctx context.Context, c Config, x adroitSource, meta map[string]string, out io.Writer) (*dataset.Dataset, []float32, error) {
	demos, demoSucc, err := adroitDemos(c, x)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(out, "dataset %s-cloned: behaviour cloning on %d demo transitions for %d steps\n", c.Env, demos.Len(), c.BCSteps)
	bc, err := trainBC(ctx, c, demos)
	if err != nil {
		return nil, nil, err
	}
	meta[dataset.MetaPolicyHash] = bc.hash()
	half := c.Size / 2
	// Rollout episodes are numbered after the demos' so their env seeds differ.
	d, succ, err := collectAdroit(ctx, c, bc.policy(c), half, c.Episodes)
	if err != nil {
		return nil, nil, err
	}
	eps := demos.Episodes()
	var all []adroitEpisode
	for _, ep := range eps {
		part := dataset.New(demos.ObsDim, demos.ActDim, ep.End-ep.Start)
		var s []bool
		for j := ep.Start; j < ep.End; j++ {
			part.Append(demos.Obs(j), demos.Act(j), demos.Rewards[j], demos.NextObs(j), demos.Terminals[j], demos.Timeouts[j])
			s = append(s, demoSucc[j] == 1)
		}
		all = append(all, adroitEpisode{d: part, success: s})
	}
	for !appendEpisodes(d, &succ, all, c.Size) {
	}
	return d, succ, nil
}

// expertPolicy is the scripted expert with N(0, noise²) action noise drawn
// from rng.Derive(seed, "datagen", "adroit", "noise", k) in episode k.
func expertPolicy(c Config, noise float64) func(e *mujoco.Env) (adroitPolicy, error) {
	return func(e *mujoco.Env) (adroitPolicy, error) {
		x, err := newAdroitExpert(e)
		if err != nil {
			return nil, err
		}
		return &expertActor{x: x, noise: noise, seed: c.Seed}, nil
	}
}

type expertActor struct {
	x     adroitExpert
	noise float64
	seed  uint64
	s     *rng.Stream
}

func (a *expertActor) begin(k int) {
	a.x.Reset()
	a.s = rng.Derive(a.seed, "datagen", "adroit", "noise", strconv.Itoa(k))
}

func (a *expertActor) act(_, act []float32) error {
	if err := a.x.Act(act); err != nil {
		return err
	}
	if a.noise > 0 {
		noisy(act, a.noise, a.s)
	}
	return nil
}

func (a *expertActor) close() { a.x.Close() }

// bcPolicy is the behaviour-cloned MLP: tanh(MLP(standardised obs)).
type bcPolicy struct {
	net       *nn.MLP
	cfg       nn.MLPConfig
	mean, std []float32
	obsDim    int
}

// BC settings: an MLP of two 256-unit ReLU layers with a tanh output,
// trained by Adam (lr 1e-3, the torch default) on the mean squared error to
// the demo actions, batch 256.
const bcBatch = 256

func trainBC(ctx context.Context, c Config, demos *dataset.Dataset) (*bcPolicy, error) {
	O, A := demos.ObsDim, demos.ActDim
	p := &bcPolicy{obsDim: O, mean: make([]float32, O), std: make([]float32, O)}
	n := demos.Len()
	for j := range O {
		var s, s2 float64
		for i := range n {
			v := float64(demos.Obs(i)[j])
			s += v
			s2 += v * v
		}
		m := s / float64(n)
		p.mean[j] = float32(m)
		p.std[j] = float32(math.Sqrt(max(s2/float64(n)-m*m, 0)) + 1e-3)
	}
	p.cfg = nn.MLPConfig{Sizes: []int{O, 256, 256, A}, Hidden: tensor.ReLU, Output: tensor.Tanh}
	p.net = nn.NewMLP("bc", p.cfg, rng.Derive(c.Seed, "datagen", "bc", "init"))
	p.net.NoInputGrad = true
	opt := optim.NewAdam(p.net.Params(), optim.AdamConfig{})
	s := rng.Derive(c.Seed, "datagen", "bc", "batches")
	x, y, g := tensor.New(bcBatch, O), tensor.New(bcBatch, A), tensor.New(bcBatch, A)
	var loss float32
	for step := range c.BCSteps {
		if step%100 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("behaviour cloning on %s: %w", c.Env, err)
			}
		}
		for b := range bcBatch {
			i := s.IntN(n)
			p.standardise(x.Row(b), demos.Obs(i))
			copy(y.Row(b), demos.Act(i))
		}
		nn.ZeroGrad(p.net.Params())
		pred := p.net.Forward(x)
		loss = nn.MSE(g, pred, y)
		p.net.Backward(g)
		opt.Step()
	}
	if math.IsNaN(float64(loss)) {
		return nil, fmt.Errorf("behaviour cloning on %s diverged (loss NaN)", c.Env)
	}
	return p, nil
}

func (p *bcPolicy) standardise(dst, obs []float32) {
	for j := range p.obsDim {
		dst[j] = (obs[j] - p.mean[j]) / p.std[j]
	}
}

// hash identifies the trained parameters.
func (p *bcPolicy) hash() string {
	h := sha256.New()
	for _, q := range p.net.Params() {
		binary.Write(h, binary.LittleEndian, q.W)
	}
	binary.Write(h, binary.LittleEndian, p.mean)
	binary.Write(h, binary.LittleEndian, p.std)
	return hex.EncodeToString(h.Sum(nil))
}

// policy acts with the BC network's action plus N(0, Noise²) noise (the
// rollouts of a Gaussian policy around the cloned mean). Each worker gets
// its own copy of the network buffers.
func (p *bcPolicy) policy(c Config) func(e *mujoco.Env) (adroitPolicy, error) {
	return func(e *mujoco.Env) (adroitPolicy, error) {
		net := nn.NewMLP("bc", p.cfg, rng.Derive(0, "unused"))
		for i, q := range net.Params() {
			copy(q.W, p.net.Params()[i].W)
		}
		return &bcActor{p: p, net: net, seed: c.Seed, noise: c.Noise, x: tensor.New(1, p.obsDim), y: &tensor.Mat{}}, nil
	}
}

type bcActor struct {
	p     *bcPolicy
	seed  uint64
	noise float64
	s     *rng.Stream
	x, y  *tensor.Mat
	net   *nn.MLP
}

func (a *bcActor) begin(k int) {
	a.s = rng.Derive(a.seed, "datagen", "adroit", "bc-noise", strconv.Itoa(k))
}

func (a *bcActor) act(obs, act []float32) error {
	a.p.standardise(a.x.Row(0), obs)
	a.net.Predict(a.y, a.x)
	copy(act, a.y.Row(0))
	noisy(act, a.noise, a.s)
	return nil
}

func (a *bcActor) close() {}

// randomAdroit acts uniformly in [-1, 1] from rng.Derive(seed, "datagen",
// "adroit", "random", k) in episode k.
func randomAdroit(c Config) func(e *mujoco.Env) (adroitPolicy, error) {
	return func(*mujoco.Env) (adroitPolicy, error) { return &randomActor{seed: c.Seed}, nil }
}

type randomActor struct {
	seed uint64
	s    *rng.Stream
}

func (a *randomActor) begin(k int) {
	a.s = rng.Derive(a.seed, "datagen", "adroit", "random", strconv.Itoa(k))
}

func (a *randomActor) act(_, act []float32) error {
	for j := range act {
		act[j] = float32(2*a.s.Float64() - 1)
	}
	return nil
}

func (a *randomActor) close() {}
