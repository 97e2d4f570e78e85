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

// door: reach the handle, hook the fingers round it, press it down until
// the latch turns, then pull it round the hinge.
type door struct {
	*robot
	handle, hinge, latch, frame int
	phase, t                    int
	pullGain, pullAhead         float64
	lost                        float64
	pressGain, latchOpen        float64
	wristFrom                   float64
}

func (c *door) reset() { c.phase, c.t = 0, 0 }

func (c *door) act(act []float32) error {
	d := c.env.Data()
	handle := d.SiteXPos(c.handle)
	palm := c.palm()
	latch, hinge := d.QPos()[c.latch], d.QPos()[c.hinge]
	c.t++
	var target [3]float64
	hand := openHand
	switch c.phase {
	case 0: // reach a point just in front of the handle
		target = add(handle, [3]float64{0, -0.02, 0.01})
		if norm(sub(target, palm)) < 0.02 || c.t > 60 {
			c.phase, c.t = 1, 0
		}
	case 1: // hook the fingers round the handle
		target = add(handle, [3]float64{0, -0.02, 0.01})
		hand = blend(openHand, hookHand, float64(c.t)/8)
		if c.t >= 10 {
			c.phase, c.t = 2, 0
			if latch > 1.1 {
				c.phase = 3
			}
		}
	case 2: // press the handle down: the latch turns
		mp := d.MocapPos()[3*c.frame : 3*c.frame+3]
		pivot := [3]float64{mp[0] + 0.14, mp[1], mp[2] - 0.025}
		θ := latch + 0.5
		target = add(pivot, [3]float64{0.15 * math.Cos(θ), -0.17, -0.15*math.Sin(θ) + 0.01})
		hand = hookHand
		if latch > c.latchOpen || c.t > 90 {
			c.phase, c.t = 3, 0
		}
	default: // pull the handle round the hinge
		hand = hookHand
		if norm(sub(palm, handle)) > c.lost {
			c.phase, c.t = 0, 0 // lost the handle: reach it again
		}
		mp := d.MocapPos()[3*c.frame : 3*c.frame+3]
		axis := [3]float64{mp[0] + 0.6, mp[1], mp[2]}
		rel := sub(handle, axis)
		rel[2] = 0
		n := norm(rel)
		tangent := [3]float64{-rel[1] / n, rel[0] / n, 0} // d(handle)/dθ about +z
		step := c.pullAhead
		if hinge > 1.45 {
			step /= 4
		}
		target = add(handle, [3]float64{step * tangent[0], step*tangent[1] - 0.02, -0.02})
	}
	dx := sub(target, palm)
	switch c.phase {
	case 2:
		dx = [3]float64{c.pressGain * dx[0], c.pressGain * dx[1], c.pressGain * dx[2]}
	case 3:
		dx = [3]float64{c.pullGain * dx[0], c.pullGain * dx[1], c.pullGain * dx[2]}
	}
	c.setHand(hand)
	c.wrist = c.phase == 3 && hinge > c.wristFrom
	if err := c.reach(dx, 0.3); err != nil {
		return err
	}
	c.write(act)
	return nil
}

func (c *door) String() string {
	return fmt.Sprintf("phase %d handle %.3f palm %.3f", c.phase, c.env.Data().SiteXPos(c.handle), c.palm())
}
