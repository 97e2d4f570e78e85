package diffusion

import (
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/tensor"
)

// Denoiser is a network f(x_t, t, c) whose output a Model reads as ε, x_0 or
// v (Model.Prediction). Package diffusion/denoiser has a residual MLP and a
// temporal U-Net.
//
// # Members and rows
//
// A denoiser may hold K independent networks (Members, an ensemble with a
// leading member axis). Every batch it sees is K equal blocks of rows, block
// k for member k; rows are samples of Dim values. Conditions are rows of
// CondDim values (CondDim 0: unconditional; cond is then nil).
//
// keep[i] ∈ {0, 1} says whether row i sees its condition (1) or the learned
// "no condition" input (0) used by classifier-free guidance; a nil keep
// means all ones. Times t are continuous, t = step/T ∈ [0, 1].
//
// # Training and sampling paths
//
// Forward/Backward are the training path (per-row times and conditions).
// SetCond/Step are the sampling path: SetCond fixes a list of B'
// conditions once per sampling call (the denoiser may precompute everything
// that depends only on them, e.g. the condition's share of the first layer),
// and Step evaluates all rows at one shared time, row r of each member block
// using prepared condition r mod B'. Step's result must equal Forward's for
// the same inputs up to float32 rounding, and Step must not disturb what
// Forward cached for Backward.
//
// In BDWM's use the K members share the conditions (one encoder output z per
// state-action pair); Sampler feeds every member the same B conditions.
type Denoiser interface {
	// Members returns K.
	Members() int
	// Dim returns the width of a data row.
	Dim() int
	// CondDim returns the width of a condition row (0: unconditional).
	CondDim() int
	// Params returns the trainable parameters.
	Params() []*nn.Param
	// Forward returns the network output for x (K blocks of rows) at
	// per-row times t and conditions cond (same rows as x, or nil if
	// CondDim is 0) in a denoiser-owned buffer valid until the next
	// Forward, caching what Backward needs. It panics on mismatched shapes.
	Forward(x *tensor.Mat, t []float32, cond *tensor.Mat, keep []float32) *tensor.Mat
	// Backward adds the parameter gradients for output gradient dy and
	// returns the gradient with respect to the condition of the last
	// Forward (denoiser-owned; nil if CondDim is 0).
	Backward(dy *tensor.Mat) *tensor.Mat
	// SetCond prepares B' = cond.Rows conditions (nil cond: one
	// unconditional input) for Step. It panics on a wrong width or a keep
	// of the wrong length.
	SetCond(cond *tensor.Mat, keep []float32)
	// Step sets dst (resized) to the output for x at time t for every row,
	// using the prepared conditions. It panics if x's rows are not K blocks.
	Step(dst, x *tensor.Mat, t float32)
}
