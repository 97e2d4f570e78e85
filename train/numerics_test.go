package train

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/agent/sac"
	"github.com/dwm-rl/dwm/nn"
	"github.com/dwm-rl/dwm/replay"
)

// faulty is SAC with a fault injected after its at-th update (counting
// from 1): poison changes its parameters, and from then on q, if set,
// replaces the reported Q mean.
type faulty struct {
	*sac.Agent
	n, at  int
	poison func(ps []*nn.Param)
	q      float64
	out    []agent.Metric
}

func (f *faulty) Update(b *replay.Batch) []agent.Metric {
	m := f.Agent.Update(b)
	f.n++
	if f.n < f.at {
		return m
	}
	if f.n == f.at && f.poison != nil {
		f.poison(f.Agent.Params())
	}
	if f.q != 0 {
		f.out = append(f.out[:0], m...)
		for i := range f.out {
			if f.out[i].Name == "train/q_mean" {
				f.out[i].Value = f.q
			}
		}
		return f.out
	}
	return m
}

// param returns the first parameter whose name starts with prefix.
func param(t *testing.T, ps []*nn.Param, prefix string) *nn.Param {
	for _, p := range ps {
		if strings.HasPrefix(p.Name, prefix) {
			return p
		}
	}
	t.Fatalf("no parameter %s…", prefix)
	return nil
}

// recLog records every logged metric.
type recLog struct{ rows []map[string]float64 }

func (r *recLog) Log(step int64, phase string, m map[string]float64) error {
	c := map[string]float64{"step": float64(step)}
	for k, v := range m {
		c[k] = v
	}
	r.rows = append(r.rows, c)
	return nil
}

// faultyLoop is newLoop's run with the fault f; updates start at online
// step 200 (LearningStarts), so update n runs at online step 199+n.
func faultyLoop(t *testing.T, f *faulty) *Loop {
	l := newLoop(t, "", 600)
	f.Agent = l.Agent.(*sac.Agent)
	l.Agent = f
	return l
}

// NaN or infinity in a parameter or gradient stops the run with an error
// naming the step, the parameter, its network and layer.
func TestNonFiniteStopsRun(t *testing.T) {
	nanValue := func(prefix string) func([]*nn.Param) {
		return func(ps []*nn.Param) { param(t, ps, prefix).W[3] = float32(math.NaN()) }
	}
	infGrad := func(prefix string) func([]*nn.Param) {
		return func(ps []*nn.Param) { param(t, ps, prefix).G[0] = float32(math.Inf(1)) }
	}
	lastNaN := func(prefix string) func([]*nn.Param) {
		return func(ps []*nn.Param) {
			var last *nn.Param
			for _, p := range ps {
				if strings.HasPrefix(p.Name, prefix) {
					last = p
				}
			}
			last.W[0] = float32(math.NaN())
		}
	}
	for _, c := range []struct {
		name     string
		thorough bool
		at       int
		poison   func([]*nn.Param)
		want     []string
	}{
		// Thorough mode: caught in the update that made it.
		{"value thorough", true, 50, nanValue("critic/"), []string{"online step 249: parameter critic/", "(network critic, layer ", ") value [3] = NaN"}},
		{"gradient thorough", true, 50, infGrad("actor/"), []string{"online step 249: parameter actor/", "(network actor, layer ", ") gradient [0] = +Inf"}},
		// Cheap mode: a NaN in the critic's output layer poisons the next
		// update's loss, which is checked every step, and the error names
		// the parameter too.
		{"value cheap", false, 50, lastNaN("critic/"), []string{"online step 250: metric ", " is NaN; non-finite parameter actor/", "; parameter critic/", ") value [0] = NaN", "train.check_numerics=true stops at the update"}},
		// A NaN weight behind a ReLU can leave the losses finite (ReLU maps
		// NaN to 0); the periodic check finds it.
		{"masked value cheap", false, 50, nanValue("critic/"), []string{"online step 300: parameter critic/l0/w (network critic, layer l0) value [3] = NaN"}},
		// A bad gradient is seen by the periodic check (every 100 steps).
		{"gradient cheap", false, 101, infGrad("actor/"), []string{"online step 300: parameter actor/", "gradient [0] = +Inf"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := faultyLoop(t, &faulty{at: c.at, poison: c.poison})
			l.Config.CheckNumerics = c.thorough
			err := l.Run(context.Background())
			if !errors.Is(err, ErrDiverged) {
				t.Fatalf("run returned %v, want ErrDiverged", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// Critic values beyond 2·r_max/(1−γ) print one warning per log period and
// log train/q_over_bound; without a discount there is no bound.
func TestExplodingQWarns(t *testing.T) {
	for _, discount := range []float64{0.99, 0} {
		var warn bytes.Buffer
		f := &faulty{at: 30, q: 1e6}
		l := faultyLoop(t, f)
		rec := &recLog{}
		l.Logger, l.Discount, l.Warnings = rec, discount, &warn
		if err := l.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		var over []float64
		for _, r := range rec.rows {
			if v, ok := r[QOverBoundMetric]; ok {
				over = append(over, v)
			}
		}
		if discount == 0 {
			if warn.Len() > 0 || len(over) > 0 {
				t.Errorf("warned without a discount: %q %v", warn.String(), over)
			}
			continue
		}
		// Pendulum's rewards reach about -16.3 within a few batches, so the
		// bound is about 3260.
		if n := strings.Count(warn.String(), "\n"); n != 4 || !strings.Contains(warn.String(),
			"warning: online step 229: train/q_mean = 1e+06 exceeds 2·r_max/(1−γ) = ") ||
			!strings.Contains(warn.String(), "critic values are exploding") {
			t.Errorf("warnings (want one per log period 200–300, …, 500–600):\n%s", warn.String())
		}
		if len(over) != 4 || over[0] < 100 || over[0] > 1000 {
			t.Errorf("q_over_bound logged %v, want 4 values of |Q|/bound ≈ 300", over)
		}
		if l.st.RewardMax < 10 || l.st.RewardMax > 16.3 {
			t.Errorf("r_max %v, want Pendulum's largest |reward| seen (≤ 16.27)", l.st.RewardMax)
		}
	}
}

func TestNumericsConfig(t *testing.T) {
	for _, c := range []Config{{OnlineSteps: 5, NumericsEvery: -1}, {OnlineSteps: 5, QBoundFactor: math.NaN()}} {
		if err := c.Validate(); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
	if c := (Config{}).WithDefaults(); c.NumericsEvery != 100 || c.QBoundFactor != 2 {
		t.Errorf("defaults %+v", c)
	}
}

// BenchmarkCheckParams measures the thorough mode's per-update cost on SAC
// with its default networks on HalfCheetah's dimensions, beside one update
// (BenchmarkUpdate) for scale.
func BenchmarkCheckParams(b *testing.B) {
	a, err := sac.New(17, 6, sac.Config{}, 1)
	if err != nil {
		b.Fatal(err)
	}
	l := &Loop{Agent: a, Config: Config{CheckNumerics: true}.WithDefaults()}
	l.params = a.Params()
	l.batch = replay.NewBatch(1, 17, 6, false)
	for b.Loop() {
		if err := l.checkUpdate(Online, 1, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUpdate(b *testing.B) {
	a, err := sac.New(17, 6, sac.Config{}, 1)
	if err != nil {
		b.Fatal(err)
	}
	batch := replay.NewBatch(256, 17, 6, false)
	for b.Loop() {
		a.Update(batch)
	}
}

// A hook's parameters (a world model's) and metrics are checked too, and
// named under the hook's prefix.
func TestHookParamsChecked(t *testing.T) {
	wm := nn.NewParam("worldmodel/dec/l1/w", 2, 2)
	for _, c := range []struct {
		name   string
		metric float64
		want   string
	}{
		{"parameter", 0, "online step 300: parameter worldmodel/dec/l1/w (network worldmodel, layer dec/l1) value [1] = +Inf"},
		{"metric", math.NaN(), "online step 250: metric model/loss is NaN; non-finite parameter worldmodel/dec/l1/w"},
		// A NaN metric with every parameter finite: the metric's own
		// computation (an undefined quantity), which the error says.
		{"metric only", math.NaN(), "online step 250: metric model/loss is NaN; every parameter and gradient is finite, so the metric's own computation produced it"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wm.W[1] = 0
			l := newLoop(t, "", 600)
			l.Hooks.Params = func() []*nn.Param { return []*nn.Param{wm} }
			l.Hooks.BeforeUpdate = func(_ Phase, step int64) ([]agent.Metric, error) {
				if step == 250 {
					if c.name != "metric only" {
						wm.W[1] = float32(math.Inf(1))
					}
					if c.metric != 0 {
						return []agent.Metric{{Name: "model/loss", Value: c.metric}}, nil
					}
				}
				return nil, nil
			}
			err := l.Run(context.Background())
			if !errors.Is(err, ErrDiverged) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("run returned %v, want an error saying %q", err, c.want)
			}
		})
	}
}
