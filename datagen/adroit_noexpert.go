//go:build !cgo || nomujoco

package datagen

import "github.com/dwm-rl/dwm/env/mujoco"

// adroitExpert is the scripted Adroit controller datagen drives.
type adroitExpert interface {
	Reset()
	Act(act []float32) error
	Close() error
}

func newAdroitExpert(*mujoco.Env) (adroitExpert, error) { return nil, mujoco.ErrUnavailable }

func adroitExpertFor(string) error { return mujoco.ErrUnavailable }
