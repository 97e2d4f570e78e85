package nn

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/tensor"
)

func distShapes(op string, mats ...*tensor.Mat) {
	for _, m := range mats[1:] {
		if m != nil && !tensor.SameShape(m, mats[0]) {
			panic(fmt.Sprintf("nn.%s: shapes %s and %s differ", op, mats[0].Shape(), m.Shape()))
		}
	}
}

func colShape(op string, v *tensor.Mat, rows int) {
	if v.Rows != rows || v.Cols != 1 {
		panic(fmt.Sprintf("nn.%s: per-row values %s, want %d×1", op, v.Shape(), rows))
	}
}

// DiagGaussianLogProb sets logp (resized to rows×1) to the log-density of each
// row of x under the diagonal Gaussian N(mean, exp(logStd)²):
// Σ_j [-½((x-μ)/σ)² - log σ - ½log 2π]. It panics if the shapes differ.
func DiagGaussianLogProb(logp, mean, logStd, x *tensor.Mat) {
	distShapes("DiagGaussianLogProb", mean, logStd, x)
	logp.Resize(mean.Rows, 1)
	c := mean.Cols
	for i := 0; i < mean.Rows; i++ {
		var s float64
		for j := i * c; j < (i+1)*c; j++ {
			ls := float64(logStd.Data[j])
			z := float64(x.Data[j]-mean.Data[j]) * math.Exp(-ls)
			s += -0.5*z*z - ls - halfLog2Pi
		}
		logp.Data[i] = float32(s)
	}
}

// DiagGaussianLogProbBackward sets dMean, dLogStd and dX (each resized; any
// may be nil) to the gradients of Σ_i dLogp[i]·logp[i] for the log-density of
// DiagGaussianLogProb. It panics if the shapes differ or dLogp is not
// rows×1.
func DiagGaussianLogProbBackward(dMean, dLogStd, dX, dLogp, mean, logStd, x *tensor.Mat) {
	distShapes("DiagGaussianLogProbBackward", mean, logStd, x)
	colShape("DiagGaussianLogProbBackward", dLogp, mean.Rows)
	for _, d := range []*tensor.Mat{dMean, dLogStd, dX} {
		if d != nil {
			d.Resize(mean.Rows, mean.Cols)
		}
	}
	c := mean.Cols
	for i := 0; i < mean.Rows; i++ {
		g := dLogp.Data[i]
		for j := i * c; j < (i+1)*c; j++ {
			istd := float32(math.Exp(-float64(logStd.Data[j])))
			z := (x.Data[j] - mean.Data[j]) * istd
			dm := g * z * istd
			if dMean != nil {
				dMean.Data[j] = dm
			}
			if dX != nil {
				dX.Data[j] = -dm
			}
			if dLogStd != nil {
				dLogStd.Data[j] = g * (z*z - 1)
			}
		}
	}
}

// TanhGaussian is the tanh-squashed diagonal Gaussian policy of SAC
// (Haarnoja et al. 2018, appendix C): u = mean + exp(logStd)·ε with
// ε ~ N(0, I) supplied by the caller (reparameterisation), action = tanh(u),
// and log π(a|s) = Σ_j [log N(u_j; mean_j, σ_j) - log(1 - tanh²(u_j))] with
// the stable form log(1 - tanh²u) = 2(log 2 - u - softplus(-2u)).
//
// Sample caches what Backward needs; a TanhGaussian is reused across batches
// and does not allocate once its buffers have grown. It is not safe for
// concurrent use.
type TanhGaussian struct {
	std, eps, act tensor.Mat
}

// Sample sets action (resized like mean) to tanh(mean + exp(logStd)⊙noise)
// and, if logp is non-nil, logp (resized to rows×1) to each row's log
// probability. It panics if the shapes differ.
func (d *TanhGaussian) Sample(action, logp, mean, logStd, noise *tensor.Mat) {
	distShapes("TanhGaussian.Sample", mean, logStd, noise)
	n := mean.Len()
	d.std.Resize(mean.Rows, mean.Cols)
	d.eps.CopyFrom(noise)
	d.act.Resize(mean.Rows, mean.Cols)
	action.Resize(mean.Rows, mean.Cols)
	for j := 0; j < n; j++ {
		std := math.Exp(float64(logStd.Data[j]))
		u := float64(mean.Data[j]) + std*float64(noise.Data[j])
		a := float32(math.Tanh(u))
		d.std.Data[j] = float32(std)
		d.act.Data[j] = a
		action.Data[j] = a
	}
	if logp == nil {
		return
	}
	logp.Resize(mean.Rows, 1)
	c := mean.Cols
	for i := 0; i < mean.Rows; i++ {
		var s float64
		for j := i * c; j < (i+1)*c; j++ {
			e := float64(noise.Data[j])
			ls := float64(logStd.Data[j])
			u := float64(mean.Data[j]) + math.Exp(ls)*e
			s += -0.5*e*e - ls - halfLog2Pi - logOneMinusTanh2(u)
		}
		logp.Data[i] = float32(s)
	}
}

// logOneMinusTanh2 returns log(1 - tanh²u) = 2(log 2 - u - softplus(-2u)).
func logOneMinusTanh2(u float64) float64 {
	return 2 * (math.Ln2 - u - softplus(-2*u))
}

// softplus returns log(1+eˣ) without overflow.
func softplus(x float64) float64 {
	return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
}

// Backward sets dMean and dLogStd (resized) to the gradients of
// Σ dAction⊙action + Σ_i dLogp[i]·logp[i] for the last Sample, with the noise
// held fixed. Either upstream gradient may be nil (treated as zero). It
// panics if the shapes differ from the last Sample.
func (d *TanhGaussian) Backward(dMean, dLogStd, dAction, dLogp *tensor.Mat) {
	rows, cols := d.act.Rows, d.act.Cols
	if dAction != nil && !tensor.SameShape(dAction, &d.act) {
		panic(fmt.Sprintf("nn.TanhGaussian.Backward: dAction %s, action was %s", dAction.Shape(), d.act.Shape()))
	}
	if dLogp != nil {
		colShape("TanhGaussian.Backward", dLogp, rows)
	}
	dMean.Resize(rows, cols)
	dLogStd.Resize(rows, cols)
	for i := 0; i < rows; i++ {
		var gl float32
		if dLogp != nil {
			gl = dLogp.Data[i]
		}
		for j := i * cols; j < (i+1)*cols; j++ {
			a := d.act.Data[j]
			var du float32
			if dAction != nil {
				du = dAction.Data[j] * (1 - a*a)
			}
			// ∂logp/∂u = 2·tanh(u) (from -log(1-tanh²u)); ∂logp/∂logStd adds -1.
			du += gl * 2 * a
			dMean.Data[j] = du
			dLogStd.Data[j] = du*d.std.Data[j]*d.eps.Data[j] - gl
		}
	}
}

// TanhMode sets action (resized) to tanh(mean), the deterministic action of a
// tanh-squashed Gaussian policy.
func TanhMode(action, mean *tensor.Mat) {
	action.Resize(mean.Rows, mean.Cols)
	for j := 0; j < mean.Len(); j++ {
		action.Data[j] = float32(math.Tanh(float64(mean.Data[j])))
	}
}
