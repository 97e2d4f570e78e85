//go:build !cgo || nomujoco

package mujoco

import (
	"fmt"

	"github.com/dwm-rl/dwm/env"
)

// Available reports whether this build links MuJoCo (cgo on, no nomujoco tag).
func Available() bool { return false }

// Maker is unavailable in this build.
type Maker struct{}

// NewMaker returns ErrUnavailable in this build (after checking the id).
func NewMaker(id string) (*Maker, error) {
	if _, _, err := parseID(id); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("%s: %w", id, ErrUnavailable)
}

// Spec is empty in this build.
func (mk *Maker) Spec() env.Spec { return env.Spec{} }

// New returns ErrUnavailable in this build.
func (mk *Maker) New() (env.Env, error) { return nil, ErrUnavailable }

// Close does nothing in this build.
func (mk *Maker) Close() error { return nil }

// Make returns ErrUnavailable in this build (after checking the id).
func Make(id string) (env.Env, error) {
	_, err := NewMaker(id)
	return nil, err
}
