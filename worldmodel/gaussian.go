package worldmodel

import (
	"math"
	"slices"

	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// Soft bounds of the Gaussian members' log-variance (in normalized target
// units): MBPO/MOPO's initial max_logvar and min_logvar. Here they are
// fixed rather than trained (a deviation: the trained bounds of MBPO move
// little from these values and add a regulariser).
const (
	maxLogVar = 0.5
	minLogVar = -10
)

// gaussianEnsemble is the MOPO-style baseline: K probabilistic MLPs, member
// k mapping normalized [s, a] to the mean and log-variance of a diagonal
// Gaussian over the normalized target x, trained by the Gaussian negative
// log-likelihood (Chua et al. 2018); predictions use the Elites members
// with the lowest held-out error (MOPO).
type gaussianEnsemble struct {
	k, in, d int
	net      *nn.MLP
	elites   []int
	// targetStd converts normalized standard deviations to raw units for
	// MOPO's penalty.
	targetStd []float32

	grad, out, tiled tensor.Mat
	// Per-sample-call scratch: means and log-variances of the elites.
	mu, lv []float32
}

func newGaussianEnsemble(cfg Config, in, d int, s *rng.Stream) *gaussianEnsemble {
	sizes := append(append([]int{in}, cfg.GaussianHidden...), 2*d)
	g := &gaussianEnsemble{k: cfg.Members, in: in, d: d}
	g.net = nn.NewEnsembleMLP("gaussian", cfg.Members, nn.MLPConfig{Sizes: sizes, Hidden: tensor.SiLU}, s.Child("gaussian"))
	g.net.NoInputGrad = true
	g.elites = make([]int, cfg.Elites)
	for i := range g.elites {
		g.elites[i] = i
	}
	return g
}

func (g *gaussianEnsemble) params() []*nn.Param { return g.net.Params() }
func (g *gaussianEnsemble) trainMembers() int   { return g.k }
func (g *gaussianEnsemble) sampleMembers() int  { return len(g.elites) }

func softplus(x float64) float64 {
	if x > 30 {
		return x
	}
	return math.Log1p(math.Exp(x))
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// boundLogVar maps the raw output to the soft-bounded log-variance and
// returns it with its derivative with respect to the raw output (MBPO's
// max_logvar − softplus(max_logvar − raw), then min_logvar +
// softplus(· − min_logvar)).
func boundLogVar(raw float32) (lv, dlv float64) {
	r := float64(raw)
	l1 := maxLogVar - softplus(maxLogVar-r)
	lv = minLogVar + softplus(l1-minLogVar)
	dlv = sigmoid(maxLogVar-r) * sigmoid(l1-minLogVar)
	return lv, dlv
}

// lossGrad adds the gradient of every member's mean Gaussian negative
// log-likelihood (without constants, MBPO's form: (μ−x)²·e^(−lv) + lv,
// averaged over its rows and dimensions) and returns the members' mean.
func (g *gaussianEnsemble) lossGrad(in, x *tensor.Mat, _ *rng.Stream) (float32, error) {
	out := g.net.Forward(in)
	rows, d := in.Rows, g.d
	n := rows / g.k
	g.grad.Resize(rows, 2*d)
	c := 1 / float64(n*d)
	var total float64
	for i := 0; i < rows; i++ {
		o, t, gr := out.Row(i), x.Row(i), g.grad.Row(i)
		for j := 0; j < d; j++ {
			lv, dlv := boundLogVar(o[d+j])
			iv := math.Exp(-lv)
			e := float64(o[j]) - float64(t[j])
			total += e*e*iv + lv
			gr[j] = float32(c * 2 * e * iv)
			gr[d+j] = float32(c * (1 - e*e*iv) * dlv)
		}
	}
	g.net.Backward(&g.grad)
	return float32(total * c / float64(g.k)), nil
}

// predictAll sets g.out to every member's raw output for the B inputs.
func (g *gaussianEnsemble) predictAll(in *tensor.Mat) {
	nn.TileRows(&g.tiled, in, g.k)
	g.net.Predict(&g.out, &g.tiled)
}

// sample sets dst to E·M·B normalized samples laid out [E, M, B] (E
// elites): x = μ_k + σ_k·ε.
func (g *gaussianEnsemble) sample(dst *tensor.Mat, in *tensor.Mat, m int, s *rng.Stream) error {
	b, d := in.Rows, g.d
	g.predictAll(in)
	e := len(g.elites)
	dst.Resize(e*m*b, d)
	g.mu = slices.Grow(g.mu[:0], b*d*e)[:b*d*e]
	g.lv = slices.Grow(g.lv[:0], b*d*e)[:b*d*e]
	for ei, k := range g.elites {
		for i := 0; i < b; i++ {
			o := g.out.Row(k*b + i)
			for j := 0; j < d; j++ {
				lv, _ := boundLogVar(o[d+j])
				g.mu[(ei*b+i)*d+j] = o[j]
				g.lv[(ei*b+i)*d+j] = float32(lv)
			}
		}
	}
	for ei := 0; ei < e; ei++ {
		for mm := 0; mm < m; mm++ {
			for i := 0; i < b; i++ {
				row := dst.Row((ei*m+mm)*b + i)
				base := (ei*b + i) * d
				for j := range row {
					row[j] = g.mu[base+j] + float32(math.Exp(0.5*float64(g.lv[base+j])))*float32(s.NormFloat64())
				}
			}
		}
	}
	return nil
}

// penalty is MOPO's u(s, a) = max_k ‖σ_k(s, a)‖₂ over the elites, with σ
// in raw target units (MOPO's code: the max over models of the norm of
// the predicted standard deviations). It reads the log-variances of the
// last sample call.
func (g *gaussianEnsemble) penalty(dst []float32, p *Prediction) {
	b, d := len(dst), g.d
	for i := 0; i < b; i++ {
		var best float64
		for ei := range g.elites {
			var s2 float64
			for j := 0; j < d; j++ {
				sd := math.Exp(0.5*float64(g.lv[(ei*b+i)*d+j])) * float64(g.targetStd[j])
				s2 += sd * sd
			}
			best = max(best, math.Sqrt(s2))
		}
		dst[i] = float32(best)
	}
}

// selectElites keeps the e members with the lowest mean squared error of
// their means on the held-out normalized inputs and targets.
func (g *gaussianEnsemble) selectElites(in, x *tensor.Mat, e int) []float64 {
	g.predictAll(in)
	b, d := in.Rows, g.d
	mse := make([]float64, g.k)
	for k := 0; k < g.k; k++ {
		for i := 0; i < b; i++ {
			o, t := g.out.Row(k*b+i), x.Row(i)
			for j := 0; j < d; j++ {
				e := float64(o[j] - t[j])
				mse[k] += e * e
			}
		}
		mse[k] /= float64(b * d)
	}
	idx := make([]int, g.k)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case mse[a] < mse[b]:
			return -1
		case mse[a] > mse[b]:
			return 1
		}
		return 0
	})
	g.elites = append(g.elites[:0], idx[:e]...)
	slices.Sort(g.elites)
	return mse
}
