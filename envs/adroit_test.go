package envs

import (
	"testing"

	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/env/mujoco"
)

// TestAdroitRegistered: the four Adroit tasks come through the registry with
// their episode limits, shifts and D4RL references.
func TestAdroitRegistered(t *testing.T) {
	if !mujoco.Available() {
		t.Skip("this build has no MuJoCo")
	}
	cases := []struct {
		id              string
		obs, act, limit int
		random, expert  float64
	}{
		{"pen", 45, 24, 100, 96.262799, 3076.8331},
		{"door-friction-2.0", 39, 28, 200, -56.512833, 2880.5693},
		{"hammer", 46, 26, 200, -274.856578, 12794.1348},
		{"relocate", 39, 30, 200, -6.425911, 4233.8778},
	}
	for _, c := range cases {
		e, err := Make(c.id)
		if err != nil {
			t.Fatal(err)
		}
		s := e.Spec()
		if _, ok := e.(*env.TimeLimit); !ok || s.ID != c.id || s.Obs.Dim != c.obs || s.Act.Dim != c.act || s.MaxSteps != c.limit {
			t.Errorf("%s: %T spec %+v", c.id, e, s)
		}
		e.Close()
		if r, ok := D4RLReferenceFor(c.id); !ok || r.Random != c.random || r.Expert != c.expert {
			t.Errorf("%s: D4RL reference %+v %v", c.id, r, ok)
		}
	}
}
