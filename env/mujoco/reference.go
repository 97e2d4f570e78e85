package mujoco

// Reference records the return of a policy on one env id, averaged over
// episodes.
type Reference struct {
	ID         string
	Episodes   int
	Mean, Std  float64 // undiscounted episode return: mean and standard deviation
	MeanLength float64 // mean episode length in steps
}

// RandomReturns are the returns of the uniform random policy (each action
// entry U(-1, 1)) on dwm's own tasks, measured with
//
//	DWM_MEASURE_RANDOM=1 go test -run TestMeasureRandomReturns -v ./env/mujoco/
//
// Episode i resets with seed i and ends at termination or the episode limit.
// D4RL's normalisation constants (measured on the mujoco-py v2 tasks) are
// different numbers: use these to normalise dwm's own runs.
var RandomReturns = []Reference{
	{ID: "hopper", Episodes: 100, Mean: 16.6, Std: 15.91, MeanLength: 20.31},
	{ID: "halfcheetah", Episodes: 100, Mean: -284.5, Std: 72.15, MeanLength: 1000},
	{ID: "walker2d", Episodes: 100, Mean: 2.18, Std: 5.335, MeanLength: 20.28},
	{ID: "ant", Episodes: 100, Mean: -70.34, Std: 113.8, MeanLength: 211.9},
	{ID: "antmaze-umaze", Episodes: 100, Mean: 0, Std: 0, MeanLength: 700},
	{ID: "antmaze-medium", Episodes: 100, Mean: 0, Std: 0, MeanLength: 1000},
	{ID: "antmaze-large", Episodes: 100, Mean: 0, Std: 0, MeanLength: 1000},
	// Adroit (also logged with the random policy's success rates by
	// TestMeasureAdroitRandomReturns): pen succeeds at some step in 7% of
	// episodes and by D4RL's rule in 1%, the others never.
	{ID: "pen", Episodes: 100, Mean: 76.33, Std: 248.3, MeanLength: 52.81},
	{ID: "door", Episodes: 100, Mean: -56.47, Std: 0.6571, MeanLength: 200},
	{ID: "hammer", Episodes: 100, Mean: -275.2, Std: 5.767, MeanLength: 200},
	{ID: "relocate", Episodes: 100, Mean: -5.243, Std: 6.209, MeanLength: 200},
}

// RandomReturn looks up the random-policy reference for a base id.
func RandomReturn(id string) (Reference, bool) {
	for _, r := range RandomReturns {
		if r.ID == id {
			return r, true
		}
	}
	return Reference{}, false
}
