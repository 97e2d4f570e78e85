package dawm

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/rng"
	"github.com/dwm-rl/dwm/tensor"
)

// UncertaintyInfo is the name of the Infos column of a generated dataset
// that holds each transition's uncertainty (written as infos/uncertainty).
const UncertaintyInfo = "uncertainty"

// GenConfig configures Generate. Zero fields take the defaults listed on each
// field.
type GenConfig struct {
	// Sample configures the diffusion sampler (Samples M ≥ 2 is needed for
	// an uncertainty; default 4).
	Sample SampleConfig
	// Transitions is how many one-step transitions each generated sequence
	// gives, from its start (default 1: only (s_t, â_t, r̂_t, ŝ_{t+1}), the
	// step closest to the real state; at most Horizon−1).
	Transitions int
	// RTGOffset shifts the return-to-go condition of every row by this many
	// standard deviations of the dataset's returns-to-go (default 0: the
	// row's own return-to-go).
	RTGOffset float32
	// Batch is the number of dataset rows sampled together (default 256).
	Batch int
}

// Generate turns the dataset rows listed in rows into generated one-step
// transitions: for each row i it samples M state–reward sequences
// conditioned on (s_i, a_i, RTG_i + offset), and for steps h = 0…
// Transitions−1 of the first sample it emits (s_h, g(s_h, s_{h+1}), r_h,
// s_{h+1}) with the action inferred by idm. Each transition's uncertainty,
// the mean over the standardised next-state and reward channels of their
// standard deviation over the M samples, is stored in the Infos column
// UncertaintyInfo. The transitions of one sequence form one episode ending
// in a timeout (generated data never claims a terminal).
//
// Choice: DAWM samples several futures per start; we keep one as the
// transition and use the others only to measure spread, so the data stay
// actual model draws rather than averages.
func Generate(w *WorldModel, idm *InverseDynamics, rows []int, cfg GenConfig, s *rng.Stream) (*dataset.Dataset, error) {
	cfg.Sample = cfg.Sample.withDefaults()
	if cfg.Transitions == 0 {
		cfg.Transitions = 1
	}
	if cfg.Batch == 0 {
		cfg.Batch = 256
	}
	if cfg.Transitions < 1 || cfg.Transitions > w.Cfg.Horizon-1 {
		return nil, fmt.Errorf("dawm: generate: Transitions = %d, want in [1, %d] (Horizon−1)", cfg.Transitions, w.Cfg.Horizon-1)
	}
	if cfg.Sample.Samples < 2 {
		return nil, fmt.Errorf("dawm: generate: Sample.Samples = %d, want >= 2 to measure uncertainty", cfg.Sample.Samples)
	}
	if cfg.Batch < 1 {
		return nil, fmt.Errorf("dawm: generate: Batch = %d, want >= 1", cfg.Batch)
	}
	if idm.ObsDim != w.ObsDim || idm.ActDim != w.ActDim {
		return nil, fmt.Errorf("dawm: generate: inverse dynamics for obs/act dims %d/%d, world model %d/%d", idm.ObsDim, idm.ActDim, w.ObsDim, w.ActDim)
	}
	d := w.data
	for _, i := range rows {
		if i < 0 || i >= d.Len() {
			return nil, fmt.Errorf("dawm: generate: row %d outside dataset of %d rows", i, d.Len())
		}
	}
	p, err := w.NewSampler(cfg.Sample)
	if err != nil {
		return nil, err
	}
	M, C, T := cfg.Sample.Samples, w.C(), cfg.Transitions
	out := dataset.New(w.ObsDim, w.ActDim, len(rows)*T)
	unc := make([]float32, 0, len(rows)*T)
	obs := make([]float32, 0, cfg.Batch*w.ObsDim)
	act := make([]float32, 0, cfg.Batch*w.ActDim)
	rtg := make([]float32, 0, cfg.Batch)
	seq := tensor.New(0, 0)
	pairS := make([]float32, T*w.ObsDim)
	pairN := make([]float32, T*w.ObsDim)
	pairA := make([]float32, T*w.ActDim)
	scale := make([]float32, C)
	for j := 0; j < w.ObsDim; j++ {
		scale[j] = 1 / w.ObsNorm.Std[j]
	}
	scale[w.ObsDim] = 1 / w.RewStd
	st := s.Child("sample")
	for lo := 0; lo < len(rows); lo += cfg.Batch {
		hi := min(lo+cfg.Batch, len(rows))
		obs, act, rtg = obs[:0], act[:0], rtg[:0]
		for _, i := range rows[lo:hi] {
			obs = append(obs, d.Obs(i)...)
			act = append(act, d.Act(i)...)
			rtg = append(rtg, w.rtg[i]+cfg.RTGOffset*w.RTGStd)
		}
		B := hi - lo
		if err := p.Sample(seq, obs, act, rtg, st); err != nil {
			return nil, err
		}
		for b := 0; b < B; b++ {
			x := seq.Row(b) // sample m = 0
			for h := 0; h < T; h++ {
				copy(pairS[h*w.ObsDim:(h+1)*w.ObsDim], x[h*C:h*C+w.ObsDim])
				copy(pairN[h*w.ObsDim:(h+1)*w.ObsDim], x[(h+1)*C:(h+1)*C+w.ObsDim])
			}
			idm.Predict(pairA, pairS, pairN)
			for h := 0; h < T; h++ {
				out.Append(pairS[h*w.ObsDim:(h+1)*w.ObsDim], pairA[h*w.ActDim:(h+1)*w.ActDim], x[h*C+w.ObsDim],
					pairN[h*w.ObsDim:(h+1)*w.ObsDim], false, h == T-1)
				unc = append(unc, spread(seq, b, B, M, h, C, w.ObsDim, scale))
			}
		}
	}
	out.Infos = map[string]dataset.Column{UncertaintyInfo: {Dim: 1, Data: unc}}
	out.Metadata = map[string]string{"generator": "dawm"}
	if id := d.Metadata[dataset.MetaEnvID]; id != "" {
		out.Metadata[dataset.MetaEnvID] = id // the task the states belong to
	}
	return out, nil
}

// spread returns the mean over the next-state channels of step h+1 and the
// reward of step h of the standard deviation over the M samples of
// condition b, in standardised units (values times scale).
func spread(seq *tensor.Mat, b, B, M, h, C, obsDim int, scale []float32) float32 {
	var total float64
	n := 0
	one := func(idx int, sc float32) {
		var m, v float64
		for k := 0; k < M; k++ {
			m += float64(seq.Row(k*B + b)[idx] * sc)
		}
		m /= float64(M)
		for k := 0; k < M; k++ {
			e := float64(seq.Row(k*B + b)[idx]*sc) - m
			v += e * e
		}
		total += math.Sqrt(v / float64(M-1))
		n++
	}
	for j := 0; j < obsDim; j++ {
		one((h+1)*C+j, scale[j])
	}
	one(h*C+obsDim, scale[obsDim])
	return float32(total / float64(n))
}

// FilterConfig selects generated transitions. Zero fields disable a test.
type FilterConfig struct {
	// MaxUncertainty keeps transitions whose uncertainty is at most this
	// value (0: no uncertainty test).
	MaxUncertainty float32
	// Low and High, if set, keep transitions whose state and next state lie
	// in [Low, High] per dimension (e.g. the real dataset's state range).
	Low, High []float32
}

// Filter returns the transitions of g that pass cfg (a new dataset with the
// uncertainty column kept). It returns an error if g has no uncertainty
// column while MaxUncertainty is set, or if the range has the wrong width.
func Filter(g *dataset.Dataset, cfg FilterConfig) (*dataset.Dataset, error) {
	col, ok := g.Infos[UncertaintyInfo]
	if cfg.MaxUncertainty > 0 && (!ok || len(col.Data) != g.Len()) {
		return nil, fmt.Errorf("dawm: filter: dataset has no %q column of %d values", UncertaintyInfo, g.Len())
	}
	if (cfg.Low != nil || cfg.High != nil) && (len(cfg.Low) != g.ObsDim || len(cfg.High) != g.ObsDim) {
		return nil, fmt.Errorf("dawm: filter: state range of widths %d/%d for states of dim %d", len(cfg.Low), len(cfg.High), g.ObsDim)
	}
	out := dataset.New(g.ObsDim, g.ActDim, g.Len())
	var unc []float32
	for i := 0; i < g.Len(); i++ {
		if cfg.MaxUncertainty > 0 && col.Data[i] > cfg.MaxUncertainty {
			continue
		}
		if cfg.Low != nil && !(inRange(g.Obs(i), cfg.Low, cfg.High) && inRange(g.NextObs(i), cfg.Low, cfg.High)) {
			continue
		}
		out.Append(g.Obs(i), g.Act(i), g.Rewards[i], g.NextObs(i), g.Terminals[i], g.Timeouts[i])
		if ok {
			unc = append(unc, col.Data[i])
		}
	}
	if ok {
		out.Infos = map[string]dataset.Column{UncertaintyInfo: {Dim: 1, Data: unc}}
	}
	out.Metadata = g.Metadata
	return out, nil
}

func inRange(x, lo, hi []float32) bool {
	for j, v := range x {
		if v < lo[j] || v > hi[j] {
			return false
		}
	}
	return true
}

// StateRange returns the per-dimension minimum and maximum over d's states
// and next states, each widened by margin times the dimension's width
// (margin 0: the exact range).
func StateRange(d *dataset.Dataset, margin float32) (lo, hi []float32) {
	lo = make([]float32, d.ObsDim)
	hi = make([]float32, d.ObsDim)
	for j := range lo {
		lo[j], hi[j] = float32(math.Inf(1)), float32(math.Inf(-1))
	}
	for _, col := range [][]float32{d.Observations, d.NextObservations} {
		for i, v := range col {
			j := i % d.ObsDim
			lo[j] = min(lo[j], v)
			hi[j] = max(hi[j], v)
		}
	}
	for j := range lo {
		w := hi[j] - lo[j]
		lo[j] -= margin * w
		hi[j] += margin * w
	}
	return lo, hi
}
