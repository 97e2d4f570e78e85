// Package eval runs evaluation episodes of a policy on batched environments
// and reports raw and normalized returns and the success rate.
//
// An evaluation of E episodes steps E copies of the env in parallel (an
// env.Vector), each copy running exactly one episode from its own seed, so
// the result does not favour short episodes (as stopping at the first E
// finished episodes of fewer copies would) and does not depend on
// scheduling. Multi-seed aggregation (IQM, bootstrap CIs, dips,
// steps-to-threshold) lives in eval/stats.
//
// # Success rate
//
// Envs report success per step (env.Result.Success). An episode counts as a
// success when more than N of its steps do, N being the env's rule
// (SuccessStepsFor, overridable with Evaluator.SetSuccessSteps): N = 0, any
// successful step, for goal-reaching tasks such as AntMaze (Gymnasium-
// Robotics reports a goal once reached); for the Adroit tasks D4RL's and
// DAPG's evaluate_success rule, more than 20 of 100 steps for pen and more
// than 25 of 200 for door, hammer and relocate, so that touching the goal
// for a moment does not count. (Gymnasium-Robotics' Adroit v1 envs report
// only the per-step flag and leave the episode rule to the user; dwm uses
// D4RL's, whose datasets and scores the papers compare against.)
package eval
