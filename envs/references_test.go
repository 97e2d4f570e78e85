package envs

import (
	"math"
	"testing"
)

// TestReferenceScores re-measures every reference row and checks it
// against the table. On amd64 the numbers reproduce exactly; the 1%
// tolerance allows for fused multiply-adds on other architectures. Run with
// -v to print the rows in Go syntax.
func TestReferenceScores(t *testing.T) {
	refs := References()
	if len(refs) == 0 {
		t.Fatal("empty reference table")
	}
	close := func(got, want, abs float64) bool {
		return math.Abs(got-want) <= max(abs, 0.01*math.Abs(want))
	}
	for _, want := range refs {
		got, err := Measure(want.ID, want.Episodes, want.Seed)
		if err != nil {
			t.Fatalf("%s: %v", want.ID, err)
		}
		t.Logf("{ID: %q, Episodes: %d, Seed: %d, Random: %.10g, RandomStd: %.10g, Expert: %.10g, ExpertStd: %.10g, RandomSuccess: %.10g, ExpertSuccess: %.10g},",
			got.ID, got.Episodes, got.Seed, got.Random, got.RandomStd, got.Expert, got.ExpertStd, got.RandomSuccess, got.ExpertSuccess)
		if !close(got.Random, want.Random, 1e-3) || !close(got.Expert, want.Expert, 1e-3) ||
			!close(got.RandomStd, want.RandomStd, 1e-3) || !close(got.ExpertStd, want.ExpertStd, 1e-3) ||
			!close(got.RandomSuccess, want.RandomSuccess, 0.01) || !close(got.ExpertSuccess, want.ExpertSuccess, 0.01) {
			t.Errorf("%s: measured %+v, table %+v", want.ID, got, want)
		}
		if got.Expert <= got.Random {
			t.Errorf("%s: expert %g not above random %g", want.ID, got.Expert, got.Random)
		}
		if _, err := Make(want.ID); err != nil {
			t.Errorf("%s: %v", want.ID, err)
		}
	}
}

func TestReferenceNormalize(t *testing.T) {
	r := Reference{Random: -1000, Expert: -200}
	for _, c := range []struct{ ret, want float64 }{{-1000, 0}, {-200, 100}, {-600, 50}} {
		if got := r.Normalize(c.ret); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Normalize(%g) = %g, want %g", c.ret, got, c.want)
		}
	}
	if _, ok := ReferenceFor("pendulum"); !ok {
		t.Error("no pendulum reference")
	}
	if _, ok := ReferenceFor("nope"); ok {
		t.Error("reference for unknown id")
	}
}
