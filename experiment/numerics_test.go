package experiment

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// Every algorithm tells the loop its discount, so exploding critic values
// are warned about (add a case to Config.discount with a new algorithm).
func TestEveryAlgorithmHasADiscount(t *testing.T) {
	for _, a := range Algos() {
		c := Default(a, "pendulum")
		c.Dataset = "d.npz"
		c.Train.OfflineSteps, c.Train.OnlineSteps = 10, 10
		c, err := Resolve(c)
		if err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		if g := c.discount(); !(g > 0 && g < 1) {
			t.Errorf("%s: discount %v: add the algorithm's γ to Config.discount", a, g)
		}
	}
}

// train.check_numerics is a config key, and a warning reaches the run's
// output: here with a bound factor so small that any Q value exceeds it.
func TestNumericsWiring(t *testing.T) {
	c := tiny(t, "num")
	c.Train.CheckNumerics = true
	c.Train.QBoundFactor = 1e-9
	var out bytes.Buffer
	if _, err := Run(context.Background(), c, Options{Out: &out, Quiet: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "critic values are exploding") {
		t.Fatalf("no warning in the run's output: %q", out.String())
	}
	y, _ := c.WithDefaults().YAML()
	if !strings.Contains(string(y), "check_numerics: true") {
		t.Fatalf("config does not carry train.check_numerics:\n%s", y)
	}
}
