// Package experiment is dwm's composition root: one Config for a run, its
// defaults, validation and resolution, and one explicit switch from algorithm
// and environment names to constructors. It builds the parts (env,
// evaluator, agent, buffers, store, checkpoints) and hands them to the
// train.Loop; cmd/dwm only parses flags into a Config and calls Run, Resume
// or Evaluate.
//
// A run lives in <runs_dir>/<env>__<algo>__<seed>__<time>/ with config.yaml
// (the fully resolved config) and checkpoints/; its metrics go to the SQLite
// store <runs_dir>/dwm.db unless Store names another.
package experiment
