// Package awac is Advantage-Weighted Actor-Critic (Nair, Gupta, Dalal &
// Levine 2020, "AWAC: Accelerating Online Reinforcement Learning with
// Offline Datasets"): twin critics trained by TD on the policy's own
// actions, and a Gaussian policy trained by advantage-weighted maximum
// likelihood of the data's actions, the same update offline and online.
//
// The whole update rule is in awac.go, read top to bottom; its header lists
// every deviation from CORL's algorithms/finetune/awac.py, whose defaults
// the Config takes. Typical use:
//
//	a, err := awac.New(obsDim, actDim, awac.Config{}, seed)
//	err = a.FitStateNorm(d.Observations)   // CORL's state normalisation
//	metrics := a.Update(batch)              // one update on a replay.Batch
//	a.Act(obs, act, false)                  // sample the Gaussian policy
//
// Observations are passed raw everywhere (batches, Act); the agent applies
// its state normaliser itself, so offline data, online data and evaluation
// see the same statistics and a checkpoint carries them.
//
// Update and batch-1 Act do not allocate once warm. Randomness comes from
// streams derived from the seed given to New: initialisation, acting
// ("awac/act") and update sampling ("awac/update") are separate.
package awac
