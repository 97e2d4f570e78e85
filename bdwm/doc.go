// Package bdwm is dwm's headline method: BDWM, the Bayesian Diffusion
// World Model for offline-to-online reinforcement learning (paper text in
// shared/papers/bdwm-uncertainty-guided-diffusion-world-models.txt,
// Algorithm 1), with its Table II ablations as configuration switches and
// the MOPO-style and DIAMOND-style baselines run through the same
// machinery.
//
// A Method owns the offline data D_off, the imagination buffer D_imag, the
// online buffer D_on and the world model (package worldmodel), and runs
// inside the ordinary train.Loop through its hooks:
//
//   - before the first update it fits the world model on D_off (or loads
//     one fitted with `dwm worldmodel fit`), sets η to the 90th percentile
//     of σ_ep over D_off and writes the uncertainty-quality report;
//   - every RolloutEvery updates (offline) or env steps (online) it rolls
//     the current policy out in the model from real states (package
//     rollout), ending them at σ_ep > η — in a zero-reward absorbing
//     terminal where rewards are non-negative, by stopping where they are
//     costs (Config.OnReject) — into D_imag;
//   - offline batches mix D_off and D_imag at RealRatio;
//   - at the switch it freezes π_offline for the behaviour-cloning term;
//   - online, every SigmaEvery steps it averages σ_ep over the most recent
//     online transitions (σ̄_ep), tracks σ_max over the first episodes and
//     sets λ = max(λ_min, 1 − σ̄_ep/σ_max) (Eq. 5), the D_on share of each
//     online batch (the rest from D_imag); w_BC falls linearly from w_0 to
//     0 over N_BC steps (Eq. 6); the world model keeps training on D_on.
//
// Every update's metrics carry train/lambda, train/w_bc,
// uncertainty/sigma_ep (σ̄_ep), uncertainty/reject_rate, model/one_step_mse,
// uncertainty/spearman and uncertainty/auroc (the latest values), so every
// logged step of a run has them.
//
// # Reading the paper
//
// Where the paper is open or inconsistent, this package takes a documented
// reading (see Config for each default's reason):
//
//   - Eq. 5 as written makes λ — the real-data share — fall to λ_min when
//     σ̄_ep is high, while the text says that high uncertainty should shift
//     the batch towards real data. The equation is implemented as written
//     (the brief and Algorithm 1 give it); with it, the early online phase
//     relies on imagination (D_on is still tiny) and real data takes over
//     as the model becomes confident on the online states.
//   - "No uncertainty buffer (fixed η = 0)" is the filter switched off
//     (Config.NoFilter), see the field.
//   - "Only epistemic uncertainty (no aleatoric)" keeps the buffer and
//     scheduler (which use σ_ep only) and removes the aleatoric
//     variability from the imagined transitions (Config.EpistemicOnly).
//   - K = 1 has no epistemic uncertainty: σ_ep is reported as 0 with
//     uncertainty/epistemic_defined = 0, η = 0 so nothing is rejected, and
//     λ stays at Config.Lambda because Eq. 5 is undefined.
//   - σ_max starts at the first σ̄_ep (the "initial uncertainty estimate")
//     and grows to the largest σ̄_ep of the first SigmaMaxEpisodes episodes.
//   - Online rollouts start from D_on's states (the paper only specifies
//     D_off for the offline phase).
//
// # Base learners
//
// Config.Learner chooses the base learner: SAC (the paper's default), IQL
// or Cal-QL (its options), each built by the composition root from its own
// config section with its usual defaults. Every learner sees the same
// batches: offline RealRatio from D_off and the rest from D_imag, online λ
// from D_on and 1 − λ from D_imag.
//
//   - Cal-QL's lower bounds: D_off's rows carry their Monte-Carlo returns
//     (Parts.OfflineMC), D_on's get theirs when each online episode ends
//     (Parts.OnlineMC), and imagined rows have no bound (−∞, which is what
//     a buffer without an MC column samples): an imagined transition is one
//     model step from a real state under the current policy, so no
//     behaviour-policy return from its state exists to bound by; the
//     alternatives are wrong in a known direction — the start state's MC
//     return belongs to the dataset's action, not the imagined one, and a
//     model-rollout return would be the very estimate the conservative
//     term distrusts. With −∞ Cal-QL's term is plain CQL on imagined rows,
//     which is the conservative choice for model data. Cal-QL's own online
//     α_cql starts at the switch (OnlineStarter).
//   - The BC term of Eq. 6 (KL(π_offline ‖ π)) exists only for SAC
//     (BCLearner). With IQL or Cal-QL, Config.Validate rejects a run that
//     leaves it on and asks for bdwm.no_bc=true: IQL's policy is trained by
//     advantage-weighted regression on data actions and has no entropy-
//     regularized actor loss to add a KL to, and implementing the KL for
//     either would change those agents' updates for this one method; both
//     are already regularized towards the data (IQL by construction,
//     Cal-QL by its conservative term), the role Eq. 6 plays for SAC.
//
// # Resume
//
// Hooks().State saves the world model with its optimizer and streams,
// D_imag, the recent-transition window and the scheduler's state, so a
// resumed run continues exactly as an uninterrupted one.
package bdwm
