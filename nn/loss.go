package nn

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/tensor"
)

func lossShapes(op string, pred, target *tensor.Mat) {
	if !tensor.SameShape(pred, target) {
		panic(fmt.Sprintf("nn.%s: prediction %s, target %s", op, pred.Shape(), target.Shape()))
	}
}

// MSE returns the mean over all elements of (pred-target)² (PyTorch's
// MSELoss) and, if grad is non-nil, sets grad (resized) to its gradient with
// respect to pred, 2(pred-target)/N. It panics if the shapes differ.
func MSE(grad, pred, target *tensor.Mat) float32 {
	lossShapes("MSE", pred, target)
	n := pred.Len()
	if n == 0 {
		return 0
	}
	p, t := pred.Data[:n], target.Data[:n]
	var g []float32
	if grad != nil {
		grad.Resize(pred.Rows, pred.Cols)
		g = grad.Data[:n]
	}
	c := 2 / float32(n)
	var s float64
	for i, v := range p {
		d := v - t[i]
		s += float64(d * d)
		if g != nil {
			g[i] = c * d
		}
	}
	return float32(s / float64(n))
}

// Huber returns the mean Huber loss with threshold delta (PyTorch's
// HuberLoss: ½d² where |d| ≤ delta, delta·(|d| - ½delta) elsewhere, d =
// pred-target) and, if grad is non-nil, sets grad to its gradient with
// respect to pred. It panics if the shapes differ or delta ≤ 0.
func Huber(grad, pred, target *tensor.Mat, delta float32) float32 {
	lossShapes("Huber", pred, target)
	if delta <= 0 {
		panic(fmt.Sprintf("nn.Huber: delta %v must be positive", delta))
	}
	n := pred.Len()
	if n == 0 {
		return 0
	}
	p, t := pred.Data[:n], target.Data[:n]
	var g []float32
	if grad != nil {
		grad.Resize(pred.Rows, pred.Cols)
		g = grad.Data[:n]
	}
	inv := 1 / float32(n)
	var s float64
	for i, v := range p {
		d := v - t[i]
		ad := float32(math.Abs(float64(d)))
		var gi float32
		if ad <= delta {
			s += float64(0.5 * d * d)
			gi = d
		} else {
			s += float64(delta * (ad - 0.5*delta))
			gi = delta
			if d < 0 {
				gi = -delta
			}
		}
		if g != nil {
			g[i] = gi * inv
		}
	}
	return float32(s / float64(n))
}

// halfLog2Pi is ½·log(2π).
const halfLog2Pi = 0.91893853320467274178

// GaussianNLL returns the negative log-likelihood of target under diagonal
// Gaussians N(mean, exp(logStd)²), summed over columns and averaged over
// rows (the usual loss of a probabilistic dynamics model), and sets gradMean
// and gradLogStd (resized; either may be nil) to its gradients. It panics if
// the shapes differ.
func GaussianNLL(gradMean, gradLogStd, mean, logStd, target *tensor.Mat) float32 {
	lossShapes("GaussianNLL", mean, target)
	lossShapes("GaussianNLL", logStd, target)
	rows, n := mean.Rows, mean.Len()
	if n == 0 {
		return 0
	}
	if gradMean != nil {
		gradMean.Resize(mean.Rows, mean.Cols)
	}
	if gradLogStd != nil {
		gradLogStd.Resize(mean.Rows, mean.Cols)
	}
	inv := 1 / float32(rows)
	var s float64
	for i := 0; i < n; i++ {
		ls := logStd.Data[i]
		istd := float32(math.Exp(-float64(ls)))
		z := (target.Data[i] - mean.Data[i]) * istd
		s += float64(0.5*z*z+ls) + halfLog2Pi
		if gradMean != nil {
			gradMean.Data[i] = -z * istd * inv
		}
		if gradLogStd != nil {
			gradLogStd.Data[i] = (1 - z*z) * inv
		}
	}
	return float32(s / float64(rows))
}
