package envs_test

import (
	"fmt"

	"github.com/dwm-rl/dwm/env"
	"github.com/dwm-rl/dwm/envs"
)

func ExampleMake() {
	e, err := envs.Make("frozenlake-8x8-slip-0.2")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()
	s := e.Spec()
	fmt.Println(s.ID, s.Obs, s.Act, s.MaxSteps)
	// Output: frozenlake-8x8-slip-0.2 Discrete(64) Discrete(4) 200
}

func ExampleExpert() {
	e, _ := envs.Make("pointmaze-umaze")
	expert, _ := envs.Expert("pointmaze-umaze")
	eps, err := env.Rollout(e, expert, 1, 10)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("success %.0f%%\n", 100*env.Summarize(eps).SuccessRate)
	// Output: success 100%
}

func ExampleReference_Normalize() {
	ref, _ := envs.ReferenceFor("pendulum")
	fmt.Printf("%.0f %.0f\n", ref.Normalize(ref.Random), ref.Normalize(ref.Expert))
	// Output: 0 100
}
