package dawm

import "testing"

func TestPipelineEndToEnd(t *testing.T) {
	d := episodes(20, 12, 1)
	for i := range d.Rewards {
		d.Rewards[i] = d.Observations[2*i] * 0.1 // reward grows along the episode
	}
	cfg := PipelineConfig{Model: smallConfig(), ModelSteps: 30, IDM: IDMConfig{Steps: 30},
		Starts: 40, RangeMargin: 0.5, Learner: LearnerConfig{Learner: "iql", Steps: 10, Batch: 16}}
	res, err := Pipeline(d, cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	if res.Raw != 40 || res.Generated.Len() > res.Raw || len(res.Metrics) == 0 {
		t.Errorf("raw %d, kept %d, %d metrics", res.Raw, res.Generated.Len(), len(res.Metrics))
	}
	if _, err := Pipeline(d, PipelineConfig{}, 1); err == nil {
		t.Error("ModelSteps 0: no error")
	}
}
