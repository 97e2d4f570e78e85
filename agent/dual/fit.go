package dual

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/tensor"
)

// ActorOptimizer is Adam (Kingma & Ba 2015) over an Actor's last layer, in
// float64 like the Laplace step that follows it.
type ActorOptimizer struct {
	// LR is the step size (default 3e-4, IQL's actor rate).
	LR      float64
	m, v, g []float64
	t       int
}

// Step computes Eq. 5's loss and gradient on b and takes one Adam step on
// a.W (β = 0.9, 0.999, ε = 1e-8). It returns the loss before the step.
func (o *ActorOptimizer) Step(a *Actor, b Batch, logVol float64) (float64, error) {
	if o.LR == 0 {
		o.LR = 3e-4 // IQL (Kostrikov et al. 2022) actor learning rate
	}
	if !(o.LR > 0) || math.IsInf(o.LR, 0) {
		return 0, fmt.Errorf("dual actor optimizer: LR = %v: must be finite and > 0", o.LR)
	}
	if len(o.g) != len(a.W) {
		o.m, o.v, o.g, o.t = make([]float64, len(a.W)), make([]float64, len(a.W)), make([]float64, len(a.W)), 0
	}
	loss, err := a.Loss(b, logVol, o.g)
	if err != nil {
		return 0, err
	}
	o.t++
	c1, c2 := 1-math.Pow(0.9, float64(o.t)), 1-math.Pow(0.999, float64(o.t))
	for k, g := range o.g {
		o.m[k] = 0.9*o.m[k] + 0.1*g
		o.v[k] = 0.999*o.v[k] + 0.001*g*g
		a.W[k] -= o.LR * (o.m[k] / c1) / (math.Sqrt(o.v[k]/c2) + 1e-8)
	}
	return loss, nil
}

// FeatureClip bounds the actor's features: a state dimension the data
// never varies has the standard-deviation floor 1e-3, and an online state
// that moves it (a FrozenLake cell never visited offline) would otherwise
// give a feature of 1000 and sub-policies far outside the action box.
const FeatureClip = 10

// Features writes the planner's normalised observations, clipped to
// ±FeatureClip, into dst (B × obsDim): the actor's features φ(s).
func (p *Planner) Features(dst, obs *tensor.Mat) error {
	if obs.Cols != p.obsDim || dst.Cols != p.obsDim || dst.Rows != obs.Rows {
		return fmt.Errorf("dual planner features: obs %d×%d, dst %d×%d: want B×%d both", obs.Rows, obs.Cols, dst.Rows, dst.Cols, p.obsDim)
	}
	for i := 0; i < obs.Rows; i++ {
		o, d := obs.Row(i), dst.Row(i)
		for c := range o {
			d[c] = min(max((o[c]-p.mean[c])/p.std[c], -FeatureClip), FeatureClip)
		}
	}
	return nil
}
