//go:build cgo && !nomujoco

package mujoco

/*
#include <stdlib.h>
#include "dwm_mujoco.h"
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// ObjSite is the object kind of sites for Model.SiteID.
const ObjSite = int(C.mjOBJ_SITE)

// SiteID returns the index of the named site.
func (m *Model) SiteID(name string) (int, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	id := int(C.mj_name2id(m.ptr, C.mjOBJ_SITE, cname))
	if id < 0 {
		return -1, fmt.Errorf("mujoco: model has no site named %q", name)
	}
	return id, nil
}

// sensorAdr returns the sensordata address of the named sensor.
func (m *Model) sensorAdr(name string) (int, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	id := int(C.mj_name2id(m.ptr, C.mjOBJ_SENSOR, cname))
	if id < 0 {
		return -1, fmt.Errorf("mujoco: model has no sensor named %q", name)
	}
	return int(ints(m.ptr.sensor_adr, int(m.ptr.nsensor))[id]), nil
}

// JointQPosAdr returns the qpos address of the named joint.
func (m *Model) JointQPosAdr(name string) (int, error) {
	j, err := m.ID(ObjJoint, name)
	if err != nil {
		return -1, err
	}
	return int(ints(m.ptr.jnt_qposadr, int(m.ptr.njnt))[j]), nil
}

// MocapID returns the mocap index (into Data.MocapPos and MocapQuat) of the
// named mocap body.
func (m *Model) MocapID(body string) (int, error) {
	b, err := m.ID(ObjBody, body)
	if err != nil {
		return -1, err
	}
	i := int(ints(m.ptr.body_mocapid, int(m.ptr.nbody))[b])
	if i < 0 {
		return -1, fmt.Errorf("mujoco: body %q is not a mocap body", body)
	}
	return i, nil
}

// SiteXPos returns site i's world position from the last forward pass.
func (d *Data) SiteXPos(i int) [3]float64 {
	return [3]float64(f64s(d.ptr.site_xpos, 3*int(d.model.ptr.nsite))[3*i : 3*i+3])
}

// XMat returns body b's world orientation (row-major 3×3) from the last
// forward pass.
func (d *Data) XMat(b int) [9]float64 {
	return [9]float64(f64s(d.ptr.xmat, 9*int(d.model.ptr.nbody))[9*b : 9*b+9])
}

// MocapPos is a view of the mocap bodies' positions (nmocap × 3); writes
// take effect at the next forward pass or step. Adroit tasks keep their
// per-episode randomisation here (see the package documentation).
func (d *Data) MocapPos() []float64 { return f64s(d.ptr.mocap_pos, 3*int(d.model.ptr.nmocap)) }

// MocapQuat is a view of the mocap bodies' orientations (nmocap × 4, w x y z).
func (d *Data) MocapQuat() []float64 { return f64s(d.ptr.mocap_quat, 4*int(d.model.ptr.nmocap)) }

// SensorData is a view of the sensor readings of the last forward pass.
func (d *Data) SensorData() []float64 { return f64s(d.ptr.sensordata, int(d.model.ptr.nsensordata)) }

// alignMocap writes d's mocap poses into the model's body poses of the mocap
// bodies, so that mj_resetData on any Data of m restores them (the benchmark
// uses it to give its raw C loop the scene an Adroit Reset drew). It edits
// the model: call it only where nothing else steps the model.
func alignMocap(m *Model, d *Data) {
	ids := ints(m.ptr.body_mocapid, int(m.ptr.nbody))
	mp, mq := d.MocapPos(), d.MocapQuat()
	for b, i := range ids {
		if i >= 0 {
			m.setBodyPose(b, mp[3*i:3*i+3], mq[4*i:4*i+4])
		}
	}
}

// setBodyPose writes body b's position and orientation relative to its
// parent (model body_pos, body_quat); a nil slice leaves that part. A test
// and benchmark hook: call it only where nothing else steps the model.
func (m *Model) setBodyPose(b int, pos, quat []float64) {
	nb := int(m.ptr.nbody)
	if pos != nil {
		copy(f64s(m.ptr.body_pos, 3*nb)[3*b:3*b+3], pos)
	}
	if quat != nil {
		copy(f64s(m.ptr.body_quat, 4*nb)[4*b:4*b+4], quat)
	}
}

// setSitePos writes site i's position in its body's frame (model site_pos).
// A test hook: call it only where nothing else steps the model.
func (m *Model) setSitePos(i int, pos []float64) {
	copy(f64s(m.ptr.site_pos, 3*int(m.ptr.nsite))[3*i:3*i+3], pos)
}
