package optim

import (
	"fmt"

	"github.com/dwm-rl/dwm/nn"
)

// EMA keeps an exponential moving average of parameters:
// shadow ← d·shadow + (1-d)·w after each Update. With Warmup set the decay
// used at update n is min(Decay, (1+n)/(10+n)), so early averages are not
// dominated by the random initialisation (the schedule of Ho et al.'s
// diffusion code and many successors).
type EMA struct {
	Decay  float32
	Warmup bool

	src     []*nn.Param
	shadow  []*nn.Param
	updates int64
}

// NewEMA returns an average initialised to the current values of params,
// with shadow parameters named "ema/"+name. It panics if decay is not in
// [0, 1].
func NewEMA(params []*nn.Param, decay float32, warmup bool) *EMA {
	if decay < 0 || decay > 1 {
		panic(fmt.Sprintf("optim.NewEMA: decay %v outside [0, 1]", decay))
	}
	e := &EMA{Decay: decay, Warmup: warmup, src: params}
	for _, p := range params {
		s := nn.NewParam("ema/"+p.Name, p.Shape...)
		copy(s.W, p.W)
		e.shadow = append(e.shadow, s)
	}
	return e
}

// Update moves the average towards the current parameter values.
func (e *EMA) Update() {
	d := e.Decay
	if e.Warmup {
		n := float32(e.updates)
		d = min(d, (1+n)/(10+n))
	}
	e.updates++
	nn.Polyak(e.shadow, e.src, 1-d)
}

// Params returns the shadow parameters (for evaluation or checkpoints).
func (e *EMA) Params() []*nn.Param { return e.shadow }

// Updates returns the number of updates so far (restore it with SetUpdates
// when loading a checkpoint with Warmup).
func (e *EMA) Updates() int64 { return e.updates }

// SetUpdates sets the update count used by the warm-up schedule.
func (e *EMA) SetUpdates(n int64) { e.updates = n }

// CopyTo copies the averaged values into dst (e.g. the model used for
// sampling). It panics if dst does not match the averaged parameters.
func (e *EMA) CopyTo(dst []*nn.Param) { nn.CopyParams(dst, e.shadow) }
