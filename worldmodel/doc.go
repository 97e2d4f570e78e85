// Package worldmodel holds dwm's learned dynamics models with ensemble
// uncertainty: BDWM's Bayesian diffusion world model (paper text in
// shared/papers/bdwm-uncertainty-guided-diffusion-world-models.txt,
// Section IV-A) and the MOPO-style Gaussian ensemble it is compared with.
//
// # What is modelled
//
// A model maps a state-action pair (s, a) to a distribution over the
// target x = (s' − s, r): the state change and the reward, each dimension
// standardized by a normalizer fitted on the training data (inputs [s, a]
// are standardized too). Whether a transition ends the episode comes from
// the task's known rule where it has one (the hopper and walker2d healthy
// conditions on the predicted next state, as MOPO's static termination
// functions; never for Pendulum and HalfCheetah) or from a learned
// classifier head p(done | s, a, x); Config.Termination names the rule and
// TerminationFor maps task ids to rules.
//
// # The diffusion ensemble (Kind Diffusion)
//
// A deterministic MLP encoder computes z = f_φ(s, a) and K conditional
// diffusion decoders p_θk(x | z) each denoise x (x0-prediction on a cosine
// schedule of T steps by default, chosen by measurement; Eq. 2's ε-loss
// and v-prediction by Config.Prediction).
// The K decoders are one member-axis residual MLP
// (diffusion/denoiser.ResMLP), so the K members train in one call and one
// sampling call draws all K·M·B samples ([K, M, B, D], package
// uncertainty's layout): M samples per member and input by deterministic
// DDIM from different initial noise, as the paper draws them.
//
// Encoder: per member by default. The paper trains its decoders
// "independently ... with different random initializations and mini-batch
// ordering, following the deep ensemble protocol". A shared encoder would
// receive every decoder's gradient, so the members would share one learned
// representation of (s, a) and their disagreement away from the data — the
// epistemic signal — would only come from the decoders. With one encoder
// per member (the default) each member is a whole independent network,
// trained on its own minibatches; Config.SharedEncoder restores the shared
// variant. Measured on the narrow-behaviour-policy task of the tests (same
// data, steps and seed): per-member encoders give AUROC 0.996 (shared
// 0.990), Spearman(σ_ep, one-step error) 0.62 (shared 0.41), and a mean
// σ_ep for random actions 3× larger than the shared variant's. The per-member encoders feed the decoders through one
// concatenated condition [z_1, …, z_K] in which member k's input weights on
// the other blocks are held at zero, so member k sees z_k only while the
// sampler prepares the conditions once for all members.
//
// Training (Model.Train) draws each member's minibatch with its own random
// stream from a replay.Sampler, and each member gets the gradient of its
// own loss (package diffusion's member blocks); Adam updates every value
// independently, so this is K independent trainings run together.
//
// # Uncertainty
//
// Model.Predict fills a Prediction with σ_ep (Eq. 3, the spread of the
// member means) and, on request, σ_al (Eq. 4, the mean within-member
// spread), computed by package uncertainty over the normalized samples:
// variances, as the equations define them, in normalized target units.
// With K = 1 σ_ep does not exist: it is reported as 0 and
// Prediction.EpistemicDefined is false. The predicted transition is one
// sample of a uniformly chosen member (or, with PredictOptions.MeanNext,
// that member's mean over its M samples).
//
// Model.Evaluate is the uncertainty-quality report on real transitions:
// one-step error of the ensemble mean, Spearman correlation between σ_ep
// and that error, and AUROC of σ_ep separating the dataset actions from
// uniform random actions at the same states.
//
// # The Gaussian ensemble (Kind Gaussian)
//
// K probabilistic MLPs (MOPO/MBPO: 7 members, four hidden layers of 200,
// 5 elites chosen by held-out error) each predict the mean and a soft-
// bounded log-variance of a diagonal Gaussian over x, trained by the
// Gaussian negative log-likelihood. Its samples are μ_k + σ_k·ε, so the
// same σ_ep and σ_al apply, and Prediction.Penalty is MOPO's reward
// penalty signal u(s, a) = max_k ‖σ_k(s, a)‖₂ in raw target units.
//
// # Files
//
// Save writes a fitted model (parameters, normalizers, elites, config) to
// one safetensors file; Load reads it back. State and SetState carry the
// optimizer and random streams too, for exact resume inside a training
// run.
package worldmodel
