package agenttest

import (
	"math"
	"slices"
	"testing"

	"github.com/dwm-rl/dwm/nn"
)

// GradStep is GradCheck's central-difference step h. With float32
// parameters and losses its error is O(h²) from truncation plus about
// ε·|L|/h from the loss's float32 rounding (ε ≈ 6e-8), about 1e-5 absolute
// on the agents' tiny networks: a sweep of h over {3e-3, 1e-2, 3e-2, 1e-1}
// showed rounding dominating below 1e-2 and truncation above 3e-2 (agent/sac).
const GradStep = 1e-2

// GradErr is GradCheck's error measure |analytic - numeric| / (|analytic| +
// |numeric| + 1e-2): relative, except that gradients below 1e-2 are
// compared in absolute terms.
func GradErr(analytic, numeric float64) float64 {
	return math.Abs(analytic-numeric) / (math.Abs(analytic) + math.Abs(numeric) + 1e-2)
}

// GradCheck compares grads, the analytic gradients of params saved by
// SaveGrads, with central differences of loss over every entry (the
// networks checked are tiny), each divided by the float32 step actually
// taken. It fails t for each entry whose GradErr exceeds tol and returns
// the largest error. Parameters are restored after each entry.
func GradCheck(t *testing.T, params []*nn.Param, grads [][]float32, loss func() float64, tol float64) float64 {
	t.Helper()
	var worst float64
	for pi, p := range params {
		for i := range p.W {
			old := p.W[i]
			p.W[i] = old + GradStep
			hi := p.W[i]
			lp := loss()
			p.W[i] = old - GradStep
			lo := p.W[i]
			lm := loss()
			p.W[i] = old
			num := (lp - lm) / (float64(hi) - float64(lo))
			e := GradErr(float64(grads[pi][i]), num)
			worst = max(worst, e)
			if e > tol {
				t.Errorf("%s[%d]: analytic %.6g, numeric %.6g (error %.2g > %.2g)", p.Name, i, grads[pi][i], num, e, tol)
			}
		}
	}
	return worst
}

// SaveGrads returns copies of the gradients of params.
func SaveGrads(params []*nn.Param) [][]float32 {
	out := make([][]float32, len(params))
	for i, p := range params {
		out[i] = slices.Clone(p.G)
	}
	return out
}
