package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/dwm-rl/dwm/internal/atomicfile"
	"github.com/dwm-rl/dwm/internal/blas"
)

// Config selects and shapes a benchmark run. Zero fields take the defaults
// listed on each field (applied by WithDefaults).
type Config struct {
	// Suites lists the suites to run, in order (default ["core"]; see
	// SuiteNames).
	Suites []string `json:"suites"`
	// Threads is GOMAXPROCS during the run (default 2: the issue's "batch 1
	// on 2 cores").
	Threads int `json:"threads"`
	// MinTime is the least time of one repetition (default 300 ms).
	MinTime time.Duration `json:"min_time_ns"`
	// Repeats is the number of repetitions per figure (default 3; the
	// median is reported).
	Repeats int `json:"repeats"`
	// Dims names the observation/action sizes of the dual suite:
	// "pendulum" (3/1, the embedded pendulum-medium data; default) or
	// "hopper" (11/3, synthetic rows: latency depends only on shapes).
	Dims string `json:"dims"`
	// Out, if set, is a directory that receives bench.json (the Report) and
	// the suites' plots (PNG). It is created if missing.
	Out string `json:"-"`
	// Seed seeds the networks' initial weights and the sampling noise
	// (default 0).
	Seed uint64 `json:"seed"`
	// Only, if set, times only the figures whose name contains it (the
	// suites still build all their networks).
	Only string `json:"only,omitempty"`
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if len(c.Suites) == 0 {
		c.Suites = []string{"core"}
	}
	if c.Threads == 0 {
		c.Threads = 2 // issue 9: latency at batch 1 on 2 cores
	}
	if c.MinTime == 0 {
		c.MinTime = 300 * time.Millisecond
	}
	if c.Repeats == 0 {
		c.Repeats = 3
	}
	if c.Dims == "" {
		c.Dims = "pendulum"
	}
	return c
}

// Validate reports the first invalid field, naming it and its value.
func (c Config) Validate() error {
	for i, s := range c.Suites {
		if !slices.Contains(SuiteNames(), s) {
			return fmt.Errorf("bench.Config.Suites[%d] = %q: unknown suite; known: %s", i, s, strings.Join(SuiteNames(), ", "))
		}
	}
	switch {
	case c.Threads < 0:
		return fmt.Errorf("bench.Config.Threads = %d: must be ≥ 1 (0 means 2)", c.Threads)
	case c.MinTime < 0:
		return fmt.Errorf("bench.Config.MinTime = %v: must be ≥ 0", c.MinTime)
	case c.Repeats < 0:
		return fmt.Errorf("bench.Config.Repeats = %d: must be ≥ 1 (0 means 3)", c.Repeats)
	case c.Dims != "" && c.Dims != "pendulum" && c.Dims != "hopper":
		return fmt.Errorf("bench.Config.Dims = %q: want pendulum or hopper", c.Dims)
	}
	return nil
}

// SuiteNames returns the names of the suites, a new slice each call.
func SuiteNames() []string { return []string{"core", "dual"} }

// suite runs one suite, adding its results to r.
type suite func(ctx context.Context, r *runner) error

func suites() map[string]suite {
	return map[string]suite{"core": runCore, "dual": runDual}
}

// Result is one measured figure: an operation called repeatedly, each call
// handling Batch rows (actions, samples) with Steps denoising steps.
type Result struct {
	Suite string `json:"suite"`
	Name  string `json:"name"`
	// Series groups results plotted as one line against Steps (empty: not
	// part of a series).
	Series string `json:"series,omitempty"`
	// Batch is the number of rows (actions) one call produces.
	Batch int `json:"batch"`
	// Steps is the number of denoising steps of one call (0: not a
	// diffusion sampler).
	Steps int `json:"steps,omitempty"`
	// Calls is the total number of timed calls over all repetitions.
	Calls int64 `json:"calls"`
	// WallNs is the median over repetitions of the wall time per call;
	// MinNs the fastest repetition's.
	WallNs float64 `json:"wall_ns"`
	MinNs  float64 `json:"min_ns"`
	// CPUNs is the process CPU time (user + system, all threads) per call
	// over all repetitions.
	CPUNs float64 `json:"cpu_ns"`
	// Flops is the number of floating-point operations of one call, if
	// known (0 otherwise).
	Flops float64 `json:"flops,omitempty"`
	// Note says what the figure is.
	Note string `json:"note,omitempty"`
}

// MsPerAction returns the median wall milliseconds per row (action).
func (r Result) MsPerAction() float64 { return r.WallNs / float64(max(r.Batch, 1)) / 1e6 }

// PerSecond returns rows (actions) per second at the median wall time.
func (r Result) PerSecond() float64 { return float64(max(r.Batch, 1)) / r.WallNs * 1e9 }

// Machine describes where a report was measured.
type Machine struct {
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	CPU        string `json:"cpu"`
	NumCPU     int    `json:"num_cpu"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	BLAS       string `json:"blas"`
	GoVersion  string `json:"go_version"`
	// LoadBefore and LoadAfter are /proc/loadavg's 1, 5 and 15 minute
	// averages around the run (empty where unavailable).
	LoadBefore string `json:"load_before"`
	LoadAfter  string `json:"load_after"`
}

// Network describes the shape of a timed network, enough to rebuild it
// elsewhere (bench/pytorch/dual_act.py reads these).
type Network struct {
	// Name is the result name prefix it belongs to.
	Name string `json:"name"`
	// Kind is "temporal-unet" (Diffuser's U-Net over H rows of ObsDim +
	// ActDim channels), "mlp-denoiser" (Diff-QL's ε-network) or "mlp".
	Kind   string `json:"kind"`
	ObsDim int    `json:"obs_dim"`
	ActDim int    `json:"act_dim"`
	// Temporal U-Net: horizon, base channels, multipliers, kernel, groups.
	Horizon int   `json:"horizon,omitempty"`
	Dim     int   `json:"dim,omitempty"`
	Mults   []int `json:"mults,omitempty"`
	Kernel  int   `json:"kernel,omitempty"`
	Groups  int   `json:"groups,omitempty"`
	// MLPs: hidden widths, activation, time-embedding width.
	Hidden     []int  `json:"hidden,omitempty"`
	Activation string `json:"activation,omitempty"`
	TimeDim    int    `json:"time_dim,omitempty"`
	// Diffusion: schedule steps T, sampling steps, prediction, schedule.
	DiffusionSteps int    `json:"diffusion_steps,omitempty"`
	SampleSteps    []int  `json:"sample_steps,omitempty"`
	Prediction     string `json:"prediction,omitempty"`
	Schedule       string `json:"schedule,omitempty"`
	// LaplaceSamples is the number of Monte-Carlo sub-policies of DUAL's
	// aggregate (Eq. 7), 0 if none.
	LaplaceSamples int `json:"laplace_samples,omitempty"`
	// Note says anything else needed to rebuild it.
	Note string `json:"note,omitempty"`
}

// Report is everything a run measured.
type Report struct {
	Date     string    `json:"date"`
	Machine  Machine   `json:"machine"`
	Config   Config    `json:"config"`
	Results  []Result  `json:"results"`
	Networks []Network `json:"networks,omitempty"`
}

// runner carries a run's configuration and collects its results.
type runner struct {
	cfg    Config
	rep    *Report
	log    io.Writer
	suite  string
	series string // the series of results added next
}

// Run runs the configured suites, printing progress to log (may be nil)
// and the table to w, and returns the report. With Config.Out set it also
// writes Out/bench.json atomically and the suites' plots. It returns the
// configuration error, a suite's error, or ctx's error if cancelled.
func Run(ctx context.Context, cfg Config, w, log io.Writer) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if log == nil {
		log = io.Discard
	}
	prev := runtime.GOMAXPROCS(cfg.Threads)
	defer runtime.GOMAXPROCS(prev)
	rep := &Report{Date: time.Now().UTC().Format(time.RFC3339), Config: cfg, Machine: machine()}
	rep.Machine.LoadBefore = loadavg()
	r := &runner{cfg: cfg, rep: rep, log: log}
	all := suites()
	for _, name := range cfg.Suites {
		r.suite = name
		fmt.Fprintf(log, "bench: suite %s\n", name)
		if err := all[name](ctx, r); err != nil {
			return rep, fmt.Errorf("bench suite %s: %w", name, err)
		}
	}
	rep.Machine.LoadAfter = loadavg()
	if err := WriteTable(w, rep); err != nil {
		return rep, fmt.Errorf("bench: write table: %w", err)
	}
	if cfg.Out != "" {
		if err := writeOut(cfg.Out, rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// ReadReport reads a report written by Run (bench.json).
func ReadReport(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bench: read report: %w", err)
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("bench: read report %s: %w", path, err)
	}
	return &rep, nil
}

func writeOut(dir string, rep *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("bench: create output directory %s: %w", dir, err)
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("bench: encode report: %w", err)
	}
	path := filepath.Join(dir, "bench.json")
	if err := atomicfile.WriteBytes(path, append(b, '\n')); err != nil {
		return fmt.Errorf("bench: write report %s: %w", path, err)
	}
	return writePlots(dir, rep)
}

// measure times fn as described in the package comment and records the
// result under name. batch and steps describe one call.
func (r *runner) measure(ctx context.Context, name string, batch, steps int, flops float64, note string, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if r.cfg.Only != "" && !strings.Contains(name, r.cfg.Only) {
		return nil
	}
	if err := fn(); err != nil { // warm-up: buffers grow, caches fill
		return fmt.Errorf("%s: %w", name, err)
	}
	per := make([]float64, 0, r.cfg.Repeats)
	var calls int64
	cpu0 := cpuTime()
	for rep := 0; rep < r.cfg.Repeats; rep++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		var n int64
		t0 := time.Now()
		var dt time.Duration
		for {
			if err := fn(); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			n++
			if dt = time.Since(t0); dt >= r.cfg.MinTime {
				break
			}
		}
		per = append(per, float64(dt.Nanoseconds())/float64(n))
		calls += n
	}
	cpu := cpuTime() - cpu0
	sort.Float64s(per)
	res := Result{Suite: r.suite, Name: name, Series: r.series, Batch: batch, Steps: steps, Calls: calls,
		WallNs: median(per), MinNs: per[0], CPUNs: float64(cpu.Nanoseconds()) / float64(calls), Flops: flops, Note: note}
	r.rep.Results = append(r.rep.Results, res)
	fmt.Fprintf(r.log, "bench:   %-44s batch %3d  %10.4f ms/call  (cpu %.4f ms)\n", name, batch, res.WallNs/1e6, res.CPUNs/1e6)
	return nil
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// cpuTime returns the process's user + system CPU time (0 where getrusage
// fails).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func machine() Machine {
	m := Machine{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		BLAS: blas.Backend, GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// WriteTable prints the report's results as an aligned table: per suite,
// the median wall milliseconds per call, the fastest repetition, CPU
// milliseconds per call, milliseconds per action (row), rows per second
// and, where the operation count is known, GFLOPS at the median.
func WriteTable(w io.Writer, rep *Report) error {
	m := rep.Machine
	fmt.Fprintf(w, "dwm bench  %s  %s/%s  %s  GOMAXPROCS=%d  blas=%s  %s  load %s → %s\n",
		rep.Date, m.GOOS, m.GOARCH, m.CPU, m.GOMAXPROCS, m.BLAS, m.GoVersion, m.LoadBefore, m.LoadAfter)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "SUITE\tNAME\tBATCH\tSTEPS\tMS/CALL\tMIN MS\tCPU MS\tMS/ACTION\tACTIONS/S\tGFLOPS\t")
	for _, r := range rep.Results {
		steps, gf := "-", "-"
		if r.Steps > 0 {
			steps = fmt.Sprint(r.Steps)
		}
		if r.Flops > 0 {
			gf = fmt.Sprintf("%.1f", r.Flops/r.WallNs)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%.4f\t%.4f\t%.4f\t%.4f\t%.0f\t%s\t\n", r.Suite, r.Name, r.Batch, steps,
			r.WallNs/1e6, r.MinNs/1e6, r.CPUNs/1e6, r.MsPerAction(), r.PerSecond(), gf)
	}
	return tw.Flush()
}
