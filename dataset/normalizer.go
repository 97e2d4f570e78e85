package dataset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"

	"github.com/dwm-rl/dwm/internal/atomicfile"
)

// DefaultNormalizerEps is the constant added to every standard deviation,
// the value CORL's compute_mean_std uses (eps=1e-3).
const DefaultNormalizerEps = 1e-3

// Normalizer standardizes vectors per dimension: Apply computes
// (x − Mean) / Std. Std already includes Eps, so inverting is exact up to
// rounding. The zero value is not usable; fit one with FitNormalizer.
type Normalizer struct {
	// Mean and Std have one entry per dimension. Std = population standard
	// deviation of the fitted data + Eps.
	Mean []float32 `json:"mean"`
	Std  []float32 `json:"std"`
	// Eps is the constant that was added to each standard deviation.
	Eps float32 `json:"eps"`
}

// FitNormalizer fits the per-dimension mean and standard deviation of x, a
// row-major [rows×dim] matrix, in float64. eps ≤ 0 means
// DefaultNormalizerEps. It returns an error if x is empty, not a multiple of
// dim, or holds a NaN or ±Inf.
func FitNormalizer(x []float32, dim int, eps float32) (*Normalizer, error) {
	if dim < 1 {
		return nil, fmt.Errorf("fit normalizer: dim %d, want ≥ 1", dim)
	}
	if len(x) == 0 || len(x)%dim != 0 {
		return nil, fmt.Errorf("fit normalizer: %d values do not form rows of %d (need at least one row)", len(x), dim)
	}
	if err := checkFinite("data", x, dim); err != nil {
		return nil, fmt.Errorf("fit normalizer: %w", err)
	}
	if eps <= 0 {
		eps = DefaultNormalizerEps
	}
	rows := len(x) / dim
	mean := make([]float64, dim)
	for r := range rows {
		for j, v := range x[r*dim : (r+1)*dim] {
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(rows)
	}
	vari := make([]float64, dim)
	for r := range rows {
		for j, v := range x[r*dim : (r+1)*dim] {
			dv := float64(v) - mean[j]
			vari[j] += dv * dv
		}
	}
	n := &Normalizer{Mean: make([]float32, dim), Std: make([]float32, dim), Eps: eps}
	for j := range dim {
		n.Mean[j] = float32(mean[j])
		n.Std[j] = float32(math.Sqrt(vari[j]/float64(rows)) + float64(eps))
	}
	return n, nil
}

// Dim returns the number of dimensions.
func (n *Normalizer) Dim() int { return len(n.Mean) }

// Apply writes (x − Mean)/Std into dst for every row of x, a row-major
// [rows×Dim] matrix; dst may be x. It panics if the lengths differ or are
// not a multiple of Dim.
func (n *Normalizer) Apply(dst, x []float32) {
	n.check(dst, x)
	d := n.Dim()
	for i, v := range x {
		j := i % d
		dst[i] = (v - n.Mean[j]) / n.Std[j]
	}
}

// Inverse writes x·Std + Mean into dst for every row of x; dst may be x. It
// panics if the lengths differ or are not a multiple of Dim.
func (n *Normalizer) Inverse(dst, x []float32) {
	n.check(dst, x)
	d := n.Dim()
	for i, v := range x {
		j := i % d
		dst[i] = v*n.Std[j] + n.Mean[j]
	}
}

func (n *Normalizer) check(dst, x []float32) {
	if len(dst) != len(x) || len(x)%n.Dim() != 0 {
		panic(fmt.Sprintf("dataset: Normalizer of dim %d applied to %d values into %d", n.Dim(), len(x), len(dst)))
	}
}

// Validate checks that Mean and Std have the same nonzero length, are finite,
// and that every Std is positive.
func (n *Normalizer) Validate() error {
	if len(n.Mean) == 0 || len(n.Mean) != len(n.Std) {
		return fmt.Errorf("normalizer: mean has %d entries, std %d", len(n.Mean), len(n.Std))
	}
	if err := checkFinite("mean", n.Mean, 0); err != nil {
		return fmt.Errorf("normalizer: %w", err)
	}
	for j, s := range n.Std {
		if !(s > 0) || math.IsInf(float64(s), 0) {
			return fmt.Errorf("normalizer: std[%d] is %v, want finite and > 0", j, s)
		}
	}
	return nil
}

// Save writes the normalizer as JSON (float32 values round-trip exactly).
func (n *Normalizer) Save(path string) error {
	b, err := json.MarshalIndent(n, "", "  ")
	if err != nil {
		return fmt.Errorf("save normalizer %s: %w", path, err)
	}
	return atomicfile.WriteBytes(path, append(b, '\n'))
}

// LoadNormalizer reads a normalizer written by Save and validates it.
func LoadNormalizer(path string) (*Normalizer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load normalizer: %w", err)
	}
	var n Normalizer
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&n); err != nil {
		return nil, fmt.Errorf("load normalizer %s: %w", path, err)
	}
	if err := n.Validate(); err != nil {
		return nil, fmt.Errorf("load normalizer %s: %w", path, err)
	}
	return &n, nil
}
