package tensor

import "math"

// Constants of the fast exp: x = n·ln2 + r with |r| ≤ ln2/2, exp(r) by a
// degree-6 Taylor polynomial (truncation error < 1.2e-7 relative), 2^n built
// from exponent bits.
const (
	expHi   = 88.0
	expLo   = -87.0
	log2e   = 1.44269504088896341
	ln2Hi   = 0.693359375
	ln2Lo   = -2.12194440e-4
	roundMg = 12582912.0 // 1.5·2^23: adding and subtracting it rounds to an integer
)

// Exp returns e^x computed in float32 with a maximum relative error of about
// 2e-7 for x in [-87, 88]. Inputs are clamped to that range, so Exp never
// returns 0, +Inf or NaN for finite x (Exp(-1000) is about 1.6e-38 and
// Exp(1000) about 1.65e38). NaN inputs give NaN.
func Exp(x float32) float32 {
	x = min(max(x, expLo), expHi)
	t := x*log2e + roundMg
	n := t - roundMg
	r := x - n*ln2Hi - n*ln2Lo
	p := 1 + r*(1+r*(0.5+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720))))))
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// ExpTo sets dst[i] = Exp(src[i]). dst may be src. It panics if the lengths
// differ.
func ExpTo(dst, src []float32) {
	if len(dst) != len(src) {
		panic("tensor.ExpTo: lengths differ")
	}
	expTo(dst, src)
}

func expToGo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = Exp(v)
	}
}

// sigmoid returns 1/(1+e^-x) using Exp.
func sigmoid(x float32) float32 { return 1 / (1 + Exp(-x)) }

// tanh returns tanh(x) using Exp, with a polynomial for expm1 at small |x| so
// that the relative error stays near float32 precision near zero.
func tanh(x float32) float32 {
	a := x
	if a < 0 {
		a = -a
	}
	r := 2 * min(a, 9)
	var em float32
	if r < 0.5 {
		em = r * (1 + r*(0.5+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040)))))))
	} else {
		em = Exp(r) - 1
	}
	t := em / (em + 2)
	if x < 0 {
		return -t
	}
	return t
}

// SigmoidScalar returns 1/(1+e^-x) in float32 using the fast Exp.
func SigmoidScalar(x float32) float32 { return sigmoid(x) }

// TanhScalar returns tanh(x) in float32 using the fast Exp.
func TanhScalar(x float32) float32 { return tanh(x) }
