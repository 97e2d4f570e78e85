// Package tensor holds dwm's dense float32 matrices and the
// destination-first kernels that training code is written with.
//
// A Mat is a row-major Rows×Cols matrix over a plain []float32. Batches are
// rows; a 1-D signal of C channels and length L is stored as one row of C*L
// values (channel-major), so a batch of them is a B×(C*L) Mat.
//
// # Buffers
//
// Kernels write into a destination given first (MatMul(dst, a, b, ...)) and
// never allocate once dst is large enough: Resize grows a Mat's backing slice
// only when its capacity is too small and otherwise reuses it, so a buffer
// that served a batch of 256 serves a batch of 1 without allocating. Kernels
// that produce a new shape (MatMul, Transpose, elementwise ops) resize dst
// themselves; accumulate variants (MatMulAcc, AddSumRows) need dst to have the
// right shape already. Unless a function says otherwise, dst must not share
// memory with its inputs, except that elementwise kernels accept dst == a.
//
// # Kernels
//
//   - MatMul, MatMulAcc: matrix products through internal/blas (OpenBLAS).
//   - AddRowVec (bias add), SumRows / AddSumRows (bias gradient).
//   - ConcatCols, ColSlice: build [state, action] inputs and cut dQ/da out of
//     an input gradient.
//   - Add, Sub, Mul, Scale, AddScaled, Fill: elementwise.
//   - Activation functions Identity, ReLU, SiLU, Mish, Tanh, Sigmoid with
//     fused kernels: BiasAct (z += bias; y = f(z) in one pass) and
//     ActBackward (dz = dy ⊙ f'(z), optionally also summing dz's rows into a
//     bias gradient, in one pass).
//   - Exp, ExpTo: a fast float32 exp (range reduction plus polynomial, max
//     relative error about 2e-7 over [-87, 88]) written so it vectorises.
//
// The elementwise kernels have two implementations with identical results up
// to float32 rounding: portable Go loops, and (when cgo is enabled and the
// purego build tag is not set) C loops compiled with GCC's auto-vectoriser and
// function multi-versioning for AVX-512/AVX2. Native reports which is in use.
// BiasAct and ActBackward split large matrices (≥ 32768 values) into column
// blocks run on blas.Threads() goroutines; column blocks keep each block's
// bias gradient private, so results do not depend on the thread count.
//
// # Errors
//
// Kernels panic if the shapes of their arguments do not fit together: a shape
// mismatch is a programmer error, never a consequence of user input. The panic
// message names the kernel and both shapes.
package tensor
