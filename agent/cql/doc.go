// Package cql is Conservative Q-Learning (Kumar et al. 2020), the CQL(H)
// variant on top of SAC with the importance-sampled log-sum-exp, in the form
// and with the defaults of CORL's algorithms/finetune/cql.py. It also holds
// the update of Cal-QL (Nakamoto et al. 2023), which differs from CQL in one
// line and is built by NewCalibrated; package calql is Cal-QL's entry point.
//
// The whole update rule is in cql.go, read top to bottom; its header gives
// the loss equations and lists every deviation from CORL. Twin critics are
// one two-member ensemble network, and every Q-value of the conservative
// term (the data action and N random, N current-policy and N next-policy
// actions per state) comes from one batched ensemble forward pass. Typical
// use:
//
//	a, err := cql.New(obsDim, actDim, cql.Config{}, seed)
//	...
//	metrics := a.Update(batch)          // one gradient step on a replay.Batch
//	a.Act(obs, act, true)               // evaluate; act in [-1, 1]
//	model, opt, rngs, err := a.State()  // for a checkpoint.Checkpoint
//
// Update and batch-1 Act do not allocate once warm. All randomness comes
// from streams derived from the seed given to New: network initialisation,
// acting and update sampling are separate, so acting between updates does
// not change the updates.
package cql
