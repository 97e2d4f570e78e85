package uncertainty

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/rng"
)

// at returns the flat index of (k, m, b, d).
func (s Shape) at(k, m, b, d int) int { return ((k*s.M+m)*s.B+b)*s.D + d }

// naive computes Eqs. 3–4 literally, with explicit member-mean vectors.
func naive(x []float32, s Shape) (ep, al []float64) {
	ep = make([]float64, s.B)
	al = make([]float64, s.B)
	for b := 0; b < s.B; b++ {
		means := make([][]float64, s.K)
		grand := make([]float64, s.D)
		for k := range means {
			means[k] = make([]float64, s.D)
			for d := 0; d < s.D; d++ {
				for m := 0; m < s.M; m++ {
					means[k][d] += float64(x[s.at(k, m, b, d)])
				}
				means[k][d] /= float64(s.M)
				grand[d] += means[k][d] / float64(s.K)
			}
		}
		for k := 0; k < s.K; k++ {
			var n2 float64
			for d := 0; d < s.D; d++ {
				n2 += (means[k][d] - grand[d]) * (means[k][d] - grand[d])
			}
			ep[b] += n2 / float64(s.K)
			var w float64
			for m := 0; m < s.M; m++ {
				for d := 0; d < s.D; d++ {
					v := float64(x[s.at(k, m, b, d)]) - means[k][d]
					w += v * v
				}
			}
			al[b] += w / float64(s.M) / float64(s.K)
		}
	}
	return ep, al
}

func TestDecomposeHandComputed(t *testing.T) {
	// Input 0, dim 0: member 0 draws {1, 3} (mean 2), member 1 draws {5, 7}
	// (mean 6); grand mean 4. σ_ep = ((2−4)² + (6−4)²)/2 = 4,
	// σ_al = ((1+1)/2 + (1+1)/2)/2 = 1. Dim 1 is all zero.
	// Input 1: dim 0 constant 10; dim 1 member 0 {0, 0}, member 1 {2, 2}:
	// σ_ep = (1 + 1)/2 = 1, σ_al = 0.
	s := Shape{K: 2, M: 2, B: 2, D: 2}
	x := []float32{
		1, 0, 10, 0, // k0 m0: b0, b1
		3, 0, 10, 0, // k0 m1
		5, 0, 10, 2, // k1 m0
		7, 0, 10, 2, // k1 m1
	}
	e, err := Decompose(x, s)
	if err != nil {
		t.Fatal(err)
	}
	want := Estimate{
		Epistemic:        []float32{4, 1},
		Aleatoric:        []float32{1, 0},
		Total:            []float32{5, 1},
		EpistemicDefined: true,
	}
	for b := 0; b < 2; b++ {
		if e.Epistemic[b] != want.Epistemic[b] || e.Aleatoric[b] != want.Aleatoric[b] || e.Total[b] != want.Total[b] {
			t.Errorf("input %d: got ep %v al %v total %v, want %v %v %v", b,
				e.Epistemic[b], e.Aleatoric[b], e.Total[b], want.Epistemic[b], want.Aleatoric[b], want.Total[b])
		}
	}
	if !e.EpistemicDefined {
		t.Error("EpistemicDefined false for K = 2")
	}
	tot := make([]float32, 2)
	if _, err := TotalTo(tot, x, s); err != nil || tot[0] != 5 || tot[1] != 1 {
		t.Errorf("TotalTo = %v, %v; want [5 1]", tot, err)
	}
}

func TestSingleMemberHasNoEpistemic(t *testing.T) {
	// K = 1: σ_ep is reported as zero and flagged undefined; σ_al still works.
	s := Shape{K: 1, M: 3, B: 1, D: 1}
	x := []float32{1, 2, 6} // mean 3, σ_al = (4 + 1 + 9)/3
	ep := []float32{-1}
	al := []float32{-1}
	defined, err := DecomposeTo(ep, al, x, s)
	if err != nil {
		t.Fatal(err)
	}
	if defined {
		t.Error("epistemicDefined true for K = 1")
	}
	if ep[0] != 0 {
		t.Errorf("σ_ep = %v for K = 1, want 0", ep[0])
	}
	if want := float32(14.0 / 3); al[0] != want {
		t.Errorf("σ_al = %v, want %v", al[0], want)
	}
	e, err := Decompose(x, s)
	if err != nil || e.EpistemicDefined || e.Epistemic[0] != 0 || e.Total[0] != al[0] {
		t.Errorf("Decompose K=1 = %+v, %v", e, err)
	}
}

func TestSingleSampleEpistemicOnly(t *testing.T) {
	// M = 1: member means are the single draws {0, 3, 6}; σ_ep = (9+0+9)/3.
	s := Shape{K: 3, M: 1, B: 1, D: 1}
	x := []float32{0, 3, 6}
	sig, ok, err := Epistemic(x, s)
	if err != nil || !ok || sig[0] != 6 {
		t.Errorf("Epistemic = %v, %v, %v; want [6] true nil", sig, ok, err)
	}
	if _, err := Aleatoric(x, s); !errors.Is(err, ErrAleatoricUndefined) {
		t.Errorf("Aleatoric with M = 1: err = %v, want ErrAleatoricUndefined", err)
	}
	if _, err := Decompose(x, s); !errors.Is(err, ErrAleatoricUndefined) {
		t.Errorf("Decompose with M = 1: err = %v, want ErrAleatoricUndefined", err)
	}
	if _, err := TotalTo(make([]float32, 1), x, s); !errors.Is(err, ErrAleatoricUndefined) {
		t.Errorf("TotalTo with M = 1: err = %v, want ErrAleatoricUndefined", err)
	}
}

func TestDecomposeMatchesNaive(t *testing.T) {
	r := rng.Derive(1, "uncertainty", "naive")
	for _, s := range []Shape{{1, 2, 3, 1}, {2, 2, 1, 1}, {3, 5, 7, 4}, {4, 3, 2, 9}, {5, 2, 16, 3}} {
		x := make([]float32, s.Len())
		for i := range x {
			x[i] = float32(r.NormFloat64()*2 + 5)
		}
		// Give members different offsets so σ_ep is not negligible.
		for k := 0; k < s.K; k++ {
			for i := k * s.M * s.B * s.D; i < (k+1)*s.M*s.B*s.D; i++ {
				x[i] += float32(k)
			}
		}
		wantEp, wantAl := naive(x, s)
		e, err := Decompose(x, s)
		if err != nil {
			t.Fatal(err)
		}
		for b := 0; b < s.B; b++ {
			if !near(e.Epistemic[b], wantEp[b]) || !near(e.Aleatoric[b], wantAl[b]) {
				t.Errorf("%+v input %d: got (%v, %v), want (%v, %v)", s, b, e.Epistemic[b], e.Aleatoric[b], wantEp[b], wantAl[b])
			}
			// Law of total variance: σ_ep + σ_al is the pooled variance.
			var mean, ss float64
			n := float64(s.K * s.M)
			for d := 0; d < s.D; d++ {
				mean = 0
				for k := 0; k < s.K; k++ {
					for m := 0; m < s.M; m++ {
						mean += float64(x[s.at(k, m, b, d)]) / n
					}
				}
				for k := 0; k < s.K; k++ {
					for m := 0; m < s.M; m++ {
						v := float64(x[s.at(k, m, b, d)]) - mean
						ss += v * v / n
					}
				}
			}
			if !near(e.Total[b], ss) {
				t.Errorf("%+v input %d: total %v, pooled variance %v", s, b, e.Total[b], ss)
			}
		}
	}
}

func near(got float32, want float64) bool {
	return math.Abs(float64(got)-want) <= 1e-5*math.Max(1, math.Abs(want))
}

func TestShapeErrors(t *testing.T) {
	ok := Shape{K: 2, M: 2, B: 1, D: 1}
	x := make([]float32, 4)
	for _, tc := range []struct {
		name    string
		s       Shape
		x       []float32
		ep, al  []float32
		wantErr string
	}{
		{"K zero", Shape{K: 0, M: 2, B: 1, D: 1}, nil, nil, nil, "shape K (ensemble members) = 0, need >= 1"},
		{"K negative", Shape{K: -1, M: 2, B: 1, D: 1}, nil, nil, nil, "shape K (ensemble members) = -1"},
		{"M zero", Shape{K: 1, M: 0, B: 1, D: 1}, nil, nil, nil, "shape M (samples per member) = 0"},
		{"B zero", Shape{K: 1, M: 1, B: 0, D: 1}, nil, nil, nil, "shape B (inputs) = 0"},
		{"D zero", Shape{K: 1, M: 1, B: 1, D: 0}, nil, nil, nil, "shape D (dimensions) = 0"},
		{"short samples", ok, make([]float32, 3), nil, nil, "3 samples for shape [K=2 M=2 B=1 D=1], want 4"},
		{"bad ep dst", ok, x, make([]float32, 2), nil, "epistemic destination has length 2, want B = 1"},
		{"bad al dst", ok, x, nil, make([]float32, 0), "aleatoric destination has length 0, want B = 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecomposeTo(tc.ep, tc.al, tc.x, tc.s)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
	if _, err := EpistemicTo(nil, x, ok); err == nil {
		t.Error("EpistemicTo with nil dst: no error")
	}
	if err := AleatoricTo(nil, x, ok); err == nil {
		t.Error("AleatoricTo with nil dst: no error")
	}
}

func TestNaNPropagatesToItsInputOnly(t *testing.T) {
	s := Shape{K: 2, M: 2, B: 2, D: 1}
	x := []float32{0, 1, 2, 3, 4, 5, 6, 7}
	x[s.at(1, 0, 0, 0)] = float32(math.NaN())
	e, err := Decompose(x, s)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(float64(e.Epistemic[0])) || !math.IsNaN(float64(e.Aleatoric[0])) {
		t.Errorf("input 0 with a NaN sample: %v %v, want NaN", e.Epistemic[0], e.Aleatoric[0])
	}
	if math.IsNaN(float64(e.Epistemic[1])) || math.IsNaN(float64(e.Aleatoric[1])) {
		t.Errorf("input 1 without NaN became NaN")
	}
}

func TestDecomposeToDoesNotAllocate(t *testing.T) {
	s := Shape{K: 3, M: 5, B: 32, D: 12}
	x := make([]float32, s.Len())
	ep := make([]float32, s.B)
	al := make([]float32, s.B)
	tot := make([]float32, s.B)
	n := testing.AllocsPerRun(20, func() {
		DecomposeTo(ep, al, x, s)
		TotalTo(tot, x, s)
		EpistemicTo(ep, x, s)
		AleatoricTo(al, x, s)
	})
	if n != 0 {
		t.Errorf("%v allocations per run, want 0", n)
	}
}

func benchSamples(s Shape) []float32 {
	r := rng.Derive(2, "uncertainty", "bench")
	x := make([]float32, s.Len())
	r.FillNormal(x)
	return x
}

var benchShape = Shape{K: 3, M: 5, B: 256, D: 12}

func BenchmarkDecomposeTo(b *testing.B) {
	x := benchSamples(benchShape)
	ep := make([]float32, benchShape.B)
	al := make([]float32, benchShape.B)
	b.SetBytes(int64(4 * len(x)))
	for b.Loop() {
		DecomposeTo(ep, al, x, benchShape)
	}
}

func BenchmarkEpistemicTo(b *testing.B) {
	x := benchSamples(benchShape)
	ep := make([]float32, benchShape.B)
	b.SetBytes(int64(4 * len(x)))
	for b.Loop() {
		EpistemicTo(ep, x, benchShape)
	}
}

func BenchmarkTotalTo(b *testing.B) {
	x := benchSamples(benchShape)
	dst := make([]float32, benchShape.B)
	b.SetBytes(int64(4 * len(x)))
	for b.Loop() {
		TotalTo(dst, x, benchShape)
	}
}
