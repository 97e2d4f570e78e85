package track

import (
	"bufio"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/dwm-rl/dwm/internal/atomicfile"
)

// ExportRow is one exported metric value with its run's identity.
type ExportRow struct {
	RunID int64    `json:"run_id"`
	Run   string   `json:"run"`
	Algo  string   `json:"algo"`
	Env   string   `json:"env"`
	Seed  int64    `json:"seed"`
	Phase string   `json:"phase"`
	Step  int64    `json:"step"`
	Name  string   `json:"name"`
	Value *float64 `json:"value"` // null when not finite (JSON has no NaN or Inf)
}

// exportColumns is the CSV header, in ExportRow's order.
var exportColumns = []string{"run_id", "run", "algo", "env", "seed", "phase", "step", "name", "value"}

// eachRow streams the metric rows of the runs matching f, ordered by run,
// name, step and phase.
func (s *Store) eachRow(f Filter, fn func(r ExportRow, v float64) error) error {
	where, args := f.where()
	rows, err := s.db.Query(`SELECT r.id, r.name, r.algo, r.env, r.seed, m.phase, m.step, m.name, m.value
		FROM (SELECT * FROM runs`+where+`) AS r JOIN metrics AS m ON m.run_id = r.id
		ORDER BY r.id, m.name, m.step, m.phase`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r ExportRow
		var v sql.NullFloat64
		if err := rows.Scan(&r.RunID, &r.Run, &r.Algo, &r.Env, &r.Seed, &r.Phase, &r.Step, &r.Name, &v); err != nil {
			return err
		}
		x := math.NaN()
		if v.Valid {
			x = v.Float64
		}
		if err := fn(r, x); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ExportCSV writes the metric rows of the runs matching f as CSV with a
// header line (run_id, run, algo, env, seed, phase, step, name, value), one
// row per value, in long format. Non-finite values are written NaN, inf and
// -inf, which Python's float() and pandas read back.
func (s *Store) ExportCSV(w io.Writer, f Filter) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(exportColumns); err != nil {
		return err
	}
	rec := make([]string, len(exportColumns))
	err := s.eachRow(f, func(r ExportRow, v float64) error {
		rec[0] = strconv.FormatInt(r.RunID, 10)
		rec[1], rec[2], rec[3] = r.Run, r.Algo, r.Env
		rec[4] = strconv.FormatInt(r.Seed, 10)
		rec[5] = r.Phase
		rec[6] = strconv.FormatInt(r.Step, 10)
		rec[7] = r.Name
		switch {
		case math.IsNaN(v):
			rec[8] = "NaN"
		case math.IsInf(v, 1):
			rec[8] = "inf"
		case math.IsInf(v, -1):
			rec[8] = "-inf"
		default:
			rec[8] = strconv.FormatFloat(v, 'g', -1, 64)
		}
		return cw.Write(rec)
	})
	if err != nil {
		return fmt.Errorf("track: export CSV from %s: %w", s.path, err)
	}
	cw.Flush()
	return cw.Error()
}

// ExportJSONL writes the metric rows of the runs matching f as JSON Lines,
// one ExportRow object per line; a non-finite value is null.
func (s *Store) ExportJSONL(w io.Writer, f Filter) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	err := s.eachRow(f, func(r ExportRow, v float64) error {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			r.Value = &v
		}
		return enc.Encode(&r)
	})
	if err != nil {
		return fmt.Errorf("track: export JSONL from %s: %w", s.path, err)
	}
	return bw.Flush()
}

// ExportFile writes the export of the runs matching f to path atomically,
// as JSON Lines if jsonl is true and CSV otherwise.
func (s *Store) ExportFile(path string, f Filter, jsonl bool) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		if jsonl {
			return s.ExportJSONL(w, f)
		}
		return s.ExportCSV(w, f)
	})
}
