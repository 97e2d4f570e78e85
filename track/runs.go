package track

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Status is a run's lifecycle state.
type Status string

// Run statuses.
const (
	StatusPending     Status = "pending"     // queued (a sweep's run not started)
	StatusRunning     Status = "running"     // in progress
	StatusDone        Status = "done"        // finished normally
	StatusFailed      Status = "failed"      // stopped by an error
	StatusInterrupted Status = "interrupted" // stopped by a signal; resumable
)

// Valid reports whether s is one of the defined statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusPending, StatusRunning, StatusDone, StatusFailed, StatusInterrupted:
		return true
	}
	return false
}

// Run is one training run's record.
type Run struct {
	ID         int64
	Name       string // unique; RunName(env, algo, seed, time) by default
	Algo       string
	Env        string
	Seed       int64
	Status     Status
	Config     json.RawMessage // the fully resolved config
	Provenance Provenance
	Dir        string // the run's directory, if it has one
	Created    time.Time
	Updated    time.Time
}

// CreateRun inserts r as a new run and returns it with its ID and times set.
// r.Algo and r.Env are required; an empty Name becomes RunName(Env, Algo,
// Seed, now), an empty Status StatusRunning, an empty Config {}. It returns
// an error wrapping ErrRunExists if the name is taken.
func (s *Store) CreateRun(r Run) (Run, error) {
	if r.Algo == "" || r.Env == "" {
		return Run{}, fmt.Errorf("track: create run: algo %q and env %q must not be empty", r.Algo, r.Env)
	}
	now := time.Now().UTC()
	if r.Name == "" {
		r.Name = RunName(r.Env, r.Algo, r.Seed, now)
	}
	if r.Status == "" {
		r.Status = StatusRunning
	}
	if !r.Status.Valid() {
		return Run{}, fmt.Errorf("track: create run %s: unknown status %q", r.Name, r.Status)
	}
	if len(r.Config) == 0 {
		r.Config = json.RawMessage("{}")
	}
	if !json.Valid(r.Config) {
		return Run{}, fmt.Errorf("track: create run %s: config is not valid JSON", r.Name)
	}
	prov, err := json.Marshal(r.Provenance)
	if err != nil {
		return Run{}, fmt.Errorf("track: create run %s: provenance: %w", r.Name, err)
	}
	r.Created, r.Updated = now, now
	err = s.write(func(tx *sql.Tx) error {
		res, err := tx.Exec(`INSERT INTO runs(name, algo, env, seed, status, config, provenance, dir, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Name, r.Algo, r.Env, r.Seed, string(r.Status), string(r.Config), string(prov), r.Dir, formatTime(now), formatTime(now))
		if err != nil {
			if strings.Contains(err.Error(), "UNIQUE constraint failed: runs.name") {
				return fmt.Errorf("%w: %s", ErrRunExists, r.Name)
			}
			return err
		}
		r.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return Run{}, fmt.Errorf("track: create run %s in %s: %w", r.Name, s.path, err)
	}
	return r, nil
}

// SetStatus sets a run's status.
func (s *Store) SetStatus(runID int64, st Status) error {
	if !st.Valid() {
		return fmt.Errorf("track: set status of run %d: unknown status %q", runID, st)
	}
	return s.updateRun(runID, "status", string(st))
}

// SetDir records a run's directory.
func (s *Store) SetDir(runID int64, dir string) error { return s.updateRun(runID, "dir", dir) }

func (s *Store) updateRun(runID int64, column, value string) error {
	err := s.write(func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE runs SET `+column+` = ?, updated_at = ? WHERE id = ?`, value, formatTime(time.Now()), runID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("run %d: %w", runID, ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("track: set %s of run %d in %s: %w", column, runID, s.path, err)
	}
	return nil
}

const runColumns = `id, name, algo, env, seed, status, config, provenance, dir, created_at, updated_at`

type scanner interface{ Scan(...any) error }

func scanRun(sc scanner) (Run, error) {
	var r Run
	var status, config, prov, created, updated string
	if err := sc.Scan(&r.ID, &r.Name, &r.Algo, &r.Env, &r.Seed, &status, &config, &prov, &r.Dir, &created, &updated); err != nil {
		return Run{}, err
	}
	r.Status = Status(status)
	r.Config = json.RawMessage(config)
	if err := json.Unmarshal([]byte(prov), &r.Provenance); err != nil {
		return Run{}, fmt.Errorf("run %d: provenance: %w", r.ID, err)
	}
	r.Created, r.Updated = parseTime(created), parseTime(updated)
	return r, nil
}

// GetRun returns the run with the given ID, or an error wrapping ErrNotFound.
func (s *Store) GetRun(runID int64) (Run, error) {
	r, err := scanRun(s.db.QueryRow(`SELECT `+runColumns+` FROM runs WHERE id = ?`, runID))
	if errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("run %d: %w", runID, ErrNotFound)
	}
	if err != nil {
		return Run{}, fmt.Errorf("track: %s: %w", s.path, err)
	}
	return r, nil
}

// RunByName returns the run with the given name, or an error wrapping
// ErrNotFound.
func (s *Store) RunByName(name string) (Run, error) {
	r, err := scanRun(s.db.QueryRow(`SELECT `+runColumns+` FROM runs WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("run %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return Run{}, fmt.Errorf("track: %s: %w", s.path, err)
	}
	return r, nil
}

// Filter selects runs; zero fields match everything.
type Filter struct {
	IDs    []int64 // any of these IDs
	Name   string  // SQLite GLOB pattern on the name, e.g. "hopper-medium__iql__*"; "|" separates alternatives ("[|]" is a literal bar)
	Algo   string
	Env    string
	Seed   *int64
	Status Status
}

func (f Filter) where() (string, []any) {
	var conds []string
	var args []any
	if len(f.IDs) > 0 {
		conds = append(conds, "id IN ("+strings.TrimSuffix(strings.Repeat("?,", len(f.IDs)), ",")+")")
		for _, id := range f.IDs {
			args = append(args, id)
		}
	}
	if f.Name != "" {
		alts := splitAlternatives(f.Name)
		conds = append(conds, "("+strings.TrimSuffix(strings.Repeat("name GLOB ? OR ", len(alts)), " OR ")+")")
		for _, a := range alts {
			args = append(args, a)
		}
	}
	if f.Algo != "" {
		conds = append(conds, "algo = ?")
		args = append(args, f.Algo)
	}
	if f.Env != "" {
		conds = append(conds, "env = ?")
		args = append(args, f.Env)
	}
	if f.Seed != nil {
		conds = append(conds, "seed = ?")
		args = append(args, *f.Seed)
	}
	if f.Status != "" {
		conds = append(conds, "status = ?")
		args = append(args, string(f.Status))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// ListRuns returns the runs matching f in creation (ID) order.
func (s *Store) ListRuns(f Filter) ([]Run, error) {
	where, args := f.where()
	rows, err := s.db.Query(`SELECT `+runColumns+` FROM runs`+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("track: list runs in %s: %w", s.path, err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("track: list runs in %s: %w", s.path, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("track: list runs in %s: %w", s.path, err)
	}
	return out, nil
}

// DeleteRun deletes a run with its metrics and artifact records (not the
// artifact files). It returns an error wrapping ErrNotFound if there is no
// such run.
func (s *Store) DeleteRun(runID int64) error {
	err := s.write(func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM runs WHERE id = ?`, runID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("run %d: %w", runID, ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("track: delete run %d in %s: %w", runID, s.path, err)
	}
	return nil
}

// Artifact is a file a run produced.
type Artifact struct {
	RunID   int64
	Kind    string // e.g. "checkpoint", "config", "video", "report"
	Path    string
	Created time.Time
}

// AddArtifact records a file of a run; recording the same kind and path
// again is a no-op.
func (s *Store) AddArtifact(runID int64, kind, path string) error {
	if kind == "" || path == "" {
		return fmt.Errorf("track: add artifact to run %d: kind %q and path %q must not be empty", runID, kind, path)
	}
	err := s.write(func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO artifacts(run_id, kind, path, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT(run_id, kind, path) DO NOTHING`, runID, kind, path, formatTime(time.Now()))
		return fkError(err, runID)
	})
	if err != nil {
		return fmt.Errorf("track: add artifact %s to run %d in %s: %w", path, runID, s.path, err)
	}
	return nil
}

// Artifacts returns a run's artifacts in the order they were added.
func (s *Store) Artifacts(runID int64) ([]Artifact, error) {
	rows, err := s.db.Query(`SELECT run_id, kind, path, created_at FROM artifacts WHERE run_id = ? ORDER BY id`, runID)
	if err != nil {
		return nil, fmt.Errorf("track: artifacts of run %d in %s: %w", runID, s.path, err)
	}
	defer rows.Close()
	var out []Artifact
	for rows.Next() {
		var a Artifact
		var created string
		if err := rows.Scan(&a.RunID, &a.Kind, &a.Path, &created); err != nil {
			return nil, fmt.Errorf("track: artifacts of run %d in %s: %w", runID, s.path, err)
		}
		a.Created = parseTime(created)
		out = append(out, a)
	}
	return out, rows.Err()
}

// fkError names the run when a foreign key (the run) is missing.
func fkError(err error, runID int64) error {
	if err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed") {
		return fmt.Errorf("run %d: %w", runID, ErrNotFound)
	}
	return err
}

// splitAlternatives splits a name filter at the bars outside a GLOB
// character class ("a*|b*" is two patterns, "x[|]y" one).
func splitAlternatives(p string) []string {
	var out []string
	start, inClass := 0, false
	for i := 0; i < len(p); i++ {
		switch {
		case p[i] == '[' && !inClass:
			inClass = true
			if i+1 < len(p) && p[i+1] == ']' { // "[]...]" holds a literal ]
				i++
			}
		case p[i] == ']' && inClass:
			inClass = false
		case p[i] == '|' && !inClass:
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return append(out, p[start:])
}
