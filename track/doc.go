// Package track is dwm's run store: every run's resolved config, status,
// provenance, metrics and artifacts in one SQLite database (modernc.org/sqlite,
// pure Go), plus the on-disk run directory layout.
//
// # Concurrency
//
// Many processes may write one store at once (a sweep's workers, a Slurm job
// array's tasks): the database runs in WAL mode with a busy timeout, every
// write is one short IMMEDIATE transaction (a batch of metrics is one
// transaction), and a writer that still finds the database busy retries. A
// *Store is safe for concurrent use by goroutines. WAL needs shared memory
// between the processes, so it serves processes on one machine; for a store
// on a network file system shared by several machines open it with
// Options.JournalMode "DELETE" (slower, but correct wherever the file
// system's locks are).
//
// # Schema
//
// The database carries an application id identifying it as a dwm store and a
// user_version giving its schema version. Open creates the schema in an
// empty or new file, and refuses a file that is not SQLite, an SQLite
// database that belongs to something else, or a store written by a newer dwm
// (schema version above SchemaVersion), each with an error naming the file.
//
// Tables:
//
//	runs(id, name UNIQUE, algo, env, seed, status, config JSON, provenance JSON,
//	     dir, created_at, updated_at)
//	metrics(run_id, name, step, phase, value)   key (run_id, name, step, phase)
//	artifacts(id, run_id, kind, path, created_at)
//
// Metric names are namespaced: each starts with one of Namespaces (train/,
// eval/, loss/, model/, uncertainty/, time/). Logging a metric again at the
// same step and phase replaces its value, so a run resumed from a checkpoint
// can re-log the steps after it without duplicating rows. SQLite stores NaN
// as NULL; it reads back as NaN. Deleting a run deletes its metrics and
// artifact rows (not the files).
//
// # Run directories
//
// A run's files live in runs/<env>__<algo>__<seed>__<time>/ (RunName,
// RunDir): config.json, checkpoints/ and whatever the run writes.
package track
