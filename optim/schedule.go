package optim

import "math"

// Schedule gives a value (usually a learning rate) for a step number.
type Schedule interface {
	At(step int) float32
}

// Constant is a schedule that always returns its value.
type Constant float32

// At returns c.
func (c Constant) At(int) float32 { return float32(c) }

// Linear interpolates from Start at step 0 to End at step Steps and stays at
// End afterwards.
type Linear struct {
	Start, End float32
	Steps      int
}

// At returns the interpolated value.
func (l Linear) At(step int) float32 {
	if l.Steps <= 0 || step >= l.Steps {
		return l.End
	}
	if step <= 0 {
		return l.Start
	}
	f := float32(step) / float32(l.Steps)
	return l.Start + f*(l.End-l.Start)
}

// Cosine rises linearly from 0 to Base over Warmup steps, then follows a half
// cosine from Base down to Min at step Steps, and stays at Min afterwards
// (as in SGDR without restarts, Loshchilov & Hutter 2017).
type Cosine struct {
	Base, Min     float32
	Warmup, Steps int
}

// At returns the scheduled value.
func (c Cosine) At(step int) float32 {
	if step < c.Warmup {
		return c.Base * float32(step+1) / float32(c.Warmup)
	}
	if step >= c.Steps || c.Steps <= c.Warmup {
		return c.Min
	}
	f := float64(step-c.Warmup) / float64(c.Steps-c.Warmup)
	return c.Min + (c.Base-c.Min)*float32(0.5*(1+math.Cos(math.Pi*f)))
}
