package envs

import "strings"

// D4RLReference is a published D4RL normalization constant pair: the
// returns of a random and of an expert policy on D4RL's v2 task (measured by
// D4RL on mujoco-py; Fu et al. 2020, d4rl/infos.py REF_MIN_SCORE and
// REF_MAX_SCORE). dwm's own MuJoCo tasks are close to, not identical with,
// D4RL's; reports say which reference they used.
type D4RLReference struct {
	Task           string
	Random, Expert float64
}

// D4RLReferences lists D4RL's published reference returns.
func D4RLReferences() []D4RLReference {
	return []D4RLReference{
		{"halfcheetah", -280.178953, 12135.0},
		{"hopper", -20.272305, 3234.3},
		{"walker2d", 1.629008, 4592.3},
		{"antmaze", 0, 1}, // success rate
		{"pen", 96.262799, 3076.8331},
		{"door", -56.512833, 2880.5693},
		{"hammer", -274.856578, 12794.1348},
		{"relocate", -6.425911, 4233.8778},
	}
}

// D4RLReferenceFor returns the D4RL reference of an env id: its base task
// ("hopper-friction-2.0" → hopper, as ODRL normalizes shifted tasks;
// "antmaze-large" → antmaze).
func D4RLReferenceFor(id string) (D4RLReference, bool) {
	for _, r := range D4RLReferences() {
		if id == r.Task || strings.HasPrefix(id, r.Task+"-") {
			return r, true
		}
	}
	return D4RLReference{}, false
}
