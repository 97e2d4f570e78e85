package train

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/nn"
)

// ErrDiverged is wrapped by the error that stops a run whose loss, gradient
// or parameter became NaN or infinite.
var ErrDiverged = errors.New("training diverged")

// Parameterized is implemented by agents that expose their trainable
// parameters (every dwm agent does); the loop then checks their values and
// gradients for NaN and infinity and names the first bad one.
type Parameterized interface {
	Params() []*nn.Param
}

// QMetrics are the update metrics the loop reads as critic values on data
// actions, to warn when they exceed the bound Config.QBoundFactor sets.
var QMetrics = []string{"train/q_mean", "train/q_data"}

// QOverBoundMetric is logged with the update metrics when a critic value
// exceeded the bound since the previous log: the largest |Q|/bound seen.
const QOverBoundMetric = "train/q_over_bound"

// checkUpdate runs after each update of phase at step. Every metric must be
// finite; the parameters and gradients are checked every NumericsEvery
// steps, or after every update with CheckNumerics; critic values beyond the
// bound are warned about.
//
// m are the agent's update metrics, extra those of Hooks.BeforeUpdate (a
// world model's losses, for instance).
func (l *Loop) checkUpdate(phase Phase, step int64, m, extra []agent.Metric) error {
	for _, ms := range [2][]agent.Metric{m, extra} {
		for _, x := range ms {
			if math.IsNaN(x.Value) || math.IsInf(x.Value, 0) {
				where := ""
				if bad := l.firstNonFinite(); bad != "" {
					where = "; non-finite " + bad
				} else if l.params != nil || l.Hooks.Params != nil {
					// Not the training, then: the metric's computation
					// (a quantity undefined for this configuration, or
					// a bug in the code that computes it).
					where = "; every parameter and gradient is finite, so the metric's own computation produced it"
				}
				return fmt.Errorf("train: %s step %d: metric %s is %v%s: %w", phase, step, x.Name, x.Value, where, ErrDiverged)
			}
		}
	}
	if l.Config.CheckNumerics || step%l.Config.NumericsEvery == 0 {
		if bad := l.firstNonFinite(); bad != "" {
			return fmt.Errorf("train: %s step %d: %s: %w", phase, step, bad, ErrDiverged)
		}
	}
	l.checkQ(phase, step, m)
	return nil
}

// firstNonFinite describes the first parameter value or gradient that is
// NaN or infinite in each network (the first path element of parameter
// names), naming the parameter and its layer, or returns "" if all are
// finite. By the time a periodic check runs, a NaN has usually spread from
// the network that produced it to the others, hence one per network.
func (l *Loop) firstNonFinite() string {
	params := l.params
	if l.Hooks.Params != nil {
		if hp := l.Hooks.Params(); len(hp) > 0 {
			params = append(params[:len(params):len(params)], hp...)
		}
	}
	if params == nil || nn.CheckFinite(params) == nil {
		return ""
	}
	var found []string
	seen := map[string]bool{}
	for _, p := range params {
		net, _, _ := strings.Cut(p.Name, "/")
		if seen[net] {
			continue
		}
		for _, a := range []struct {
			what string
			v    []float32
		}{{"value", p.W}, {"gradient", p.G}} {
			if i := slices.IndexFunc(a.v, func(v float32) bool { return v-v != 0 }); i >= 0 { // NaN or ±Inf
				found = append(found, fmt.Sprintf("parameter %s (%s) %s [%d] = %v", p.Name, describeParam(p.Name), a.what, i, a.v[i]))
				seen[net] = true
				break
			}
		}
	}
	s := strings.Join(found, "; ")
	if !l.Config.CheckNumerics {
		s += " (train.check_numerics=true stops at the update that produced it)"
	}
	return s
}

// describeParam splits a slash-path parameter name such as
// "critic/q0/l1/w" into "network critic, layer q0/l1".
func describeParam(name string) string {
	parts := strings.Split(name, "/")
	switch len(parts) {
	case 1:
		return "network " + name
	case 2:
		return "network " + parts[0]
	}
	return fmt.Sprintf("network %s, layer %s", parts[0], strings.Join(parts[1:len(parts)-1], "/"))
}

// checkQ tracks the largest |reward| in the batches and warns (once per log
// period, on Warnings, and with QOverBoundMetric at the next log) when a
// critic value exceeds QBoundFactor·r_max/(1−γ).
func (l *Loop) checkQ(phase Phase, step int64, m []agent.Metric) {
	g := l.Discount
	if !(g > 0 && g < 1) || l.Config.QBoundFactor <= 0 {
		return
	}
	for _, r := range l.batch.Rew {
		if a := math.Abs(float64(r)); a > l.st.RewardMax {
			l.st.RewardMax = a
		}
	}
	if l.st.RewardMax == 0 {
		return
	}
	bound := l.Config.QBoundFactor * l.st.RewardMax / (1 - g)
	for _, x := range m {
		isQ := false
		for _, n := range QMetrics {
			isQ = isQ || x.Name == n
		}
		if !isQ {
			continue
		}
		ratio := math.Abs(x.Value) / bound
		if ratio <= 1 {
			continue
		}
		if ratio > l.st.QOver {
			l.st.QOver = ratio
		}
		if !l.qWarned {
			l.qWarned = true
			w := l.Warnings
			if w == nil {
				w = io.Discard
			}
			fmt.Fprintf(w, "warning: %s step %d: %s = %.4g exceeds %g·r_max/(1−γ) = %.4g (r_max %.4g, γ %g): critic values are exploding\n",
				phase, step, x.Name, x.Value, l.Config.QBoundFactor, bound, l.st.RewardMax, g)
		}
	}
}

// qLogged adds the excess since the last log to a log's metrics and starts
// a new log period.
func (l *Loop) qLogged(out map[string]float64) {
	if l.st.QOver > 1 {
		out[QOverBoundMetric] = l.st.QOver
	}
	l.st.QOver, l.qWarned = 0, false
}
