package track

import (
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Namespaces are the prefixes every metric name starts with.
var Namespaces = []string{"train/", "eval/", "loss/", "model/", "uncertainty/", "time/"}

// Phases of a run, for a metric's phase column. Any non-empty phase is
// accepted; these are the ones dwm's loops write.
const (
	PhaseOffline = "offline"
	PhaseOnline  = "online"
)

// ValidateMetricName reports a name that does not start with one of
// Namespaces or has nothing after it.
func ValidateMetricName(name string) error {
	for _, ns := range Namespaces {
		if rest, ok := strings.CutPrefix(name, ns); ok {
			if rest == "" {
				return fmt.Errorf("metric name %q: nothing after the namespace", name)
			}
			return nil
		}
	}
	return fmt.Errorf("metric name %q: must start with one of %s", name, strings.Join(Namespaces, ", "))
}

// Row is one metric value of a run.
type Row struct {
	Step  int64
	Phase string
	Name  string
	Value float64
}

// Point is one value of a metric series.
type Point struct {
	Step  int64
	Phase string
	Value float64 // NaN if NaN was logged
}

// LogMetrics records values (metric name → value) for one step and phase of
// a run, in one transaction. See LogRows.
func (s *Store) LogMetrics(runID, step int64, phase string, values map[string]float64) error {
	rows := make([]Row, 0, len(values))
	for name, v := range values {
		rows = append(rows, Row{Step: step, Phase: phase, Name: name, Value: v})
	}
	slices.SortFunc(rows, func(a, b Row) int { return strings.Compare(a.Name, b.Name) })
	return s.LogRows(runID, rows)
}

// LogRows records rows of a run in one transaction: all or none are stored.
// A row for a (name, step, phase) already stored replaces its value. It
// returns an error, storing nothing, if a name is not namespaced (see
// ValidateMetricName), a phase is empty, or the run does not exist.
func (s *Store) LogRows(runID int64, rows []Row) error {
	for _, r := range rows {
		if err := ValidateMetricName(r.Name); err != nil {
			return fmt.Errorf("track: log metrics of run %d: %w", runID, err)
		}
		if r.Phase == "" {
			return fmt.Errorf("track: log metrics of run %d: metric %s at step %d has an empty phase", runID, r.Name, r.Step)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	err := s.write(func(tx *sql.Tx) error {
		st, err := tx.Prepare(`INSERT INTO metrics(run_id, name, step, phase, value) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT(run_id, name, step, phase) DO UPDATE SET value = excluded.value`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, r := range rows {
			var v any = r.Value
			if math.IsNaN(r.Value) {
				v = nil
			}
			if _, err := st.Exec(runID, r.Name, r.Step, r.Phase, v); err != nil {
				return fkError(err, runID)
			}
		}
		_, err = tx.Exec(`UPDATE runs SET updated_at = ? WHERE id = ?`, formatTime(time.Now()), runID)
		return err
	})
	if err != nil {
		return fmt.Errorf("track: log %d metric rows of run %d in %s: %w", len(rows), runID, s.path, err)
	}
	return nil
}

// Metrics returns the series of one metric of a run, by step (then phase).
func (s *Store) Metrics(runID int64, name string) ([]Point, error) {
	rows, err := s.db.Query(`SELECT step, phase, value FROM metrics WHERE run_id = ? AND name = ? ORDER BY step, phase`, runID, name)
	if err != nil {
		return nil, fmt.Errorf("track: metric %s of run %d in %s: %w", name, runID, s.path, err)
	}
	defer rows.Close()
	var out []Point
	for rows.Next() {
		var p Point
		var v sql.NullFloat64
		if err := rows.Scan(&p.Step, &p.Phase, &v); err != nil {
			return nil, fmt.Errorf("track: metric %s of run %d in %s: %w", name, runID, s.path, err)
		}
		p.Value = math.NaN()
		if v.Valid {
			p.Value = v.Float64
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Rows returns every metric row of a run with a step at most maxStep,
// ordered by step, phase and name (for copying a run's history into a run
// branched from it).
func (s *Store) Rows(runID, maxStep int64) ([]Row, error) {
	rows, err := s.db.Query(`SELECT step, phase, name, value FROM metrics WHERE run_id = ? AND step <= ? ORDER BY step, phase, name`, runID, maxStep)
	if err != nil {
		return nil, fmt.Errorf("track: metrics of run %d in %s: %w", runID, s.path, err)
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		var r Row
		var v sql.NullFloat64
		if err := rows.Scan(&r.Step, &r.Phase, &r.Name, &v); err != nil {
			return nil, fmt.Errorf("track: metrics of run %d in %s: %w", runID, s.path, err)
		}
		r.Value = math.NaN()
		if v.Valid {
			r.Value = v.Float64
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// MetricNames returns the names of the metrics a run has logged, sorted.
func (s *Store) MetricNames(runID int64) ([]string, error) {
	rows, err := s.db.Query(`SELECT DISTINCT name FROM metrics WHERE run_id = ? ORDER BY name`, runID)
	if err != nil {
		return nil, fmt.Errorf("track: metric names of run %d in %s: %w", runID, s.path, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// CountMetrics returns how many metric rows a run has.
func (s *Store) CountMetrics(runID int64) (int64, error) {
	var n int64
	if err := s.db.QueryRow(`SELECT count(*) FROM metrics WHERE run_id = ?`, runID).Scan(&n); err != nil {
		return 0, fmt.Errorf("track: count metrics of run %d in %s: %w", runID, s.path, err)
	}
	return n, nil
}
