package optim

import (
	"fmt"
	"math"
	"slices"

	"github.com/dwm-rl/dwm/internal/blas"
	"github.com/dwm-rl/dwm/nn"
)

// AdamConfig holds Adam's hyperparameters. Zero fields take the defaults of
// torch.optim.Adam (lr 1e-3, betas (0.9, 0.999), eps 1e-8); a zero
// WeightDecay means none. Because zero means default, a β of exactly 0 cannot
// be requested; use a tiny positive value.
type AdamConfig struct {
	LR          float32
	Beta1       float32
	Beta2       float32
	Eps         float32
	WeightDecay float32
}

func (c AdamConfig) withDefaults() AdamConfig {
	if c.LR == 0 {
		c.LR = 1e-3 // torch.optim.Adam default
	}
	if c.Beta1 == 0 {
		c.Beta1 = 0.9 // torch.optim.Adam default
	}
	if c.Beta2 == 0 {
		c.Beta2 = 0.999 // torch.optim.Adam default
	}
	if c.Eps == 0 {
		c.Eps = 1e-8 // torch.optim.Adam default
	}
	return c
}

// Validate reports the first out-of-range field.
func (c AdamConfig) Validate() error {
	switch {
	case c.LR < 0 || isNaN(c.LR):
		return fmt.Errorf("AdamConfig.LR = %v: must be ≥ 0", c.LR)
	case c.Beta1 < 0 || c.Beta1 >= 1:
		return fmt.Errorf("AdamConfig.Beta1 = %v: must be in [0, 1)", c.Beta1)
	case c.Beta2 < 0 || c.Beta2 >= 1:
		return fmt.Errorf("AdamConfig.Beta2 = %v: must be in [0, 1)", c.Beta2)
	case c.Eps < 0:
		return fmt.Errorf("AdamConfig.Eps = %v: must be ≥ 0", c.Eps)
	case c.WeightDecay < 0:
		return fmt.Errorf("AdamConfig.WeightDecay = %v: must be ≥ 0", c.WeightDecay)
	}
	return nil
}

func isNaN(f float32) bool { return f != f }

// Adam is the Adam or AdamW optimiser over a fixed list of parameters.
type Adam struct {
	// LR is the learning rate used by the next Step; schedules set it.
	LR                       float32
	Beta1, Beta2, Eps, Decay float32
	// Decoupled selects AdamW's decoupled weight decay.
	Decoupled bool

	params []*nn.Param
	m, v   [][]float32
	step   int64
	chunks []chunk
	args   kernelArgs
}

// chunk is a piece of one parameter updated as one parallel work item.
type chunk struct{ p, lo, hi int }

// chunkSize is the number of values per parallel work item of Step.
const chunkSize = 1 << 15

// Run updates chunk i (Adam is a blas.Task over its chunks).
func (a *Adam) Run(i int) {
	c := a.chunks[i]
	adamUpdate(a.params[c.p].W[c.lo:c.hi], a.params[c.p].G[c.lo:c.hi], a.m[c.p][c.lo:c.hi], a.v[c.p][c.lo:c.hi], &a.args)
}

// NewAdam returns Adam (L2 weight decay added to the gradient, as
// torch.optim.Adam) over params. It panics if cfg.Validate fails.
func NewAdam(params []*nn.Param, cfg AdamConfig) *Adam { return newAdam(params, cfg, false) }

// NewAdamW returns AdamW (decoupled weight decay, as torch.optim.AdamW) over
// params. Note that torch.optim.AdamW's default decay is 0.01 while a zero
// WeightDecay here means none. It panics if cfg.Validate fails.
func NewAdamW(params []*nn.Param, cfg AdamConfig) *Adam { return newAdam(params, cfg, true) }

func newAdam(params []*nn.Param, cfg AdamConfig, decoupled bool) *Adam {
	if err := cfg.Validate(); err != nil {
		panic("optim.NewAdam: " + err.Error())
	}
	cfg = cfg.withDefaults()
	a := &Adam{LR: cfg.LR, Beta1: cfg.Beta1, Beta2: cfg.Beta2, Eps: cfg.Eps, Decay: cfg.WeightDecay, Decoupled: decoupled,
		params: slices.Clone(params)}
	a.m = make([][]float32, len(params))
	a.v = make([][]float32, len(params))
	for i, p := range params {
		a.m[i] = make([]float32, len(p.W))
		a.v[i] = make([]float32, len(p.W))
		for lo := 0; lo < len(p.W); lo += chunkSize {
			a.chunks = append(a.chunks, chunk{i, lo, min(lo+chunkSize, len(p.W))})
		}
	}
	return a
}

// Params returns the parameters the optimiser updates.
func (a *Adam) Params() []*nn.Param { return a.params }

// Steps returns the number of steps taken.
func (a *Adam) Steps() int64 { return a.step }

// Step applies one update to every parameter from its gradient. Gradients are
// not cleared.
func (a *Adam) Step() {
	a.step++
	t := float64(a.step)
	bc1 := 1 - math.Pow(float64(a.Beta1), t)
	bc2 := 1 - math.Pow(float64(a.Beta2), t)
	k := kernelArgs{
		b1: a.Beta1, b2: a.Beta2,
		stepSize: float32(float64(a.LR) / bc1),
		rbc2:     float32(1 / math.Sqrt(bc2)),
		eps:      a.Eps,
	}
	if a.Decoupled {
		k.shrink = 1 - a.LR*a.Decay
	} else {
		k.shrink = 1
		k.l2 = a.Decay
	}
	a.args = k
	threads := blas.Threads()
	if nn.NumParams(a.params) < 4*chunkSize {
		threads = 1
	}
	blas.ParallelFor(len(a.chunks), threads, a)
}

type kernelArgs struct {
	b1, b2, stepSize, rbc2, eps, shrink, l2 float32
}

// adamUpdateGo is the fused update in portable Go.
func adamUpdateGo(w, g, m, v []float32, k *kernelArgs) {
	g = g[:len(w)]
	m = m[:len(w)]
	v = v[:len(w)]
	b1, b2, c1, c2 := k.b1, k.b2, 1-k.b1, 1-k.b2
	for i := range w {
		wi := w[i] * k.shrink
		gi := g[i] + k.l2*wi
		mi := b1*m[i] + c1*gi
		vi := b2*v[i] + c2*gi*gi
		m[i], v[i] = mi, vi
		w[i] = wi - k.stepSize*mi/(float32(math.Sqrt(float64(vi)))*k.rbc2+k.eps)
	}
}

// State returns the step count and the first and second moments by
// parameter name, under the keys "m/"+name and "v/"+name. The slices share
// memory with the optimiser.
func (a *Adam) State() (step int64, tensors map[string]nn.Tensor) {
	tensors = make(map[string]nn.Tensor, 2*len(a.params))
	for i, p := range a.params {
		tensors["m/"+p.Name] = nn.Tensor{Shape: slices.Clone(p.Shape), Data: a.m[i]}
		tensors["v/"+p.Name] = nn.Tensor{Shape: slices.Clone(p.Shape), Data: a.v[i]}
	}
	return a.step, tensors
}

// SetState restores state saved by State. It returns an error naming the
// parameter if a moment is missing or has the wrong shape; the optimiser is
// unchanged on error.
func (a *Adam) SetState(step int64, tensors map[string]nn.Tensor) error {
	if step < 0 {
		return fmt.Errorf("optim: load Adam state: step %d is negative", step)
	}
	for _, p := range a.params {
		for _, key := range []string{"m/" + p.Name, "v/" + p.Name} {
			t, ok := tensors[key]
			if !ok {
				return fmt.Errorf("optim: load Adam state: %s missing", key)
			}
			if !slices.Equal(t.Shape, p.Shape) || len(t.Data) != len(p.W) {
				return fmt.Errorf("optim: load Adam state: %s has shape %v (%d values), want %v", key, t.Shape, len(t.Data), p.Shape)
			}
		}
	}
	for i, p := range a.params {
		copy(a.m[i], tensors["m/"+p.Name].Data)
		copy(a.v[i], tensors["v/"+p.Name].Data)
	}
	a.step = step
	return nil
}
