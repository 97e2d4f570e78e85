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
// (denoising steps, CPU ms per action) of the report's batch-1 results, and
// the same with the fastest repetition's wall time.
func seriesPoints(rep *Report) (names []string, pts, wall map[string]plotter.XYs) {
	pts, wall = map[string]plotter.XYs{}, map[string]plotter.XYs{}
	for _, r := range rep.Results {
		if r.Series == "" || r.Steps == 0 || r.Batch != 1 {
			continue
		}
		if _, ok := pts[r.Series]; !ok {
			names = append(names, r.Series)
		}
		pts[r.Series] = append(pts[r.Series], plotter.XY{X: float64(r.Steps), Y: r.CPUNs / 1e6})
		wall[r.Series] = append(wall[r.Series], plotter.XY{X: float64(r.Steps), Y: r.MinNs / 1e6})
	}
	for _, n := range names {
		sortX(pts[n])
		sortX(wall[n])
	}
	return names, pts, wall
}

func sortX(xy plotter.XYs) {
	slices.SortFunc(xy, func(a, b plotter.XY) int {
		switch {
		case a.X < b.X:
			return -1
		case a.X > b.X:
			return 1
		}
		return 0
	})
}

// writePlots (WritePlots) writes dual-steps-latency.png (Fig. 2(a)-style: milliseconds
// per action at batch 1 against denoising steps, log-log; solid lines the
// CPU time per action, which other processes' load barely changes, dashed
// the fastest repetition's wall time) into dir when the report has series.
func writePlots(dir string, rep *Report) error {
	return WritePlots(dir, rep)
}

// WritePlots writes the report's plots into the existing directory dir (see
// writePlots); it writes nothing for a report without series.
func WritePlots(dir string, rep *Report) error {
	names, pts, wall := seriesPoints(rep)
	if len(names) == 0 {
		return nil
	}
	p := plot.New()
	p.Title.Text = "Latency per action against denoising steps (batch 1): CPU time (solid), fastest wall (dashed)"
	p.X.Label.Text = "denoising steps"
	p.Y.Label.Text = "ms per action"
	p.Title.TextStyle.Font.Size = vg.Points(10)
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
		w, err := plotter.NewLine(wall[n])
		if err != nil {
			return fmt.Errorf("bench: plot series %s: %w", n, err)
		}
		w.Color, w.Width, w.Dashes = c, vg.Points(1), []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(w)
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
