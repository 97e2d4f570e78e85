package dual

import (
	"fmt"
	"math"
	"strings"

	"github.com/dwm-rl/dwm/diffusion"
	"github.com/dwm-rl/dwm/diffusion/denoiser"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// Uncertainty kinds of Fig. 3(c) (Config.Uncertainty).
const (
	// UncertaintyLaplace is DUAL's last-layer Laplace posterior under the
	// actor loss (Eq. 6–7; "Ours w LA").
	UncertaintyLaplace = "laplace"
	// UncertaintyLatent obtains sub-policies by sampling the planner's
	// input noise latent N times per state ("Ours w sampling"): sub-policy k
	// is N(a_0^k(s) + Ŵ_μ φ̃(s), σ_Ŵ(s)²) with a_0^k the first action of
	// the k-th trajectory sampled from an independent initial noise x_T^k.
	UncertaintyLatent = "latent"
	// UncertaintyELBO is a last-layer Laplace posterior fitted under the
	// diffusion ELBO loss (Eq. 3) to the planner denoiser's last layer, the
	// BayesDiff/DiffUQ-style alternative Remark 3.3 argues against
	// (FitELBOLaplace).
	UncertaintyELBO = "elbo_laplace"
)

// Policies (Config.Policy).
const (
	// PolicyDUAL is DUAL (default).
	PolicyDUAL = "dual"
	// PolicyDiffuser is Diffuser as a planner-policy baseline: the action
	// is the first action of a trajectory sampled from the undistilled
	// planner given the state (Eq. 4), with no actor, critic guidance,
	// Laplace posterior or shift term. The planner trains on every offline
	// update and is fine-tuned online as DUAL's. It is the unguided
	// planner: Diffuser's return-gradient guidance (a value function
	// trained on noisy trajectories) is not built.
	PolicyDiffuser = "diffuser"
)

// actingModel returns the network, model and sampler the planner
// acts with: the distilled student after Distill, else the EMA teacher.
func (p *Planner) actingModel() (*denoiser.TemporalUNet, *diffusion.Model, *diffusion.Sampler) {
	if p.student != nil {
		return p.student.Net.(*denoiser.TemporalUNet), p.student, p.studentSampler
	}
	p.sync()
	return p.plan, p.pmodel, p.sampler
}

// ActSamples plans n trajectories per state from independent initial
// noise latents with the acting planner (the student after Distill, else
// the teacher) and writes their first actions into act (n·B × actDim, row
// k·B + i is sample k of state i) and, if next is non-nil, sample 0's
// planned next state (B × obsDim). It is Fig. 3(c)'s "sampling the input
// latent".
func (p *Planner) ActSamples(act, next, obs *tensor.Mat, n int, s *rng.Stream) error {
	if n < 1 {
		return fmt.Errorf("dual planner: %d latent samples: must be ≥ 1", n)
	}
	_, _, sm := p.actingModel()
	return p.actWithM(sm, n, act, next, obs, s)
}

// lastLayer returns the denoiser's last layer: the 1×1 output convolution
// "…/final/out" (weights C × Dim × 1, bias C). It panics if the network's
// parameter list does not end with it (a programmer error).
func lastLayer(u *denoiser.TemporalUNet) (w, b *nn.Param) {
	ps := u.Params()
	w, b = ps[len(ps)-2], ps[len(ps)-1]
	if !strings.HasSuffix(w.Name, "/final/out/w") || !strings.HasSuffix(b.Name, "/final/out/b") {
		panic(fmt.Sprintf("dual: the U-Net's last parameters are %s and %s, want its final/out convolution", w.Name, b.Name))
	}
	return w, b
}

// scratchFor returns the planner's scratch network (a copy of the acting
// network's parameters) and a model and sampler over it configured as the
// acting ones. The acting network is never modified.
func (p *Planner) scratchFor() (*denoiser.TemporalUNet, *diffusion.Sampler, error) {
	u, m, sm := p.actingModel()
	if p.scratch == nil {
		net, err := denoiser.NewTemporalUNet("planner", p.ch, 0, p.cfg.UNet, rng.New(0))
		if err != nil {
			return nil, nil, fmt.Errorf("dual planner: %w", err)
		}
		p.scratch = net
	}
	if p.scratchOf != m {
		sm2, err := diffusion.New(p.scratch, m.Config())
		if err != nil {
			return nil, nil, fmt.Errorf("dual planner: %w", err)
		}
		if p.scratchSampler, err = sm2.NewSampler(sm.Config()); err != nil {
			return nil, nil, fmt.Errorf("dual planner: %w", err)
		}
		p.scratchModel, p.scratchOf = sm2, m
	}
	src, dst := u.Params(), p.scratch.Params()
	for i, q := range dst {
		copy(q.W, src[i].W)
	}
	return p.scratch, p.scratchSampler, nil
}

// ELBOLaplace is a last-layer Laplace posterior N(Ŵ, Λ⁻¹) over the planner
// denoiser's output layer fitted under the diffusion ELBO loss of Eq. 3
// (Remark 3.3's alternative; FitELBOLaplace). Block c covers output
// channel c's weights and bias θ_c = (W[c, ·], b_c) (Dim + 1 values): the
// loss term of every element of channel c depends on θ_c alone, so the
// precision is exactly block-diagonal over channels.
type ELBOLaplace struct {
	// C is the number of output channels (obsDim + actDim) and Dim the
	// last layer's input width (the U-Net's Dim).
	C, Dim int
	chol   [][]float64
	// Damping[c] is the δ added to block c (0 if none was needed; the
	// ELBO's Hessian is positive semi-definite, so λ > 0 suffices).
	Damping []float64
}

// FitELBOLaplace forms the last-layer Laplace precision of the acting
// planner (the student after Distill, else the EMA teacher) under Eq. 3's
// x_0-regression loss on rows segments of the planner's data (drawn by
// Segment, offline and online as for training), each with one draw of
// t ~ U{1..T} and ε ~ N(0, I) (x_t formed as the diffusion model's Loss
// does, the known s_0 kept clean):
//
//	Λ_c = Σ_i Σ_h 2 w_{h,c} g̃_{i,h} g̃_{i,h}ᵀ + λ I,   g̃ = (g, 1)
//
// where g_{i,h} ∈ R^Dim is the last layer's input (the Mish(GroupNorm)
// output of the U-Net's final block) at trajectory row h of segment i, and
// w_{h,c} the loss weight of element (h, c) (ActionWeight on the first
// action, 1 elsewhere). The output x̂_{h,c} = W[c]·g_h + b_c is linear in
// θ_c and the loss Σ w (x̂ − τ⁰)² quadratic, so this is the exact Hessian
// of the summed loss (equal to its GGN), treating Eq. 3 as a Gaussian
// log-likelihood with variance 1/(2w) — the reading Remark 3.3 says is not
// a principled likelihood. g is read without touching the network's code:
// on a scratch copy the output layer is set to 0/1 selectors (bias 0),
// so a forward pass returns Dim/C of g's channels exactly.
func (p *Planner) FitELBOLaplace(rows int, prior float64, s *rng.Stream) (*ELBOLaplace, error) {
	if !(prior > 0) || math.IsInf(prior, 0) {
		return nil, fmt.Errorf("dual elbo laplace: prior precision %v: must be finite and > 0", prior)
	}
	if rows < 1 {
		return nil, fmt.Errorf("dual elbo laplace: %d rows: must be ≥ 1", rows)
	}
	_, m, _ := p.actingModel()
	net, _, err := p.scratchFor()
	if err != nil {
		return nil, err
	}
	H, C, D := p.cfg.Horizon, p.ch, p.cfg.UNet.Dim
	P := D + 1
	wts := m.Config().Weights
	sc := m.Sched
	// gram[h] = Σ_i g̃_{i,h} g̃_{i,h}ᵀ.
	gram := make([][]float64, H)
	for h := range gram {
		gram[h] = make([]float64, P*P)
	}
	const chunk = 128
	x0 := tensor.New(chunk, H*C)
	xt := tensor.New(chunk, H*C)
	eps := make([]float32, H*C)
	times := make([]float32, chunk)
	g := make([]float64, chunk*H*P)
	for done := 0; done < rows; done += chunk {
		n := min(chunk, rows-done)
		x0.Resize(n, H*C)
		xt.Resize(n, H*C)
		p.Segment(x0, nil, s)
		for i := 0; i < n; i++ {
			t := 1 + s.IntN(sc.T)
			times[i] = sc.Time(t)
			a, sg := float32(sc.Alpha[t]), float32(sc.Sigma[t])
			s.FillNormal(eps)
			x, z := x0.Row(i), xt.Row(i)
			for j := range z {
				z[j] = a*x[j] + sg*eps[j]
			}
			for _, k := range p.inp.Index {
				z[k] = x[k]
			}
		}
		lastLayerInputs(net, xt, times[:n], g)
		for i := 0; i < n; i++ {
			for h := 0; h < H; h++ {
				v, G := g[(i*H+h)*P:(i*H+h+1)*P], gram[h]
				for a := 0; a < P; a++ {
					for b := 0; b <= a; b++ {
						G[a*P+b] += v[a] * v[b]
					}
				}
			}
		}
	}
	for _, G := range gram {
		for a := 0; a < P; a++ {
			for b := 0; b < a; b++ {
				G[b*P+a] = G[a*P+b]
			}
		}
	}
	l := &ELBOLaplace{C: C, Dim: D, chol: make([][]float64, C), Damping: make([]float64, C)}
	prec := make([]float64, P*P)
	for c := 0; c < C; c++ {
		clear(prec)
		for h := 0; h < H; h++ {
			w := 1.0
			if wts != nil {
				w = float64(wts[h*C+c])
			}
			for k, v := range gram[h] {
				prec[k] += 2 * w * v
			}
		}
		for a := 0; a < P; a++ {
			prec[a*P+a] += prior
		}
		L, ok := cholesky(prec, P, 0)
		for k := -6; !ok; k++ {
			if k > 12 {
				return nil, fmt.Errorf("dual elbo laplace: channel %d: precision not positive definite even damped by %v", c, math.Pow(10, 12)*prior)
			}
			l.Damping[c] = math.Pow(10, float64(k)) * prior
			L, ok = cholesky(prec, P, l.Damping[c])
		}
		l.chol[c] = L
	}
	return l, nil
}

// lastLayerInputs writes into g (xt.Rows·H rows of Dim+1 values, row
// i·H + h) the augmented input g̃ = (g, 1) of net's last layer at
// trajectory row h of input row i, for the noisy inputs xt at times. It
// overwrites net's last layer: the output x̂_{h,c} = W[c]·g_h + b_c is
// linear in (W, b), so with b = 0 and W[c] the unit vector of feature
// r·C + c one forward pass reads C features at once (⌈Dim/C⌉ passes).
func lastLayerInputs(net *denoiser.TemporalUNet, xt *tensor.Mat, times []float32, g []float64) {
	W, B := lastLayer(net)
	H, C, D := net.H, net.C, net.Cfg.Dim
	P := D + 1
	n := xt.Rows
	for i := 0; i < n*H; i++ {
		g[i*P+D] = 1
	}
	for r := 0; r*C < D; r++ {
		clear(W.W)
		clear(B.W)
		for c := 0; c < C && r*C+c < D; c++ {
			W.W[c*D+r*C+c] = 1
		}
		out := net.Forward(xt, times, nil, nil)
		for i := 0; i < n; i++ {
			o := out.Row(i)
			for h := 0; h < H; h++ {
				for c := 0; c < C && r*C+c < D; c++ {
					g[(i*H+h)*P+r*C+c] = float64(o[h*C+c])
				}
			}
		}
	}
}

// Damped reports whether any block needed damping, and the largest δ.
func (l *ELBOLaplace) Damped() (bool, float64) {
	var m float64
	for _, d := range l.Damping {
		m = math.Max(m, d)
	}
	return m > 0, m
}

// Sample draws n deviations θ^k − Ŵ ~ N(0, Λ⁻¹) of the last layer, each
// C·Dim weight deviations (laid out as the weights, C × Dim) followed by C
// bias deviations.
func (l *ELBOLaplace) Sample(n int, s *rng.Stream) [][]float32 {
	P := l.Dim + 1
	z := make([]float64, P)
	out := make([][]float32, n)
	for k := range out {
		d := make([]float32, l.C*P)
		for c := 0; c < l.C; c++ {
			for i := range z {
				z[i] = s.NormFloat64()
			}
			x := solveUpperT(l.chol[c], P, z)
			for i := 0; i < l.Dim; i++ {
				d[c*l.Dim+i] = float32(x[i])
			}
			d[l.C*l.Dim+c] = float32(x[l.Dim])
		}
		out[k] = d
	}
	return out
}

// ActPerturbed plans once per deviation in devs (ELBOLaplace.Sample) with
// the acting planner's last layer moved by it, every plan from the same
// initial noise (common random numbers: the spread across k is the
// posterior's alone), and writes the first actions into act
// (len(devs)·B × actDim, row k·B + i for deviation k and state i). The
// acting planner is not modified (a scratch copy is used).
func (p *Planner) ActPerturbed(act, obs *tensor.Mat, devs [][]float32, s *rng.Stream) error {
	b, n := obs.Rows, len(devs)
	if n == 0 || act.Rows != n*b || act.Cols != p.actDim {
		return fmt.Errorf("dual planner: action matrix is %d×%d, want %d×%d for %d deviations", act.Rows, act.Cols, n*b, p.actDim, n)
	}
	u, _, _ := p.actingModel()
	net, sm, err := p.scratchFor()
	if err != nil {
		return err
	}
	W, B := lastLayer(net)
	W0, B0 := lastLayer(u)
	CD := len(W.W)
	seed := s.Uint64()
	var view tensor.Mat
	for k, d := range devs {
		if len(d) != CD+len(B.W) {
			return fmt.Errorf("dual planner: deviation %d has %d values, want %d", k, len(d), CD+len(B.W))
		}
		for i := range W.W {
			W.W[i] = W0.W[i] + d[i]
		}
		for i := range B.W {
			B.W[i] = B0.W[i] + d[CD+i]
		}
		act.RowViewInto(&view, k*b, (k+1)*b)
		if err := p.actWithM(sm, 1, &view, nil, obs, rng.New(seed)); err != nil {
			return err
		}
	}
	return nil
}

// AggregatePlans is Eq. 7's moment matching for sub-policies that share
// the MAP actor head and differ in their planner action: sub-policy k of
// state i is N(plans[k·B+i] + Ŵ_μ φ̃_i, σ_Ŵ(φ_i)²), so
//
//	μ̄ = mean_k plans_k + Ŵ_μ φ̃,   σ̄² = σ_Ŵ² + var_k plans_k
//
// (mean and variance B × A; plans n·B × A). It panics if the shapes do not
// fit (a programmer error).
func AggregatePlans(mean, variance *tensor.Mat, actor *Actor, feat, plans *tensor.Mat) {
	b, A := feat.Rows, actor.ActDim
	if b == 0 || plans.Rows%b != 0 || plans.Rows == 0 || plans.Cols != A {
		panic(fmt.Sprintf("dual.AggregatePlans: plans %s for %d states", plans.Shape(), b))
	}
	n := plans.Rows / b
	for i := 0; i < b; i++ {
		phi := feat.Row(i)
		for j := 0; j < A; j++ {
			var m, m2 float64
			for k := 0; k < n; k++ {
				v := float64(plans.At(k*b+i, j))
				m += v
				m2 += v * v
			}
			m /= float64(n)
			ls, _ := clampedLogStd(actor.row(A+j), phi)
			mean.Set(i, j, float32(m+dotAff(actor.row(j), phi)))
			variance.Set(i, j, float32(math.Exp(2*ls)+math.Max(m2/float64(n)-m*m, 0)))
		}
	}
}

// PlanSpread returns the mean over states and action dimensions of the
// variance across k of plans (n·B × A laid out as AggregatePlans'): the
// epistemic part of the aggregate's variance.
func PlanSpread(plans *tensor.Mat, b int) float64 {
	n, A := plans.Rows/b, plans.Cols
	var tot float64
	for i := 0; i < b; i++ {
		for j := 0; j < A; j++ {
			var m, m2 float64
			for k := 0; k < n; k++ {
				v := float64(plans.At(k*b+i, j))
				m += v
				m2 += v * v
			}
			m /= float64(n)
			tot += math.Max(m2/float64(n)-m*m, 0)
		}
	}
	return tot / float64(b*A)
}
