package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// palette is Okabe & Ito's colour-blind-safe palette ("Color Universal
// Design", 2008), reordered so the first colours contrast most on white.
var palette = []color.NRGBA{
	{0x00, 0x72, 0xB2, 0xff}, // blue
	{0xD5, 0x5E, 0x00, 0xff}, // vermillion
	{0x00, 0x9E, 0x73, 0xff}, // bluish green
	{0xCC, 0x79, 0xA7, 0xff}, // reddish purple
	{0xE6, 0x9F, 0x00, 0xff}, // orange
	{0x56, 0xB4, 0xE9, 0xff}, // sky blue
	{0x00, 0x00, 0x00, 0xff}, // black
	{0xF0, 0xE4, 0x42, 0xff}, // yellow
}

var switchGrey = color.NRGBA{0x55, 0x55, 0x55, 0xff}

// colour returns the colour of the i-th method.
func colour(i int) color.NRGBA { return palette[i%len(palette)] }

// series is one method's band in a figure.
type series struct {
	name     string
	colour   color.NRGBA
	band     band
	switches []int64
}

// vline is a vertical line across the data area at X, marking a switch.
type vline struct {
	x     float64
	style draw.LineStyle
}

// Plot implements plot.Plotter.
func (l vline) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	x := trX(l.x)
	if x < c.Min.X || x > c.Max.X {
		return
	}
	c.StrokeLine2(l.style, x, c.Min.Y, x, c.Max.Y)
}

// Thumbnail implements plot.Thumbnailer for the legend.
func (l vline) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(l.style, c.Min.X, y, c.Max.X, y)
}

func switchStyle(col color.Color) draw.LineStyle {
	return draw.LineStyle{Color: col, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}
}

// figure renders a learning-curve figure: per series an IQM line and a
// confidence band, and the switch steps as dashed vertical lines (grey if
// every series switches at the same step, else in the series' colour). It
// returns the PNG bytes.
func figure(title, xlabel, ylabel string, ss []series, o Options) ([]byte, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Legend.Top, p.Legend.Left = legendCorner(ss)
	if !p.Legend.Left { // keep the right-hand icons off the canvas edge
		p.Legend.XOffs = -vg.Points(10)
	}
	p.Add(plotter.NewGrid())

	// Bands first so every line is drawn over every band.
	for _, s := range ss {
		b := s.band
		if len(b.xs) < 2 {
			continue
		}
		ring := make(plotter.XYs, 0, 2*len(b.xs))
		for i := range b.xs {
			ring = append(ring, plotter.XY{X: b.xs[i], Y: b.lo[i]})
		}
		for i := len(b.xs) - 1; i >= 0; i-- {
			ring = append(ring, plotter.XY{X: b.xs[i], Y: b.hi[i]})
		}
		poly, err := plotter.NewPolygon(ring)
		if err != nil {
			return nil, fmt.Errorf("band of %s: %w", s.name, err)
		}
		fill := s.colour
		fill.A = 0x40
		poly.Color = fill
		poly.LineStyle.Width = 0
		p.Add(poly)
	}
	for _, s := range ss {
		b := s.band
		if len(b.xs) == 0 {
			continue
		}
		xy := make(plotter.XYs, len(b.xs))
		for i := range b.xs {
			xy[i] = plotter.XY{X: b.xs[i], Y: b.mid[i]}
		}
		line, err := plotter.NewLine(xy)
		if err != nil {
			return nil, fmt.Errorf("curve of %s: %w", s.name, err)
		}
		line.Color = s.colour
		line.Width = vg.Points(1.8)
		p.Add(line)
		if len(xy) == 1 { // a single evaluation: a line has nothing to draw
			sc, err := plotter.NewScatter(xy)
			if err != nil {
				return nil, err
			}
			sc.Color = s.colour
			p.Add(sc)
		}
		p.Legend.Add(s.name, line)
	}
	var all []int64
	for _, s := range ss {
		for _, x := range s.switches {
			if !slices.Contains(all, x) {
				all = append(all, x)
			}
		}
	}
	same := len(all) == 1
	if len(all) > 0 {
		if same {
			l := vline{x: float64(all[0]), style: switchStyle(switchGrey)}
			p.Add(l)
			p.Legend.Add("offline→online", l)
		} else {
			for _, s := range ss {
				for _, x := range s.switches {
					p.Add(vline{x: float64(x), style: switchStyle(s.colour)})
				}
			}
			p.Legend.Add("offline→online (method colour)", vline{style: switchStyle(switchGrey)})
		}
		// Keep the switch inside the x range even if no point is near it.
		for _, x := range all {
			p.X.Min = math.Min(p.X.Min, float64(x))
			p.X.Max = math.Max(p.X.Max, float64(x))
		}
	}
	w, err := p.WriterTo(vg.Length(o.Width)*vg.Inch, vg.Length(o.Height)*vg.Inch, "png")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// legendCorner picks the corner of the data area that the lines and bands
// cover least (fewest points in a box a third wide and a quarter high), so
// the legend hides as little as possible; ties prefer top left.
func legendCorner(ss []series) (top, left bool) {
	xmin, xmax, ymin, ymax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range ss {
		for i, x := range s.band.xs {
			xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
			ymin, ymax = math.Min(ymin, s.band.lo[i]), math.Max(ymax, s.band.hi[i])
		}
	}
	if !(xmax > xmin) || !(ymax > ymin) {
		return true, true
	}
	var count [2][2]int // [top][left]
	for _, s := range ss {
		for i, x := range s.band.xs {
			fx := (x - xmin) / (xmax - xmin)
			for _, y := range []float64{s.band.lo[i], s.band.mid[i], s.band.hi[i]} {
				fy := (y - ymin) / (ymax - ymin)
				for t := range 2 {
					for l := range 2 {
						inX := (l == 1 && fx <= 1.0/3) || (l == 0 && fx >= 2.0/3)
						inY := (t == 1 && fy >= 0.75) || (t == 0 && fy <= 0.25)
						if inX && inY {
							count[t][l]++
						}
					}
				}
			}
		}
	}
	best := [2]int{1, 1}
	for _, c := range [][2]int{{1, 1}, {1, 0}, {0, 1}, {0, 0}} {
		if count[c[0]][c[1]] < count[best[0]][best[1]] {
			best = c
		}
	}
	return best[0] == 1, best[1] == 1
}
