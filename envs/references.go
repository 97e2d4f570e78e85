package envs

// References returns the measured reference returns of the pure-Go envs
// (a fresh copy of the table).
//
// Measured with 1000 episodes per policy, seed 1, by
//
//	go test ./envs -run TestReferenceScores -v
//
// which re-measures every row, checks it against this table and logs the
// rows in Go syntax. Random: uniform actions (env.NewRandom). Expert: envs.Expert
// (Pendulum: energy-shaping swing-up + LQR; FrozenLake: best value-iteration
// policy for the step limit; PointMaze: waypoint controller).
func References() []Reference {
	return []Reference{
		{ID: "pendulum", Episodes: 1000, Seed: 1, Random: -1215.189087, RandomStd: 278.8736169, Expert: -142.1689082, ExpertStd: 89.00811065, RandomSuccess: 0, ExpertSuccess: 0},
		{ID: "frozenlake-4x4", Episodes: 1000, Seed: 1, Random: 0.015, RandomStd: 0.1215524578, Expert: 0.743, ExpertStd: 0.4369794045, RandomSuccess: 0.015, ExpertSuccess: 0.743},
		{ID: "frozenlake-8x8", Episodes: 1000, Seed: 1, Random: 0.003, RandomStd: 0.05469003566, Expert: 0.908, ExpertStd: 0.2890259504, RandomSuccess: 0.003, ExpertSuccess: 0.908},
		{ID: "frozenlake-8x8-slip-0.2", Episodes: 1000, Seed: 1, Random: 0.001, RandomStd: 0.03160696126, Expert: 0.994, ExpertStd: 0.07722693831, RandomSuccess: 0.001, ExpertSuccess: 0.994},
		{ID: "pointmaze-umaze", Episodes: 1000, Seed: 1, Random: 38.973, RandomStd: 74.79032204, Expert: 239.883, ExpertStd: 40.44190044, RandomSuccess: 0.276, ExpertSuccess: 1},
		{ID: "pointmaze-medium", Episodes: 1000, Seed: 1, Random: 22.846, RandomStd: 69.05186662, Expert: 474.12, ExpertStd: 57.3589714, RandomSuccess: 0.142, ExpertSuccess: 1},
		{ID: "pointmaze-large", Episodes: 1000, Seed: 1, Random: 10.923, RandomStd: 48.07796867, Expert: 615.809, ExpertStd: 82.6820931, RandomSuccess: 0.071, ExpertSuccess: 1},
	}
}
