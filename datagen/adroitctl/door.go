//go:build cgo && !nomujoco

package adroitctl

import (
	"fmt"
	"math"
)

// Hand postures (24 joint angles, hand joint order).
var (
	openHand = [24]float64{}
	// hookHand curls the four fingers round a bar, thumb across.
	hookHand = func() [24]float64 {
		var p [24]float64
		for _, f := range []int{ff, mf, rf} {
			p[f+1], p[f+2], p[f+3] = 1.3, 1.3, 1.0
		}
		p[lf+2], p[lf+3], p[lf+4] = 1.3, 1.3, 1.0
		p[th], p[th+1], p[th+4] = 0.6, 1.1, -0.6
		return p
	}()
)

// doorParams are the door controller's settings.
type doorParams struct {
	// ReachGain scales the palm step while reaching the handle; ReachNear
	// ends the reach, ReachMax caps its steps.
	ReachGain, ReachNear, ReachMax float64
	// HookSteps is the number of steps that close the fingers round the
	// handle.
	HookSteps float64
	// PressGain scales the palm step along the latch's arc; LatchOpen is
	// the latch angle (rad) that ends pressing (the bolt clears the frame
	// from about 1.2 rad), PressMax caps its steps.
	PressGain, LatchOpen, PressMax float64
	// PressRoll is how far (rad per step) the forearm rolls (ARRz) while
	// pressing, the other arm joints keeping the palm on the arc: rolling
	// turns the hooked handle about the latch axis, which the palm step
	// alone does at a third of the speed. The roll slows down in proportion
	// within RollTaper (rad) of LatchOpen: past about 1.6 rad the hand loses
	// the lever.
	PressRoll, RollTaper float64
	// PullGain scales the palm step of the pull round the hinge, PullAhead
	// is how far ahead of the handle (m, along its path) the palm aims,
	// Lost the palm–handle distance at which the handle counts as lost.
	PullGain, PullAhead, Lost float64
	// WristFrom is the hinge angle from which the pull moves the wrist too.
	WristFrom float64
	// PushFrom is the hinge angle at which the hand lets go and goes round
	// the free edge to push the door from behind (the door swings on a
	// little).
	PushFrom float64
	// PushPath are the waypoints round the free edge, in the door's frame
	// (x along the door from the hinge, whose free edge ends at −0.56; y
	// out of its back face); PushZ their height above the frame's centre;
	// PushNear ends a waypoint, PushMax caps its steps.
	PushPath          [3][2]float64
	PushZ             float64
	PushNear, PushMax float64
	// PushAhead is how far (rad) ahead of the door the push aims, PushGain
	// scales its palm step.
	PushAhead, PushGain float64
}

// defaultDoor are the door settings, tuned on seeds 0–29 (22 of 30
// episodes successful; see docs/results/adroit-datasets.md).
var defaultDoor = doorParams{
	ReachGain: 1, ReachNear: 0.02, ReachMax: 60,
	HookSteps: 8,
	PressGain: 2, LatchOpen: 1.3, PressMax: 90,
	PressRoll: 0.16, RollTaper: 0.5,
	PullGain: 1, PullAhead: 0.1, Lost: 0.12,
	WristFrom: 0.9,
	PushFrom:  0.75,
	PushPath:  [3][2]float64{{-0.66, -0.05}, {-0.66, 0.15}, {-0.45, 0.15}},
	PushNear:  0.05, PushMax: 20,
	PushAhead: 0.35, PushGain: 2,
}

// Door phases.
const (
	doorReach = iota
	doorHook
	doorPress
	doorPull
	doorRound // doorRound+k: waypoint k of PushPath
	doorPush  = doorRound + 3
)

// door: reach the handle, hook the fingers round it, press it down (rolling
// the forearm) until the latch turns, pull it round the hinge, then let go,
// go round the free edge and push the door open from behind.
type door struct {
	*robot
	p                           doorParams
	handle, hinge, latch, frame int
	phase, t                    int
}

func (c *door) reset() { c.phase, c.t = doorReach, 0 }

func (c *door) act(act []float32) error {
	d := c.env.Data()
	p := &c.p
	handle := d.SiteXPos(c.handle)
	palm := c.palm()
	latch, hinge := d.QPos()[c.latch], d.QPos()[c.hinge]
	mp := d.MocapPos()[3*c.frame : 3*c.frame+3]
	c.t++
	var target [3]float64
	hand := openHand
	switch c.phase {
	case doorReach: // a point just in front of the handle
		target = add(handle, [3]float64{0, -0.02, 0.01})
		if norm(sub(target, palm)) < p.ReachNear || float64(c.t) > p.ReachMax {
			c.phase, c.t = doorHook, 0
		}
	case doorHook: // close the fingers round the handle
		target = add(handle, [3]float64{0, -0.02, 0.01})
		hand = blend(openHand, hookHand, float64(c.t)/max(p.HookSteps-2, 1))
		if float64(c.t) >= p.HookSteps {
			c.phase, c.t = doorPress, 0
			if latch > 1.1 {
				c.phase = doorPull
			}
		}
	case doorPress: // press the handle down along the latch's arc
		pivot := [3]float64{mp[0] + 0.14, mp[1], mp[2] - 0.025}
		θ := latch + 0.5
		target = add(pivot, [3]float64{0.15 * math.Cos(θ), -0.17, -0.15*math.Sin(θ) + 0.01})
		hand = hookHand
		if latch > p.LatchOpen || float64(c.t) > p.PressMax {
			c.phase, c.t = doorPull, 0
		}
	case doorPull: // pull the handle round the hinge
		hand = hookHand
		if hinge > p.PushFrom {
			c.phase, c.t = doorRound, 0
		} else if norm(sub(palm, handle)) > p.Lost {
			c.phase, c.t = doorReach, 0 // lost the handle: reach it again
		}
		axis := [3]float64{mp[0] + 0.6, mp[1], mp[2]}
		rel := sub(handle, axis)
		rel[2] = 0
		n := norm(rel)
		tangent := [3]float64{-rel[1] / n, rel[0] / n, 0} // d(handle)/dθ about +z
		step := p.PullAhead
		if hinge > 1.45 {
			step /= 4
		}
		target = add(handle, [3]float64{step * tangent[0], step*tangent[1] - 0.02, -0.02})
	default: // round the free edge, then push the door from behind
		local := func(l [2]float64, θ float64) [3]float64 {
			s, co := math.Sin(θ), math.Cos(θ)
			return [3]float64{mp[0] + 0.6 + co*l[0] - s*l[1], mp[1] + s*l[0] + co*l[1], mp[2] + p.PushZ}
		}
		if c.phase < doorPush {
			target = local(p.PushPath[c.phase-doorRound], hinge)
			if norm(sub(target, palm)) < p.PushNear || float64(c.t) > p.PushMax {
				c.phase, c.t = c.phase+1, 0
			}
		} else {
			target = local(p.PushPath[2], min(hinge+p.PushAhead, 1.55))
		}
	}
	// The gain is the one of the phase the step ends in.
	gain := 1.0
	switch {
	case c.phase == doorReach:
		gain = p.ReachGain
	case c.phase == doorPress:
		gain = p.PressGain
	case c.phase == doorPull:
		gain = p.PullGain
	case c.phase >= doorRound:
		gain = p.PushGain
	}
	c.setHand(hand)
	c.wrist = c.phase == doorPull && hinge > p.WristFrom
	roll := c.phase == doorPress && p.PressRoll != 0
	if roll {
		c.fixed = 1 << 3 // ARRz: rolled below
	}
	err := c.reach(scale(sub(target, palm), gain), 0.3)
	c.fixed = 0
	if err != nil {
		return err
	}
	if roll {
		c.q[3] = d.QPos()[c.armAdr[3]] + p.PressRoll*min(1, max(p.LatchOpen-latch, 0.05)/p.RollTaper)
	}
	c.write(act)
	return nil
}

func (c *door) String() string {
	d := c.env.Data()
	return fmt.Sprintf("phase %d latch %.2f hinge %.2f handle %.3f palm %.3f", c.phase, d.QPos()[c.latch], d.QPos()[c.hinge], d.SiteXPos(c.handle), c.palm())
}
