package diffusion

import (
	"fmt"
	"math"
)

// ScheduleKind names a noise schedule.
type ScheduleKind string

// The noise schedules.
const (
	// Linear is DDPM's schedule (Ho et al. 2020): β_t linear from BetaStart
	// to BetaEnd.
	Linear ScheduleKind = "linear"
	// Cosine is the schedule of Nichol & Dhariwal (2021, Eq. 17):
	// ᾱ_t = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s) · π/2), with each β_t
	// clipped at MaxBeta.
	Cosine ScheduleKind = "cosine"
	// VP is the variance-preserving SDE of Song et al. (2021) with linear
	// β(τ) = BetaMin + τ(BetaMax − BetaMin), τ ∈ [0, 1], discretised exactly:
	// ᾱ_t = exp(−BetaMin·τ − ½(BetaMax − BetaMin)·τ²) at τ = t/T (the
	// "vp" schedule of Diffusion-QL, Wang et al. 2023).
	VP ScheduleKind = "vp"
)

// ScheduleConfig describes a discrete noise schedule of T steps. Zero fields
// take the defaults listed on each field.
type ScheduleConfig struct {
	// Kind is the schedule (default Cosine: Nichol & Dhariwal 2021 found it
	// better than Linear for few steps, and Diffuser uses it).
	Kind ScheduleKind
	// Steps is T, the number of diffusion steps (default 1000, Ho et al.
	// 2020).
	Steps int
	// BetaStart and BetaEnd are Linear's first and last β for T = 1000
	// (defaults 1e-4 and 0.02, Ho et al. 2020). For other T both are scaled
	// by 1000/T, as in Nichol & Dhariwal's code, so the total noise stays
	// comparable.
	BetaStart, BetaEnd float64
	// CosineOffset is Cosine's s (default 0.008, Nichol & Dhariwal 2021).
	CosineOffset float64
	// MaxBeta clips Cosine's β_t (default 0.999, Nichol & Dhariwal 2021).
	MaxBeta float64
	// BetaMin and BetaMax are VP's β(0) and β(1) (defaults 0.1 and 20, Song
	// et al. 2021).
	BetaMin, BetaMax float64
}

// WithDefaults returns c with every zero field set to its default.
func (c ScheduleConfig) WithDefaults() ScheduleConfig {
	if c.Kind == "" {
		c.Kind = Cosine // Nichol & Dhariwal 2021; Diffuser (Janner et al. 2022)
	}
	if c.Steps == 0 {
		c.Steps = 1000 // Ho et al. 2020
	}
	if c.BetaStart == 0 {
		c.BetaStart = 1e-4 // Ho et al. 2020
	}
	if c.BetaEnd == 0 {
		c.BetaEnd = 0.02 // Ho et al. 2020
	}
	if c.CosineOffset == 0 {
		c.CosineOffset = 0.008 // Nichol & Dhariwal 2021
	}
	if c.MaxBeta == 0 {
		c.MaxBeta = 0.999 // Nichol & Dhariwal 2021
	}
	if c.BetaMin == 0 {
		c.BetaMin = 0.1 // Song et al. 2021
	}
	if c.BetaMax == 0 {
		c.BetaMax = 20 // Song et al. 2021
	}
	return c
}

// Validate reports the first invalid field (after defaults).
func (c ScheduleConfig) Validate() error {
	c = c.WithDefaults()
	switch c.Kind {
	case Linear, Cosine, VP:
	default:
		return fmt.Errorf("ScheduleConfig.Kind = %q: want %q, %q or %q", c.Kind, Linear, Cosine, VP)
	}
	switch {
	case c.Steps < 1:
		return fmt.Errorf("ScheduleConfig.Steps = %d: must be ≥ 1", c.Steps)
	case c.Kind == Linear && !(c.BetaStart > 0 && c.BetaStart <= c.BetaEnd):
		return fmt.Errorf("ScheduleConfig.BetaStart = %v, BetaEnd = %v: need 0 < BetaStart ≤ BetaEnd", c.BetaStart, c.BetaEnd)
	case c.Kind == Linear && c.BetaEnd*1000/float64(c.Steps) >= 1:
		return fmt.Errorf("ScheduleConfig.BetaEnd = %v: scaled by 1000/Steps = %v it reaches %v, must stay below 1",
			c.BetaEnd, 1000/float64(c.Steps), c.BetaEnd*1000/float64(c.Steps))
	case c.Kind == Cosine && !(c.CosineOffset > 0):
		return fmt.Errorf("ScheduleConfig.CosineOffset = %v: must be positive", c.CosineOffset)
	case c.Kind == Cosine && !(c.MaxBeta > 0 && c.MaxBeta < 1):
		return fmt.Errorf("ScheduleConfig.MaxBeta = %v: must be in (0, 1)", c.MaxBeta)
	case c.Kind == VP && !(c.BetaMin > 0 && c.BetaMin <= c.BetaMax):
		return fmt.Errorf("ScheduleConfig.BetaMin = %v, BetaMax = %v: need 0 < BetaMin ≤ BetaMax", c.BetaMin, c.BetaMax)
	}
	return nil
}

// Schedule is a discrete noise schedule: step t ∈ {0, …, T} has signal
// scale α_t = √ᾱ_t and noise scale σ_t = √(1−ᾱ_t), with ᾱ_0 = 1 (clean
// data) and q(x_t | x_0) = N(α_t x_0, σ_t² I). Networks see step t as the
// continuous time t/T ∈ (0, 1].
type Schedule struct {
	T int
	// AlphaBar[t] = ᾱ_t = Π_{s≤t} (1 − β_s), for t = 0…T; AlphaBar[0] = 1.
	AlphaBar []float64
	// Beta[t] = β_t = 1 − ᾱ_t/ᾱ_{t−1} for t = 1…T; Beta[0] = 0.
	Beta []float64
	// Alpha[t] = √ᾱ_t and Sigma[t] = √(1 − ᾱ_t).
	Alpha, Sigma []float64
	cfg          ScheduleConfig
}

// NewSchedule builds the schedule described by cfg (zero fields take their
// defaults) or returns the validation error.
func NewSchedule(cfg ScheduleConfig) (*Schedule, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	T := cfg.Steps
	beta := make([]float64, T+1)
	switch cfg.Kind {
	case Linear:
		scale := 1000 / float64(T)
		lo, hi := scale*cfg.BetaStart, scale*cfg.BetaEnd
		for t := 1; t <= T; t++ {
			if T == 1 {
				beta[t] = lo
			} else {
				beta[t] = lo + (hi-lo)*float64(t-1)/float64(T-1)
			}
		}
	case Cosine:
		s := cfg.CosineOffset
		f := func(t int) float64 {
			c := math.Cos((float64(t)/float64(T) + s) / (1 + s) * math.Pi / 2)
			return c * c
		}
		for t := 1; t <= T; t++ {
			beta[t] = min(1-f(t)/f(t-1), cfg.MaxBeta)
		}
	case VP:
		d := cfg.BetaMax - cfg.BetaMin
		for t := 1; t <= T; t++ {
			// log ᾱ_t − log ᾱ_{t−1} with τ = t/T.
			dl := -cfg.BetaMin/float64(T) - 0.5*d*float64(2*t-1)/float64(T*T)
			beta[t] = -math.Expm1(dl)
		}
	}
	sc := &Schedule{T: T, Beta: beta, AlphaBar: make([]float64, T+1), Alpha: make([]float64, T+1), Sigma: make([]float64, T+1), cfg: cfg}
	ab := 1.0
	for t := 0; t <= T; t++ {
		ab *= 1 - beta[t]
		sc.AlphaBar[t] = ab
		sc.Alpha[t] = math.Sqrt(ab)
		sc.Sigma[t] = math.Sqrt(1 - ab)
	}
	return sc, nil
}

// Config returns the configuration (with defaults applied) the schedule was
// built from.
func (s *Schedule) Config() ScheduleConfig { return s.cfg }

// Time returns the network's time input for step t: t/T.
func (s *Schedule) Time(t int) float32 { return float32(float64(t) / float64(s.T)) }

// SNR returns the signal-to-noise ratio ᾱ_t/(1−ᾱ_t) of step t (+Inf at 0).
func (s *Schedule) SNR(t int) float64 { return s.AlphaBar[t] / (1 - s.AlphaBar[t]) }

// StridedSteps returns the n steps T/n, 2T/n, …, T (ascending) that a
// sampler with n steps visits, or an error naming n if it does not divide T
// or is outside [1, T].
func (s *Schedule) StridedSteps(n int) ([]int, error) {
	if n < 1 || n > s.T {
		return nil, fmt.Errorf("%d sampling steps: must be in [1, %d] (the schedule's steps)", n, s.T)
	}
	if s.T%n != 0 {
		return nil, fmt.Errorf("%d sampling steps do not divide the schedule's %d steps", n, s.T)
	}
	out := make([]int, n)
	for i := range out {
		out[i] = (i + 1) * (s.T / n)
	}
	return out, nil
}

// checkSteps reports whether steps is a strictly increasing subset of
// {1, …, T}.
func (s *Schedule) checkSteps(steps []int) error {
	if len(steps) == 0 {
		return fmt.Errorf("empty list of sampling steps")
	}
	for i, t := range steps {
		if t < 1 || t > s.T {
			return fmt.Errorf("sampling step %d (index %d) outside [1, %d]", t, i, s.T)
		}
		if i > 0 && t <= steps[i-1] {
			return fmt.Errorf("sampling steps must increase: %d at index %d follows %d", t, i, steps[i-1])
		}
	}
	return nil
}

// Q sets dst = α_t·x0 + σ_t·eps, the draw of the forward process
// q(x_t | x_0) = N(α_t x_0, σ_t² I) for the given noise. dst may alias x0 or
// eps. It panics if the lengths differ or t is outside [0, T].
func (s *Schedule) Q(dst, x0, eps []float32, t int) {
	a, sg := float32(s.Alpha[t]), float32(s.Sigma[t])
	n := len(dst)
	x0, eps = x0[:n], eps[:n]
	for i := range dst {
		dst[i] = a*x0[i] + sg*eps[i]
	}
}
