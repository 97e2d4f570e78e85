// Package iql is Implicit Q-Learning (Kostrikov, Nair & Levine 2022,
// "Offline Reinforcement Learning with Implicit Q-Learning"): a state value
// V fitted by expectile regression to the target critics' Q(s, a) on dataset
// actions, critics fitted to r + γV(s'), and a policy extracted by
// advantage-weighted regression. It never queries Q at actions outside the
// data, which makes it a standard offline→online baseline.
//
// The whole update rule is in iql.go, read top to bottom; its header lists
// every deviation from CORL's algorithms/finetune/iql.py, whose defaults the
// Config takes. Typical use:
//
//	a, err := iql.New(obsDim, actDim, iql.Config{ScheduleSteps: offlineSteps}, seed)
//	err = a.FitStateNorm(d.Observations)   // CORL's state normalisation
//	metrics := a.Update(batch)              // one update on a replay.Batch
//	a.Act(obs, act, false)                  // sample the Gaussian policy
//
// Observations are passed raw everywhere (batches, Act); the agent applies
// its state normaliser itself, so offline data, online data and evaluation
// see the same statistics and a checkpoint carries them.
//
// Update and batch-1 Act do not allocate once warm. The update itself draws
// no random numbers; acting uses the stream "iql/act" derived from the seed
// given to New.
package iql
