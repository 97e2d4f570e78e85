package agenttest_test

import (
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/agent"
	"github.com/dwm-rl/dwm/agent/agenttest"
	"github.com/dwm-rl/dwm/agent/sac"
	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/internal/blas"
	"github.com/dwm-rl/dwm/replay"
)

// The harness must be able to fail: each broken agent below (a SAC agent
// with one fault) runs the harness in a child process, which must fail in
// the check that covers that fault.

const brokenEnv = "AGENTTEST_BROKEN"

// broken wraps a SAC agent and breaks one behaviour.
type broken struct {
	*sac.Agent
	fault string
}

var globalCalls int // only for the "unseeded" fault

func (b *broken) Update(bt *replay.Batch) []agent.Metric {
	ms := b.Agent.Update(bt)
	switch b.fault {
	case "nan-metric":
		ms[0].Value = math.NaN()
	case "allocates":
		ms = append([]agent.Metric(nil), ms...)
	case "unseeded":
		globalCalls++
		ms[0].Value += float64(globalCalls)
	}
	return ms
}

func (b *broken) Act(obs, act []float32, det bool) error {
	err := b.Agent.Act(obs, act, det)
	if b.fault == "out-of-range" {
		act[0] = 1.5
	}
	return err
}

func (b *broken) State() (model, opt []checkpoint.Tensor, r map[string][]byte, err error) {
	model, opt, r, err = b.Agent.State()
	if b.fault == "frozen-tensor" {
		model = append(model, checkpoint.Tensor{Name: "frozen/w", Shape: []int{1}, Data: []float32{1}})
	}
	return
}

func (b *broken) SetState(model, opt []checkpoint.Tensor, r map[string][]byte) error {
	if b.fault == "frozen-tensor" {
		model = model[:len(model)-1]
	}
	if err := b.Agent.SetState(model, opt, r); err != nil {
		return err
	}
	if b.fault == "loses-rng" {
		// Acting once after loading advances the acting stream: later
		// sampled actions differ from the saved agent's.
		o := make([]float32, b.ObsDim())
		return b.Agent.Act(o, make([]float32, b.ActDim()), false)
	}
	return nil
}

func TestHarnessOnBrokenAgent(t *testing.T) {
	fault := os.Getenv(brokenEnv)
	if fault == "" {
		t.Skip("run by TestHarnessCatchesFaults")
	}
	agenttest.Run(t, func(t testing.TB, obsDim, actDim int, seed uint64) agenttest.Agent {
		a, err := sac.New(obsDim, actDim, sac.Config{Hidden: []int{16, 16}}, seed)
		if err != nil {
			t.Fatal(err)
		}
		return &broken{Agent: a, fault: fault}
	})
}

func TestHarnessCatchesFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	cases := []struct{ fault, check string }{
		{"nan-metric", "Metrics"},
		{"out-of-range", "Shapes"},
		{"frozen-tensor", "ParamsChange"},
		{"loses-rng", "SaveLoad"},
		{"unseeded", "SameSeed"},
		{"allocates", "NoAllocs"},
	}
	for _, c := range cases {
		if c.check == "NoAllocs" && blas.Backend != "openblas" {
			continue
		}
		t.Run(c.fault, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHarnessOnBrokenAgent$", "-test.v")
			cmd.Env = append(os.Environ(), brokenEnv+"="+c.fault)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the harness passed an agent with fault %s:\n%s", c.fault, out)
			}
			if want := "--- FAIL: TestHarnessOnBrokenAgent/" + c.check + " "; !strings.Contains(string(out), want) {
				t.Fatalf("fault %s: no %q in the output:\n%s", c.fault, want, out)
			}
		})
	}
}

func TestBatches(t *testing.T) {
	a := agenttest.Batches(3, 2, 50, 2, 9)
	b := agenttest.Batches(3, 2, 50, 2, 9)
	if len(a) != 2 || len(a[0].Obs) != 150 || len(a[0].Act) != 100 || len(a[0].Rew) != 50 || len(a[0].NextObs) != 150 || len(a[0].Done) != 50 {
		t.Fatalf("batch shapes obs %d act %d rew %d next %d done %d", len(a[0].Obs), len(a[0].Act), len(a[0].Rew), len(a[0].NextObs), len(a[0].Done))
	}
	for i := range a[1].Obs {
		if a[1].Obs[i] != b[1].Obs[i] {
			t.Fatal("Batches is not reproducible")
		}
	}
	for _, v := range a[0].Act {
		if v < -1 || v > 1 {
			t.Fatalf("action %v outside [-1, 1]", v)
		}
	}
}
