//go:build !cgo || nomujoco

package mujoco

import (
	"errors"
	"strings"
	"testing"
)

func TestUnavailable(t *testing.T) {
	if Available() {
		t.Fatal("Available() in a build without MuJoCo")
	}
	_, err := Make("hopper")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "apt-get install libmujoco-dev") {
		t.Fatalf("Make: error %v, want ErrUnavailable explaining how to get MuJoCo", err)
	}
	if _, err := Make("hoppr"); err == nil || errors.Is(err, ErrUnavailable) {
		t.Fatalf("unknown id: error %v, want the id error", err)
	}
}
