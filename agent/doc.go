// Package agent holds the little that dwm's reinforcement-learning agents
// share: the Metric values an update reports, and the exact encoding of
// integer counters (update counts, optimizer steps) as float32 checkpoint
// tensors.
//
// Each algorithm is its own package with its whole update rule in one file
// (agent/sac, ...). Every agent passes the conformance harness in
// agent/agenttest, which also documents the methods an agent offers: Update
// on a replay.Batch returning []Metric, Act and ActBatch with actions in
// [-1, 1], and State/SetState over checkpoint tensors and random-stream
// states.
package agent
