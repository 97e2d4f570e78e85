package dataset

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/dwm-rl/dwm/rng"
)

func TestNormalizer(t *testing.T) {
	// Two dims: column 0 is 1,2,3,4 (mean 2.5, std sqrt(1.25)); column 1 is constant 7.
	x := []float32{1, 7, 2, 7, 3, 7, 4, 7}
	n, err := FitNormalizer(x, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n.Eps != DefaultNormalizerEps {
		t.Errorf("Eps = %v, want default %v", n.Eps, DefaultNormalizerEps)
	}
	if n.Mean[0] != 2.5 || n.Mean[1] != 7 {
		t.Errorf("Mean = %v", n.Mean)
	}
	if want := float32(math.Sqrt(1.25) + 1e-3); math.Abs(float64(n.Std[0]-want)) > 1e-6 || n.Std[1] != float32(1e-3) {
		t.Errorf("Std = %v, want [%v 0.001]", n.Std, want)
	}
	y := make([]float32, len(x))
	n.Apply(y, x)
	for i := 1; i < len(y); i += 2 {
		if y[i] != 0 {
			t.Errorf("constant column normalized to %v", y[i])
		}
	}
	var mean, ss float64
	for i := 0; i < len(y); i += 2 {
		mean += float64(y[i]) / 4
	}
	for i := 0; i < len(y); i += 2 {
		ss += (float64(y[i]) - mean) * (float64(y[i]) - mean) / 4
	}
	if math.Abs(mean) > 1e-6 || math.Abs(math.Sqrt(ss)-1) > 1e-3 {
		t.Errorf("normalized column has mean %v std %v", mean, math.Sqrt(ss))
	}
	z := make([]float32, len(x))
	n.Inverse(z, y)
	for i := range x {
		if math.Abs(float64(z[i]-x[i])) > 1e-5 {
			t.Errorf("Inverse(Apply(x))[%d] = %v, want %v", i, z[i], x[i])
		}
	}
	// In place.
	w := append([]float32(nil), x...)
	n.Apply(w, w)
	for i := range w {
		if w[i] != y[i] {
			t.Fatalf("in-place Apply differs at %d", i)
		}
	}
}

func TestNormalizerErrors(t *testing.T) {
	if _, err := FitNormalizer(nil, 2, 0); err == nil {
		t.Error("empty data accepted")
	}
	if _, err := FitNormalizer([]float32{1, 2, 3}, 2, 0); err == nil {
		t.Error("ragged data accepted")
	}
	if _, err := FitNormalizer([]float32{1, float32(math.NaN())}, 2, 0); err == nil {
		t.Error("NaN accepted")
	}
	if _, err := FitNormalizer([]float32{1}, 0, 0); err == nil {
		t.Error("dim 0 accepted")
	}
	defer func() {
		if recover() == nil {
			t.Error("Apply with wrong length did not panic")
		}
	}()
	n, _ := FitNormalizer([]float32{1, 2}, 2, 0)
	n.Apply(make([]float32, 3), make([]float32, 3))
}

func TestNormalizerSaveLoad(t *testing.T) {
	r := rng.Derive(5, "normalizer")
	x := make([]float32, 300)
	r.FillNormal(x)
	n, err := FitNormalizer(x, 3, 1e-4)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "norm.json")
	if err := n.Save(path); err != nil {
		t.Fatal(err)
	}
	m, err := LoadNormalizer(path)
	if err != nil {
		t.Fatal(err)
	}
	for j := range n.Mean {
		if math.Float32bits(m.Mean[j]) != math.Float32bits(n.Mean[j]) || math.Float32bits(m.Std[j]) != math.Float32bits(n.Std[j]) {
			t.Errorf("dim %d: loaded %v/%v, saved %v/%v", j, m.Mean[j], m.Std[j], n.Mean[j], n.Std[j])
		}
	}
	if m.Eps != n.Eps {
		t.Errorf("Eps %v, want %v", m.Eps, n.Eps)
	}
	bad := filepath.Join(dir, "bad.json")
	for _, content := range []string{`{"mean":[1],"std":[0],"eps":0.001}`, `{"mean":[1,2],"std":[1],"eps":0}`, `{"mean":[1],"std":[1],"extra":1}`, `{`} {
		os.WriteFile(bad, []byte(content), 0o644)
		if _, err := LoadNormalizer(bad); err == nil {
			t.Errorf("LoadNormalizer accepted %s", content)
		}
	}
}
