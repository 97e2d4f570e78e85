package sweep

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// phaseLine matches the plain progress line the progress package prints
// when its output is not a terminal (a run's output is a pipe):
// "<phase> <step>/<total> (<pct>%) ...".
var phaseLine = regexp.MustCompile(`^(\S+) (\d+)/(\d+) \(\d+%\)`)

// parsePhase returns the phase, step and total of a progress line.
func parsePhase(line string) (phase string, step, total int64, ok bool) {
	m := phaseLine.FindStringSubmatch(line)
	if m == nil {
		return "", 0, 0, false
	}
	step, err1 := strconv.ParseInt(m[2], 10, 64)
	total, err2 := strconv.ParseInt(m[3], 10, 64)
	if err1 != nil || err2 != nil {
		return "", 0, 0, false
	}
	return m[1], step, total, true
}

// phaseWriter scans a run's output for progress lines.
type phaseWriter struct {
	onPhase func(phase string, step, total int64)
	buf     []byte
}

// maxLine bounds the partial line kept between writes.
const maxLine = 64 << 10

func (w *phaseWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexAny(w.buf, "\n\r")
		if i < 0 {
			break
		}
		if phase, step, total, ok := parsePhase(string(w.buf[:i])); ok {
			w.onPhase(phase, step, total)
		}
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > maxLine {
		w.buf = w.buf[:0]
	}
	return len(p), nil
}

// display shows a sweep's progress: on a terminal, a bar for the runs
// (done/total, ETA, failures) and one per worker (its run, phase and step);
// elsewhere, one line per event.
type display struct {
	mu       sync.Mutex
	out      io.Writer
	live     *mpb.Progress
	runsBar  *mpb.Bar
	slots    []slot
	name     string
	total    int
	finished int // skipped before start + done/failed/interrupted since
	ranNow   int // finished by this process (for the ETA)
	failed   int
	began    time.Time
}

type slot struct {
	run, phase, lastPhase string
	step, steps           int64
	bar                   *mpb.Bar
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func newDisplay(out io.Writer, name string, total, skipped, workers int) *display {
	d := &display{out: out, name: name, total: total, finished: skipped, began: time.Now(), slots: make([]slot, workers)}
	if out == nil || !isTerminal(out) {
		return d
	}
	d.live = mpb.New(mpb.WithOutput(out), mpb.WithWidth(30), mpb.WithRefreshRate(250*time.Millisecond))
	d.runsBar = d.live.AddBar(int64(total),
		mpb.PrependDecorators(decor.Name("sweep "+name+" ", decor.WC{C: decor.DindentRight}), decor.CountersNoUnit("%d/%d runs")),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return d.summary() })))
	d.runsBar.SetCurrent(int64(skipped))
	for i := range d.slots {
		i := i
		d.slots[i].bar = d.live.AddBar(0,
			mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return d.slotLabel(i) }, decor.WC{W: 48, C: decor.DindentRight})),
			mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return d.slotSteps(i) })))
	}
	return d
}

// summary is "ETA 1m20s, 1 failed" (the caller holds no lock).
func (d *display) summary() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := "ETA " + d.eta()
	if d.failed > 0 {
		s += fmt.Sprintf(", %d failed", d.failed)
	}
	return s
}

// eta estimates the time left from this process's throughput; d.mu held.
func (d *display) eta() string {
	left := d.total - d.finished
	if left == 0 {
		return "0s"
	}
	if d.ranNow == 0 {
		return "?"
	}
	per := time.Since(d.began) / time.Duration(d.ranNow)
	return (per * time.Duration(left)).Round(time.Second).String()
}

func (d *display) slotLabel(i int) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.slots[i]
	if s.run == "" {
		return fmt.Sprintf("w%d idle", i+1)
	}
	phase := s.phase
	if phase == "" {
		phase = "starting"
	}
	return fmt.Sprintf("w%d %s %s", i+1, s.run, phase)
}

func (d *display) slotSteps(i int) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.slots[i]
	if s.run == "" || s.steps == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.step, s.steps)
}

func (d *display) logf(format string, args ...any) {
	if d.out == nil {
		return
	}
	if d.live != nil {
		fmt.Fprintf(d.live, format, args...) // printed above the bars
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	fmt.Fprintf(d.out, format, args...)
}

// Bar methods are called without d.mu held: mpb calls the decorators,
// which take d.mu, from the goroutine those methods hand their work to.

func (d *display) start(i int, r Run) {
	d.mu.Lock()
	b := d.slots[i].bar
	d.slots[i] = slot{run: r.Name, bar: b}
	d.mu.Unlock()
	if b != nil {
		b.SetTotal(0, false)
		b.SetCurrent(0)
	}
	if d.live == nil {
		d.logf("start  %s (worker %d)\n", r.Name, i+1)
	}
}

func (d *display) phase(i int, phase string, step, total int64) {
	d.mu.Lock()
	s := &d.slots[i]
	s.phase, s.step, s.steps = phase, step, total
	newPhase := phase != s.lastPhase
	s.lastPhase = phase
	run, b := s.run, s.bar
	d.mu.Unlock()
	if b != nil {
		b.SetTotal(total, false)
		b.SetCurrent(step)
	}
	if d.live == nil && newPhase {
		d.logf("phase  %s: %s (%d/%d)\n", run, phase, step, total)
	}
}

func (d *display) skipped(r Run) {
	d.mu.Lock()
	d.finished++
	d.mu.Unlock()
	if d.runsBar != nil {
		d.runsBar.Increment()
	}
	d.logf("skip   %s: already done\n", r.Name)
}

func (d *display) finish(i int, r Run, err error, interrupted bool, took time.Duration) {
	d.mu.Lock()
	if !interrupted {
		d.finished++
		d.ranNow++
	}
	if err != nil && !interrupted {
		d.failed++
	}
	d.slots[i].run, d.slots[i].phase, d.slots[i].steps = "", "", 0
	progress := fmt.Sprintf("%d/%d runs, ETA %s", d.finished, d.total, d.eta())
	d.mu.Unlock()
	if d.runsBar != nil && !interrupted {
		d.runsBar.Increment()
	}
	switch {
	case interrupted:
		d.logf("interrupted %s after %s\n", r.Name, took.Round(time.Millisecond))
	case err != nil:
		d.logf("FAILED %s after %s: %v (%s)\n", r.Name, took.Round(time.Millisecond), err, progress)
	default:
		if d.live == nil {
			d.logf("done   %s in %s (%s)\n", r.Name, took.Round(time.Millisecond), progress)
		}
	}
}

// close completes every bar and stops rendering.
func (d *display) close() {
	if d.live == nil {
		return
	}
	for i := range d.slots {
		d.slots[i].bar.Abort(true)
	}
	d.runsBar.Abort(false)
	d.live.Wait()
}
