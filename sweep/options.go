package sweep

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"
)

// Options configures RunLocal, RunTask, SubmitSlurm, Status and Watch. The
// zero value of every field but Store means its default.
type Options struct {
	// Store is the run store's path; required. Every run writes to it, and
	// a run whose row there says done is skipped.
	Store string
	// RunsDir holds the runs' directories (dwm train --runs). Empty means
	// the store's directory (dwm's default store is <runs>/dwm.db).
	RunsDir string
	// Binary is the dwm executable runs are started with. Empty means this
	// process's own executable (os.Executable).
	Binary string
	// Command builds the command of a run. Nil means Binary with TrainArgs
	// (resuming if <RunsDir>/<run name>/config.yaml exists) and Env added
	// to this process's environment.
	// RunLocal sets the command's output (to the run's log) unless already
	// set, and starts it in its own process group.
	Command func(r Run) *exec.Cmd
	// Env holds extra KEY=value variables for each run's command and, for
	// Slurm, for sbatch, which passes them on to the array tasks.
	Env []string

	// Workers is the number of runs RunLocal executes at once. Zero means
	// max(1, NumCPU/ThreadsPerRun).
	Workers int
	// ThreadsPerRun is how many cores one run keeps busy, for the default
	// Workers. Zero means 1.
	ThreadsPerRun int
	// Dir holds the sweep's files: logs/ (one log per local run, Slurm task
	// output), the Slurm script and job record. Empty means
	// <directory of Store>/sweeps/<sweep name>.
	Dir string
	// Progress receives progress: live bars when it is a terminal, one
	// line per event otherwise; nil means none.
	Progress io.Writer
	// Stdout and Stderr receive RunTask's child output. Nil means this
	// process's standard output and error.
	Stdout, Stderr io.Writer
	// GracePeriod is how long an interrupted run may take to stop after
	// SIGINT before it is killed. Zero means 30 s (time to write a
	// checkpoint).
	GracePeriod time.Duration

	// SbatchArgs are extra sbatch options for SubmitSlurm, e.g.
	// ["--partition=gpu", "--time=04:00:00", "--cpus-per-task=4"].
	SbatchArgs []string
	// MaxParallel caps how many array tasks Slurm runs at once (the "%N" of
	// --array). Zero means no cap.
	MaxParallel int
	// PollInterval is how often Watch polls. Zero means 5 s.
	PollInterval time.Duration
}

// Validate reports an option a user could set wrongly, naming the field.
func (o Options) Validate() error {
	if o.Store == "" {
		return errors.New("sweep: Options.Store is empty; give the run store's path")
	}
	if o.Workers < 0 {
		return fmt.Errorf("sweep: Options.Workers %d is negative", o.Workers)
	}
	if o.ThreadsPerRun < 0 {
		return fmt.Errorf("sweep: Options.ThreadsPerRun %d is negative", o.ThreadsPerRun)
	}
	if o.GracePeriod < 0 {
		return fmt.Errorf("sweep: Options.GracePeriod %v is negative", o.GracePeriod)
	}
	if o.MaxParallel < 0 {
		return fmt.Errorf("sweep: Options.MaxParallel %d is negative", o.MaxParallel)
	}
	if o.PollInterval < 0 {
		return fmt.Errorf("sweep: Options.PollInterval %v is negative", o.PollInterval)
	}
	return nil
}

// resolve validates o and applies every default in one place. Store, Dir
// and Binary become absolute: Slurm tasks start in another directory.
func (o Options) resolve(sw *Sweep) (Options, error) {
	if err := o.Validate(); err != nil {
		return o, err
	}
	var err error
	if o.Store, err = filepath.Abs(o.Store); err != nil {
		return o, fmt.Errorf("sweep: store %s: %w", o.Store, err)
	}
	if o.RunsDir == "" {
		o.RunsDir = filepath.Dir(o.Store)
	}
	if o.RunsDir, err = filepath.Abs(o.RunsDir); err != nil {
		return o, fmt.Errorf("sweep: runs dir %s: %w", o.RunsDir, err)
	}
	if o.ThreadsPerRun == 0 {
		o.ThreadsPerRun = 1
	}
	if o.Workers == 0 {
		o.Workers = max(1, runtime.NumCPU()/o.ThreadsPerRun)
	}
	if o.Dir == "" {
		o.Dir = filepath.Join(filepath.Dir(o.Store), "sweeps", sw.Name)
	}
	if o.Dir, err = filepath.Abs(o.Dir); err != nil {
		return o, fmt.Errorf("sweep: dir %s: %w", o.Dir, err)
	}
	if o.Binary == "" {
		if o.Binary, err = os.Executable(); err != nil {
			return o, fmt.Errorf("sweep: find the dwm binary: %w", err)
		}
	}
	if o.Binary, err = filepath.Abs(o.Binary); err != nil {
		return o, fmt.Errorf("sweep: binary %s: %w", o.Binary, err)
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if o.GracePeriod == 0 {
		o.GracePeriod = 30 * time.Second
	}
	if o.PollInterval == 0 {
		o.PollInterval = 5 * time.Second
	}
	return o, nil
}

// command returns the command of run r.
func (o Options) command(r Run) *exec.Cmd {
	if o.Command != nil {
		return o.Command(r)
	}
	_, err := os.Stat(filepath.Join(o.RunsDir, r.Name, "config.yaml"))
	cmd := exec.Command(o.Binary, TrainArgs(r, o.Store, o.RunsDir, err == nil)...)
	cmd.Env = append(os.Environ(), o.Env...)
	return cmd
}

// logDir is where run logs and Slurm task output go.
func (o Options) logDir() string { return filepath.Join(o.Dir, "logs") }
