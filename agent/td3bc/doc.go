// Package td3bc is TD3+BC (Fujimoto & Gu 2021, "A Minimalist Approach to
// Offline Reinforcement Learning"): TD3 with a behaviour-cloning term in the
// actor loss whose Q part is normalised by the batch's mean |Q|. Twin
// critics are one two-member ensemble network; the deterministic actor ends
// in tanh, so actions are in [-1, 1].
//
// The whole update rule is in td3bc.go, read top to bottom; its header lists
// every deviation from CORL's algorithms/offline/td3_bc.py, whose defaults
// the Config takes. Typical use:
//
//	a, err := td3bc.New(obsDim, actDim, td3bc.Config{}, seed)
//	err = a.FitStateNorm(d.Observations)   // CORL's state normalisation
//	metrics := a.Update(batch)              // one update on a replay.Batch
//	a.Act(obs, act, false)                  // explore: actor + N(0, 0.1²)
//
// Observations are passed raw everywhere (batches, Act); the agent applies
// its state normaliser itself, so offline data, online data and evaluation
// see the same statistics and a checkpoint carries them.
//
// Update and batch-1 Act do not allocate once warm. Randomness comes from
// streams derived from the seed given to New: initialisation, acting
// ("td3bc/act") and update noise ("td3bc/update") are separate.
package td3bc
