package agenttest_test

import (
	"errors"
	"fmt"
	"runtime"
	"testing"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/iql"
	"github.com/dwm-rl/dwm/dataset"
)

// recorder is a testing.TB that records failures; Fatal ends the calling
// goroutine as the testing package does.
type recorder struct {
	testing.TB
	failed bool
	msg    string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }

// fails runs check against a recorder in its own goroutine and reports
// whether it failed.
func fails(t *testing.T, check func(tb testing.TB)) bool {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		check(r)
	}()
	<-done
	return r.failed
}

// iqlNoNorm is an IQL agent that fits a state normaliser and reports it,
// but does not apply it.
type iqlNoNorm struct {
	*iql.Agent
	n *dataset.Normalizer
}

func (a *iqlNoNorm) FitStateNorm(obs []float32) (err error) {
	a.n, err = dataset.FitNormalizer(obs, a.ObsDim(), 1e-3)
	return err
}

func (a *iqlNoNorm) StateNorm() *dataset.Normalizer { return a.n }

// The small checks pass good input and fail bad input.
func TestHelpersCanFail(t *testing.T) {
	ms := []agent.Metric{{Name: "train/a", Value: 2}}
	cfg := iql.Config{Hidden: []int{8}}
	for _, c := range []struct {
		name  string
		check func(tb testing.TB)
		fail  bool
	}{
		{"Metric found", func(tb testing.TB) {
			if agenttest.Metric(tb, ms, "train/a") != 2 {
				tb.Errorf("wrong value")
			}
		}, false},
		{"Metric missing", func(tb testing.TB) { agenttest.Metric(tb, ms, "train/b") }, true},
		{"MustPanic with the name", func(tb testing.TB) { agenttest.MustPanic(tb, "x.Update", func() { panic("x.Update: bad batch") }) }, false},
		{"MustPanic without a panic", func(tb testing.TB) { agenttest.MustPanic(tb, "x.Update", func() {}) }, true},
		{"MustPanic naming another", func(tb testing.TB) { agenttest.MustPanic(tb, "x.Update", func() { panic("y.Act") }) }, true},
		{"MustPanic with an error value", func(tb testing.TB) { agenttest.MustPanic(tb, "x.Update", func() { panic(errors.New("x.Update")) }) }, true},
		{"RejectsBadDims rejecting", func(tb testing.TB) { agenttest.RejectsBadDims(tb, func(int, int) error { return errors.New("no") }) }, false},
		{"RejectsBadDims accepting", func(tb testing.TB) { agenttest.RejectsBadDims(tb, func(int, int) error { return nil }) }, true},
		{"state normaliser", func(tb testing.TB) {
			agenttest.CheckStateNormEqualsStandardised(tb, func(o, a int) *iql.Agent {
				x, err := iql.New(o, a, cfg, 1)
				if err != nil {
					tb.Fatal(err)
				}
				return x
			}, true)
		}, false},
		{"state normaliser ignored", func(tb testing.TB) {
			agenttest.CheckStateNormEqualsStandardised(tb, func(o, a int) *iqlNoNorm {
				x, err := iql.New(o, a, cfg, 1)
				if err != nil {
					tb.Fatal(err)
				}
				return &iqlNoNorm{Agent: x}
			}, true)
		}, true},
	} {
		if got := fails(t, c.check); got != c.fail {
			t.Errorf("%s: failed %v, want %v", c.name, got, c.fail)
		}
	}
}
