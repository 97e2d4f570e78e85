package dawm

import (
	"strings"
	"testing"

	"github.com/dwm-rl/dwm/rng"
)

func TestTrainLearnerOnRealAndGenerated(t *testing.T) {
	d, w, idm := trainedModels(t)
	g, err := Generate(w, idm, testRows(d, 256), GenConfig{}, rng.New(8))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"td3bc", "iql"} {
		l, m, err := TrainLearner(d, g, LearnerConfig{Learner: name, Steps: 50, Batch: 64}, 1)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(m) == 0 {
			t.Errorf("%s: no metrics", name)
		}
		act := make([]float32, d.ActDim)
		if err := l.ActBatch(d.Obs(0), act, true); err != nil {
			t.Errorf("%s: act: %v", name, err)
		}
		t.Logf("%s after 50 updates on real ∪ generated: %v", name, m)
	}
}

func TestTrainLearnerBadInput(t *testing.T) {
	d := episodes(3, 10, 1)
	tests := []struct {
		cfg  LearnerConfig
		want string
	}{
		{LearnerConfig{Learner: "cql", Steps: 1}, `Learner = "cql"`},
		{LearnerConfig{RealRatio: 1.5, Steps: 1}, "RealRatio = 1.5"},
		{LearnerConfig{}, "Steps = 0"},
		{LearnerConfig{Steps: 1}, "needs generated data"},
	}
	for _, tc := range tests {
		_, _, err := TrainLearner(d, nil, tc.cfg, 1)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.cfg, err, tc.want)
		}
	}
	if _, _, err := TrainLearner(d, nil, LearnerConfig{RealRatio: 1, Steps: 2, Batch: 8}, 1); err != nil {
		t.Errorf("real data only: %v", err)
	}
}
