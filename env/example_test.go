package env_test

import (
	"fmt"

	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/env/classic"
)

// A Vector of 4 pendulums with Gymnasium same-step autoreset: when a copy's
// episode ends, res[i].Done is set, its last observation is in final and obs
// already holds its next episode's first observation.
func ExampleVector() {
	v, err := env.NewVector(4, 2, func(int) (env.Env, error) {
		return env.NewTimeLimit(classic.NewPendulum(), 0), nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close()
	obs := make([]float32, 4*3)
	final := make([]float32, 4*3)
	act := make([]float32, 4*1)
	res := make([]env.VecResult, 4)
	v.Reset(1, obs)
	episodes := 0
	for range 400 {
		if err := v.Step(act, obs, final, res); err != nil {
			fmt.Println(err)
			return
		}
		for _, r := range res {
			if r.Done {
				episodes++
			}
		}
	}
	fmt.Println("episodes finished:", episodes)
	// Output: episodes finished: 8
}
