package envs

import "testing"

func TestD4RLReferenceFor(t *testing.T) {
	for id, want := range map[string]float64{"hopper": 3234.3, "hopper-friction-2.0": 3234.3, "antmaze-large": 1, "walker2d-morphology-2.0": 4592.3} {
		r, ok := D4RLReferenceFor(id)
		if !ok || r.Expert != want {
			t.Errorf("%s: %+v %v", id, r, ok)
		}
	}
	if _, ok := D4RLReferenceFor("pendulum"); ok {
		t.Error("pendulum has no D4RL reference")
	}
}
