package bdwm_test

import (
	"fmt"

	"github.com/dwm-rl/dwm/bdwm"
)

// The resolved defaults: the paper's values where it gives them (η at the
// 90th percentile, λ_min = 0.3, K = 3, M = 5) and measured choices where it
// does not.
func ExampleConfig_WithDefaults() {
	c := bdwm.Config{}.WithDefaults()
	fmt.Println(c.Variant, c.Learner, c.Model.Members, c.Model.Samples, c.EtaPercentile, c.LambdaMin)
	fmt.Println(c.Horizon, c.OnReject, c.OfflineBCWeight, c.BCWeight, c.BCSteps)
	// Output:
	// bdwm sac 3 5 90 0.3
	// 5 auto 5 1 25000
}

// Eq. 5 and Eq. 6: the real-data share λ of an online batch and the
// behaviour-cloning weight w_BC at online step t.
func ExampleLambda() {
	fmt.Println(bdwm.Lambda(0.01, 0.04, 0.3), bdwm.Lambda(0.05, 0.04, 0.3), bdwm.Lambda(0.01, 0, 0.3))
	fmt.Println(bdwm.BCWeightAt(0, 1, 25000), bdwm.BCWeightAt(12500, 1, 25000), bdwm.BCWeightAt(30000, 1, 25000))
	// Output:
	// 0.75 0.3 1
	// 1 0.5 0
}
