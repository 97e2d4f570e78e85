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
// # Status
//
// Built: Planner (training, Eq. 4 extraction, transition model), Distill,
// Actor with Eq. 5's loss and ActorOptimizer, Laplace (Eq. 6–7), Aggregate,
// ShiftAware and SampleActions (Eq. 8). Not yet: the train-loop agent that
// ties them to an IQL critic (advantages A = Q − V for the weights), a
// learned feature layer (the actor's φ is the planner's normalised state),
// the "dual" algorithm in experiment/, Cal-QL and SO2 critics, baselines
// and ablation switches, and `dwm bench dual`.
//
// BenchmarkPlannerAct (batch 1, Horizon 4, Dim 16, 2 shared cores):
// 10-step teacher 2.3–2.7 ms per action, 5-step student 0.34–1.06 ms.
package dual
