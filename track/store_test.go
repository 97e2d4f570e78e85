package track

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestRunLifecycle(t *testing.T) {
	s := openTemp(t)
	var mode string
	if err := s.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal mode %q, %v; want wal", mode, err)
	}
	prov := CollectProvenance("0.1.0")
	if prov.Host == "" || prov.GoVersion == "" {
		t.Errorf("provenance %+v", prov)
	}
	r, err := s.CreateRun(Run{Algo: "iql", Env: "hopper-medium", Seed: 3, Config: json.RawMessage(`{"lr":0.0003}`), Provenance: prov})
	if err != nil {
		t.Fatal(err)
	}
	if r.ID == 0 || r.Status != StatusRunning || !strings.HasPrefix(r.Name, "hopper-medium__iql__3__") {
		t.Errorf("created %+v", r)
	}
	got, err := s.GetRun(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != r.Name || got.Provenance.GitCommit != prov.GitCommit || got.Provenance.Host != prov.Host ||
		string(got.Config) != `{"lr":0.0003}` || !got.Created.Equal(r.Created) {
		t.Errorf("read back %+v, want %+v", got, r)
	}
	if _, err := s.CreateRun(Run{Name: r.Name, Algo: "iql", Env: "x"}); !errors.Is(err, ErrRunExists) {
		t.Errorf("duplicate name: %v, want ErrRunExists", err)
	}
	if err := s.SetStatus(r.ID, StatusDone); err != nil {
		t.Fatal(err)
	}
	if err := s.SetStatus(r.ID, "finished"); err == nil || !strings.Contains(err.Error(), `unknown status "finished"`) {
		t.Errorf("bad status: %v", err)
	}
	if err := s.SetStatus(999, StatusDone); !errors.Is(err, ErrNotFound) {
		t.Errorf("status of a missing run: %v", err)
	}
	r2, _ := s.CreateRun(Run{Name: "b", Algo: "calql", Env: "hopper-medium", Seed: 0, Status: StatusPending})
	r3, _ := s.CreateRun(Run{Name: "c", Algo: "iql", Env: "walker2d-medium", Seed: 3})
	seed3 := int64(3)
	for _, tc := range []struct {
		f    Filter
		want []int64
	}{
		{Filter{}, []int64{r.ID, r2.ID, r3.ID}},
		{Filter{Algo: "iql"}, []int64{r.ID, r3.ID}},
		{Filter{Env: "hopper-medium", Seed: &seed3}, []int64{r.ID}},
		{Filter{Status: StatusPending}, []int64{r2.ID}},
		{Filter{Name: "hopper-medium__*"}, []int64{r.ID}},
		{Filter{IDs: []int64{r3.ID, r2.ID}}, []int64{r2.ID, r3.ID}},
		{Filter{Algo: "none"}, nil},
	} {
		runs, err := s.ListRuns(tc.f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, x := range runs {
			ids = append(ids, x.ID)
		}
		if fmt.Sprint(ids) != fmt.Sprint(tc.want) {
			t.Errorf("ListRuns(%+v) = %v, want %v", tc.f, ids, tc.want)
		}
	}
	if err := s.AddArtifact(r.ID, "checkpoint", "runs/x/checkpoints/step-1"); err != nil {
		t.Fatal(err)
	}
	s.AddArtifact(r.ID, "checkpoint", "runs/x/checkpoints/step-1") // idempotent
	if arts, _ := s.Artifacts(r.ID); len(arts) != 1 || arts[0].Kind != "checkpoint" {
		t.Errorf("artifacts %+v", arts)
	}
	if err := s.AddArtifact(999, "x", "y"); !errors.Is(err, ErrNotFound) {
		t.Errorf("artifact of a missing run: %v", err)
	}
	if err := s.LogMetrics(r.ID, 1, PhaseOffline, map[string]float64{"loss/critic": 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRun(r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetRun(r.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted run still there: %v", err)
	}
	if n, _ := s.CountMetrics(r.ID); n != 0 {
		t.Errorf("%d metric rows survived their run", n)
	}
	if arts, _ := s.Artifacts(r.ID); len(arts) != 0 {
		t.Errorf("artifacts survived their run")
	}
	if err := s.DeleteRun(r.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	for _, bad := range []Run{{Env: "e"}, {Algo: "a"}, {Algo: "a", Env: "e", Config: json.RawMessage("{")}, {Algo: "a", Env: "e", Status: "weird"}} {
		if _, err := s.CreateRun(bad); err == nil {
			t.Errorf("CreateRun(%+v): no error", bad)
		}
	}
}

func TestMetrics(t *testing.T) {
	s := openTemp(t)
	r, _ := s.CreateRun(Run{Algo: "sac", Env: "pendulum", Seed: 1})
	for step := int64(0); step < 5; step++ {
		if err := s.LogMetrics(r.ID, step*10, PhaseOffline, map[string]float64{
			"loss/critic":       float64(step),
			"eval/return":       float64(100 + step),
			"uncertainty/sigma": 0.5,
		}); err != nil {
			t.Fatal(err)
		}
	}
	// Re-logging a step replaces it (a resumed run); NaN and Inf survive.
	rows := []Row{
		{Step: 20, Phase: PhaseOffline, Name: "eval/return", Value: 7},
		{Step: 60, Phase: PhaseOnline, Name: "eval/return", Value: math.NaN()},
		{Step: 70, Phase: PhaseOnline, Name: "eval/return", Value: math.Inf(1)},
	}
	if err := s.LogRows(r.ID, rows); err != nil {
		t.Fatal(err)
	}
	pts, err := s.Metrics(r.ID, "eval/return")
	if err != nil {
		t.Fatal(err)
	}
	want := []Point{{0, "offline", 100}, {10, "offline", 101}, {20, "offline", 7}, {30, "offline", 103}, {40, "offline", 104}, {60, "online", math.NaN()}, {70, "online", math.Inf(1)}}
	if len(pts) != len(want) {
		t.Fatalf("series %v, want %v", pts, want)
	}
	for i := range want {
		p, w := pts[i], want[i]
		if p.Step != w.Step || p.Phase != w.Phase || !(p.Value == w.Value || math.IsNaN(p.Value) && math.IsNaN(w.Value)) {
			t.Errorf("point %d = %+v, want %+v", i, p, w)
		}
	}
	names, _ := s.MetricNames(r.ID)
	if fmt.Sprint(names) != "[eval/return loss/critic uncertainty/sigma]" {
		t.Errorf("names %v", names)
	}
	// A bad row rejects the whole batch.
	before, _ := s.CountMetrics(r.ID)
	for _, tc := range []struct {
		rows    []Row
		wantErr string
	}{
		{[]Row{{Step: 1, Phase: "online", Name: "train/ok", Value: 1}, {Step: 1, Phase: "online", Name: "critic_loss", Value: 1}}, `metric name "critic_loss": must start with one of train/, eval/`},
		{[]Row{{Step: 1, Phase: "online", Name: "loss/", Value: 1}}, "nothing after the namespace"},
		{[]Row{{Step: 1, Phase: "", Name: "loss/x", Value: 1}}, "empty phase"},
	} {
		if err := s.LogRows(r.ID, tc.rows); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("LogRows err = %v, want %q", err, tc.wantErr)
		}
	}
	if err := s.LogMetrics(12345, 0, "online", map[string]float64{"train/x": 1}); !errors.Is(err, ErrNotFound) {
		t.Errorf("metrics of a missing run: %v", err)
	}
	if after, _ := s.CountMetrics(r.ID); after != before {
		t.Errorf("rejected batches stored rows: %d → %d", before, after)
	}
}

func TestExport(t *testing.T) {
	s := openTemp(t)
	a, _ := s.CreateRun(Run{Name: "a", Algo: "iql", Env: "hopper", Seed: 0})
	b, _ := s.CreateRun(Run{Name: "b", Algo: "td3bc", Env: "hopper", Seed: 1})
	s.LogRows(a.ID, []Row{{0, "offline", "eval/return", 1.5}, {10, "online", "eval/return", math.NaN()}})
	s.LogRows(b.ID, []Row{{0, "offline", "loss/actor", -2}, {5, "offline", "loss/actor", math.Inf(-1)}})
	var csvOut bytes.Buffer
	if err := s.ExportCSV(&csvOut, Filter{}); err != nil {
		t.Fatal(err)
	}
	wantCSV := "run_id,run,algo,env,seed,phase,step,name,value\n" +
		"1,a,iql,hopper,0,offline,0,eval/return,1.5\n" +
		"1,a,iql,hopper,0,online,10,eval/return,NaN\n" +
		"2,b,td3bc,hopper,1,offline,0,loss/actor,-2\n" +
		"2,b,td3bc,hopper,1,offline,5,loss/actor,-inf\n"
	if csvOut.String() != wantCSV {
		t.Errorf("CSV:\n%s\nwant:\n%s", csvOut.String(), wantCSV)
	}
	var jl bytes.Buffer
	if err := s.ExportJSONL(&jl, Filter{Algo: "iql"}); err != nil {
		t.Fatal(err)
	}
	wantJL := `{"run_id":1,"run":"a","algo":"iql","env":"hopper","seed":0,"phase":"offline","step":0,"name":"eval/return","value":1.5}` + "\n" +
		`{"run_id":1,"run":"a","algo":"iql","env":"hopper","seed":0,"phase":"online","step":10,"name":"eval/return","value":null}` + "\n"
	if jl.String() != wantJL {
		t.Errorf("JSONL:\n%s\nwant:\n%s", jl.String(), wantJL)
	}
	p := filepath.Join(t.TempDir(), "out.csv")
	if err := s.ExportFile(p, Filter{Name: "b"}, false); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); strings.Count(string(b), "\n") != 3 {
		t.Errorf("export file:\n%s", b)
	}
}

func TestOpenRejectsForeignFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	// An SQLite database of another application.
	other := filepath.Join(dir, "other.db")
	db, err := sql.Open("sqlite", other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE t(x)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	appDB := filepath.Join(dir, "app.db")
	db, _ = sql.Open("sqlite", appDB)
	db.Exec("PRAGMA application_id = 42")
	db.Close()
	// A dwm store from a newer schema.
	newer := filepath.Join(dir, "newer.db")
	s, err := Open(newer)
	if err != nil {
		t.Fatal(err)
	}
	s.db.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion+1))
	s.Close()

	for _, tc := range []struct {
		path    string
		wantErr string
	}{
		{write("text.db", []byte("hello, this is not a database at all, just some text")), `not an SQLite database (starts with "hello, this is n")`},
		{write("short.db", []byte("SQL")), "not an SQLite database"},
		{write("fake.db", append([]byte("SQLite format 3\x00"), bytes.Repeat([]byte{0xff}, 200)...)), "not an SQLite database"},
		{other, "SQLite database with 1 other schema objects and no dwm schema version, not a dwm run store"},
		{appDB, "SQLite database of another application (application_id 0x2a), not a dwm run store"},
		{newer, fmt.Sprintf("store schema version %d is newer than this dwm supports (%d); upgrade dwm", SchemaVersion+1, SchemaVersion)},
		{filepath.Join(dir, "missing-dir", "x.db"), "open store"},
	} {
		s, err := Open(tc.path)
		if err == nil {
			s.Close()
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("Open(%s) err = %v, want the path and %q", filepath.Base(tc.path), err, tc.wantErr)
		}
	}
	// An empty file becomes a new store.
	s, err = Open(write("empty.db", nil))
	if err != nil {
		t.Fatalf("empty file: %v", err)
	}
	s.Close()
	if _, err := OpenWith(filepath.Join(dir, "x.db"), Options{JournalMode: "MEMORY"}); err == nil || !strings.Contains(err.Error(), `JournalMode "MEMORY"`) {
		t.Errorf("bad journal mode: %v", err)
	}
	if _, err := OpenWith(filepath.Join(dir, "x.db"), Options{BusyTimeout: -time.Second}); err == nil || !strings.Contains(err.Error(), "BusyTimeout -1s is negative") {
		t.Errorf("bad timeout: %v", err)
	}
	// Reopening a store keeps its runs; the DELETE journal mode works too.
	p := filepath.Join(dir, "reopen.db")
	s, _ = OpenWith(p, Options{JournalMode: "delete"})
	s.CreateRun(Run{Name: "keep", Algo: "a", Env: "e"})
	s.Close()
	s, err = Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.RunByName("keep"); err != nil {
		t.Errorf("run lost on reopen: %v", err)
	}
	if _, err := s.RunByName("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("RunByName of a missing run: %v", err)
	}
}

func TestRunName(t *testing.T) {
	ts := time.Date(2025, 3, 4, 5, 6, 7, 891_000_000, time.FixedZone("X", 3600))
	n := RunName("hopper-medium", "cal_ql/v2", 7, ts)
	if n != "hopper-medium__cal-ql-v2__7__20250304T040607.891Z" {
		t.Errorf("RunName = %q", n)
	}
	env, algo, seed, pt, err := ParseRunName(filepath.Join("runs", n))
	if err != nil || env != "hopper-medium" || algo != "cal-ql-v2" || seed != 7 || !pt.Equal(ts) {
		t.Errorf("ParseRunName = %q %q %d %v %v", env, algo, seed, pt, err)
	}
	if d := RunDir("runs", "e", "a", 0, ts); d != filepath.Join("runs", "e__a__0__20250304T040607.891Z") {
		t.Errorf("RunDir = %q", d)
	}
	for _, bad := range []string{"x", "a__b__c__d", "a__b__1__yesterday"} {
		if _, _, _, _, err := ParseRunName(bad); err == nil {
			t.Errorf("ParseRunName(%q): no error", bad)
		}
	}
}

func TestGitHead(t *testing.T) {
	root := t.TempDir()
	g := filepath.Join(root, ".git")
	os.MkdirAll(filepath.Join(g, "refs", "heads"), 0o755)
	os.WriteFile(filepath.Join(g, "HEAD"), []byte("ref: refs/heads/main\n"), 0o644)
	os.WriteFile(filepath.Join(g, "packed-refs"), []byte("# pack-refs\nabc123 refs/heads/main\n"), 0o644)
	sub := filepath.Join(root, "a", "b")
	os.MkdirAll(sub, 0o755)
	if c := gitHead(sub); c != "abc123" {
		t.Errorf("packed ref: %q", c)
	}
	os.WriteFile(filepath.Join(g, "refs", "heads", "main"), []byte("def456\n"), 0o644)
	if c := gitHead(sub); c != "def456" {
		t.Errorf("loose ref: %q", c)
	}
	os.WriteFile(filepath.Join(g, "HEAD"), []byte("0123abcd\n"), 0o644)
	if c := gitHead(sub); c != "0123abcd" {
		t.Errorf("detached: %q", c)
	}
}
