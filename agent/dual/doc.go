// Package dual is DUAL (Efficient and Uncertainty-Aware Diffusion Framework
// for Offline-to-Online RL): a Diffuser-style trajectory planner whose first
// action is the policy, distilled to a few sampling steps, a Gaussian actor
// around it trained by advantage-weighted MAP, and a last-layer Laplace
// posterior over that actor for epistemic exploration.
//
// # Reconstructed equations
//
// The paper's text lost its formula symbols; these are reconstructed from
// the surrounding text and the cited works (Diffuser, Janner et al. 2022;
// progressive distillation, Salimans & Ho 2022; AWR/IQL advantage
// weighting, Peng et al. 2019 and Kostrikov et al. 2022; last-layer Laplace,
// Daxberger et al. 2021).
//
// Eq. 2 (trajectory as an image, Diffuser): with horizon H,
//
//	τ = [ s_0 s_1 … s_{H−1} ; a_0 a_1 … a_{H−1} ]  (here stored row-major as
//	    H rows (s_h, a_h), normalised per dimension to zero mean, unit variance)
//
// Eq. 3 (simple ELBO loss, Ho et al. 2020) on segments τ^0 of the offline
// data, with the current state kept clean (Diffuser's inpainting) and the
// first action weighted by w_a = 10 (Diffuser's action_weight); this package
// uses the x_0-parameterisation so the model can be progressively distilled:
//
//	L(θ) = E_{t∼U{1..T}, ε∼N(0,I)} Σ_j w_j ‖x̂_θ(√ᾱ_t τ^0 + √(1−ᾱ_t) ε, t)_j − τ^0_j‖²
//
// Thm 3.1 / Eq. 4 (policy extraction, Lin et al. 2023): the policy is the
// marginal of the first action under the planner conditioned on s_0 = s,
//
//	π_θ(a | s) = ∫ p_θ(τ^0 | s_0 = s) δ(a − a_0(τ^0)) dτ^0,   a = a_0 of τ^0 ∼ p_θ(· | s_0 = s)
//
// and the transition model read from the same sample is ŝ' = s_1(τ^0)
// (Planner.Act).
//
// Progressive distillation (Salimans & Ho 2022, Algorithm 2): a student
// initialised from its teacher learns to match two teacher DDIM steps
// (t → t−1 → t−2 on the teacher's grid of N steps) with one (diffusion.Distiller); N halves per stage.
// With x_0-students the per-stage loss is
//
//	L(η) = E_{t, ε} (1 + SNR_t) ‖x̂_η(z_t, t) − x̃‖²,
//	x̃ = (z_{t−2} − (σ_{t−2}/σ_t) z_t) / (α_{t−2} − (σ_{t−2}/σ_t) α_t)
//
// where z_{t−2} is two teacher DDIM steps from z_t (Planner.Distill;
// Planner.ActDistilled plans with the student, Act with the kept teacher).
//
// Eq. 5 (actor: advantage-weighted MAP, AWR/IQL weights, uniform prior over
// the action box [l, h]): with π_W(a | s) = N(μ_W(s), diag σ_W(s)²),
// μ_W(s) = μ_plan(s) + W_μ φ̃(s), log σ_W(s) = W_σ φ̃(s) (Actor),
//
//	L(W) = −(1/B) Σ_i exp(β·A(s_i, a_i)) log π_W(a_i | s_i) − log p(a),   p(a) = Π_j 1/(h_j − l_j)
//
// with the weight clipped at 100 as IQL does (AdvantageWeights). The
// uniform prior is constant in W: it shifts the loss by Σ_j log(h_j − l_j)
// (LogBoxVolume) and adds nothing to the gradient. Actor.Loss documents the
// gradient, checked by finite differences.
//
// Eq. 6 (last-layer Laplace under the actor loss, not the diffusion ELBO:
// Remark 3.3): the "last layer" is the actor head W (both the mean
// correction W_μ and the log-σ rows W_σ; the planner and the features φ are
// fixed). With the loss summed (not averaged) over the data D,
//
//	p(W | D) ≈ N(Ŵ, Λ⁻¹),   Λ = ∇²_W Σ_i w_i (−log π_W(a_i | s_i))|_Ŵ + λ I
//
// Because μ and log σ are linear in W, ∇²_W = Σ_i w_i (H_i ⊗ φ̃_i φ̃_iᵀ)
// exactly, with H_i the 2 × 2 curvature in (μ_j, ℓ_j) per action dimension
// j (block-diagonal over j). Exact: H = e^{−2ℓ} [[1, 2r], [2r, 2r²]],
// indefinite when r ≠ 0; GGN (default): H = diag(e^{−2ℓ}, 2), the Gaussian's
// Fisher. λ is the prior precision (required, > 0). A non-positive-definite
// block is damped by the smallest δ = 10^k λ (k = −6, −5, …) that makes it
// factorisable, and δ is reported (Laplace.Damping, Laplace.Damped).
//
// Eq. 7 (Monte-Carlo sub-policies and their aggregate): W^k ∼ N(Ŵ, Λ⁻¹),
// k = 1…N (Laplace.Sample), π^k = N(μ^k(s), σ^k(s)²), and the agent samples
// from the moment-matched ensemble (Aggregate)
//
//	μ̄(s) = (1/N) Σ_k μ^k(s),   σ̄²(s) = (1/N) Σ_k σ^k(s)² + (1/N) Σ_k (μ^k(s) − μ̄(s))²
//
// Eq. 8 (shift awareness): with ŝ' the next state the planner predicted at
// the previous step (Planner.Act's next, the transition model read from the
// sampled trajectory's second row) and s' the state actually observed,
//
//	a ∼ N(μ̄(s), σ̄²(s) + κ ‖ŝ' − s'‖²),   κ = 0.5 by default
//
// (ShiftAware, SampleActions; κ ∈ {0, 0.1, 0.25, 0.5, 0.75, 1} in the
// paper's Appendix B.2 ablation, κ = 0 being "w/o shift-aware"). Actions are
// clipped to the action box.
//
// # The agent (Agent, a train.Agent)
//
// Schedule (Alg. 1 fitted into train.Loop's updates). Offline, every update
// trains the critic on the loop's batch; the first PlannerFraction (0.5) of
// Config.OfflineSteps updates also take one planner step (Eq. 3); the next
// update distils the planner once (Distill, 20 → 10 → 5 steps by default)
// and from then on each update takes one Adam step of Eq. 5 on the first
// ActorBatch rows of the batch, with μ_plan from the distilled planner and
// weights exp(β·A) from the critic. At the switch (OnSwitch →
// StartOnline, or the first exploring Act) the Laplace posterior is formed
// and N sub-policies drawn. Online, each update also fine-tunes the acting
// planner (the student after distillation: Planner.FineTuneStep, Eq. 3 on
// segments half from the online episodes, Planner.SetOnline) so that its
// transition model follows a shift, and the posterior is refit every
// RefitEvery updates. Exploring actions are Eq. 8 draws; deterministic
// actions (evaluation) are the MAP actor's mean μ_plan(s) + Ŵ_μ φ̃(s)
// with μ_plan sampled from the planner on a separate evaluation stream.
//
// Choices not fixed by the paper (all dwm's, documented on Config):
//   - φ(s) is the planner's normalised state (mean and standard deviation
//     of the dataset's observations and next observations, floored at
//     1e-3), clipped to ±10 (FeatureClip): a FrozenLake cell the data never
//     visits would otherwise give a feature of 1000.
//   - log σ is clamped to [−5, 2] where it is used (CleanRL's SAC bounds;
//     the loss is flat outside): on nearly deterministic data Eq. 5 drives
//     it to −∞ and e^{−2ℓ} overflows the precision.
//   - Eq. 6's data D is the last LaplaceRows (2048) actor rows (features,
//     μ_plan, actions, weights), kept from the actor steps, not the whole
//     replay buffer: no extra planner calls.
//   - ŝ' (Eq. 8) is s_1 of the same planner sample whose a_0 is μ_plan;
//     the shift term is reset to 0 at an episode's start. The executed
//     action differs from a_0 by the policy's noise, so ‖ŝ' − s'‖² is not
//     0 even without a shift.
//   - Planner segments from episodes that end in a true terminal are padded
//     past the end with the terminal state and a zero action (Diffuser's
//     use_padding); timed-out episodes are not.
//
// Critics. IQL (default): A = min_k Q̄_k(s, a) − V(s) from package iql's
// networks, read through their parameters (iql.Agent.Params) into networks
// of the same shapes, with a mirror of IQL's target critics moved by the
// same Polyak step (IQL does not export them). Cal-QL: A = min_k Q_k(s, a)
// − min_k Q_k(s, π(s)), π(s) Cal-QL's own actor mean; experiment gives it
// buffers with Monte-Carlo returns as for calql runs. The critic package's
// Update also trains its own actor, which is the "w/o planner" mean. SO2
// (so2.go, no package of its own exists): an ensemble of N = 10 critics
// trained towards r + γ(1 − d) min_k Q̄_k(s', ã'), ã' = clip(π̄(s') +
// clip(N(0, 0.2²), ±0.5), ±1) (TD3's target smoothing, SO2's perturbed
// value update), with UTD = 10 critic updates per online update (one
// offline); its target actor π is TD3+BC's (tanh MLP, loss −λ·mean_k Q_k(s,
// π(s)) + ‖π(s) − a‖², λ = 2.5/mean|Q|), and A = mean_k Q_k(s, a) −
// mean_k Q_k(s, π(s)). OFF2ON's balanced replay is not built (the loop's
// buffer.mix chooses the sampling).
//
// Ablations (Table 4): NoPlanner (μ from the critic package's MLP actor;
// the planner still gives ŝ'), NoDistill (plan with the teacher),
// NoEpistemic (sample from the MAP actor alone), NoShiftAware (κ = 0).
//
// Fig. 3(c)'s uncertainty variants (Config.Uncertainty; the actor, its
// training and Eq. 8 are unchanged, only Eq. 7's sub-policies differ):
//
//   - "laplace" (default): Eq. 6–7 above.
//
//   - "latent" ("Ours w sampling"): N initial noises x_T^k ~ N(0, I) per
//     state, each denoised by the acting planner (Planner.ActSamples,
//     one Sample call with M = N); sub-policy k is
//     N(a_0^k(s) + Ŵ_μ φ̃(s), σ_Ŵ(s)²), aggregated by AggregatePlans:
//     μ̄ = mean_k a_0^k + Ŵ_μ φ̃, σ̄² = σ_Ŵ² + var_k a_0^k. ŝ' is sample 0's
//     s_1 (distributed as the default's single plan).
//
//   - "elbo_laplace" (Remark 3.3's alternative, BayesDiff/DiffUQ-style):
//     the "last layer" is the acting planner denoiser's output layer, the
//     1×1 convolution final/out of the temporal U-Net (weights C × Dim,
//     bias C, C = obsDim + actDim channels; the student after distillation,
//     else the EMA teacher). With g_h ∈ R^Dim its input at trajectory row h
//     (Mish(GroupNorm(conv(·))) of the final block), the output
//     x̂_{h,c} = W[c]·g_h + b_c is linear in θ_c = (W[c], b_c), and Eq. 3's
//     summed loss Σ_i Σ_{h,c} w_{h,c} (x̂_{h,c} − τ⁰_{h,c})² (w = 10 on the
//     first action, 1 elsewhere) is quadratic in it, so its Hessian is
//     exact, equal to its GGN, and block-diagonal over channels:
//
//     Λ_c = Σ_i Σ_h 2 w_{h,c} g̃_{i,h} g̃_{i,h}ᵀ + λ I,   g̃ = (g, 1)
//
//     over LaplaceRows segments from the planner's training mix, each with
//     one draw of t ~ U{1..T}, ε ~ N(0, I) and x_t formed as in training
//     (Planner.FitELBOLaplace; g is read by probing the output layer of a
//     scratch copy with 0/1 selector weights, lastLayerInputs). This is
//     the reading of Eq. 3 as a Gaussian log-likelihood with variance
//     1/(2w) that Remark 3.3 calls unprincipled. N deviations
//     Δ^k ~ N(0, Λ⁻¹) are drawn at each refit; an exploring action plans
//     with the acting planner's last layer moved by each Δ^k (on a scratch
//     copy, so the deviations follow the planner's online fine-tuning),
//     all N plans from the same initial noise so their spread is the
//     posterior's alone (Planner.ActPerturbed), then AggregatePlans as for
//     "latent"; ŝ' comes from the unperturbed plan.
//
// Measured (TestVariantSpreads, shared pendulum planner, first-action
// variance across 12 sub-policies, dataset states vs 3× the data's largest
// angular velocity), 10-step teacher: latent 0.048 → 0.00053 (0.011×;
// seed 30: 0.008×), ELBO-Laplace 0.0021 → 0.00054 (0.26×; 0.27×); 5-step
// student: latent 0.025× and 0.018×, ELBO-Laplace 0.39× and 0.40×; against the actor-loss
// Laplace's 12× increase (TestLaplaceSpreadsOffPendulumData). Neither
// alternative spreads more off the data, as the paper's argument predicts:
// latent sampling measures the behaviour data's action spread, and the
// ELBO posterior is fitted to trajectory regression, not to the policy.
//
// Diffuser baseline (Config.Policy = "diffuser"): the action is the first
// action of a trajectory sampled from the undistilled planner (Eq. 4) with
// no actor, critic, posterior or shift term; the planner trains on every
// offline update and is fine-tuned online like DUAL's. Diffuser's
// return-gradient guidance is not built (unguided planner).
//
// State and SetState save everything (critic agent under "base/", planner
// with EMA, optimisers and student, the float64 actor and sub-policies
// exactly, the Laplace rows, the online episodes, counters and random
// streams): a restored agent continues bit for bit (TestAgentStateRoundTrip,
// experiment's TestDualResume).
//
// # Status
//
// Built: Planner (training, Eq. 4 extraction, transition model, online
// fine-tuning), Distill, Actor with Eq. 5's loss and ActorOptimizer,
// Laplace (Eq. 6–7), Aggregate, ShiftAware and SampleActions (Eq. 8), the
// Agent with IQL, Cal-QL and SO2 critics and the four ablations, the
// Fig. 3(c) variants (latent sampling, ELBO-Laplace), Diffuser as a
// planner-policy, and `dwm train dual` (package experiment; Diff-QL is
// package diffql). Not yet: OFF2ON's balanced replay, a learned feature
// layer, Diffuser's value guidance, "Diff-QL w LA" (Fig. 3(c)), and the
// MuJoCo/maze benchmark runs.
//
// Measured (tests, fixed seeds): FrozenLake, data without slip, online
// slip 2/3 after 200 steps: mean ‖ŝ' − s'‖² 0.31 before the change, 1.12
// in the 200 steps after, 0.90 in the last 200 of 1000 (seeds 4 and 7:
// 1.5× / 0.94× and 1.4× / 0.90×). Pendulum after 300 offline updates:
// sub-policy mean variance 0.001 on dataset states, 0.014 at 3× the data's
// largest velocity (14×).
//
// BenchmarkPlannerAct (batch 1, Horizon 4, Dim 16, 2 shared cores):
// 10-step teacher 1.2–2.7 ms per action, 5-step student 0.34–1.06 ms.
// BenchmarkAgentAct (whole online action, Horizon 8, 20 steps, N = 10):
// distilled to 5 steps 0.36 ms, teacher 6.4 ms (shared machine). Later
// run (go test ./agent/dual -run XXX -bench BenchmarkAgentAct -benchtime
// 200x, shared machine, noisy): distilled 0.78 ms, teacher 1.9 ms, latent
// (N = 10 latents, distilled) 3.5 ms, elbo_laplace (1 + 10 plans) 7.7 ms,
// diffuser (teacher) 4.4 ms.
package dual
