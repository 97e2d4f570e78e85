// Package stats holds the evaluation statistics dwm reports for a method over
// tasks and seeds: mean and standard deviation, the interquartile mean and a
// stratified bootstrap confidence interval (as rliable recommends: Agarwal et
// al., "Deep Reinforcement Learning at the Edge of the Statistical Precipice",
// NeurIPS 2021) with rliable's other tools — the median and optimality-gap
// aggregates, the probability of improvement of one method over another and
// performance profiles (run-score distributions) with their bootstrap
// intervals — the last and the best point of a learning curve, the steps a
// curve needs to reach a fraction of a reference, the transition dip at the
// offline→online switch, and D4RL-style normalized scores.
//
// Every function is pure and works in float64. Randomness (the bootstrap)
// comes only from an explicit *rng.Stream, so the same stream state gives the
// same interval. Functions that summarise a sample return NaN for an empty
// one (or one too small for the statistic) and propagate NaN inputs, so a
// missing number shows up as NaN rather than as a plausible value; those that
// take configuration a user can get wrong return an error.
package stats
