//go:build cgo && !nomujoco

package datagen

import (
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
