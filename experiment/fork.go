package experiment

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/config"
	"github.com/dwm-rl/dwm/track"
)

// ForkSpec says which run a new run branches from, at which step, and what
// it changes.
//
// Branching at the offline→online switch is how the online-phase ablations
// of an offline-to-online method are measured paired: every branch starts
// from the same offline agent (the same seed's), so differences between
// them are the online phase's alone, and the offline phase is paid once.
// The loop keeps the switch checkpoint of every run with both phases for
// this (train.Loop.Checkpoints).
type ForkSpec struct {
	// Parent is the run to branch from: its name in RunsDir, or its
	// directory.
	Parent string
	// At is the global step of the parent's checkpoint to start from; 0
	// means the parent's offline→online switch (its train.offline_steps).
	At int64
	// Name is the new run's name (required).
	Name string
	// Sets are key.path=value overrides of the parent's config, e.g.
	// "bdwm.no_bc=true" or "env=hopper-friction-2.0" (the online phase on
	// changed dynamics; the parent's evaluations were on its own env, so
	// the branch drops them and evaluates the restored agent on the new
	// env at the fork step: the baseline of its dip). The algorithm, the
	// dataset and the seed cannot change (the checkpoint holds that
	// agent, fitted on that data, with that seed's random streams), nor the
	// offline budget when At is at or after the switch. Fork cannot tell
	// whether an override would have changed the steps before At (an
	// offline hyperparameter with At at the switch): a run forked with one
	// is not the run its config describes, and its config's fork_of says so.
	Sets []string
	// RunsDir is where Parent is looked up and the new run is created.
	RunsDir string
	// Store is the run store of the new run; empty means <RunsDir>/dwm.db.
	// The parent's history is read from the store its own config names.
	Store string
}

// ParseForkRef splits "run" or "run@step" into the run and the step (0 when
// not given).
func ParseForkRef(ref string) (string, int64, error) {
	run, step, ok := strings.Cut(ref, "@")
	if !ok {
		return ref, 0, nil
	}
	n, err := strconv.ParseInt(step, 10, 64)
	if err != nil || n <= 0 || run == "" {
		return "", 0, fmt.Errorf("fork %q: want RUN or RUN@STEP with a positive step", ref)
	}
	return run, n, nil
}

// Fork creates the run spec describes and trains it from the parent's
// checkpoint to the end of its budgets. The new run's store record starts
// with the parent's metric rows up to the fork step, so its learning curve,
// its dip at the switch and its steps-to-threshold read as those of a whole
// run; its config records fork_of. The result is what Run returns.
func Fork(ctx context.Context, spec ForkSpec, opts Options) (Result, error) {
	if spec.Name == "" {
		return Result{}, errors.New("fork: the new run needs a name (--name)")
	}
	if spec.RunsDir == "" {
		spec.RunsDir = "runs"
	}
	pdir, err := runDir(spec.Parent, spec.RunsDir)
	if err != nil {
		return Result{}, fmt.Errorf("fork: %w", err)
	}
	parent, err := loadRunConfig(pdir)
	if err != nil {
		return Result{}, fmt.Errorf("fork: %w", err)
	}
	at := spec.At
	if at == 0 {
		at = parent.Train.OfflineSteps
		if at == 0 || parent.Train.OnlineSteps == 0 {
			return Result{}, fmt.Errorf("fork: run %s has no offline→online switch (offline %d, online %d steps): give the step (RUN@STEP)",
				spec.Parent, parent.Train.OfflineSteps, parent.Train.OnlineSteps)
		}
	}
	ckDir := filepath.Join(pdir, "checkpoints", checkpoint.StepDir(at))
	if _, err := os.Stat(filepath.Join(ckDir, checkpoint.ManifestFile)); err != nil {
		return Result{}, fmt.Errorf("fork: run %s has no checkpoint at step %d (%s)", spec.Parent, at, have(pdir))
	}

	c := parent
	for _, o := range spec.Sets {
		if err := config.Set(&c, o); err != nil {
			return Result{}, fmt.Errorf("fork: %w", err)
		}
	}
	if opts.Smoke {
		c = Smoke(c)
	}
	for _, f := range []struct {
		key       string
		was, is   any
		condition bool
	}{
		{"algo", parent.Algo, c.Algo, true},
		{"dataset", parent.Dataset, c.Dataset, true},
		{"seed", parent.Seed, c.Seed, true},
		{"train.offline_steps", parent.Train.OfflineSteps, c.Train.OfflineSteps, at >= parent.Train.OfflineSteps},
	} {
		if f.condition && f.was != f.is {
			return Result{}, fmt.Errorf("fork: %s = %v: a run forked from %s at step %d keeps the parent's %v", f.key, f.is, spec.Parent, at, f.was)
		}
	}
	c.Name, c.RunsDir, c.Store = spec.Name, spec.RunsDir, spec.Store
	c.ForkOf = fmt.Sprintf("%s@%d", filepath.Base(pdir), at)
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return Result{}, fmt.Errorf("fork: %w", err)
	}
	if total := c.Train.OfflineSteps + c.Train.OnlineSteps; at > total {
		return Result{}, fmt.Errorf("fork: step %d is past the new run's budget (%d steps)", at, total)
	}

	history, err := parentRows(parent, filepath.Base(pdir), at)
	if err != nil {
		return Result{}, fmt.Errorf("fork: %w", err)
	}
	newEnv := c.Env != parent.Env
	if newEnv {
		// The parent's evaluations ran on its env: keep its other rows and
		// evaluate the restored agent on this run's env at the fork step.
		history = slices.DeleteFunc(history, func(r track.Row) bool { return strings.HasPrefix(r.Name, "eval/") })
	}
	step := checkpoint.StepDir(at)
	r, err := newRun(ctx, c, c.Name, opts, func(dir string) error {
		if err := linkTree(ckDir, filepath.Join(dir, "checkpoints", step)); err != nil {
			return fmt.Errorf("fork: copy checkpoint: %w", err)
		}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	defer r.close()
	if err := r.store.LogRows(r.runID, history); err != nil {
		return Result{}, fmt.Errorf("fork: copy the parent's metrics: %w", err)
	}
	ck, err := checkpoint.ReadDir(filepath.Join(r.dir, "checkpoints", step))
	if err != nil {
		return Result{}, fmt.Errorf("fork: %w", err)
	}
	if err := r.loop.Restore(ck); err != nil {
		return Result{}, fmt.Errorf("fork %s from %s: %w", c.Name, c.ForkOf, err)
	}
	if newEnv {
		r.loop.Logger = storeLogger{r.store, r.runID}
		if err := r.loop.EvaluateNow(); err != nil {
			return Result{}, fmt.Errorf("fork %s: evaluate on %s at step %d: %w", c.Name, c.Env, at, err)
		}
	}
	return r.execute(ctx, opts)
}

// have lists the checkpoint steps a run directory holds, for an error.
func have(dir string) string {
	es, err := checkpoint.Dir{Path: filepath.Join(dir, "checkpoints")}.List()
	if err != nil || len(es) == 0 {
		return "it has none"
	}
	steps := make([]string, len(es))
	for i, e := range es {
		steps[i] = strconv.FormatInt(e.Step, 10)
	}
	return "it has " + strings.Join(steps, ", ")
}

// parentRows reads the parent's metric rows up to step at from the store
// its config names.
func parentRows(parent Config, name string, at int64) ([]track.Row, error) {
	s, err := track.Open(parent.storePath())
	if err != nil {
		return nil, err
	}
	defer s.Close()
	pr, err := s.RunByName(name)
	if err != nil {
		return nil, err
	}
	return s.Rows(pr.ID, at)
}

// linkTree recreates the files of directory src (one level: a checkpoint)
// in dst by hard links, or copies where linking fails (another file
// system). Checkpoint files are never modified in place, so sharing them is
// safe.
func linkTree(src, dst string) error {
	des, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, de := range des {
		if de.IsDir() {
			return fmt.Errorf("%s: unexpected directory %s in a checkpoint", src, de.Name())
		}
		from, to := filepath.Join(src, de.Name()), filepath.Join(dst, de.Name())
		if os.Link(from, to) == nil {
			continue
		}
		if err := copyFile(from, to); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
