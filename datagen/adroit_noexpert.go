//go:build !cgo || nomujoco

package datagen

import (
	"context"
	"io"

	"github.com/dwm-rl/dwm/dataset"
	"github.com/dwm-rl/dwm/env/mujoco"
)

// generateAdroit needs MuJoCo.
func generateAdroit(context.Context, Config, map[string]string, io.Writer) (*dataset.Dataset, error) {
	return nil, mujoco.ErrUnavailable
}
