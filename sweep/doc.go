// Package sweep runs experiment grids: a sweep file (YAML or TOML) lists
// methods, tasks, seeds and config overrides; Load expands it into runs with
// stable names ("<sweep>__<task>__<method>__<seed>"), so that a sweep run
// again finds the runs it already finished in the store and skips them.
//
// A sweep runs either on this machine (RunLocal: a bounded pool of worker
// processes, multi-bar progress, interruptible and resumable) or on a Slurm
// cluster (SubmitSlurm: a job array, one task per run, every task writing
// to the shared run store; Status and Watch follow it through squeue and
// the store). Each run is one process:
//
//	<dwm> train <method> --env <env> [--dataset <file>] --seed <s> [--set k=v]... --store <store> --runs <dir> --name <run>
//
// (or `<dwm> train --resume <run> --runs <dir>` when an earlier attempt left
// the run's directory), built by TrainArgs, the single place that knows that
// command line; a Slurm task runs `<dwm> sweep task --file <f> --index
// $SLURM_ARRAY_TASK_ID --store <store> --runs <dir>` (TaskArgs), which calls
// RunTask. The command is pluggable
// (Options.Binary, Options.Command) so tests and other launchers can stand in
// for dwm.
//
// # Branches
//
// A run can start from another run's offline→online switch instead of step
// 0 (`<dwm> train --fork <parent> ...`): a sweep's fork block branches every
// run from the same task and seed's run of another sweep (ablations of the
// online phase, paired with the full method and without paying its offline
// phase again), and a task's fork field branches its runs from another task
// of the same sweep (the same offline phase, then online on changed
// dynamics). RunLocal starts a branch once its parent in the sweep has
// ended; SubmitSlurm puts such branches in a second job array that waits for
// the first.
//
// # Store on a cluster
//
// The run store is SQLite in WAL mode, which needs the processes writing it
// to share memory: on a one-machine cluster (or a single node) that holds;
// across machines on a network file system, the training command must open
// the store with track.Options.JournalMode "DELETE".
package sweep
