package diffusion

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/tensor"
)

// MMD2 returns the unbiased estimate of the squared maximum mean discrepancy
// between the distributions of the rows of a and of b (Gretton et al. 2012,
// Eq. 3) with the Gaussian kernel k(x, y) = exp(−‖x−y‖²/(2h²)), summed over
// the bandwidths h in bandwidths. It is computed in float64 in O((n+m)²·D)
// time. The estimate can be slightly negative when the distributions agree.
// It panics if the widths differ, a sample has fewer than 2 rows or no
// bandwidth is given.
func MMD2(a, b *tensor.Mat, bandwidths ...float64) float64 {
	if a.Cols != b.Cols || a.Rows < 2 || b.Rows < 2 || len(bandwidths) == 0 {
		panic(fmt.Sprintf("diffusion.MMD2: samples %s and %s with %d bandwidths", a.Shape(), b.Shape(), len(bandwidths)))
	}
	gam := make([]float64, len(bandwidths))
	for i, h := range bandwidths {
		gam[i] = -1 / (2 * h * h)
	}
	k := func(x, y []float32) float64 {
		var d float64
		for j, v := range x {
			e := float64(v) - float64(y[j])
			d += e * e
		}
		var s float64
		for _, g := range gam {
			s += math.Exp(g * d)
		}
		return s
	}
	within := func(x *tensor.Mat) float64 {
		var s float64
		for i := 0; i < x.Rows; i++ {
			for j := i + 1; j < x.Rows; j++ {
				s += k(x.Row(i), x.Row(j))
			}
		}
		n := float64(x.Rows)
		return 2 * s / (n * (n - 1))
	}
	var cross float64
	for i := 0; i < a.Rows; i++ {
		for j := 0; j < b.Rows; j++ {
			cross += k(a.Row(i), b.Row(j))
		}
	}
	return within(a) + within(b) - 2*cross/float64(a.Rows*b.Rows)
}
