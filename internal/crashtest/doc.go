// Package crashtest holds dwm's end-to-end reliability tests; it has no
// code of its own beyond this comment.
//
// The tests build the dwm binary (or use DWM_CRASHTEST_BIN), start
// `dwm train …` as a subprocess beside an uninterrupted run of the same
// config, and check that the interrupted run ends identical to it: every
// metric series in the store except wall-clock time/…, and the final
// checkpoint (networks, optimizer state, replay buffers, random streams,
// counters, extra state) bit for bit.
//
//   - SIGKILL at seeded points, chosen from the steps the run store shows,
//     then `dwm train --resume`, for online SAC, IQL and Cal-QL offline→
//     online, and BDWM (world model, imagination buffer, λ and w_BC
//     schedules), the kills landing in either phase; DUAL (offline after
//     the planner's fit and distillation, and online after the first
//     online episode) and DAWM with TD3+BC (after the world model's fit,
//     before and after the learner's first checkpoint); SIGKILL while a
//     run starts (before its store record or first checkpoint).
//   - SIGINT and SIGTERM: the run saves a checkpoint where it stops, dwm
//     exits 130 or 143, the store says "interrupted", the output says how
//     to resume.
//   - `dwm dataset make` killed during its expert's training makes the same
//     dataset bytes when run again.
//   - A full disk: every kind of file dwm writes (checkpoints, datasets in
//     both formats, replay buffers, normalizers, reports, the SQLite store)
//     written over a previous version on a full tmpfs fails with an error
//     naming the file, keeps the previous version intact and leaves no
//     temporary file; a run whose disk fills up stops with such an error
//     and, once there is space, resumes to the uninterrupted result. The
//     tmpfs needs root; without it the run test limits file sizes with
//     `ulimit -f` instead (forced with DWM_CRASHTEST_NO_TMPFS=1) and the
//     file-kind test is skipped (internal/atomicfile's own test injects a
//     failing writer).
//
// Run them alone with
//
//	go test ./internal/crashtest -v
//
// Each case trains for a few seconds on Pendulum with small networks
// (DUAL and DAWM on the embedded pendulum-medium dataset).
package crashtest
