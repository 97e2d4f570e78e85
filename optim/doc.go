// Package optim updates nn parameters from their gradients: Adam and AdamW
// with PyTorch's semantics, learning-rate schedules, and an exponential
// moving average of parameters (for diffusion models).
//
// Adam (Kingma & Ba 2015) as torch.optim.Adam: with g the gradient (plus
// weightDecay·w for the L2-coupled Adam), m ← β1·m + (1-β1)·g,
// v ← β2·v + (1-β2)·g², and w ← w - lr/(1-β1ᵗ) · m / (√v/√(1-β2ᵗ) + ε) —
// bias-corrected, ε outside the square root. AdamW (Loshchilov & Hutter 2019)
// as torch.optim.AdamW: first w ← w·(1 - lr·weightDecay) (decoupled decay),
// then the Adam step on the raw gradient. Each parameter is updated in one
// fused pass over (w, g, m, v): AVX-512 or AVX2 code chosen at run time in
// the cgo build, portable Go otherwise (tag purego or CGO_ENABLED=0). Large
// parameter sets are updated in 32768-value chunks on blas.Threads()
// goroutines.
//
// Optimiser state (step count and the m and v arrays by parameter name) is
// exported by State and restored by SetState for checkpoints.
//
// Schedules are plain values with an At(step) method (Constant, Linear,
// Cosine with warm-up). EMA keeps a shadow copy of parameters updated as
// shadow ← d·shadow + (1-d)·w.
package optim
