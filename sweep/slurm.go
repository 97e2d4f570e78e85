package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dwm-rl/dwm/internal/atomicfile"
	"github.com/dwm-rl/dwm/internal/runlock"
	"github.com/dwm-rl/dwm/track"
)

// RecordFile, in a sweep's Dir, lists its Slurm submissions (JSON).
const RecordFile = "slurm-jobs.json"

// Submission is one sbatch of some of a sweep's runs as a job array.
type Submission struct {
	JobID string `json:"job_id"`
	// Indices are the array indices submitted: the runs' indices in the
	// sweep.
	Indices []int `json:"indices"`
	// Names are the runs submitted, parallel to Indices.
	Names []string `json:"names"`
	// Script is the batch script; File the snapshot of the sweep file its
	// tasks read (so editing the sweep file cannot shift a queued task's
	// index onto another run).
	Script    string    `json:"script"`
	File      string    `json:"file"`
	Submitted time.Time `json:"submitted"`
	// After lists the jobs this array waits for (sbatch
	// --dependency=afterany): the arrays holding the parents of its runs
	// (Task.Fork). Empty for an array that can start at once.
	After []string `json:"after,omitempty"`
	// Next is the array submitted with this one for the runs that branch
	// from runs of this one (not recorded: it is its own submission).
	Next *Submission `json:"-"`
}

type jobRecord struct {
	Sweep       string       `json:"sweep"`
	Store       string       `json:"store"`
	Submissions []Submission `json:"submissions"`
}

func readRecord(dir string) (jobRecord, error) {
	var rec jobRecord
	b, err := os.ReadFile(filepath.Join(dir, RecordFile))
	if errors.Is(err, os.ErrNotExist) {
		return rec, nil
	}
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, fmt.Errorf("read %s: %w", filepath.Join(dir, RecordFile), err)
	}
	return rec, nil
}

// slurmScript returns the batch script whose array task i performs run i
// of the sweep read from file: `<Binary> sweep task --file <file> --index
// $SLURM_ARRAY_TASK_ID --store <Store>`, output appended to
// <Dir>/logs/slurm-<job>_<index>.out. opts must be resolved.
func slurmScript(sw *Sweep, file string, o Options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/bash\n")
	fmt.Fprintf(&b, "# dwm sweep %s: %d runs from %s. One array task per run; written by dwm sweep slurm.\n", sw.Name, len(sw.Runs), sw.Path)
	fmt.Fprintf(&b, "#SBATCH --job-name=dwm-%s\n", sw.Name)
	fmt.Fprintf(&b, "#SBATCH --output=%s\n", filepath.Join(o.logDir(), "slurm-%A_%a.out"))
	fmt.Fprintf(&b, "#SBATCH --open-mode=append\n")
	fmt.Fprintf(&b, "set -eu\n")
	args := TaskArgs(file, "__INDEX__", o.Store, o.RunsDir)
	line := shellQuote(o.Binary) + " " + quoteArgs(args)
	line = strings.Replace(line, "__INDEX__", `"$SLURM_ARRAY_TASK_ID"`, 1)
	fmt.Fprintf(&b, "exec %s\n", line)
	return b.String()
}

// arraySpec writes sorted indices as Slurm's --array list: "0-3,5,7-8".
func arraySpec(indices []int) string {
	var parts []string
	for i := 0; i < len(indices); {
		j := i
		for j+1 < len(indices) && indices[j+1] == indices[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", indices[i], indices[j]))
		} else {
			parts = append(parts, strconv.Itoa(indices[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// SubmitSlurm submits the sweep's runs that are neither done in the store
// nor pending or running in an earlier submission as one Slurm job array
// (sbatch --parsable --array=<indices>), one task per run, each running
// `<Binary> sweep task --file <snapshot> --index $SLURM_ARRAY_TASK_ID
// --store <Store> --runs <RunsDir>` and writing to the shared store. The script, the sweep
// file snapshot and the job record go into opts.Dir. Runs that branch from
// a run of this sweep (Task.Fork) still to run go in a second array that
// waits for the first (--dependency=afterany), returned as the first's
// Next; if only such runs remain, their array is the one returned. It
// returns nil and no error when there is nothing to submit. The sweep must
// have been loaded from a file (Load).
func SubmitSlurm(ctx context.Context, sw *Sweep, opts Options) (*Submission, error) {
	o, err := opts.resolve(sw)
	if err != nil {
		return nil, err
	}
	if sw.Path == "" {
		return nil, fmt.Errorf("sweep %s: SubmitSlurm needs a sweep loaded from a file (its tasks re-read it)", sw.Name)
	}
	store, err := openStore(sw, o.Store)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	rec, err := readRecord(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("sweep %s: %w", sw.Name, err)
	}
	active := map[string]string{} // run name → the job holding it, queued or running in Slurm
	for _, sub := range rec.Submissions {
		states, err := squeue(ctx, o.Env, sub.JobID)
		if err != nil {
			return nil, fmt.Errorf("sweep %s: %w", sw.Name, err)
		}
		for i, idx := range sub.Indices {
			if st, ok := states[idx]; ok && st.active() {
				active[sub.Names[i]] = sub.JobID
			}
		}
	}
	// Runs to submit, split into those that can start at once and those
	// whose parent in this sweep (Task.Fork) is submitted now or still
	// queued: the latter go in a second array that waits for the first.
	var now, later Submission
	var after []string
	todo := map[string]bool{}
	for _, r := range sw.Runs {
		done, err := isDone(store, r.Name)
		if err != nil {
			return nil, fmt.Errorf("sweep %s: %w", sw.Name, err)
		}
		if !done && active[r.Name] == "" {
			todo[r.Name] = true
		}
	}
	for _, r := range sw.Runs {
		if !todo[r.Name] {
			continue
		}
		parent, _, _ := strings.Cut(r.Parent, "@")
		switch {
		case todo[parent]:
			later.Indices, later.Names = append(later.Indices, r.Index), append(later.Names, r.Name)
		case active[parent] != "":
			later.Indices, later.Names = append(later.Indices, r.Index), append(later.Names, r.Name)
			if !slices.Contains(after, active[parent]) {
				after = append(after, active[parent])
			}
		default:
			now.Indices, now.Names = append(now.Indices, r.Index), append(now.Names, r.Name)
		}
	}
	if len(now.Indices)+len(later.Indices) == 0 {
		return nil, nil
	}
	if err := os.MkdirAll(o.logDir(), 0o755); err != nil {
		return nil, fmt.Errorf("sweep %s: %w", sw.Name, err)
	}
	var first *Submission
	if len(now.Indices) > 0 {
		if first, err = submitArray(ctx, sw, o, &rec, now); err != nil {
			return nil, err
		}
		if len(later.Indices) > 0 {
			after = append(after, first.JobID)
		}
	}
	if len(later.Indices) > 0 {
		later.After = after
		second, err := submitArray(ctx, sw, o, &rec, later)
		if err != nil {
			return first, err
		}
		if first == nil {
			return second, nil
		}
		first.Next = second
	}
	return first, nil
}

// submitArray submits sub's runs as one job array (waiting for sub.After),
// fills in its job, script and time, and adds it to the sweep's record.
func submitArray(ctx context.Context, sw *Sweep, o Options, rec *jobRecord, sub Submission) (*Submission, error) {
	stamp := time.Now().UTC().Format("20060102T150405.000Z")
	content, err := os.ReadFile(sw.Path)
	if err != nil {
		return nil, fmt.Errorf("sweep %s: %w", sw.Name, err)
	}
	sub.File = filepath.Join(o.Dir, "sweep-"+stamp+filepath.Ext(sw.Path))
	sub.Script = filepath.Join(o.Dir, "slurm-"+stamp+".sh")
	for k := 2; fileExists(sub.File) || fileExists(sub.Script); k++ { // two arrays in one millisecond
		sub.File = filepath.Join(o.Dir, fmt.Sprintf("sweep-%s-%d%s", stamp, k, filepath.Ext(sw.Path)))
		sub.Script = filepath.Join(o.Dir, fmt.Sprintf("slurm-%s-%d.sh", stamp, k))
	}
	if err := atomicfile.WriteBytes(sub.File, content); err != nil {
		return nil, fmt.Errorf("sweep %s: %w", sw.Name, err)
	}
	if err := atomicfile.WriteBytes(sub.Script, []byte(slurmScript(sw, sub.File, o))); err != nil {
		return nil, fmt.Errorf("sweep %s: %w", sw.Name, err)
	}
	array := arraySpec(sub.Indices)
	if o.MaxParallel > 0 {
		array += "%" + strconv.Itoa(o.MaxParallel)
	}
	args := []string{"--parsable", "--array=" + array}
	if len(sub.After) > 0 {
		args = append(args, "--dependency=afterany:"+strings.Join(sub.After, ":"))
	}
	args = append(append(args, o.SbatchArgs...), sub.Script)
	cmd := exec.CommandContext(ctx, "sbatch", args...)
	cmd.Dir = o.Dir
	cmd.Env = append(os.Environ(), o.Env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("sweep %s: sbatch %s: %w: %s", sw.Name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";") // "<id>" or "<id>;<cluster>"
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		return nil, fmt.Errorf("sweep %s: sbatch printed %q, want a job id", sw.Name, out)
	}
	sub.JobID = id
	sub.Submitted = time.Now().UTC()
	rec.Sweep, rec.Store = sw.Name, o.Store
	rec.Submissions = append(rec.Submissions, sub)
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteBytes(filepath.Join(o.Dir, RecordFile), append(b, '\n')); err != nil {
		return &sub, fmt.Errorf("sweep %s: job %s submitted, but: %w", sw.Name, id, err)
	}
	return &sub, nil
}

// taskState is an array task's state as squeue shows it.
type taskState struct {
	ID, State, Reason string
}

// activeStates are Slurm job states in which a task may still run.
var activeStates = []string{"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED",
	"REQUEUE_FED", "REQUEUE_HOLD", "RESIZING", "SIGNALING", "STAGE_OUT", "STOPPED", "RESV_DEL_HOLD"}

func (t taskState) active() bool { return slices.Contains(activeStates, t.State) }

// squeue returns the array tasks of job by index, with finished tasks as
// long as the controller keeps them (MinJobAge); a job it no longer knows
// gives an empty map.
func squeue(ctx context.Context, env []string, job string) (map[int]taskState, error) {
	cmd := exec.CommandContext(ctx, "squeue", "-h", "-r", "-t", "all", "-j", job, "-o", "%i|%T|%r")
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if strings.Contains(stderr.String(), "Invalid job id") {
			return map[int]taskState{}, nil
		}
		return nil, fmt.Errorf("squeue -j %s: %w: %s", job, err, strings.TrimSpace(stderr.String()))
	}
	return parseSqueue(string(out), job), nil
}

// parseSqueue reads `squeue -h -r -o '%i|%T|%r'` lines ("<job>_<index>|STATE|reason").
func parseSqueue(out, job string) map[int]taskState {
	states := map[int]taskState{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.SplitN(strings.TrimSpace(line), "|", 3)
		if len(f) < 2 {
			continue
		}
		jid, idx, ok := strings.Cut(f[0], "_")
		if !ok || jid != job {
			continue
		}
		i, err := strconv.Atoi(idx)
		if err != nil {
			continue // an unexpanded range: squeue -r expands them
		}
		st := taskState{ID: f[0], State: f[1]}
		if len(f) == 3 && f[2] != "None" {
			st.Reason = f[2]
		}
		states[i] = st
	}
	return states
}

// RunStatus is one run's state in the store and in Slurm.
type RunStatus struct {
	Run Run
	// Store is the run's status in the store, "" if it has no row yet.
	Store track.Status
	// Slurm is the state of the run's latest array task ("" if none is
	// known), Task its "<job>_<index>" and Reason Slurm's reason.
	Slurm, Task, Reason string
	// Step is the last step at which the run logged its speed (0: none
	// yet) and Total its budget, offline plus online steps (0: unknown).
	Step, Total int64
	// ETA is the time the run needs to its end at the speeds it last
	// logged (time/updates_per_s offline, time/env_steps_per_s online);
	// 0 when done or unknown.
	ETA time.Duration
	// Orphaned is set when the store says running but no process holds
	// the run's lock (package runlock): the process was killed (SIGKILL,
	// a machine stop) before it could record why it ended. Resume it.
	Orphaned bool
}

// orphaned reports whether run's record says running while no process
// holds its lock. A run without a lock file (started by a dwm from before
// the lock) cannot be told and is not orphaned.
func orphaned(run track.Run) bool {
	if run.Status != track.StatusRunning || run.Dir == "" || !runlock.Known(run.Dir) {
		return false
	}
	held, err := runlock.Held(run.Dir)
	return err == nil && !held
}

// progress fills r's Step, Total and ETA from the store's record of run.
func (r *RunStatus) progress(s *track.Store, run track.Run) error {
	var cfg struct {
		Train struct {
			OfflineSteps int64 `json:"offline_steps"`
			OnlineSteps  int64 `json:"online_steps"`
		} `json:"train"`
	}
	if len(run.Config) > 0 && json.Unmarshal(run.Config, &cfg) != nil {
		return nil // an unreadable config: no progress, not an error
	}
	off, on := cfg.Train.OfflineSteps, cfg.Train.OnlineSteps
	r.Total = off + on
	var rate [2]float64 // offline updates/s, online env steps/s
	for i, name := range []string{"time/updates_per_s", "time/env_steps_per_s"} {
		pts, err := s.Metrics(run.ID, name)
		if err != nil {
			return err
		}
		if n := len(pts); n > 0 {
			r.Step = max(r.Step, pts[n-1].Step)
			rate[i] = pts[n-1].Value
		}
	}
	if r.Store == track.StatusDone || r.Total == 0 || r.Step == 0 {
		return nil
	}
	var secs float64
	if left := off - min(r.Step, off); left > 0 {
		if !(rate[0] > 0) {
			return nil
		}
		secs += float64(left) / rate[0]
	}
	if left := r.Total - max(r.Step, off); left > 0 {
		if !(rate[1] > 0) {
			// Not online yet: the online speed, and so the ETA, is
			// unknown.
			return nil
		}
		secs += float64(left) / rate[1]
	}
	r.ETA = time.Duration(secs * float64(time.Second)).Round(time.Second)
	return nil
}

// fmtETA writes d to the minute from a minute on.
func fmtETA(d time.Duration) string {
	if d >= time.Minute {
		d = d.Round(time.Minute)
	}
	return d.String()
}

// State combines the two: "done" if the store says so; else the Slurm
// state while the task is queued or running; else "killed" for an
// orphaned run (Orphaned); else the store status; else "not started".
func (r RunStatus) State() string {
	switch {
	case r.Store == track.StatusDone:
		return "done"
	case r.Slurm != "" && (taskState{State: r.Slurm}).active():
		return strings.ToLower(r.Slurm)
	case r.Slurm != "" && r.Slurm != "COMPLETED":
		return "failed"
	case r.Orphaned:
		return "killed"
	case r.Store != "":
		return string(r.Store)
	}
	return "not started"
}

// active reports whether the run's Slurm task may still run.
func (r RunStatus) active() bool { return (taskState{State: r.Slurm}).active() }

// StatusReport is a sweep's state.
type StatusReport struct {
	Sweep string
	Runs  []RunStatus
	// Jobs are the Slurm job ids submitted for the sweep.
	Jobs []string
}

// Counts returns the number of runs in each State.
func (s *StatusReport) Counts() map[string]int {
	c := map[string]int{}
	for _, r := range s.Runs {
		c[r.State()]++
	}
	return c
}

// Finished reports whether no run's Slurm task is queued or running.
func (s *StatusReport) Finished() bool {
	for _, r := range s.Runs {
		if r.active() {
			return false
		}
	}
	return true
}

// Done reports whether every run is done.
func (s *StatusReport) Done() bool { return s.Counts()["done"] == len(s.Runs) }

// Line is a one-line summary: "sweep x: 9 runs: 5 done, 2 running, 2 pending".
func (s *StatusReport) Line() string {
	c := s.Counts()
	states := make([]string, 0, len(c))
	for st := range c {
		states = append(states, st)
	}
	slices.SortFunc(states, func(a, b string) int { // "done" first, then by name
		if (a == "done") != (b == "done") {
			if a == "done" {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(states))
	for i, st := range states {
		parts[i] = fmt.Sprintf("%d %s", c[st], st)
	}
	return fmt.Sprintf("sweep %s: %d runs: %s", s.Sweep, len(s.Runs), strings.Join(parts, ", "))
}

// Write prints one line per run and the summary line.
func (s *StatusReport) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INDEX\tRUN\tSTATE\tPROGRESS\tETA\tSTORE\tSLURM\tTASK\tREASON")
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	var left time.Duration
	var unknown int
	for _, r := range s.Runs {
		prog, eta := "-", "-"
		if r.Total > 0 && r.Step > 0 {
			prog = fmt.Sprintf("%d/%d (%d%%)", r.Step, r.Total, 100*min(r.Step, r.Total)/r.Total)
		}
		if r.ETA > 0 {
			eta = fmtETA(r.ETA)
			left += r.ETA
		} else if r.State() != "done" {
			unknown++
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Run.Index, r.Run.Name, r.State(), prog, eta, dash(string(r.Store)), dash(r.Slurm), dash(r.Task), dash(r.Reason))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if _, err := fmt.Fprintln(w, s.Line()); err != nil {
		return err
	}
	if left > 0 {
		_, err := fmt.Fprintf(w, "at their last logged speeds the started runs need %s more (one after another; %d runs without an estimate)\n", fmtETA(left), unknown)
		return err
	}
	return nil
}

// Status returns the state of every run of the sweep: its store row, and
// its latest Slurm array task if the sweep was submitted (squeue; a job the
// controller has forgotten leaves only the store's word). It works for a
// local sweep too (store only). A missing store means nothing started yet.
func Status(ctx context.Context, sw *Sweep, opts Options) (*StatusReport, error) {
	o, err := opts.resolve(sw)
	if err != nil {
		return nil, err
	}
	rep := &StatusReport{Sweep: sw.Name, Runs: make([]RunStatus, len(sw.Runs))}
	for i, r := range sw.Runs {
		rep.Runs[i].Run = r
	}
	rec, err := readRecord(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("sweep %s: %w", sw.Name, err)
	}
	byName := map[string]int{}
	for i, r := range sw.Runs {
		byName[r.Name] = i
	}
	for _, sub := range rec.Submissions { // later submissions override
		rep.Jobs = append(rep.Jobs, sub.JobID)
		states, err := squeue(ctx, o.Env, sub.JobID)
		if err != nil {
			return nil, fmt.Errorf("sweep %s: %w", sw.Name, err)
		}
		for k, idx := range sub.Indices {
			i, ok := byName[sub.Names[k]]
			st, known := states[idx]
			if !ok || !known {
				continue
			}
			rep.Runs[i].Slurm, rep.Runs[i].Task, rep.Runs[i].Reason = st.State, st.ID, st.Reason
		}
	}
	// The store after Slurm: a task Slurm reports ended has written its
	// last status before exiting, so this read sees it (read the other way
	// round, a task finishing in between showed its previous status, e.g.
	// "failed" from the attempt before a resubmission, with Slurm's
	// COMPLETED).
	if _, err := os.Stat(o.Store); err == nil {
		store, err := openStore(sw, o.Store)
		if err != nil {
			return nil, err
		}
		defer store.Close()
		for i, r := range sw.Runs {
			got, err := store.RunByName(r.Name)
			switch {
			case errors.Is(err, track.ErrNotFound):
			case err != nil:
				return nil, fmt.Errorf("sweep %s: %w", sw.Name, err)
			default:
				rep.Runs[i].Store = got.Status
				if err := rep.Runs[i].progress(store, got); err != nil {
					return nil, fmt.Errorf("sweep %s: run %s: %w", sw.Name, r.Name, err)
				}
				if orphaned(got) {
					rep.Runs[i].Orphaned = true
					rep.Runs[i].ETA = 0
				}
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("sweep %s: %w", sw.Name, err)
	}
	return rep, nil
}

// Watch polls Status every opts.PollInterval, writing the summary line to w
// whenever it changes, until no run is queued or running in Slurm (or ctx is
// done). Up to five failed polls in a row (a busy controller) are retried.
// It returns the last report, and an error if some run is not done then.
func Watch(ctx context.Context, w io.Writer, sw *Sweep, opts Options) (*StatusReport, error) {
	o, err := opts.resolve(sw)
	if err != nil {
		return nil, err
	}
	last := ""
	failures := 0
	for {
		rep, err := Status(ctx, sw, opts)
		if err != nil {
			// squeue can time out on a busy controller: tolerate a few
			// failed polls in a row.
			if failures++; failures > 5 || ctx.Err() != nil {
				return nil, err
			}
			fmt.Fprintf(w, "%s poll failed (%d in a row, will retry): %v\n", time.Now().Format(time.TimeOnly), failures, err)
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(o.PollInterval):
			}
			continue
		}
		failures = 0
		if line := rep.Line(); line != last {
			fmt.Fprintf(w, "%s %s\n", time.Now().Format(time.TimeOnly), line)
			last = line
		}
		if rep.Finished() {
			if !rep.Done() {
				var missing []string
				for _, r := range rep.Runs {
					if r.State() != "done" {
						s := r.Run.Name + " (" + r.State()
						if r.Slurm != "" {
							s += ", slurm " + r.Slurm
						}
						missing = append(missing, s+")")
					}
				}
				return rep, fmt.Errorf("sweep %s: %d of %d runs not done: %s", sw.Name, len(missing), len(rep.Runs), strings.Join(missing, ", "))
			}
			return rep, nil
		}
		select {
		case <-ctx.Done():
			return rep, ctx.Err()
		case <-time.After(o.PollInterval):
		}
	}
}
