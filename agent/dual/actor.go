package dual

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/tensor"
)

// Actor is DUAL's Gaussian policy head (Eq. 5): for features φ(s) ∈ R^F,
// φ̃ = (φ, 1), the planner's first action μ_plan(s) (Eq. 4) and the last
// layer W (2A rows of F+1 values),
//
//	μ_j(s)      = μ_plan,j(s) + W[j]·φ̃(s)       (mean: planner action plus a learned correction)
//	log σ_j(s)  = W[A+j]·φ̃(s)                   (learned log standard deviation)
//
// W is the "last layer" of the Laplace approximation (Eq. 6). The zero W
// is the planner's action with unit variance.
type Actor struct {
	ActDim, FeatDim int
	// W holds 2·ActDim rows of FeatDim+1 values (the bias last): rows
	// 0…A−1 correct the mean, rows A…2A−1 give log σ.
	W []float64
}

// NewActor returns the zero actor for actDim actions and featDim features.
// It panics if either is < 1.
func NewActor(actDim, featDim int) *Actor {
	if actDim < 1 || featDim < 1 {
		panic(fmt.Sprintf("dual.NewActor(%d, %d): dimensions must be ≥ 1", actDim, featDim))
	}
	return &Actor{ActDim: actDim, FeatDim: featDim, W: make([]float64, 2*actDim*(featDim+1))}
}

// Clone returns a deep copy.
func (a *Actor) Clone() *Actor {
	c := *a
	c.W = append([]float64(nil), a.W...)
	return &c
}

func (a *Actor) row(r int) []float64 { n := a.FeatDim + 1; return a.W[r*n : (r+1)*n] }

// LogStdMin and LogStdMax bound log σ where it is used (CleanRL's SAC
// bounds): without them the weighted MAP of Eq. 5 drives log σ to −∞ on
// nearly deterministic data, and e^{−2ℓ} overflows the Laplace precision.
// Outside the bounds the loss is flat in ℓ (zero gradient, as torch.clamp).
const (
	LogStdMin = -5
	LogStdMax = 2
)

// clampedLogStd returns the clamped log σ = clamp(W[A+j]·φ̃) and whether it lies
// inside the bounds.
func clampedLogStd(w []float64, phi []float32) (float64, bool) {
	l := dotAff(w, phi)
	if l < LogStdMin {
		return LogStdMin, false
	}
	if l > LogStdMax {
		return LogStdMax, false
	}
	return l, true
}

func dotAff(w []float64, phi []float32) float64 {
	v := w[len(phi)]
	for k, x := range phi {
		v += w[k] * float64(x)
	}
	return v
}

// Batch is a minibatch for the actor loss: B rows of features, planner
// actions, dataset actions and advantage weights.
type Batch struct {
	Feat *tensor.Mat // B × F: φ(s_i)
	Plan *tensor.Mat // B × A: μ_plan(s_i), the planner's first action
	Act  *tensor.Mat // B × A: the dataset action a_i
	// Weight holds w_i = exp(β·A(s_i, a_i)) (AdvantageWeights), length B.
	Weight []float32
}

func (a *Actor) check(b Batch) error {
	n := b.Feat.Rows
	switch {
	case b.Feat.Cols != a.FeatDim:
		return fmt.Errorf("dual actor: features have %d columns, want %d", b.Feat.Cols, a.FeatDim)
	case b.Plan.Rows != n || b.Plan.Cols != a.ActDim:
		return fmt.Errorf("dual actor: planner actions are %d×%d, want %d×%d", b.Plan.Rows, b.Plan.Cols, n, a.ActDim)
	case b.Act.Rows != n || b.Act.Cols != a.ActDim:
		return fmt.Errorf("dual actor: dataset actions are %d×%d, want %d×%d", b.Act.Rows, b.Act.Cols, n, a.ActDim)
	case len(b.Weight) != n:
		return fmt.Errorf("dual actor: %d weights for %d rows", len(b.Weight), n)
	case n == 0:
		return fmt.Errorf("dual actor: empty batch")
	}
	return nil
}

// AdvantageWeights writes IQL's weights w_i = min(exp(β·adv_i), maxWeight)
// into dst (Kostrikov et al. 2022 clip at 100). It panics if the lengths
// differ.
func AdvantageWeights(dst, adv []float32, beta, maxWeight float64) {
	if len(dst) != len(adv) {
		panic("dual.AdvantageWeights: length mismatch")
	}
	for i, x := range adv {
		dst[i] = float32(math.Min(math.Exp(beta*float64(x)), maxWeight))
	}
}

// LogBoxVolume returns Σ_j log(high_j − low_j), minus the log density of the
// uniform prior over the action box that Eq. 5 adds to the loss.
func LogBoxVolume(low, high []float32) float64 {
	var v float64
	for j := range low {
		v += math.Log(float64(high[j]) - float64(low[j]))
	}
	return v
}

// Loss returns the advantage-weighted MAP loss of Eq. 5 on b (ℓ clamped to
// [LogStdMin, LogStdMax]),
//
//	L(W) = (1/B) Σ_i w_i Σ_j [ ½ (a_ij − μ_ij)² e^{−2ℓ_ij} + ℓ_ij + ½ log 2π ] + logVol
//
// (ℓ = log σ, logVol = LogBoxVolume: −log of the uniform prior density),
// and, if grad is non-nil (len(W)), writes ∂L/∂W:
//
//	∂L/∂W[j]   = (1/B) Σ_i w_i (−r_ij e^{−2ℓ_ij}) φ̃_i,   r = a − μ
//	∂L/∂W[A+j] = (1/B) Σ_i w_i (1 − r_ij² e^{−2ℓ_ij}) φ̃_i
func (a *Actor) Loss(b Batch, logVol float64, grad []float64) (float64, error) {
	if err := a.check(b); err != nil {
		return 0, err
	}
	if grad != nil {
		if len(grad) != len(a.W) {
			return 0, fmt.Errorf("dual actor: gradient has %d values, want %d", len(grad), len(a.W))
		}
		clear(grad)
	}
	n, A, F := b.Feat.Rows, a.ActDim, a.FeatDim
	inv := 1 / float64(n)
	var loss float64
	for i := 0; i < n; i++ {
		phi := b.Feat.Row(i)
		w := float64(b.Weight[i])
		for j := 0; j < A; j++ {
			mu := float64(b.Plan.At(i, j)) + dotAff(a.row(j), phi)
			ell, inside := clampedLogStd(a.row(A+j), phi)
			r := float64(b.Act.At(i, j)) - mu
			e := math.Exp(-2 * ell)
			loss += w * (0.5*r*r*e + ell + 0.5*math.Log(2*math.Pi))
			if grad != nil {
				gm, gl := inv*w*(-r*e), inv*w*(1-r*r*e)
				if !inside {
					gl = 0
				}
				rm, rl := grad[j*(F+1):(j+1)*(F+1)], grad[(A+j)*(F+1):(A+j+1)*(F+1)]
				for k, x := range phi {
					rm[k] += gm * float64(x)
					rl[k] += gl * float64(x)
				}
				rm[F] += gm
				rl[F] += gl
			}
		}
	}
	return loss*inv + logVol, nil
}

// Predict writes the mean and log standard deviation of the policy for B
// states (feat B × F, plan B × A) into mean and logStd (B × A).
func (a *Actor) Predict(mean, logStd, feat, plan *tensor.Mat) {
	A := a.ActDim
	for i := 0; i < feat.Rows; i++ {
		phi := feat.Row(i)
		for j := 0; j < A; j++ {
			mean.Set(i, j, float32(float64(plan.At(i, j))+dotAff(a.row(j), phi)))
			l, _ := clampedLogStd(a.row(A+j), phi)
			logStd.Set(i, j, float32(l))
		}
	}
}
