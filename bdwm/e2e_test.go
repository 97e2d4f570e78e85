package bdwm_test

import (
	"context"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dwm-rl/dwm/agent/sac"
	"github.com/dwm-rl/dwm/bdwm"
	"github.com/dwm-rl/dwm/checkpoint"
	"github.com/dwm-rl/dwm/datagen"
	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/experiment"
	"github.com/dwm-rl/dwm/train"
	"github.com/dwm-rl/dwm/worldmodel"
)

var tmpRoot string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "bdwm-test-")
	if err != nil {
		panic(err)
	}
	tmpRoot = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func mkTemp() (string, error) { return os.MkdirTemp(tmpRoot, "data-") }

var (
	pendOnce sync.Once
	pendData *dataset.Dataset
	pendErr  error
)

// pendulumData is a Pendulum dataset of the scripted swing-up expert with
// heavy action noise (N(0, 1) in the [−1, 1] action space), made once per
// test binary with package datagen.
func pendulumData(t testing.TB) *dataset.Dataset {
	t.Helper()
	pendOnce.Do(func() {
		dir, err := mkTemp()
		if err != nil {
			pendErr = err
			return
		}
		path, err := datagen.Make(context.Background(), datagen.Config{Env: "pendulum", Kind: "scripted", Size: 3000, Seed: 1,
			Noise: 1, Workers: 1, CacheDir: dir}, io.Discard)
		if err != nil {
			pendErr = err
			return
		}
		pendData, pendErr = dataset.Load(path)
	})
	if pendErr != nil {
		t.Fatal(pendErr)
	}
	return pendData
}

// smallConfig is BDWM sized for a test: a small diffusion world model and
// short periods, every mechanism exercised within a few hundred steps.
func smallConfig() bdwm.Config {
	return bdwm.Config{
		Model: worldmodel.Config{Members: 3, Samples: 4, LatentDim: 16, EncoderHidden: []int{64}, Width: 64, Blocks: 1,
			TimeDim: 16, DiffusionSteps: 20, SampleSteps: 5, LR: 2e-3, BatchSize: 64, Termination: worldmodel.Never},
		ModelSteps: 300, EtaSamples: 500, Horizon: 3, RolloutBatch: 64, RolloutEvery: 100,
		SigmaBatch: 64, SigmaEvery: 50, SigmaMaxEpisodes: 1, BCSteps: 250, ModelTrainEvery: 100, ModelTrainSteps: 5,
		QualityEvery: 200, QualitySamples: 200,
	}
}

type row struct {
	step  int64
	phase string
	m     map[string]float64
}

type memLogger struct {
	rows   []row
	cancel func(step int64)
}

func (l *memLogger) Log(step int64, phase string, m map[string]float64) error {
	l.rows = append(l.rows, row{step, phase, m})
	if l.cancel != nil {
		l.cancel(step)
	}
	return nil
}

// lastWith returns the last logged row that has metric k.
func lastWith(l *memLogger, k string) row {
	for i := len(l.rows) - 1; i >= 0; i-- {
		if _, ok := l.rows[i].m[k]; ok {
			return l.rows[i]
		}
	}
	return row{m: map[string]float64{}}
}

type runSetup struct {
	loop   *train.Loop
	method *bdwm.Method
	agent  *sac.Agent
	log    *memLogger
}

func setup(t *testing.T, cfg bdwm.Config, seed uint64, ckpt string) runSetup {
	t.Helper()
	d := pendulumData(t)
	ag, err := sac.New(d.ObsDim, d.ActDim, sac.Config{Hidden: []int{64, 64}}, seed)
	if err != nil {
		t.Fatal(err)
	}
	m, err := bdwm.New(cfg, bdwm.Parts{Agent: ag, Data: d, OnlineCapacity: 500, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	e, err := experiment.MakeEnv("pendulum")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	log := &memLogger{}
	loop := &train.Loop{
		Config: train.Config{OfflineSteps: 300, OnlineSteps: 400, BatchSize: 64, LogEvery: 25, EvalEvery: 10000, CheckpointEvery: 100},
		Seed:   seed, Agent: ag, Env: e,
		OfflineSampler: m.OfflineSampler(), OnlineBuffer: m.OnlineBuffer(), OnlineSampler: m.OnlineSampler(),
		Hooks: m.Hooks(), Logger: log,
	}
	if ckpt != "" {
		loop.Checkpoints = &checkpoint.Dir{Path: ckpt, Keep: 3}
	}
	return runSetup{loop, m, ag, log}
}

func agentParams(t *testing.T, a *sac.Agent) []float32 {
	t.Helper()
	model, _, _, err := a.State()
	if err != nil {
		t.Fatal(err)
	}
	var all []float32
	for _, x := range model {
		all = append(all, x.Data...)
	}
	return all
}

// TestEndToEndPendulum runs BDWM offline then online on Pendulum data
// through train.Loop: every required metric is logged, λ and w_BC follow
// Eqs. 5 and 6 at every logged step, imagined data is made and filtered,
// and a second run with the same seed gives identical metrics and
// parameters.
func TestEndToEndPendulum(t *testing.T) {
	cfg := smallConfig()
	a := setup(t, cfg, 7, "")
	if err := a.loop.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	required := []string{"train/lambda", "train/w_bc", "uncertainty/sigma_ep", "uncertainty/reject_rate",
		"model/one_step_mse", "uncertainty/spearman", "uncertainty/auroc"}
	d := cfg.WithDefaults()
	var online int
	for _, r := range a.log.rows {
		if r.phase != "online" || r.m["train/lambda"] == 0 {
			continue
		}
		online++
		for _, k := range required {
			v, ok := r.m[k]
			if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("online step %d: metric %s = %v (present %v)", r.step, k, v, ok)
			}
		}
		lam := r.m["train/lambda"]
		if want := bdwm.Lambda(r.m["uncertainty/sigma_ep"], r.m["uncertainty/sigma_max"], d.LambdaMin); math.Abs(lam-want) > 1e-12 {
			t.Errorf("step %d: λ = %v, Eq. 5 gives %v (σ̄ %v, σ_max %v)", r.step, lam, want, r.m["uncertainty/sigma_ep"], r.m["uncertainty/sigma_max"])
		}
		if lam < d.LambdaMin || lam > 1 {
			t.Errorf("step %d: λ = %v outside [λ_min, 1]", r.step, lam)
		}
		// The loop logs after the update of online step t = global − offline − 1.
		tOn := r.step - 300 - 1
		if want := bdwm.BCWeightAt(tOn, d.BCWeight, d.BCSteps); math.Abs(r.m["train/w_bc"]-want) > 1e-12 {
			t.Errorf("step %d (online %d): w_BC = %v, Eq. 6 gives %v", r.step, tOn, r.m["train/w_bc"], want)
		}
		if rr := r.m["uncertainty/reject_rate"]; rr < 0 || rr > 1 {
			t.Errorf("reject rate %v", rr)
		}
	}
	if online < 10 {
		t.Fatalf("only %d online rows logged", online)
	}
	last := lastWith(a.log, "train/lambda").m
	t.Logf("final: λ %.3f, w_BC %.3f, σ̄_ep %.4g, σ_max %.4g, η %.4g, reject rate %.3f, imagined %v, one-step MSE %.4f, Spearman %.3f, AUROC %.3f",
		last["train/lambda"], last["train/w_bc"], last["uncertainty/sigma_ep"], last["uncertainty/sigma_max"], last["uncertainty/eta"],
		last["uncertainty/reject_rate"], last["model/imag_size"], last["model/one_step_mse"], last["uncertainty/spearman"], last["uncertainty/auroc"])
	if a.method.ImaginationBuffer().Len() == 0 {
		t.Error("no imagined transitions")
	}
	if last["train/w_bc"] != 0 {
		t.Errorf("w_BC = %v after N_BC steps", last["train/w_bc"])
	}
	if !a.agent.HasBCReference() {
		t.Error("π_offline was not frozen at the switch")
	}

	b := setup(t, cfg, 7, "")
	if err := b.loop.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(a.log.rows) != len(b.log.rows) {
		t.Fatalf("second run logged %d rows, first %d", len(b.log.rows), len(a.log.rows))
	}
	for i := range a.log.rows {
		ra, rb := a.log.rows[i], b.log.rows[i]
		for k, v := range ra.m {
			if strings.HasPrefix(k, "time/") {
				continue
			}
			if w := rb.m[k]; !(v == w || math.IsNaN(v) && math.IsNaN(w)) {
				t.Fatalf("row %d (step %d) metric %s: %v vs %v", i, ra.step, k, v, w)
			}
		}
	}
	if !slices.Equal(agentParams(t, a.agent), agentParams(t, b.agent)) {
		t.Error("same seed, different agent parameters")
	}
}

// TestResumeMatches: a run interrupted online and resumed from its
// checkpoint ends with the same agent and the same metrics as an
// uninterrupted run.
func TestResumeMatches(t *testing.T) {
	if testing.Short() {
		t.Skip("resume check runs the end-to-end loop twice more")
	}
	cfg := smallConfig()
	full := setup(t, cfg, 9, t.TempDir())
	if err := full.loop.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	part := setup(t, cfg, 9, dir)
	ctx, cancel := context.WithCancel(context.Background())
	part.log.cancel = func(step int64) {
		if step >= 300+150 {
			cancel()
		}
	}
	if err := part.loop.Run(ctx); err != train.ErrInterrupted {
		t.Fatalf("interrupted run: %v", err)
	}
	ck, err := checkpoint.LoadLatest(dir)
	if err != nil {
		t.Fatal(err)
	}
	res := setup(t, cfg, 9, dir)
	if err := res.loop.Restore(ck); err != nil {
		t.Fatal(err)
	}
	if err := res.loop.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(agentParams(t, full.agent), agentParams(t, res.agent)) {
		t.Error("resumed run ends with different parameters")
	}
	fl, rl := lastWith(full.log, "train/lambda"), lastWith(res.log, "train/lambda")
	for _, k := range []string{"train/lambda", "uncertainty/sigma_ep", "model/imag_size", "model/one_step_mse", "uncertainty/reject_rate"} {
		if fl.m[k] != rl.m[k] {
			t.Errorf("final %s: %v uninterrupted, %v resumed", k, fl.m[k], rl.m[k])
		}
	}
}
