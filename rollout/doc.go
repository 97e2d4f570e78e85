// Package rollout generates imagined transitions: short rollouts of the
// current policy inside a learned world model, started from real states,
// screened by the model's epistemic uncertainty and written to a replay
// buffer — BDWM's uncertainty-penalized imagination buffer D_imag (paper
// text in shared/papers/bdwm-uncertainty-guided-diffusion-world-models.txt,
// Section IV-B) and, with the filter off and MOPO's reward penalty on, the
// model-based baselines' rollouts.
//
// A Runner advances all rollouts of a batch together: each step is one
// policy call and one batched Model.Predict for the rollouts still
// running. A transition is rejected when its σ_ep exceeds the threshold η
// (strictly, as uncertainty.RejectTo: σ_ep = η is kept; a NaN σ_ep is
// rejected); the rollout then stops, or, with OnReject Absorb, an
// absorbing terminal (reward 0 by default, Config.AbsorbReward) is written
// in its place first (the paper's two options). Non-finite predictions are always rejected.
// Predicted terminals end a rollout after being written. Stats counts
// attempted, accepted and rejected transitions; RejectRate is the
// reported rejection rate (uncertainty/reject_rate).
//
// The Policy and Model interfaces are defined here: train.Agent and
// agent/sac satisfy Policy, *worldmodel.Model satisfies Model.
package rollout
