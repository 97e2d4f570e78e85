//go:build cgo && !nomujoco

package adroitctl

import (
	"fmt"

	"github.com/dwm-rl/dwm/env/mujoco"
)

type controller interface {
	reset()
	act(act []float32) error
}

// Has reports whether task t has a scripted controller (door, hammer and
// relocate; pen has none).
func Has(t Task) bool { return t == Door || t == Relocate || t == Hammer }

// Expert is a scripted controller of one Adroit env: it reads the
// simulator state of the env it was made for (not the observation).
type Expert struct {
	r *robot
	c controller
}

// New makes the scripted expert of e, an Adroit env.
func New(e *mujoco.Env) (*Expert, error) {
	t, ok := TaskOf(e.Spec().ID)
	if !ok {
		return nil, fmt.Errorf("adroit expert: %s is not an Adroit task", e.Spec().ID)
	}
	r, err := newRobot(e, t)
	if err != nil {
		return nil, err
	}
	m := e.Data().Model()
	x := &Expert{r: r}
	var errs []error
	site := func(n string) int {
		i, err := m.SiteID(n)
		errs = append(errs, err)
		return i
	}
	qadr := func(n string) int {
		i, err := m.JointQPosAdr(n)
		errs = append(errs, err)
		return i
	}
	mocap := func(n string) int {
		i, err := m.MocapID(n)
		errs = append(errs, err)
		return i
	}
	switch t {
	case Door:
		x.c = &door{robot: r, p: defaultDoor, handle: site("S_handle"), hinge: qadr("door_hinge"), latch: qadr("latch"), frame: mocap("frame")}
		if err := r.useWrist(); err != nil {
			return nil, err
		}
	case Hammer:
		palm, err := m.ID(mujoco.ObjBody, "palm")
		errs = append(errs, err)
		obj, err := m.ID(mujoco.ObjBody, "Object")
		errs = append(errs, err)
		x.c = &hammer{robot: r, p: defaultHammer, obj: obj, palmBody: palm, nail: site("S_target"), goal: site("nail_goal")}
		if err := r.useWrist(); err != nil {
			return nil, err
		}
	case Relocate:
		b, err := m.ID(mujoco.ObjBody, "Object")
		errs = append(errs, err)
		x.c = &relocate{robot: r, ball: b, target: site("target"), objV: qadr("OBJTx")}
	default:
		return nil, fmt.Errorf("adroit expert: %s not written yet", t)
	}
	for _, err := range errs {
		if err != nil {
			r.close()
			return nil, fmt.Errorf("adroit expert %s: %w", t, err)
		}
	}
	return x, nil
}

// Reset starts a new episode; call it after every env Reset.
func (x *Expert) Reset() { x.c.reset() }

// Act writes the action for the env's current state.
func (x *Expert) Act(act []float32) error {
	if len(act) != len(x.r.q) {
		return fmt.Errorf("adroit expert %s: action length %d, want %d", x.r.task, len(act), len(x.r.q))
	}
	return x.c.act(act)
}

// Close frees the scratch simulation state.
func (x *Expert) Close() error { return x.r.close() }
