// Package agent holds the little that dwm's reinforcement-learning agents
// share: the Metric values an update reports, the exact encoding of integer
// counters (update counts, optimizer steps) as float32 checkpoint tensors,
// StateParts (an agent lists where it keeps its parameters, optimisers,
// counters and random streams, and gets checked, all-or-nothing State and
// SetState from it), ObsNorm (the observation standardiser of the offline
// agents) and FillStateAction (the critic ensembles' input rows).
//
// Each algorithm is its own package with its whole update rule in one file
// (agent/sac, ...). Every agent passes the conformance harness in
// agent/agenttest, which also documents the methods an agent offers: Update
// on a replay.Batch returning []Metric, Act and ActBatch with actions in
// [-1, 1], and State/SetState over checkpoint tensors and random-stream
// states.
package agent
