package envs

import "testing"

// FuzzMake feeds arbitrary env ids to the registry: each gives an env or an
// error, never a panic.
func FuzzMake(f *testing.F) {
	for _, id := range []string{"pendulum", "frozenlake-8x8-slip-0.2", "frozenlake-4x4-slip-", "pointmaze-umaze",
		"hopper-friction-2.0", "walker2d-morphology-foot-1.5", "hopper-kinematic-0", "antmaze-large-gravity-NaN", "x"} {
		f.Add(id)
	}
	f.Fuzz(func(t *testing.T, id string) {
		e, err := Make(id)
		if err == nil {
			e.Close()
		}
	})
}
