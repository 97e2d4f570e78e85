// Package crashtest holds dwm's end-to-end reliability tests; it has no
// code of its own beyond this comment.
//
// The tests build the dwm binary, start `dwm train …` as a subprocess, kill
// it with SIGKILL at seeded points (chosen from the steps the run store
// shows), resume it with `dwm train --resume`, and check that the resumed
// run's metrics (every series in the store except wall-clock time/…) and its
// final checkpoint (networks, optimizer state, replay buffer, random streams,
// counters) are bit-for-bit those of an uninterrupted run. SIGINT and
// SIGTERM must save a checkpoint and mark the run "interrupted" before the
// process exits.
//
// Run them alone with
//
//	go test ./internal/crashtest -v
//
// Each case trains for a few seconds on Pendulum with small networks.
package crashtest
