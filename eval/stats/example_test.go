package stats_test

import (
	"fmt"

	"github.com/dwm-rl/dwm/eval/stats"
	"github.com/dwm-rl/dwm/rng"
)

func ExampleIQM() {
	fmt.Println(stats.IQM([]float64{6, 1, 5, 2, 4, 3, 8, 7}))
	// Output: 4.5
}

func ExampleStratifiedBootstrapCI() {
	// Normalized scores of one method: 2 tasks × 3 seeds. The pooled IQM
	// weighs 65 and 82 by one half: (32.5 + 70 + 80 + 41) / 3 = 74.5.
	scores := [][]float64{{60, 65, 70}, {80, 82, 90}}
	iv, err := stats.StratifiedBootstrapCI(scores, stats.AggregateIQM, 2000, 0.95, rng.Derive(0, "bootstrap"))
	if err != nil {
		panic(err)
	}
	fmt.Printf("IQM %.1f, 95%% CI within [60, 90]: %v\n", iv.Point, iv.Lo >= 60 && iv.Hi <= 90 && iv.Lo <= iv.Hi)
	// Output: IQM 74.5, 95% CI within [60, 90]: true
}

func ExampleStepsToReach() {
	steps := []int{0, 10000, 20000, 30000}
	returns := []float64{40, 70, 92, 95}
	step, ok := stats.StepsToReach(steps, returns, 100, 90, 1)
	fmt.Println(step, ok)
	// Output: 20000 true
}

func ExampleProbabilityOfImprovement() {
	// Last normalized scores of two methods on two tasks, 3 seeds each.
	// Task 1: 7 of the 9 pairs are wins for X (58 beats 55 only, 62 and 70
	// beat all three); task 2: all 9. P = (7/9 + 1)/2.
	x := [][]float64{{58, 62, 70}, {90, 91, 95}}
	y := [][]float64{{55, 60, 61}, {80, 85, 88}}
	p, err := stats.ProbabilityOfImprovement(x, y)
	if err != nil {
		panic(err)
	}
	fmt.Printf("P(X > Y) = %.3f\n", p)
	// Output: P(X > Y) = 0.889
}

func ExampleScoreDistribution() {
	// A performance profile: the fraction of runs scoring above each τ.
	scores := [][]float64{{20, 40}, {60, 80}}
	fmt.Println(stats.ScoreDistribution(scores, []float64{0, 30, 50, 70, 90}))
	// Output: [1 0.75 0.5 0.25 0]
}
