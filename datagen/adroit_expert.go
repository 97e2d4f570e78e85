//go:build cgo && !nomujoco

package datagen

import (
	"fmt"

	"github.com/dwm-rl/dwm/datagen/adroitctl"
	"github.com/dwm-rl/dwm/env/mujoco"
)

// adroitExpert is the scripted Adroit controller datagen drives.
type adroitExpert interface {
	Reset()
	Act(act []float32) error
	Close() error
}

func newAdroitExpert(e *mujoco.Env) (adroitExpert, error) { return adroitctl.New(e) }

// adroitExpertFor reports an error if the Adroit env id has no scripted
// expert.
func adroitExpertFor(id string) error {
	if t, ok := adroitctl.TaskOf(id); !ok || !adroitctl.Has(t) {
		return fmt.Errorf("no scripted Adroit expert for %s yet (door, hammer and relocate have one)", id)
	}
	return nil
}
