package crashtest

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/track"

	_ "modernc.org/sqlite"
)

// dwmBin is the dwm binary built by TestMain; workDir is a directory shared
// by the tests (the dataset cache).
var dwmBin, workDir string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "dwm-crashtest-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		workDir = dir
		if b := os.Getenv("DWM_CRASHTEST_BIN"); b != "" {
			// A prebuilt binary (e.g. a release build, or one built with
			// -overlay to check that these tests catch a broken resume).
			dwmBin = b
			return m.Run()
		}
		dwmBin = filepath.Join(dir, "dwm")
		goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(goTool); err != nil {
			if goTool, err = exec.LookPath("go"); err != nil {
				fmt.Fprintln(os.Stderr, "crashtest: no go tool to build dwm:", err)
				return 1
			}
		}
		cmd := exec.Command(goTool, "build", "-o", dwmBin, "github.com/dwm-rl/dwm/cmd/dwm")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "crashtest: build dwm:", err)
			return 1
		}
		return m.Run()
	}())
}

// patience bounds every wait for a dwm process: the runs take seconds, but
// a loaded machine can stretch that a lot.
const patience = 5 * time.Minute

// proc is a running dwm process.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	done           chan struct{}
	err            error
}

// start starts dwm with args.
func start(t *testing.T, args ...string) *proc {
	t.Helper()
	return startProc(t, exec.Command(dwmBin, args...))
}

// startProc starts cmd, killing it at the end of the test if it still runs.
func startProc(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{cmd: cmd, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", strings.Join(cmd.Args, " "), err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the process (at most patience) and returns its error.
func (p *proc) wait(t *testing.T) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(patience):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("dwm %s did not finish within %v; stderr:\n%s", strings.Join(p.cmd.Args[1:], " "), patience, p.stderr.String())
		return nil
	}
}

func (p *proc) signal(t *testing.T, s syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(s); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("signal %v: %v", s, err)
	}
}

// progress returns the largest step at which run name has logged any
// metric in the store s (-1 if none yet). It asks SQLite directly, in one
// query, so that polling keeps up with a run on a loaded machine.
func progress(s *track.Store, name string) int64 {
	db := readers.get(s.Path())
	if db == nil {
		return -1
	}
	var last sql.NullInt64
	err := db.QueryRow(`SELECT max(m.step) FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.name = ?`, name).Scan(&last)
	if err != nil || !last.Valid {
		return -1
	}
	return last.Int64
}

// readers holds one read-only connection per store file.
var readers = readerCache{dbs: map[string]*sql.DB{}}

type readerCache struct {
	mu  sync.Mutex
	dbs map[string]*sql.DB
}

func (c *readerCache) get(path string) *sql.DB {
	c.mu.Lock()
	defer c.mu.Unlock()
	if db, ok := c.dbs[path]; ok {
		return db
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return nil
	}
	c.dbs[path] = db
	return db
}

// waitProgress polls the store until run name has logged a metric at step
// ≥ step or the process exits; it returns the step seen and whether the
// process is still running.
func waitProgress(t *testing.T, s *track.Store, name string, step int64, p *proc) (int64, bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for time.Now().Before(deadline) {
		if p.exited() {
			return progress(s, name), false
		}
		if got := progress(s, name); got >= step {
			return got, true
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("run %s made no progress to step %d within %v; stderr:\n%s", name, step, patience, p.stderr.String())
	return 0, false
}

// openStore opens (creating if needed) the store of a runs directory, as
// the tests' observer beside the dwm processes.
func openStore(t *testing.T, runs string) *track.Store {
	t.Helper()
	if err := os.MkdirAll(runs, 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := track.Open(filepath.Join(runs, "dwm.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// mustSucceed fails the test with the process's output if it failed.
func mustSucceed(t *testing.T, p *proc, what string) {
	t.Helper()
	if err := p.wait(t); err != nil {
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", what, err, p.stdout.String(), p.stderr.String())
	}
}

// mustExit fails the test with the process's output unless it exited with
// code (dwm exits 128 + the signal's number after a signal stopped a run).
func mustExit(t *testing.T, p *proc, code int, what string) {
	t.Helper()
	err := p.wait(t)
	if got := p.cmd.ProcessState.ExitCode(); got != code {
		t.Fatalf("%s: exit %d (%v), want %d\nstdout:\n%s\nstderr:\n%s", what, got, err, code, p.stdout.String(), p.stderr.String())
	}
}

// sameRun checks that run name in the runs directory got matches the one in
// want: every metric series except wall-clock time/… bit for bit, and the
// final checkpoint's step, counters, random streams, extra state and every
// tensor (networks, optimizer moments, replay buffer).
func sameRun(t *testing.T, want, got, name string) {
	t.Helper()
	ws, gs := openStore(t, want), openStore(t, got)
	wr, err := ws.RunByName(name)
	if err != nil {
		t.Fatal(err)
	}
	gr, err := gs.RunByName(name)
	if err != nil {
		t.Fatal(err)
	}
	if gr.Status != track.StatusDone || wr.Status != track.StatusDone {
		t.Errorf("status: uninterrupted %s, resumed %s; want both done", wr.Status, gr.Status)
	}
	wn, _ := ws.MetricNames(wr.ID)
	gn, _ := gs.MetricNames(gr.ID)
	if !slices.Equal(wn, gn) {
		t.Fatalf("metric names differ:\nuninterrupted %v\nresumed       %v", wn, gn)
	}
	compared := 0
	for _, n := range wn {
		if strings.HasPrefix(n, "time/") {
			continue
		}
		wp, _ := ws.Metrics(wr.ID, n)
		gp, _ := gs.Metrics(gr.ID, n)
		if i := firstDiff(wp, gp); i >= 0 {
			t.Errorf("metric %s differs first at point %d of %d/%d: uninterrupted %v, resumed %v",
				n, i, len(wp), len(gp), at(wp, i), at(gp, i))
		}
		compared += len(wp)
	}
	if len(wn) == 0 || compared == 0 {
		t.Fatal("no metrics to compare")
	}
	wf, gf := final(t, want, name), final(t, got, name)
	if wf.Step != gf.Step {
		t.Errorf("final checkpoint at step %d, resumed at %d", wf.Step, gf.Step)
	}
	if !equalMaps(wf.Counters, gf.Counters) {
		t.Errorf("counters: %v vs %v", wf.Counters, gf.Counters)
	}
	if len(wf.RNG) != len(gf.RNG) {
		t.Errorf("random streams: %d vs %d", len(wf.RNG), len(gf.RNG))
	}
	for k, v := range wf.RNG {
		if !bytes.Equal(v, gf.RNG[k]) {
			t.Errorf("random stream %s differs", k)
		}
	}
	if !bytes.Equal(wf.Extra, gf.Extra) {
		t.Errorf("extra state: %s vs %s", wf.Extra, gf.Extra)
	}
	sameTensors(t, "model", wf.Model, gf.Model)
	sameTensors(t, "optimizer", wf.Optimizer, gf.Optimizer)
	t.Logf("%d metric points and %d+%d final tensors identical", compared, len(wf.Model), len(wf.Optimizer))
}

// firstDiff returns the index of the first point where a and b differ, or
// -1 if they are equal.
func firstDiff(a, b []track.Point) int {
	for i := range min(len(a), len(b)) {
		if !samePoint(a[i], b[i]) {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

func at(p []track.Point, i int) any {
	if i < len(p) {
		return p[i]
	}
	return "(none)"
}

func samePoint(a, b track.Point) bool {
	return a.Step == b.Step && a.Phase == b.Phase &&
		(a.Value == b.Value || math.IsNaN(a.Value) && math.IsNaN(b.Value))
}

func equalMaps(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func final(t *testing.T, runs, name string) *checkpoint.Checkpoint {
	t.Helper()
	ck, err := checkpoint.LoadLatest(filepath.Join(runs, name, "checkpoints"))
	if err != nil {
		t.Fatal(err)
	}
	return ck
}

func sameTensors(t *testing.T, what string, a, b []checkpoint.Tensor) {
	t.Helper()
	if len(a) != len(b) {
		t.Errorf("%s: %d tensors vs %d", what, len(a), len(b))
		return
	}
	for i := range a {
		if a[i].Name != b[i].Name || !slices.Equal(a[i].Shape, b[i].Shape) {
			t.Errorf("%s tensor %d: %s%v vs %s%v", what, i, a[i].Name, a[i].Shape, b[i].Name, b[i].Shape)
			continue
		}
		for j := range a[i].Data {
			x, y := a[i].Data[j], b[i].Data[j]
			if math.Float32bits(x) != math.Float32bits(y) {
				t.Errorf("%s tensor %s[%d]: %v uninterrupted, %v resumed", what, a[i].Name, j, x, y)
				break
			}
		}
	}
}
