// Package calql is Cal-QL (Nakamoto et al. 2023): CQL whose conservative
// term lower-bounds the policy-action Q-values by the Monte-Carlo return of
// the data, with the defaults of CORL's algorithms/finetune/cal_ql.py.
//
// The one changed equation and where the Monte-Carlo returns come from are
// in calql.go's header; the update itself is package cql's (built by
// cql.NewCalibrated), read top to bottom in cql.go. Typical offline→online
// use:
//
//	cfg := calql.Config{}
//	a, err := calql.New(obsDim, actDim, cfg, seed)
//	mc, err := cfg.MCReturns(data)                  // offline lower bounds
//	offline, err := replay.FromDataset(data, 0, mc)
//	online, err := replay.New(size, obsDim, actDim, true)
//	mix, err := replay.NewMixed(online, offline, 0.5) // 50/50 symmetric sampling
//	track, err := cfg.OnlineMC(online)
//	// after each online transition is stored: track.Step(terminated, truncated)
//
// Batches must carry the MC column (replay.NewBatch(n, obsDim, actDim, true)).
package calql
