package env

import (
	"fmt"
	"math"

	"github.com/dwm-rl/dwm/spec"
)

// ActionError reports an action an environment refused: a wrong length, or a
// NaN or ±Inf entry. Its message names the env id and the offending index,
// e.g. "pendulum action: index 0 is NaN".
type ActionError struct {
	// EnvID is the Spec().ID of the env that refused the action.
	EnvID string
	// Len and Want are the given and expected lengths (equal when the length
	// was right).
	Len, Want int
	// Index is the first non-finite entry, or -1 for a length error.
	Index int
	// Value is the entry at Index.
	Value float32
}

// Error implements error.
func (e *ActionError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("%s action: length %d, want %d", e.EnvID, e.Len, e.Want)
	}
	return fmt.Sprintf("%s action: index %d is %g", e.EnvID, e.Index, e.Value)
}

// CheckAction is the action convention every Env in dwm follows, written once:
// it returns an *ActionError naming s.ID and the index if action has the
// wrong length or holds NaN or ±Inf, and otherwise writes the action clipped
// to the Box bounds of s.Act into dst (for a Discrete action space it copies;
// the env then takes spec.Argmax). dst may be action itself. Env
// implementations call it first in Step, before touching their state, so a
// refused action leaves the env unchanged. It does not allocate unless it
// fails. It panics if len(dst) < s.Act.Dim (a programmer error).
func CheckAction(s *Spec, action, dst []float32) error {
	if err := ValidateAction(s, action); err != nil {
		return err
	}
	if s.Act.Kind != spec.Box {
		copy(dst[:s.Act.Dim], action)
		return nil
	}
	s.Act.Clip(dst[:s.Act.Dim], action)
	return nil
}

// ValidateAction returns an *ActionError if action has the wrong length or
// holds NaN or ±Inf, and nil otherwise; it neither clips nor allocates.
func ValidateAction(s *Spec, action []float32) error {
	if len(action) != s.Act.Dim {
		return &ActionError{EnvID: s.ID, Len: len(action), Want: s.Act.Dim, Index: -1}
	}
	for i, v := range action {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return &ActionError{EnvID: s.ID, Len: len(action), Want: s.Act.Dim, Index: i, Value: v}
		}
	}
	return nil
}
