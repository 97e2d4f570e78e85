// Package diffusion is dwm's diffusion core: noise schedules, the forward
// process, training losses, samplers, classifier-free guidance, inpainting
// and progressive distillation, around any network that implements
// Denoiser (package diffusion/denoiser has a residual MLP and a temporal
// U-Net).
//
// # Notation
//
// A Schedule of T steps gives ᾱ_t for t = 0…T (ᾱ_0 = 1), α_t = √ᾱ_t and
// σ_t = √(1−ᾱ_t); the forward process is q(x_t | x_0) = N(α_t x_0, σ_t² I)
// (Schedule.Q). Schedules: Linear (Ho et al. 2020), Cosine (Nichol &
// Dhariwal 2021) and VP (Song et al. 2021). Networks see the continuous time
// t/T.
//
// # Parameterisations and losses
//
// A denoiser predicts ε (Eps), x_0 (X0) or v = α_t ε − σ_t x_0 (V,
// Salimans & Ho 2022). Prediction.Target gives the training target,
// Prediction.Split and Convert the conversions:
//
//	x_0 = (x_t − σ ε)/α,   ε = (x_t − α x_0)/σ,   x_0 = α x_t − σ v,   ε = σ x_t + α v
//
// Model.Loss is the simple loss E_{t,ε}‖f(x_t, t, c) − target‖² with t
// uniform on {1…T} (Ho et al. 2020), optional per-element weights, condition
// dropout for classifier-free guidance (Config.CondDrop) and known elements
// kept clean (Config.Known, Diffuser's inpainting). With K ensemble members
// each member's block of rows is its own minibatch and each member gets the
// gradient of its own mean loss (BDWM's Eq. 2, one member per block).
//
// # Sampling
//
// Model.NewSampler builds a Sampler from a SamplerConfig: DDPM's ancestral
// sampler (posterior variance β̃ or β, respaced on a subset of steps) or
// DDIM (Song, Meng & Ermon 2021, Eq. 12) on any increasing subset of steps,
// deterministic with η = 0:
//
//	x_{t'} = α_{t'} x̂_0 + √(1 − ᾱ_{t'} − s²) ε̂ + s z,   s = η √((1−ᾱ_{t'})/(1−ᾱ_t)) √(1 − ᾱ_t/ᾱ_{t'})
//
// Classifier-free guidance (Ho & Salimans 2022) combines the conditional and
// unconditional outputs as (1+w) f(x, c) − w f(x, ∅); the two evaluations
// run as one batch. Inpaint fixes known elements after every step. A
// Request asks for M samples from each of K members for each of B
// conditions in one pass; the output is laid out [K, M, B, D] (package
// uncertainty's layout), and after the first call no buffer is allocated.
//
// # Progressive distillation
//
// Distiller halves a v- (or x0-) prediction model's DDIM step count per
// stage (Salimans & Ho 2022): each student, initialised from its teacher,
// learns to match two teacher steps with one. The original teacher is kept.
//
// # Statistics
//
// MMD2 is the unbiased squared maximum mean discrepancy with a Gaussian
// kernel, used by the tests to compare samplers and by callers to compare a
// distilled student with its teacher.
//
// # Errors
//
// Configurations have Validate methods naming the field and value (a step
// count that does not divide T, a distillation target above the teacher's
// steps, …); Loss and Sample return errors for inputs that do not fit the
// denoiser (a condition of the wrong width). Denoisers panic on shape
// mismatches, which Model checks before calling them.
package diffusion
