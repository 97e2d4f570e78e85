package dual

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// DefaultShiftWeight is κ of Eq. 8 (the paper's default).
const DefaultShiftWeight = 0.5

// ShiftWeightAblation returns the κ values of the paper's Appendix B.2
// ablation (Table 5), a new slice each call.
func ShiftWeightAblation() []float64 { return []float64{0, 0.1, 0.25, 0.5, 0.75, 1} }

// ShiftAware holds the shift-awareness term of Eq. 8: the squared error
// between the planner's predicted next state ŝ' (Planner.Act's next) and the
// observed one, weighted by Kappa, added to the sampling variance.
type ShiftAware struct {
	// Kappa is κ ≥ 0 (use DefaultShiftWeight; 0 is the "w/o shift-aware"
	// ablation).
	Kappa float64
	err   float64
}

// Observe records the squared error ‖predicted − observed‖² of the last
// transition. It returns an error if the lengths differ or a value is not
// finite.
func (s *ShiftAware) Observe(predicted, observed []float32) error {
	if len(predicted) != len(observed) {
		return fmt.Errorf("dual shift awareness: predicted state has %d values, observed %d", len(predicted), len(observed))
	}
	var e float64
	for i := range predicted {
		d := float64(predicted[i]) - float64(observed[i])
		e += d * d
	}
	if math.IsNaN(e) || math.IsInf(e, 0) {
		return fmt.Errorf("dual shift awareness: non-finite state error %v", e)
	}
	s.err = e
	return nil
}

// Error returns the last recorded squared error.
func (s *ShiftAware) Error() float64 { return s.err }

// Reset forgets the last error (at the start of an episode).
func (s *ShiftAware) Reset() { s.err = 0 }

// Variance returns the extra variance κ‖ŝ' − s'‖².
func (s *ShiftAware) Variance() float64 { return s.Kappa * s.err }

// SampleActions draws a_ij = clip(μ̄_ij + √(σ̄²_ij + extra) z_ij) into dst
// (Eq. 8 with extra = ShiftAware.Variance), z ~ N(0, 1), clipped to the
// action box [low, high]. It panics if the shapes differ.
func SampleActions(dst, mean, variance *tensor.Mat, extra float64, low, high []float32, s *rng.Stream) {
	if dst.Rows != mean.Rows || dst.Cols != mean.Cols || variance.Rows != mean.Rows || variance.Cols != mean.Cols || len(low) != mean.Cols || len(high) != mean.Cols {
		panic("dual.SampleActions: shape mismatch")
	}
	for i := 0; i < mean.Rows; i++ {
		for j := 0; j < mean.Cols; j++ {
			sd := math.Sqrt(math.Max(float64(variance.At(i, j))+extra, 0))
			a := float64(mean.At(i, j)) + sd*s.NormFloat64()
			dst.Set(i, j, float32(math.Min(math.Max(a, float64(low[j])), float64(high[j]))))
		}
	}
}
