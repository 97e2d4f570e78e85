package cql

import (
	"math"
	"slices"
	"sort"
	"testing"

	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/replay"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// Finite-difference checks of the hand-written gradients.
//
// Network-level checks use tiny networks (3→8→8→·) with tanh hidden units
// (ReLU kinks make finite differences unreliable), float32 throughout, and
// central differences with step h = 1e-2 divided by the float32 step
// actually taken (the choice and error budget of package sac's checks: the
// float32 rounding of the loss dominates below 1e-2, truncation above
// 3e-2). The error measure is |analytic - numeric| / (|analytic| +
// |numeric| + 1e-2). Measured maxima over every entry: critic loss 1.1e-3
// (CQL), 1.2e-3 (Cal-QL, each bound in a wide gap between Q-values), 7.7e-4 (no
// importance sampling, T = 0.7), 1.6e-3 (Cal-QL with Lagrange, clipped gaps
// on both sides, max target backup and backup entropy); actor loss 1.8e-4.
// Tolerance 5e-3; a 5% error in any one gradient path gives errors ≥ 1e-2
// (checked by mutating the calibration, the data-action and the log-σ
// scalar gradients: each made a check fail).
//
// The conservative term alone is checked against Q-values directly, in
// float64 from float32 inputs (h = 1e-3): measured ≤ 2.3e-7, tolerance
// 1e-5.

func tinyAgent(t *testing.T, calibrate bool, cfg Config) *Agent {
	t.Helper()
	cfg.Hidden, cfg.ActorHidden = []int{8, 8}, []int{8, 8}
	cfg.Activation = "tanh"
	if cfg.NumActions == 0 {
		cfg.NumActions = 3
	}
	name := map[bool]string{false: "cql", true: "calql"}[calibrate]
	a, err := newAgent(name, calibrate, 3, 2, cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// prepare runs an update's steps up to the critic loss on b: draws, policy
// passes, critic targets and CQL samples. It returns the batch size.
func prepare(a *Agent, b *replay.Batch) int {
	n := a.bindBatch(b)
	a.draw(n)
	a.policies()
	a.criticTargets(n, a.Alpha())
	a.cqlSamples(n)
	return n
}

// placeBounds sets each row's MC return in the widest gap between the
// row's sorted policy-action Q-values (both members) within their middle
// half, so that some values of every row lie below the bound and some
// above, all at least half that gap away from it (no kink of max(Q, MC)
// within a finite-difference step). It returns the smallest distance.
func placeBounds(a *Agent, b *replay.Batch, n int) float64 {
	B := &a.buf
	N := a.cfg.NumActions
	G := 1 + 3*N
	a.fillCQLInput(n)
	var q tensor.Mat
	a.critic.Predict(&q, &B.criticIn)
	margin := math.Inf(1)
	vals := make([]float64, 0, 4*N)
	for i := 0; i < n; i++ {
		vals = vals[:0]
		for k := 0; k < numCritics; k++ {
			for r := 1 + N; r < G; r++ {
				vals = append(vals, float64(q.Data[k*n*G+i*G+r]))
			}
		}
		sort.Float64s(vals)
		bestGap, bestMid := -1.0, 0.0
		for j := len(vals) / 4; j < 3*len(vals)/4; j++ {
			if g := vals[j+1] - vals[j]; g > bestGap {
				bestGap, bestMid = g, (vals[j+1]+vals[j])/2
			}
		}
		b.MC[i] = float32(bestMid)
		margin = min(margin, bestGap/2)
	}
	return margin
}

// rowGaps returns the unclipped conservative gap of each state of a
// member's Q-value block q (n states).
func rowGaps(a *Agent, q []float32, n int) []float64 {
	B := &a.buf
	N := a.cfg.NumActions
	G := 1 + 3*N
	cur, nxt, mc := B.curLogp, B.nxtLogp, B.mc
	lo, hi := a.clipLo, a.clipHi
	a.clipLo, a.clipHi = math.Inf(-1), math.Inf(1)
	defer func() { B.curLogp, B.nxtLogp, B.mc, a.clipLo, a.clipHi = cur, nxt, mc, lo, hi }()
	out := make([]float64, n)
	scratch := make([]float32, G)
	for i := range out {
		B.curLogp = tensor.Mat{Rows: N, Cols: 1, Data: cur.Data[i*N : (i+1)*N]}
		B.nxtLogp = tensor.Mat{Rows: N, Cols: 1, Data: nxt.Data[i*N : (i+1)*N]}
		if mc != nil {
			B.mc = mc[i : i+1]
		}
		var st criticStats
		out[i] = a.conservative(scratch, q[i*G:(i+1)*G], nil, 1, 0, &st)
	}
	return out
}

// placeClip sets the clip range between the smallest two and the largest two
// of the gaps, so that some states are clipped on each side and the rest
// are not, and returns the smallest distance of a gap to a clip bound.
func placeClip(a *Agent, gaps []float64) float64 {
	g := slices.Clone(gaps)
	sort.Float64s(g)
	k := len(g) - 1
	a.clipLo = (g[0] + g[1]) / 2
	a.clipHi = (g[k-1] + g[k]) / 2
	return min(g[1]-g[0], g[k]-g[k-1]) / 2
}

func TestCriticLossGradient(t *testing.T) {
	for _, c := range []struct {
		name      string
		calibrate bool
		cfg       Config
	}{
		{"CQL", false, Config{InitAlpha: 0.3, CQLAlpha: 2}},
		{"CalQL", true, Config{InitAlpha: 0.3, CQLAlpha: 2}},
		{"NoImportanceSample", false, Config{InitAlpha: 0.3, CQLAlpha: 2, NoImportanceSample: true, Temp: 0.7}},
		{"LagrangeClipMaxBackup", true, Config{InitAlpha: 0.3, CQLAlpha: 2, Lagrange: true, TargetActionGap: 0.8,
			MaxTargetBackup: true, BackupEntropy: true, ClipDiffMax: 1}}, // clip range set below
	} {
		t.Run(c.name, func(t *testing.T) {
			a := tinyAgent(t, c.calibrate, c.cfg)
			b := agenttest.BatchesMC(3, 2, 6, 1, 11)[0]
			n := prepare(a, b)
			if c.calibrate {
				if m := placeBounds(a, b, n); m < 0.02 {
					t.Fatalf("MC bounds only %.3g from a Q-value: finite differences would cross the kink", m)
				}
			}
			if c.cfg.ClipDiffMax != 0 {
				var q tensor.Mat
				a.fillCQLInput(n)
				a.critic.Predict(&q, &a.buf.criticIn)
				G := 1 + 3*a.cfg.NumActions
				gaps := append(rowGaps(a, q.Data[:n*G], n), rowGaps(a, q.Data[n*G:], n)...)
				if m := placeClip(a, gaps); m < 0.02 {
					t.Fatalf("clip bounds only %.3g from a gap", m)
				}
			}
			w := a.alphaPrime()
			st := a.criticLossGrad(n, w)
			if c.calibrate && !(st.boundPolicy > 0.1 && st.boundPolicy < 0.9) {
				t.Fatalf("bound rate %.2f: want a mix of bounded and free policy values", st.boundPolicy)
			}
			grads := agenttest.SaveGrads(a.criticParams)
			loss := func() float64 { s := a.criticLossGrad(n, w); return s.td + s.cql }
			worst := agenttest.GradCheck(t, a.criticParams, grads, loss, 5e-3)
			t.Logf("critic loss: largest finite-difference error %.2g", worst)
		})
	}
}

// The actor gradient goes through the critic (dQ/dã of the min member), the
// tanh-Gaussian and log σ = clamp(m·raw + o) into the actor's weights and
// the scalars m and o.
func TestActorLossGradient(t *testing.T) {
	a := tinyAgent(t, false, Config{InitAlpha: 0.3})
	b := agenttest.Batches(3, 2, 6, 1, 13)[0]
	n := a.bindBatch(b)
	a.draw(n)
	loss := func() float64 {
		a.policies()
		l, _ := a.actorLossGrad(n, a.Alpha())
		return l
	}
	loss()
	grads := agenttest.SaveGrads(a.actorParams)
	for _, p := range a.criticParams {
		for i, g := range p.G {
			if g != 0 {
				t.Fatalf("critic gradient %s[%d] = %v after the actor pass, want 0", p.Name, i, g)
			}
		}
	}
	if grads[len(grads)-2][0] == 0 || grads[len(grads)-1][0] == 0 {
		t.Fatalf("log-σ scalars have zero gradients %v, %v", grads[len(grads)-2], grads[len(grads)-1])
	}
	worst := agenttest.GradCheck(t, a.actorParams, grads, loss, 5e-3)
	t.Logf("actor loss: largest finite-difference error %.2g", worst)
}

// The conservative term against its Q-values directly: every Q-value of a
// member's block (data, random, next-policy and current-policy actions) is
// perturbed, with importance sampling on and off, with and without
// calibration, and with clipped gaps.
func TestConservativeGradient(t *testing.T) {
	for _, c := range []struct {
		name      string
		calibrate bool
		cfg       Config
	}{
		{"ImportanceSampled", false, Config{}},
		{"Calibrated", true, Config{}},
		{"NoImportanceSample", false, Config{NoImportanceSample: true, Temp: 0.5}},
		{"CalibratedTemp", true, Config{Temp: 2}},
		{"Clipped", false, Config{ClipDiffMax: 1}}, // clip range set below
	} {
		t.Run(c.name, func(t *testing.T) {
			const n, w = 5, 1.7
			a := tinyAgent(t, c.calibrate, c.cfg)
			N := a.cfg.NumActions
			G := 1 + 3*N
			s := rng.New(21)
			q := make([]float32, n*G)
			s.FillNormal(q)
			B := &a.buf
			B.curLogp.Resize(n*N, 1)
			B.nxtLogp.Resize(n*N, 1)
			s.FillNormal(B.curLogp.Data)
			s.FillNormal(B.nxtLogp.Data)
			B.mc = make([]float32, n)
			for i := range B.mc {
				B.mc[i] = float32(0.4*float64(i) - 0.8) // some policy values below, some above
				for r := 1 + N; r < G; r++ {
					if d := q[i*G+r] - B.mc[i]; math.Abs(float64(d)) < 0.01 {
						q[i*G+r] += 0.05 // keep the kink of max(Q, MC) out of reach
					}
				}
			}
			B.mc[n-1] = float32(math.Inf(-1)) // a row without a known bound
			if c.cfg.ClipDiffMax != 0 {
				if m := placeClip(a, rowGaps(a, q, n)); m < 0.01 {
					t.Fatalf("clip bounds only %.3g from a gap", m)
				}
			}
			var st criticStats
			dq := make([]float32, n*G)
			d0 := a.conservative(dq, q, nil, n, w, &st)
			if c.calibrate && st.boundPolicy == 0 {
				t.Fatal("no policy value is below its bound")
			}
			scratch := make([]float32, n*G)
			f := func() float64 {
				var st criticStats
				return w * a.conservative(scratch, q, nil, n, w, &st)
			}
			const h = 1e-3
			var worst float64
			clipped := 0
			for i := range q {
				old := q[i]
				q[i] = old + h
				hi := q[i]
				lp := f()
				q[i] = old - h
				lo := q[i]
				lm := f()
				q[i] = old
				num := (lp - lm) / (float64(hi) - float64(lo))
				e := agenttest.GradErr(float64(dq[i]), num)
				worst = max(worst, e)
				if e > 1e-5 {
					t.Errorf("dq[%d] (state %d, row %d): analytic %.7g, numeric %.7g", i, i/G, i%G, dq[i], num)
				}
				if i%G == 0 && dq[i] == 0 {
					clipped++
				}
			}
			if c.cfg.ClipDiffMax != 0 && clipped != 2 {
				t.Fatalf("%d of %d states clipped, want 2 (one on each side)", clipped, n)
			}
			t.Logf("D = %.4f: largest finite-difference error %.2g", d0, worst)
		})
	}
}
