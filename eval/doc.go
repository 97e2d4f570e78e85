// Package eval runs evaluation episodes of a policy on batched environments
// and reports raw and normalized returns.
//
// An evaluation of E episodes steps E copies of the env in parallel (an
// env.Vector), each copy running exactly one episode from its own seed, so
// the result does not favour short episodes (as stopping at the first E
// finished episodes of fewer copies would) and does not depend on
// scheduling. Multi-seed aggregation (IQM, bootstrap CIs, dips,
// steps-to-threshold) lives in eval/stats.
package eval
