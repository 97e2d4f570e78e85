package uncertainty_test

import (
	"fmt"

	"github.com/dwm-rl/dwm/uncertainty"
)

func ExampleDecompose() {
	// Two members, two samples each, one input, one dimension: member 0
	// drew {1, 3}, member 1 drew {5, 7}.
	s := uncertainty.Shape{K: 2, M: 2, B: 1, D: 1}
	e, err := uncertainty.Decompose([]float32{1, 3, 5, 7}, s)
	if err != nil {
		panic(err)
	}
	fmt.Println(e.Epistemic[0], e.Aleatoric[0], e.Total[0], e.EpistemicDefined)
	// Output: 4 1 5 true
}

func ExamplePercentile() {
	eta, err := uncertainty.Percentile([]float32{0.1, 0.4, 0.2, 0.9, 0.3}, 90)
	fmt.Printf("η = %.2f %v\n", eta, err)
	reject := make([]bool, 3)
	n := uncertainty.RejectTo(reject, []float32{0.5, 0.8, 0.7}, eta)
	fmt.Println(n, reject)
	// Output:
	// η = 0.70 <nil>
	// 1 [false true false]
}
