package datagen

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/env/mujoco"
)

// isAdroit reports whether id is one of the Adroit tasks (shifts included).
func isAdroit(id string) bool {
	_, ok := mujoco.EpisodeSuccessSteps(id)
	return ok
}

// adroitOnly lists the kinds made only for the Adroit tasks.
var adroitOnly = []string{"demo", "cloned"}

// adroitKind reports whether c is made by the Adroit recipes (expert, demo,
// cloned on an Adroit env) rather than the generic ones.
func (c Config) adroitKind() bool {
	return isAdroit(c.Env) && (c.Kind == "random" || c.Kind == "expert" || c.Kind == "demo" || c.Kind == "cloned")
}

// SuccessSummary describes the episodes of a dataset with a per-step
// "success" infos column (the Adroit kinds write one).
type SuccessSummary struct {
	// Episodes is the number of episodes (the last may be cut).
	Episodes int
	// MeanReturn and StdReturn are the mean and population std of the
	// episode returns.
	MeanReturn, StdReturn float64
	// SuccessRate is the fraction of episodes with more than SuccessSteps
	// successful steps (eval.SuccessStepsFor's rule for the env).
	SuccessRate float64
	// SuccessSteps is the rule used.
	SuccessSteps int
}

// Summarize reports the episode returns and success rate of d, whose
// success column marks successful steps; an episode succeeds when more
// than successSteps of its steps do. It fails if d has no success column.
func Summarize(d *dataset.Dataset, successSteps int) (SuccessSummary, error) {
	col, ok := d.Infos["success"]
	if !ok || col.Dim != 1 || len(col.Data) != d.Len() {
		return SuccessSummary{}, fmt.Errorf("dataset has no per-step success column (infos/success)")
	}
	s := SuccessSummary{SuccessSteps: successSteps}
	rets := d.EpisodeReturns()
	var succ int
	start := 0
	for _, end := range d.EpisodeEnds() {
		n := 0
		for _, v := range col.Data[start:end] {
			if v != 0 {
				n++
			}
		}
		if n > successSteps {
			succ++
		}
		start = end
	}
	s.Episodes = len(rets)
	if s.Episodes == 0 {
		return s, nil
	}
	for _, r := range rets {
		s.MeanReturn += r
	}
	s.MeanReturn /= float64(len(rets))
	for _, r := range rets {
		s.StdReturn += (r - s.MeanReturn) * (r - s.MeanReturn)
	}
	s.StdReturn = math.Sqrt(s.StdReturn / float64(len(rets)))
	s.SuccessRate = float64(succ) / float64(len(rets))
	return s, nil
}

// adroitRecipeVersion changes whenever the Adroit recipes (the scripted
// expert, the demo noise, behaviour cloning) change what they produce; it
// enters only the Adroit kinds' cache keys. 2: relocate's carry got its
// integral and damping terms. 3: the door expert rolls the forearm to turn
// the latch and pushes the door open from behind; hammer has an expert.
const adroitRecipeVersion = 3

func adroitRecipe(c Config) int {
	if c.adroitKind() {
		return adroitRecipeVersion
	}
	return 0
}
