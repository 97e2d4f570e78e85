// Package sac is Soft Actor-Critic with automatic entropy tuning (Haarnoja
// et al. 2018, "Soft Actor-Critic Algorithms and Applications"), with twin
// critics as one two-member ensemble network, a tanh-squashed Gaussian
// policy with actions in [-1, 1], and an optional behaviour-cloning KL term
// towards a frozen reference policy (BDWM's offline→online regulariser).
//
// The whole update rule is in sac.go, read top to bottom; its header lists
// every deviation from the paper. Typical use:
//
//	a, err := sac.New(obsDim, actDim, sac.Config{}, seed)
//	...
//	a.Act(obs, act, false)          // explore; act in [-1, 1]
//	metrics := a.Update(batch)      // one gradient step on a replay.Batch
//	model, opt, rngs, err := a.State()  // for a checkpoint.Checkpoint
//
// Update and batch-1 Act do not allocate once warm. All randomness comes
// from streams derived from the seed given to New: network initialisation,
// acting ("sac/act") and update sampling ("sac/update") are separate, so
// acting between updates does not change the updates.
package sac
