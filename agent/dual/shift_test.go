package dual

import (
	"math"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

func TestShiftAwareHand(t *testing.T) {
	s := ShiftAware{Kappa: DefaultShiftWeight}
	if err := s.Observe([]float32{1, 2}, []float32{0, 0}); err != nil {
		t.Fatal(err)
	}
	if s.Error() != 5 || s.Variance() != 2.5 {
		t.Errorf("error %v, variance %v; want 5, 2.5", s.Error(), s.Variance())
	}
	if err := s.Observe([]float32{1}, []float32{0, 0}); err == nil || !strings.Contains(err.Error(), "1 values, observed 2") {
		t.Errorf("length mismatch: %v", err)
	}
	if err := s.Observe([]float32{float32(math.Inf(1))}, []float32{0}); err == nil {
		t.Error("infinite state: no error")
	}
	s.Reset()
	if s.Variance() != 0 {
		t.Errorf("after Reset variance %v", s.Variance())
	}
}

// TestSampleActionsVariance: the empirical variance of the sampled actions
// is σ̄² + extra (away from the box), and samples stay in the box.
func TestSampleActionsVariance(t *testing.T) {
	const n = 20000
	mean, v, dst := tensor.New(n, 1), tensor.New(n, 1), tensor.New(n, 1)
	for i := 0; i < n; i++ {
		v.Set(i, 0, 0.01)
	}
	s := rng.New(4)
	for _, extra := range []float64{0, 0.03} {
		SampleActions(dst, mean, v, extra, []float32{-10}, []float32{10}, s)
		var m2 float64
		for i := 0; i < n; i++ {
			m2 += float64(dst.At(i, 0)) * float64(dst.At(i, 0))
		}
		if got, want := m2/n, 0.01+extra; math.Abs(got-want) > 0.05*want {
			t.Errorf("extra %v: variance %.4f, want %.4f", extra, got, want)
		}
	}
	SampleActions(dst, mean, v, 100, []float32{-1}, []float32{1}, s)
	for i := 0; i < n; i++ {
		if a := dst.At(i, 0); a < -1 || a > 1 {
			t.Fatalf("action %v outside [-1, 1]", a)
		}
	}
}
