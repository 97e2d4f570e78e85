package report

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dwm-rl/dwm/track"
)

// ParseFilter reads a run filter as the CLI takes it: comma-separated
// key=value terms, all of which must match —
//
//	name=<glob>   SQLite GLOB on the run name (a term without "=" is a name glob);
//	              "|" separates alternatives, "[|]" matches a literal bar
//	algo=<name>   (method= is the same)
//	env=<id>      (task= is the same)
//	seed=<int>
//	status=<pending|running|done|failed|interrupted>
//	id=<int>[|<int>...]
//
// e.g. "sweep1__*,algo=iql,status=done". The empty string matches every run.
func ParseFilter(s string) (track.Filter, error) {
	var f track.Filter
	seen := map[string]bool{}
	for _, term := range strings.Split(s, ",") {
		term = strings.TrimSpace(term)
		if term == "" {
			continue
		}
		key, val, ok := strings.Cut(term, "=")
		if !ok {
			key, val = "name", term
		}
		key, val = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(val)
		switch key {
		case "method":
			key = "algo"
		case "task":
			key = "env"
		}
		if seen[key] {
			return track.Filter{}, fmt.Errorf("run filter %q: %s given twice", s, key)
		}
		seen[key] = true
		if val == "" {
			return track.Filter{}, fmt.Errorf("run filter %q: %s has an empty value", s, key)
		}
		switch key {
		case "name":
			f.Name = val
		case "algo":
			f.Algo = val
		case "env":
			f.Env = val
		case "seed":
			seed, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				return track.Filter{}, fmt.Errorf("run filter %q: seed %q is not an integer", s, val)
			}
			f.Seed = &seed
		case "status":
			st := track.Status(val)
			if !st.Valid() {
				return track.Filter{}, fmt.Errorf("run filter %q: unknown status %q (want pending, running, done, failed or interrupted)", s, val)
			}
			f.Status = st
		case "id":
			for _, p := range strings.Split(val, "|") {
				id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
				if err != nil {
					return track.Filter{}, fmt.Errorf("run filter %q: id %q is not an integer", s, p)
				}
				f.IDs = append(f.IDs, id)
			}
		default:
			return track.Filter{}, fmt.Errorf("run filter %q: unknown key %q (want name, algo, env, seed, status or id)", s, key)
		}
	}
	return f, nil
}

// FormatFilter writes f in ParseFilter's syntax ("" for all runs).
func FormatFilter(f track.Filter) string {
	var terms []string
	if f.Name != "" {
		terms = append(terms, "name="+f.Name)
	}
	if f.Algo != "" {
		terms = append(terms, "algo="+f.Algo)
	}
	if f.Env != "" {
		terms = append(terms, "env="+f.Env)
	}
	if f.Seed != nil {
		terms = append(terms, "seed="+strconv.FormatInt(*f.Seed, 10))
	}
	if f.Status != "" {
		terms = append(terms, "status="+string(f.Status))
	}
	if len(f.IDs) > 0 {
		ids := make([]string, len(f.IDs))
		for i, id := range f.IDs {
			ids[i] = strconv.FormatInt(id, 10)
		}
		terms = append(terms, "id="+strings.Join(ids, "|"))
	}
	return strings.Join(terms, ",")
}

func isEmpty(f track.Filter) bool { return FormatFilter(f) == "" }

// ListRuns writes one line per run matching f (`dwm runs list`): ID, name,
// method, task, seed, status, number of metric rows, last update.
func ListRuns(w io.Writer, s *track.Store, f track.Filter) error {
	runs, err := s.ListRuns(f)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tALGO\tENV\tSEED\tSTATUS\tROWS\tUPDATED")
	for _, r := range runs {
		n, err := s.CountMetrics(r.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%d\t%s\n", r.ID, r.Name, r.Algo, r.Env, r.Seed, r.Status, n,
			r.Updated.Local().Format(time.DateTime))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(runs) == 0 {
		_, err = fmt.Fprintf(w, "no runs match %q in %s\n", FormatFilter(f), s.Path())
	}
	return err
}

// FindRun returns the run named ref or, if ref is a number and no run has
// that name, the run with that ID. The error wraps track.ErrNotFound.
func FindRun(s *track.Store, ref string) (track.Run, error) {
	r, err := s.RunByName(ref)
	if err == nil || !errors.Is(err, track.ErrNotFound) {
		return r, err
	}
	if id, perr := strconv.ParseInt(ref, 10, 64); perr == nil {
		return s.GetRun(id)
	}
	return track.Run{}, err
}

// ShowRun writes one run (`dwm runs show <name|id>`): its record,
// provenance, resolved config, every metric with its number of points and
// last value, and its artifacts.
func ShowRun(w io.Writer, s *track.Store, ref string) error {
	r, err := FindRun(s, ref)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	p := r.Provenance
	lines := [][2]string{
		{"id", strconv.FormatInt(r.ID, 10)}, {"name", r.Name}, {"algo", r.Algo}, {"env", r.Env},
		{"seed", strconv.FormatInt(r.Seed, 10)}, {"status", string(r.Status)}, {"dir", r.Dir},
		{"created", r.Created.Local().Format(time.RFC3339)}, {"updated", r.Updated.Local().Format(time.RFC3339)},
		{"dwm version", p.Version}, {"git commit", p.GitCommit + map[bool]string{true: " (dirty)"}[p.GitDirty]},
		{"host", p.Host}, {"go", p.GoVersion + " " + p.OS + "/" + p.Arch}, {"command", strings.Join(p.Args, " ")},
	}
	if f := forkOf(r); f != "" {
		lines = append(lines, [2]string{"fork of", f + " (its history up to that step is the parent's)"})
	}
	for _, kv := range lines {
		fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var cfg any
	if json.Unmarshal(r.Config, &cfg) == nil {
		b, _ := json.MarshalIndent(cfg, "  ", "  ")
		fmt.Fprintf(w, "config:\n  %s\n", b)
	}
	names, err := s.MetricNames(r.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "metrics (%d):\n", len(names))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tPOINTS\tLAST STEP\tPHASE\tLAST VALUE")
	for _, n := range names {
		pts, err := s.Metrics(r.ID, n)
		if err != nil {
			return err
		}
		last := pts[len(pts)-1]
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%s\t%s\n", n, len(pts), last.Step, last.Phase, fmtNum(last.Value))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	arts, err := s.Artifacts(r.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "artifacts (%d):\n", len(arts))
	for _, a := range arts {
		fmt.Fprintf(w, "  %s\t%s\n", a.Kind, a.Path)
	}
	return nil
}

// RemoveOptions configures RemoveRuns.
type RemoveOptions struct {
	// DryRun lists the runs that would be removed and removes nothing.
	DryRun bool
	// All allows an empty filter, which matches (and removes) every run.
	All bool
	// KeepFiles leaves the runs' directories on disk. By default a run's
	// directory (checkpoints, saved config) goes with its record, so that
	// a later run of the same name starts afresh instead of resuming the
	// removed one's checkpoints; a directory is removed only if it holds
	// a run's config.yaml.
	KeepFiles bool
}

// RemoveRuns deletes the runs matching f with their metrics and artifact
// records (`dwm runs rm`), writing one line per run, and returns how many it
// removed. It refuses an empty filter unless opts.All is set.
func RemoveRuns(w io.Writer, s *track.Store, f track.Filter, opts RemoveOptions) (int, error) {
	if isEmpty(f) && !opts.All {
		return 0, fmt.Errorf("remove runs from %s: the filter is empty and would remove every run; give a filter or set All", s.Path())
	}
	runs, err := s.ListRuns(f)
	if err != nil {
		return 0, err
	}
	verb := "removed"
	if opts.DryRun {
		verb = "would remove"
	}
	n := 0
	for _, r := range runs {
		files := ""
		if r.Dir != "" && !opts.KeepFiles {
			if _, err := os.Stat(filepath.Join(r.Dir, "config.yaml")); err == nil {
				files = " and its directory " + r.Dir
			} else if _, err := os.Stat(r.Dir); err == nil {
				files = " (its directory " + r.Dir + " holds no config.yaml: left in place)"
			}
		}
		if !opts.DryRun {
			if err := s.DeleteRun(r.ID); err != nil {
				return n, err
			}
			n++
			if strings.HasPrefix(files, " and") {
				if err := os.RemoveAll(r.Dir); err != nil {
					return n, fmt.Errorf("remove run %s: its record is gone but its directory is not: %w", r.Name, err)
				}
			}
		}
		fmt.Fprintf(w, "%s run %d %s%s\n", verb, r.ID, r.Name, files)
	}
	if len(runs) == 0 {
		fmt.Fprintf(w, "no runs match %q in %s\n", FormatFilter(f), s.Path())
	}
	return n, nil
}

// fmtNum formats a statistic for a table: four significant digits without
// an exponent for ordinary magnitudes.
func fmtNum(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a >= 1e6 || a < 1e-3:
		return strconv.FormatFloat(v, 'g', 4, 64)
	case a >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// Difference is one key on which two runs differ: a config key
// ("bdwm.no_bc"), a provenance field ("provenance.git_commit"), the status,
// or a metric's last value ("last eval/normalized_return"). A side without
// the key holds "—".
type Difference struct {
	Key, A, B string
}

// DiffRuns returns what differs between runs a and b (names or ids in s):
// status, provenance (version, commit, host, Go), every key of their
// resolved configs, and the last value of each evaluation metric (eval/…),
// in that order, keys sorted within each part. The run name itself is
// left out. Two runs of one sweep that differ in the seed only differ, here,
// in seed, and in whatever the seed changed.
func DiffRuns(s *track.Store, a, b string) ([]Difference, error) {
	ra, err := FindRun(s, a)
	if err != nil {
		return nil, err
	}
	rb, err := FindRun(s, b)
	if err != nil {
		return nil, err
	}
	var out []Difference
	add := func(prefix string, ma, mb map[string]string) {
		keys := slices.Sorted(maps.Keys(ma))
		for k := range mb {
			if _, ok := ma[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			va, oka := ma[k]
			vb, okb := mb[k]
			if oka && okb && va == vb {
				continue
			}
			out = append(out, Difference{Key: prefix + k, A: cmp.Or(va, "—"), B: cmp.Or(vb, "—")})
		}
	}
	add("", map[string]string{"status": string(ra.Status)}, map[string]string{"status": string(rb.Status)})
	prov := func(p track.Provenance) map[string]string {
		return map[string]string{"version": p.Version, "git_commit": p.GitCommit, "host": p.Host, "go": p.GoVersion}
	}
	add("provenance.", prov(ra.Provenance), prov(rb.Provenance))
	ca, err := flatConfig(ra)
	if err != nil {
		return nil, err
	}
	cb, err := flatConfig(rb)
	if err != nil {
		return nil, err
	}
	delete(ca, "name")
	delete(cb, "name")
	add("", ca, cb)
	la, err := lastEvals(s, ra)
	if err != nil {
		return nil, err
	}
	lb, err := lastEvals(s, rb)
	if err != nil {
		return nil, err
	}
	add("last ", la, lb)
	return out, nil
}

// flatConfig returns r's resolved config as dotted keys and values
// (lists and maps as JSON).
func flatConfig(r track.Run) (map[string]string, error) {
	var cfg any
	if len(r.Config) > 0 {
		if err := json.Unmarshal(r.Config, &cfg); err != nil {
			return nil, fmt.Errorf("run %s: config: %w", r.Name, err)
		}
	}
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if m, ok := v.(map[string]any); ok && len(m) > 0 {
			for k, x := range m {
				walk(strings.TrimPrefix(prefix+"."+k, "."), x)
			}
			return
		}
		if prefix == "" {
			return
		}
		b, _ := json.Marshal(v)
		out[prefix] = string(b)
	}
	walk("", cfg)
	return out, nil
}

// lastEvals returns the last value and step of each eval/ metric of r.
func lastEvals(s *track.Store, r track.Run) (map[string]string, error) {
	names, err := s.MetricNames(r.ID)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, n := range names {
		if !strings.HasPrefix(n, "eval/") {
			continue
		}
		pts, err := s.Metrics(r.ID, n)
		if err != nil {
			return nil, err
		}
		if len(pts) > 0 {
			p := pts[len(pts)-1]
			out[n] = fmt.Sprintf("%s at step %d", fmtNum(p.Value), p.Step)
		}
	}
	return out, nil
}

// WriteDiff writes DiffRuns(s, a, b) as a table.
func WriteDiff(w io.Writer, s *track.Store, a, b string) error {
	d, err := DiffRuns(s, a, b)
	if err != nil {
		return err
	}
	if len(d) == 0 {
		_, err := fmt.Fprintf(w, "runs %s and %s do not differ (config, provenance, status, last evaluations)\n", a, b)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "KEY\t%s\t%s\n", a, b)
	for _, x := range d {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", x.Key, x.A, x.B)
	}
	return tw.Flush()
}
