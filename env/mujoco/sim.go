//go:build cgo && !nomujoco

package mujoco

/*
#cgo LDFLAGS: -lmujoco
#include <stdlib.h>
#include "dwm_mujoco.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Available reports whether this build links MuJoCo (cgo on, no nomujoco tag).
func Available() bool { return true }

// handlersOnce installs dwm's error and warning hooks into MuJoCo's
// process-wide mju_user_error/mju_user_warning pointers before first use.
var handlersOnce sync.Once

// loadMu serialises mj_loadXML: MuJoCo's XML loader keeps process-wide state
// (the last loaded model's parse tree), so two loads must never overlap.
var loadMu sync.Mutex

func installHandlers() { handlersOnce.Do(func() { C.dwm_install_handlers() }) }

// SimError is an error or warning raised by MuJoCo inside a guarded call.
type SimError struct {
	// Op names the dwm operation (e.g. "step").
	Op string
	// Warning is the MuJoCo warning kind (e.g. "mjWARN_BADQACC"), or "" for
	// an error raised through mju_error.
	Warning string
	// Info is MuJoCo's info value for the warning (e.g. the bad dof index).
	Info int
	// Msg is MuJoCo's own text.
	Msg string
}

func (e *SimError) Error() string {
	if e.Warning != "" {
		return fmt.Sprintf("mujoco %s: %s (info %d): %s", e.Op, e.Warning, e.Info, e.Msg)
	}
	return fmt.Sprintf("mujoco %s: %s", e.Op, e.Msg)
}

var warningNames = [...]string{
	"mjWARN_INERTIA", "mjWARN_CONTACTFULL", "mjWARN_CNSTRFULL", "mjWARN_VGEOMFULL",
	"mjWARN_BADQPOS", "mjWARN_BADQVEL", "mjWARN_BADQACC", "mjWARN_BADCTRL",
}

// statusError converts a guarded call's return code and status into an error.
func statusError(op string, rc C.int, st *C.dwm_status) error {
	switch rc {
	case C.DWM_OK:
		return nil
	case C.DWM_WARNING:
		w := int(st.warning)
		name := fmt.Sprintf("warning %d", w)
		if w >= 0 && w < len(warningNames) {
			name = warningNames[w]
		}
		return &SimError{Op: op, Warning: name, Info: int(st.info), Msg: oneLine(C.GoString(&st.msg[0]))}
	default:
		return &SimError{Op: op, Msg: oneLine(C.GoString(&st.msg[0]))}
	}
}

// oneLine folds MuJoCo's multi-line messages into one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Model is a compiled MuJoCo model (mjModel). After loading (and any
// parameter edits) it is read-only and may be shared by many Data values used
// from different goroutines. The C memory is freed once Close has been called
// and every Data made from it has been closed; the Model's own methods must
// not be used after its Close.
type Model struct {
	ptr    *C.mjModel
	refs   atomic.Int32 // the owner's reference plus one per live Data
	closed atomic.Bool
	nq     int
	nv     int
	nu     int
}

// LoadXML compiles an MJCF document held in memory. A parse or compile error
// is returned with MuJoCo's message.
func LoadXML(xml string) (*Model, error) {
	if len(xml) == 0 {
		return nil, errors.New("mujoco: load XML: empty document")
	}
	installHandlers()
	cxml := C.CString(xml)
	defer C.free(unsafe.Pointer(cxml))
	return load("XML", func(err *C.char, n C.int) *C.mjModel {
		return C.dwm_load_xml(cxml, C.int(len(xml)), err, n)
	})
}

// LoadFile compiles an MJCF file from disk.
func LoadFile(path string) (*Model, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("mujoco: load %s: %w", path, err)
	}
	installHandlers()
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	return load(path, func(err *C.char, n C.int) *C.mjModel {
		return C.dwm_load_file(cpath, err, n)
	})
}

func load(what string, f func(*C.char, C.int) *C.mjModel) (*Model, error) {
	const errLen = 2048
	cerr := (*C.char)(C.calloc(errLen, 1))
	defer C.free(unsafe.Pointer(cerr))
	loadMu.Lock()
	ptr := f(cerr, errLen)
	loadMu.Unlock()
	if ptr == nil {
		return nil, fmt.Errorf("mujoco: load %s: %s", what, oneLine(C.GoString(cerr)))
	}
	m := &Model{ptr: ptr, nq: int(ptr.nq), nv: int(ptr.nv), nu: int(ptr.nu)}
	m.refs.Store(1)
	return m, nil
}

// Close releases the owner's reference; the C model is freed when no Data
// uses it any more. It is safe to call more than once.
func (m *Model) Close() error {
	if m == nil || m.closed.Swap(true) {
		return nil
	}
	m.release()
	return nil
}

func (m *Model) retain() error {
	for {
		n := m.refs.Load()
		if n <= 0 || m.closed.Load() {
			return errors.New("mujoco: model is closed")
		}
		if m.refs.CompareAndSwap(n, n+1) {
			return nil
		}
	}
}

func (m *Model) release() {
	if m.refs.Add(-1) == 0 {
		C.mj_deleteModel(m.ptr)
		m.ptr = nil
	}
}

// NQ is the number of position coordinates.
func (m *Model) NQ() int { return m.nq }

// NV is the number of degrees of freedom.
func (m *Model) NV() int { return m.nv }

// NU is the number of actuators.
func (m *Model) NU() int { return m.nu }

// Timestep is the simulation step in seconds (opt.timestep).
func (m *Model) Timestep() float64 { return float64(m.ptr.opt.timestep) }

// Object kinds for ID.
const (
	ObjBody  = int(C.mjOBJ_BODY)
	ObjJoint = int(C.mjOBJ_JOINT)
	ObjGeom  = int(C.mjOBJ_GEOM)
)

// ID returns the index of the named body, joint or geom (kind is ObjBody,
// ObjJoint or ObjGeom).
func (m *Model) ID(kind int, name string) (int, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	id := int(C.mj_name2id(m.ptr, C.int(kind), cname))
	if id < 0 {
		kinds := map[int]string{ObjBody: "body", ObjJoint: "joint", ObjGeom: "geom"}
		return -1, fmt.Errorf("mujoco: model has no %s named %q", kinds[kind], name)
	}
	return id, nil
}

func f64s(p *C.mjtNum, n int) []float64 {
	if n == 0 || p == nil {
		return nil
	}
	return unsafe.Slice((*float64)(unsafe.Pointer(p)), n)
}

func ints(p *C.int, n int) []int32 {
	if n == 0 || p == nil {
		return nil
	}
	return unsafe.Slice((*int32)(unsafe.Pointer(p)), n)
}

// Params is a copy of the model parameters that dynamics shifts edit, read
// back from the compiled mjModel (so tests can check what changed).
type Params struct {
	Timestep     float64
	Gravity      [3]float64
	Mass         float64   // total mass (sum of body_mass)
	GeomFriction []float64 // ngeom x 3 (slide, spin, roll)
	GeomSize     []float64 // ngeom x 3
	GeomPos      []float64 // ngeom x 3
	GeomRBound   []float64 // ngeom
	BodyPos      []float64 // nbody x 3
	BodyIPos     []float64 // nbody x 3
	BodyMass     []float64 // nbody
	BodyInertia  []float64 // nbody x 3
	JntRange     []float64 // njnt x 2
	JntLimited   []bool    // njnt
	ActGear      []float64 // nu (first gear component)
	CtrlRange    []float64 // nu x 2
}

// Params copies the current parameters out of the model.
func (m *Model) Params() Params {
	p := m.ptr
	ng, nb, nj, nu := int(p.ngeom), int(p.nbody), int(p.njnt), int(p.nu)
	cp := func(s []float64) []float64 { return append([]float64(nil), s...) }
	out := Params{
		Timestep:     float64(p.opt.timestep),
		GeomFriction: cp(f64s(p.geom_friction, 3*ng)),
		GeomSize:     cp(f64s(p.geom_size, 3*ng)),
		GeomPos:      cp(f64s(p.geom_pos, 3*ng)),
		GeomRBound:   cp(f64s(p.geom_rbound, ng)),
		BodyPos:      cp(f64s(p.body_pos, 3*nb)),
		BodyIPos:     cp(f64s(p.body_ipos, 3*nb)),
		BodyMass:     cp(f64s(p.body_mass, nb)),
		BodyInertia:  cp(f64s(p.body_inertia, 3*nb)),
		JntRange:     cp(f64s(p.jnt_range, 2*nj)),
		CtrlRange:    cp(f64s(p.actuator_ctrlrange, 2*nu)),
	}
	for i := range 3 {
		out.Gravity[i] = float64(p.opt.gravity[i])
	}
	for _, v := range out.BodyMass {
		out.Mass += v
	}
	lim := unsafe.Slice((*C.mjtByte)(p.jnt_limited), nj)
	out.JntLimited = make([]bool, nj)
	for i := range lim {
		out.JntLimited[i] = lim[i] != 0
	}
	gear := f64s(p.actuator_gear, 6*nu)
	out.ActGear = make([]float64, nu)
	for i := range out.ActGear {
		out.ActGear[i] = gear[6*i]
	}
	return out
}

// ScaleFriction multiplies every geom's friction coefficients (slide, spin,
// roll) by k. Contact friction is the max over the two geoms, so every contact's
// friction scales by k too. Call only before the model is shared.
func (m *Model) ScaleFriction(k float64) {
	f := f64s(m.ptr.geom_friction, 3*int(m.ptr.ngeom))
	for i := range f {
		f[i] *= k
	}
}

// ScaleGravity multiplies opt.gravity by k. Call only before the model is
// shared.
func (m *Model) ScaleGravity(k float64) {
	for i := range 3 {
		m.ptr.opt.gravity[i] *= C.mjtNum(k)
	}
}

// ScaleJointRange multiplies both ends of the named limited hinge or slide
// joint's range by k (k < 1 narrows the range towards the joint's zero pose:
// ODRL's "broken joint"). Call only before the model is shared.
func (m *Model) ScaleJointRange(joint string, k float64) error {
	j, err := m.ID(ObjJoint, joint)
	if err != nil {
		return err
	}
	typ := ints(m.ptr.jnt_type, int(m.ptr.njnt))[j]
	if typ != C.mjJNT_HINGE && typ != C.mjJNT_SLIDE {
		return fmt.Errorf("mujoco: joint %q is not a hinge or slide joint", joint)
	}
	if unsafe.Slice((*C.mjtByte)(m.ptr.jnt_limited), int(m.ptr.njnt))[j] == 0 {
		return fmt.Errorf("mujoco: joint %q has no range to scale", joint)
	}
	r := f64s(m.ptr.jnt_range, 2*int(m.ptr.njnt))
	r[2*j] *= k
	r[2*j+1] *= k
	return nil
}

// ScaleLimb scales the named leaf body (a limb end with no child bodies) by k
// about its joint's anchor (its frame origin if it has no joint): every geom's
// size and its offset from the anchor, the centre of mass offset, and the
// body mass are multiplied by k, the inertia by k³ (mass k times length k²).
// Constants derived from masses (subtree masses, invweights) are then
// recomputed with mj_setConst. Call only before the model is shared.
func (m *Model) ScaleLimb(body string, k float64) error {
	b, err := m.ID(ObjBody, body)
	if err != nil {
		return err
	}
	p := m.ptr
	nb, nj, ng := int(p.nbody), int(p.njnt), int(p.ngeom)
	parents := ints(p.body_parentid, nb)
	for i := range parents {
		if i != b && int(parents[i]) == b {
			return fmt.Errorf("mujoco: body %q has child bodies; morphology shifts scale limb ends only", body)
		}
	}
	gnum, gadr := int(ints(p.body_geomnum, nb)[b]), int(ints(p.body_geomadr, nb)[b])
	if gnum == 0 {
		return fmt.Errorf("mujoco: body %q has no geoms to scale", body)
	}
	var anchor [3]float64
	if ints(p.body_jntnum, nb)[b] > 0 {
		ja := int(ints(p.body_jntadr, nb)[b])
		copy(anchor[:], f64s(p.jnt_pos, 3*nj)[3*ja:3*ja+3])
	}
	scaleAbout := func(v []float64) {
		for i := range 3 {
			v[i] = anchor[i] + k*(v[i]-anchor[i])
		}
	}
	size, pos, rb := f64s(p.geom_size, 3*ng), f64s(p.geom_pos, 3*ng), f64s(p.geom_rbound, ng)
	gsame := unsafe.Slice((*C.mjtByte)(p.geom_sameframe), ng)
	for g := gadr; g < gadr+gnum; g++ {
		for i := range 3 {
			size[3*g+i] *= k
		}
		scaleAbout(pos[3*g : 3*g+3])
		rb[g] *= k
		gsame[g] = 0 // geom pose now computed from body frame + geom_pos
	}
	scaleAbout(f64s(p.body_ipos, 3*nb)[3*b : 3*b+3])
	unsafe.Slice((*C.mjtByte)(p.body_sameframe), nb)[b] = 0
	f64s(p.body_mass, nb)[b] *= k
	in := f64s(p.body_inertia, 3*nb)
	for i := range 3 {
		in[3*b+i] *= k * k * k
	}
	var st C.dwm_status
	if err := statusError("set constants", C.dwm_set_const(p, &st), &st); err != nil {
		return err
	}
	return nil
}

// Data is one simulation state (mjData) of a Model. It is not safe for
// concurrent use; use one Data per goroutine.
type Data struct {
	model *Model
	ptr   *C.mjData
	st    *C.dwm_status // C memory, so no Go pointer is passed to C
	qpos  []float64
	qvel  []float64
	ctrl  []float64
	xpos  []float64
}

// NewData allocates a simulation state for m.
func NewData(m *Model) (*Data, error) {
	if err := m.retain(); err != nil {
		return nil, err
	}
	st := (*C.dwm_status)(C.calloc(1, C.size_t(unsafe.Sizeof(C.dwm_status{}))))
	ptr := C.dwm_make_data(m.ptr, st)
	if ptr == nil {
		err := statusError("make data", C.DWM_ERROR, st)
		C.free(unsafe.Pointer(st))
		m.release()
		return nil, err
	}
	d := &Data{model: m, ptr: ptr, st: st}
	d.qpos = f64s(ptr.qpos, m.nq)
	d.qvel = f64s(ptr.qvel, m.nv)
	d.ctrl = f64s(ptr.ctrl, m.nu)
	d.xpos = f64s(ptr.xpos, 3*int(m.ptr.nbody))
	return d, nil
}

// Close frees the C state. It is safe to call more than once.
func (d *Data) Close() error {
	if d == nil || d.ptr == nil {
		return nil
	}
	C.mj_deleteData(d.ptr)
	C.free(unsafe.Pointer(d.st))
	d.ptr, d.st = nil, nil
	d.qpos, d.qvel, d.ctrl, d.xpos = nil, nil, nil, nil
	d.model.release()
	return nil
}

// Model returns the model the state belongs to.
func (d *Data) Model() *Model { return d.model }

// QPos is a view of the positions (valid until Close); writes go straight
// into the simulation state, as for QVel and Ctrl.
func (d *Data) QPos() []float64 { return d.qpos }

// QVel is a view of the velocities (valid until Close).
func (d *Data) QVel() []float64 { return d.qvel }

// Ctrl is a view of the actuator controls (valid until Close).
func (d *Data) Ctrl() []float64 { return d.ctrl }

// XPos returns body b's frame position as computed by the last forward pass.
func (d *Data) XPos(b int) [3]float64 { return [3]float64(d.xpos[3*b : 3*b+3]) }

// NCon is the number of contacts found by the last forward pass (at most the
// model's nconmax).
func (d *Data) NCon() int { return int(d.ptr.ncon) }

// NEfc is the number of constraint rows of the last forward pass (at most
// the model's njmax).
func (d *Data) NEfc() int { return int(d.ptr.nefc) }

// Time is the simulated time in seconds.
func (d *Data) Time() float64 { return float64(d.ptr.time) }

// QPos0 is a view of the model's default pose (read-only).
func (m *Model) QPos0() []float64 { return f64s(m.ptr.qpos0, m.nq) }

// Reset runs mj_resetData (default pose, zero velocity, zero controls).
func (d *Data) Reset() error {
	return statusError("reset", C.dwm_reset(d.model.ptr, d.ptr, d.st), d.st)
}

// Forward runs mj_forward (after qpos/qvel were written).
func (d *Data) Forward() error {
	return statusError("forward", C.dwm_forward(d.model.ptr, d.ptr, d.st), d.st)
}

// Step runs mj_step n times and then mj_rnePostConstraint, in one C call.
// Any MuJoCo warning raised meanwhile is returned as a *SimError: NaN or Inf
// in the state (MuJoCo then silently resets the data), full contact or
// constraint buffers, singular inertia.
func (d *Data) Step(n int) error { return d.step(n, true) }

func (d *Data) step(n int, rne bool) error {
	r := C.int(0)
	if rne {
		r = 1
	}
	return statusError("step", C.dwm_step(d.model.ptr, d.ptr, C.int(n), r, d.st), d.st)
}

// StepOnce runs a single mj_step, with no mj_rnePostConstraint (used to check
// that Step matches stepping one frame per call).
func (d *Data) StepOnce() error { return d.step(1, false) }

// State copies qpos, qvel, act, qacc_warmstart and time into one slice (for
// bitwise comparisons of two simulations).
func (d *Data) State() []float64 {
	m := d.model.ptr
	out := append([]float64(nil), d.qpos...)
	out = append(out, d.qvel...)
	out = append(out, f64s(d.ptr.act, int(m.na))...)
	out = append(out, f64s(d.ptr.qacc_warmstart, int(m.nv))...)
	return append(out, d.Time())
}

// rawLoop runs the benchmark baseline in C: nsteps env steps of frameskip
// mj_step calls (plus mj_rnePostConstraint when rne) with controls cycled
// from actions (rows of nu), resetting to init (qpos then qvel) every
// resetEvery env steps.
func (d *Data) rawLoop(actions []float64, nsteps int64, frameskip int, rne bool, init []float64, resetEvery int) {
	nu := d.model.nu
	r := C.int(0)
	if rne {
		r = 1
	}
	C.dwm_raw_loop(d.model.ptr, d.ptr, (*C.mjtNum)(unsafe.Pointer(&actions[0])), C.int(len(actions)/nu),
		C.long(nsteps), C.int(frameskip), r, (*C.mjtNum)(unsafe.Pointer(&init[0])), C.int(resetEvery))
}

// raiseError calls mju_error(msg) under a guard (a test hook for the error
// path: it must come back as a *SimError, not exit the process).
func raiseError(msg string) error {
	installHandlers()
	cmsg := C.CString(msg)
	defer C.free(unsafe.Pointer(cmsg))
	st := (*C.dwm_status)(C.calloc(1, C.size_t(unsafe.Sizeof(C.dwm_status{}))))
	defer C.free(unsafe.Pointer(st))
	return statusError("raise", C.dwm_raise_error(cmsg, st), st)
}
