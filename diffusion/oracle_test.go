package diffusion

import (
	"math"

	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/tensor"
)

// oracle is an exact denoiser for a known data distribution: given a
// condition c (width 1), every data element is x = c·s + noise·Std, where
// the sign s is +1 with probability PPos and −1 otherwise (shared by the
// row's elements), so y | c is the bimodal target of the tests. Its output
// is the posterior mean E[x_0 | x_t, c] converted to its Pred; with the
// condition dropped it uses c = 1. Tests of the samplers use it to separate
// sampler errors from learning errors.
type oracle struct {
	sc       *Schedule
	pred     Prediction
	d        int
	pPos     float64
	std      float64
	out      tensor.Mat
	cond     []float64
	prepared bool
}

func (o *oracle) Members() int        { return 1 }
func (o *oracle) Dim() int            { return o.d }
func (o *oracle) CondDim() int        { return 1 }
func (o *oracle) Params() []*nn.Param { return nil }

// x0 sets dst to E[x_0 | x_t] for one row at step t and condition c.
func (o *oracle) x0(dst, xt []float32, t int, c float64) {
	a, s := o.sc.Alpha[t], o.sc.Sigma[t]
	v := a*a*o.std*o.std + s*s // variance of x_t given the component
	var lp, ln float64         // log-likelihoods of the two components
	for _, x := range xt {
		dp, dn := float64(x)-a*c, float64(x)+a*c
		lp += -dp * dp / (2 * v)
		ln += -dn * dn / (2 * v)
	}
	lp += math.Log(o.pPos)
	ln += math.Log(1 - o.pPos)
	m := max(lp, ln)
	wp := math.Exp(lp - m)
	wn := math.Exp(ln - m)
	wp, wn = wp/(wp+wn), wn/(wp+wn)
	g := a * o.std * o.std / v
	for j, x := range xt {
		mp := c + g*(float64(x)-a*c)
		mn := -c + g*(float64(x)+a*c)
		dst[j] = float32(wp*mp + wn*mn)
	}
}

func (o *oracle) eval(dst, x *tensor.Mat, t []float32, cond func(i int) float64) {
	dst.Resize(x.Rows, x.Cols)
	for i := 0; i < x.Rows; i++ {
		step := int(math.Round(float64(t[i]) * float64(o.sc.T)))
		r := dst.Row(i)
		o.x0(r, x.Row(i), step, cond(i))
		a, s := float32(o.sc.Alpha[step]), float32(o.sc.Sigma[step])
		Convert(r, o.pred, X0, r, x.Row(i), a, s)
	}
}

func (o *oracle) Forward(x *tensor.Mat, t []float32, cond *tensor.Mat, keep []float32) *tensor.Mat {
	o.eval(&o.out, x, t, func(i int) float64 {
		if keep != nil && keep[i] == 0 {
			return 1
		}
		return float64(cond.At(i, 0))
	})
	return &o.out
}

func (o *oracle) Backward(dy *tensor.Mat) *tensor.Mat { return nil }

func (o *oracle) SetCond(cond *tensor.Mat, keep []float32) {
	o.cond = o.cond[:0]
	for i := 0; i < cond.Rows; i++ {
		c := float64(cond.At(i, 0))
		if keep != nil && keep[i] == 0 {
			c = 1
		}
		o.cond = append(o.cond, c)
	}
	o.prepared = true
}

func (o *oracle) Step(dst, x *tensor.Mat, t float32) {
	ts := make([]float32, x.Rows)
	for i := range ts {
		ts[i] = t
	}
	o.eval(dst, x, ts, func(i int) float64 { return o.cond[i%len(o.cond)] })
}
