package bench

import (
	"bytes"
	"fmt"
	"image/color"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/dwm-rl/dwm/internal/atomicfile"
)

// palette is Okabe & Ito's colour-blind-safe palette (as package report).
var palette = []color.NRGBA{
	{0x00, 0x72, 0xB2, 0xff}, {0xD5, 0x5E, 0x00, 0xff}, {0x00, 0x9E, 0x73, 0xff},
	{0xCC, 0x79, 0xA7, 0xff}, {0xE6, 0x9F, 0x00, 0xff}, {0x56, 0xB4, 0xE9, 0xff},
}

// seriesPoints returns, per series name in first-seen order, the points
// (denoising steps, median ms per action) of the report's batch-1 results.
func seriesPoints(rep *Report) (names []string, pts map[string]plotter.XYs) {
	pts = map[string]plotter.XYs{}
	for _, r := range rep.Results {
		if r.Series == "" || r.Steps == 0 || r.Batch != 1 {
			continue
		}
		if _, ok := pts[r.Series]; !ok {
			names = append(names, r.Series)
		}
		pts[r.Series] = append(pts[r.Series], plotter.XY{X: float64(r.Steps), Y: r.MsPerAction()})
	}
	for _, n := range names {
		slices.SortFunc(pts[n], func(a, b plotter.XY) int {
			switch {
			case a.X < b.X:
				return -1
			case a.X > b.X:
				return 1
			}
			return 0
		})
	}
	return names, pts
}

// writePlots writes dual-steps-latency.png (Fig. 2(a)-style: milliseconds
// per action at batch 1 against denoising steps, log-log) into dir when the
// report has series.
func writePlots(dir string, rep *Report) error {
	names, pts := seriesPoints(rep)
	if len(names) == 0 {
		return nil
	}
	p := plot.New()
	p.Title.Text = "Latency per action against denoising steps (batch 1)"
	p.X.Label.Text = "denoising steps"
	p.Y.Label.Text = "ms per action"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	for i, n := range names {
		l, s, err := plotter.NewLinePoints(pts[n])
		if err != nil {
			return fmt.Errorf("bench: plot series %s: %w", n, err)
		}
		c := palette[i%len(palette)]
		l.Color, s.Color = c, c
		l.Width = vg.Points(1.5)
		p.Add(l, s)
		p.Legend.Add(n, l, s)
	}
	wt, err := p.WriterTo(6*vg.Inch, 4*vg.Inch, "png")
	if err != nil {
		return fmt.Errorf("bench: render plot: %w", err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return fmt.Errorf("bench: render plot: %w", err)
	}
	path := filepath.Join(dir, "dual-steps-latency.png")
	if err := atomicfile.WriteBytes(path, buf.Bytes()); err != nil {
		return fmt.Errorf("bench: write plot %s: %w", path, err)
	}
	return nil
}
