// Package nn holds dwm's trainable parameters, layers, losses and
// distributions, each with a hand-written backward pass.
//
// # Parameters
//
// A Param is a named float32 array with its gradient (W, G) and shape. Names
// are slash paths ("critic/q0/l1/w"). ZeroGrad, Polyak (target networks),
// CopyParams, GradNorm/ClipGradNorm and CheckFinite (names the parameter and
// index of the first NaN/Inf) work on []*Param. StateDict / LoadStateDict
// give checkpoint writers named float32 slices with shapes and load them back
// with shape checks and errors naming the parameter.
//
// # Layers
//
// Layer is the contract every layer meets:
//
//	Forward(x) *tensor.Mat   caches what Backward needs; returns a layer-owned
//	                         buffer valid until the next Forward
//	Backward(dy) *tensor.Mat ADDS parameter gradients to Param.G and returns
//	                         dL/dx (layer-owned), or nil if NoInputGrad is set
//	Predict(dst, x)          inference into dst without touching the training
//	                         cache (target networks, acting); no allocations
//	                         once buffers have grown
//	Params() []*Param
//
// Batch size may change between calls; buffers grow and never shrink.
// A batch of 1-D signals (C channels of length L) is a B × (C·L) Mat,
// channel-major; Conv1d (kernel, padding, stride; weights [out, in, k]),
// ConvTranspose1d (weights [in, out, k]; K=4, stride 2, pad 1 doubles the
// length) and GroupNorm work on it, for the diffusion temporal U-Net.
// Layers: Linear (fused activation, weights [in, out], PyTorch's default
// initialisation), LayerNorm (optionally per ensemble member), MLP
// (NewMLP: sizes, hidden and output activations, optional LayerNorm),
// EnsembleLinear and NewEnsembleMLP (K members with a leading member axis:
// weights [K, in, out], input K blocks of B rows, members in parallel
// goroutines with one BLAS thread each), NewSequential (any layers in a
// chain) and Act (a bare activation). NoInputGrad on a layer or MLP skips the
// input gradient; leave it false to get dL/dx, e.g. dQ/da for SAC's actor
// loss from a critic fed [s, a] (tensor.ConcatCols / tensor.ColSlice).
//
// Parallelism: an MLP whose layers are all Linear or EnsembleLinear (what
// NewMLP and NewEnsembleMLP build without LayerNorm) trains data-parallel:
// MLP.Forward and MLP.Backward cut the batch into row parts (one per member;
// for an odd K the last member's rows in two halves, so two threads get
// equal work) and run each part through every layer on one goroutine, so a
// step hands work to the other core twice rather than about four times per
// layer. The cut depends only on K and the batch size, and a cut member's
// second-half gradients are added in a fixed order, so results are bitwise
// identical whatever the thread count (see mlp_dp.go). Other stacks run
// layer by layer: ensemble layers cut their work into items that balance over
// the blas.Threads() workers even for an odd K (forward: member × row half;
// backward: per member the weight-gradient and input-gradient products, or
// two column halves of the weight gradient), each item one single-threaded
// BLAS call; a Linear's backward runs its weight- and input-gradient
// products side by side. Results do not depend on the thread count beyond
// float32 rounding.
//
// # Why manual backward and no tape
//
// Every layer writes its own backward pass instead of recording operations
// on a tape. The networks dwm trains are short fixed stacks, so the manual
// form costs little code, and it buys: no allocation per step (every buffer
// is owned by its layer and reused); fusion (bias add + activation is one
// pass forward, activation derivative + bias gradient one pass backward, the
// first layer's input gradient is skipped); and predictable memory and time,
// with nothing retained between steps except the layer caches. The price is
// that each new layer needs a backward pass and a finite-difference test,
// which every layer here has.
//
// # Losses and distributions
//
// MSE and Huber (values and gradients, PyTorch's mean reduction),
// GaussianNLL (diagonal Gaussian negative log-likelihood with gradients for
// mean and log-std), DiagGaussianLogProb with its backward, and TanhGaussian,
// the tanh-squashed Gaussian of SAC: reparameterised sampling, log-probability
// with the stable tanh correction, and gradients for mean and log-std from
// upstream gradients on the action and the log-probability.
//
// Constructors and kernels panic on shape mismatches and invalid sizes
// (programmer errors); loading state returns errors.
package nn
