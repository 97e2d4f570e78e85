// Package progress shows progress bars for long commands: one bar per phase
// (offline, online, a sweep's runs) with steps/s, ETA and a free-text status
// such as the last evaluation return. On a terminal it draws live bars with
// mpb; elsewhere (CI, logs, Slurm) it prints a plain line every ten percent,
// so logs stay readable.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// Progress owns a set of bars written to one output.
type Progress struct {
	out  io.Writer
	live *mpb.Progress
	mu   sync.Mutex
}

// New returns a Progress writing to out. Live bars are drawn only when out is
// a terminal; quiet disables all output.
func New(out io.Writer, quiet bool) *Progress {
	if quiet {
		return &Progress{}
	}
	p := &Progress{out: out}
	if f, ok := out.(*os.File); ok && isTerminal(f) {
		p.live = mpb.New(mpb.WithOutput(out), mpb.WithWidth(32), mpb.WithRefreshRate(200*time.Millisecond))
	}
	return p
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Bar tracks one phase of total steps.
type Bar struct {
	p       *Progress
	name    string
	total   int64
	cur     atomic.Int64
	status  atomic.Value
	bar     *mpb.Bar
	start   time.Time
	lastPct int64
	first   int64
}

// Bar adds a bar for a phase named name with total steps, starting at done
// (for a resumed run). A nil Progress returns a nil Bar, whose methods do
// nothing.
func (p *Progress) Bar(name string, total, done int64) *Bar {
	if p == nil {
		return nil
	}
	b := &Bar{p: p, name: name, total: total, start: time.Now(), lastPct: -1}
	b.status.Store("")
	b.cur.Store(done)
	b.first = done
	if p.live != nil {
		b.bar = p.live.AddBar(total,
			mpb.PrependDecorators(decor.Name(name, decor.WC{C: decor.DindentRight | decor.DextraSpace}),
				decor.CountersNoUnit("%d/%d")),
			mpb.AppendDecorators(
				decor.AverageSpeed(nil, "%.0f steps/s "),
				decor.AverageETA(decor.ET_STYLE_GO),
				decor.Any(func(decor.Statistics) string { return " " + b.status.Load().(string) }),
			))
		b.bar.SetCurrent(done)
		b.bar.DecoratorAverageAdjust(time.Now())
	}
	return b
}

// Set records the current step and a short status text.
func (b *Bar) Set(step int64, status string) {
	if b == nil {
		return
	}
	b.cur.Store(step)
	if status != "" {
		b.status.Store(status)
	}
	if b.bar != nil {
		b.bar.SetCurrent(step)
		return
	}
	if b.p.out == nil || b.total <= 0 {
		return
	}
	pct := 100 * step / b.total
	if pct/10 > b.lastPct/10 || step == b.total {
		b.lastPct = pct
		el := time.Since(b.start).Seconds()
		rate := float64(step-b.first) / max(el, 1e-9)
		b.p.mu.Lock()
		fmt.Fprintf(b.p.out, "%s %d/%d (%d%%) %.0f steps/s %s\n", b.name, step, b.total, pct, rate, b.status.Load().(string))
		b.p.mu.Unlock()
	}
}

// Done completes the bar.
func (b *Bar) Done() {
	if b == nil {
		return
	}
	if b.bar != nil {
		b.bar.SetTotal(-1, true)
	}
}

// Wait flushes and stops live rendering.
func (p *Progress) Wait() {
	if p != nil && p.live != nil {
		p.live.Wait()
	}
}
