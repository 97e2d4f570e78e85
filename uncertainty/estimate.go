package uncertainty

import (
	"errors"
	"fmt"
)

// ErrAleatoricUndefined is returned (wrapped) when aleatoric uncertainty is
// requested from fewer than two samples per member (M < 2): a single sample
// has no within-member spread.
var ErrAleatoricUndefined = errors.New("aleatoric uncertainty needs at least 2 samples per member (M >= 2)")

// Shape is the layout [K, M, B, D] of a flat sample slice: K ensemble
// members, M samples per member, B inputs and D dimensions per sample.
type Shape struct {
	K int // ensemble members, ≥ 1
	M int // samples per member, ≥ 1 (≥ 2 for aleatoric uncertainty)
	B int // inputs, ≥ 1
	D int // dimensions per sample, ≥ 1
}

// Len returns K·M·B·D, the length a sample slice of this shape must have.
func (s Shape) Len() int { return s.K * s.M * s.B * s.D }

// Validate reports the first field that is not positive.
func (s Shape) Validate() error {
	switch {
	case s.K < 1:
		return fmt.Errorf("uncertainty: shape K (ensemble members) = %d, need >= 1", s.K)
	case s.M < 1:
		return fmt.Errorf("uncertainty: shape M (samples per member) = %d, need >= 1", s.M)
	case s.B < 1:
		return fmt.Errorf("uncertainty: shape B (inputs) = %d, need >= 1", s.B)
	case s.D < 1:
		return fmt.Errorf("uncertainty: shape D (dimensions) = %d, need >= 1", s.D)
	}
	return nil
}

func (s Shape) check(samples []float32) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if len(samples) != s.Len() {
		return fmt.Errorf("uncertainty: %d samples for shape [K=%d M=%d B=%d D=%d], want %d",
			len(samples), s.K, s.M, s.B, s.D, s.Len())
	}
	return nil
}

func checkDst(name string, dst []float32, b int) error {
	if len(dst) != b {
		return fmt.Errorf("uncertainty: %s destination has length %d, want B = %d", name, len(dst), b)
	}
	return nil
}

// DecomposeTo writes the per-input epistemic uncertainty σ_ep (Eq. 3) into ep
// and the aleatoric uncertainty σ_al (Eq. 4) into al, each of length B, in
// one pass over samples laid out as s. Either destination may be nil to skip
// that estimate. It does not allocate.
//
// epistemicDefined is false when s.K == 1: a single member has no spread of
// means, so ep is filled with zeros instead of being divided out of nothing.
// It returns an error for an invalid shape, a sample or destination length
// that does not match it, and, when al is not nil, for s.M < 2
// (ErrAleatoricUndefined).
func DecomposeTo(ep, al, samples []float32, s Shape) (epistemicDefined bool, err error) {
	if err := s.check(samples); err != nil {
		return false, err
	}
	if ep != nil {
		if err := checkDst("epistemic", ep, s.B); err != nil {
			return false, err
		}
	}
	if al != nil {
		if err := checkDst("aleatoric", al, s.B); err != nil {
			return false, err
		}
		if s.M < 2 {
			return false, fmt.Errorf("uncertainty: M = %d: %w", s.M, ErrAleatoricUndefined)
		}
	}
	decompose(ep, al, nil, samples, s)
	return s.K > 1, nil
}

// decompose is the kernel behind every estimate; ep, al and tot may each be
// nil. For each input b and dimension d it walks the K·M samples (stride B·D
// apart), computing each member mean, the within-member sum of squares
// (two-pass, for accuracy) and a Welford running variance of the member
// means, all in float64.
func decompose(ep, al, tot, x []float32, s Shape) {
	K, M, B, D := s.K, s.M, s.B, s.D
	stride := B * D
	member := M * stride
	invM := 1 / float64(M)
	wantAl := al != nil || tot != nil
	for b := 0; b < B; b++ {
		var epSum, alSum float64
		for d := 0; d < D; d++ {
			var mean, m2 float64 // Welford over member means
			for k := 0; k < K; k++ {
				base := k*member + b*D + d
				var sum float64
				for m, i := 0, base; m < M; m, i = m+1, i+stride {
					sum += float64(x[i])
				}
				mk := sum * invM
				if wantAl {
					for m, i := 0, base; m < M; m, i = m+1, i+stride {
						dv := float64(x[i]) - mk
						alSum += dv * dv
					}
				}
				delta := mk - mean
				mean += delta / float64(k+1)
				m2 += delta * (mk - mean)
			}
			epSum += m2
		}
		e := epSum / float64(K)
		a := alSum / float64(K*M)
		if ep != nil {
			ep[b] = float32(e)
		}
		if al != nil {
			al[b] = float32(a)
		}
		if tot != nil {
			tot[b] = float32(e + a)
		}
	}
}

// EpistemicTo writes σ_ep (Eq. 3) for each of the B inputs into dst. It does
// not allocate. With s.K == 1 it fills dst with zeros and returns
// epistemicDefined = false. Errors are as for DecomposeTo.
func EpistemicTo(dst, samples []float32, s Shape) (epistemicDefined bool, err error) {
	if dst == nil {
		return false, checkDst("epistemic", dst, s.B)
	}
	return DecomposeTo(dst, nil, samples, s)
}

// AleatoricTo writes σ_al (Eq. 4) for each of the B inputs into dst. It does
// not allocate. It returns an error wrapping ErrAleatoricUndefined if s.M < 2.
func AleatoricTo(dst, samples []float32, s Shape) error {
	if dst == nil {
		return checkDst("aleatoric", dst, s.B)
	}
	_, err := DecomposeTo(nil, dst, samples, s)
	return err
}

// TotalTo writes the total uncertainty σ = σ_ep + σ_al for each of the B
// inputs into dst. It does not allocate. It needs s.M ≥ 2; with s.K == 1
// the epistemic part is zero and epistemicDefined is false.
func TotalTo(dst, samples []float32, s Shape) (epistemicDefined bool, err error) {
	if err := s.check(samples); err != nil {
		return false, err
	}
	if err := checkDst("total", dst, s.B); err != nil {
		return false, err
	}
	if s.M < 2 {
		return false, fmt.Errorf("uncertainty: total needs σ_al: M = %d: %w", s.M, ErrAleatoricUndefined)
	}
	decompose(nil, nil, dst, samples, s)
	return s.K > 1, nil
}

// Estimate holds the per-input uncertainties of one batch.
type Estimate struct {
	// Epistemic is σ_ep (Eq. 3) per input, length B; all zeros when
	// EpistemicDefined is false.
	Epistemic []float32
	// Aleatoric is σ_al (Eq. 4) per input, length B.
	Aleatoric []float32
	// Total is Epistemic + Aleatoric per input, length B.
	Total []float32
	// EpistemicDefined is false when the ensemble has one member (K = 1): the
	// spread of member means does not exist and Epistemic is reported as 0.
	EpistemicDefined bool
}

// Decompose returns σ_ep, σ_al and their sum for samples laid out as s,
// allocating the three slices. It needs s.M ≥ 2; see DecomposeTo for the
// allocation-free form and the errors.
func Decompose(samples []float32, s Shape) (Estimate, error) {
	if err := s.check(samples); err != nil {
		return Estimate{}, err
	}
	e := Estimate{
		Epistemic: make([]float32, s.B),
		Aleatoric: make([]float32, s.B),
		Total:     make([]float32, s.B),
	}
	if s.M < 2 {
		return Estimate{}, fmt.Errorf("uncertainty: M = %d: %w", s.M, ErrAleatoricUndefined)
	}
	decompose(e.Epistemic, e.Aleatoric, e.Total, samples, s)
	e.EpistemicDefined = s.K > 1
	return e, nil
}

// Epistemic returns σ_ep (Eq. 3) per input in a new slice; see EpistemicTo.
func Epistemic(samples []float32, s Shape) (sigma []float32, epistemicDefined bool, err error) {
	if err := s.check(samples); err != nil {
		return nil, false, err
	}
	sigma = make([]float32, s.B)
	ok, err := EpistemicTo(sigma, samples, s)
	if err != nil {
		return nil, false, err
	}
	return sigma, ok, nil
}

// Aleatoric returns σ_al (Eq. 4) per input in a new slice; see AleatoricTo.
func Aleatoric(samples []float32, s Shape) ([]float32, error) {
	if err := s.check(samples); err != nil {
		return nil, err
	}
	sigma := make([]float32, s.B)
	if err := AleatoricTo(sigma, samples, s); err != nil {
		return nil, err
	}
	return sigma, nil
}
