//go:build cgo && !nomujoco

package adroitctl

import "fmt"

// graspHand closes the hand round a ball: fingers flexed, thumb opposed.
var graspHand = func() [24]float64 {
	var p [24]float64
	for _, f := range []int{ff, mf, rf} {
		p[f+1], p[f+2], p[f+3] = 1.2, 1.0, 0.8
	}
	p[lf+2], p[lf+3], p[lf+4] = 1.2, 1.0, 0.8
	p[th], p[th+1], p[th+2], p[th+3], p[th+4] = 0.9, 1.2, 0.2, 0.3, -0.6
	return p
}()

// relocate: hover over the ball, descend, close the hand, carry the ball
// to the target.
type relocate struct {
	*robot
	ball, target int // body Object, site target
	objV         int // qvel address of the ball's OBJTx
	phase, t     int
	integ        [3]float64
}

// Relocate settings, tuned on seeds 0–9 (10 of 10 episodes successful by
// D4RL's rule): the palm hovers 0.12 m above the ball, grips with its grasp
// site 0.02 m above the ball's centre, closes the hand over 10 steps, and
// carries the ball (below).
var (
	relocateHover = [3]float64{0, 0, 0.12}
	relocateGrip  = [3]float64{0, 0, 0.02}
)

// relocateNear are the palm distances that end the hover and descent.
var relocateNear = [2]float64{0.03, 0.015}

// Carry: a PI-D step on the ball's error to the target: palm step
// 1.3·error (the extra 0.3 makes up for the arm's sag) plus an integral
// (0.02 per step, capped at 0.1 m) minus 0.05 s × ball velocity (without
// the last two terms the ball overshoots and sags: returns 440–1330 instead
// of 1250–3160 on seeds 0–9).
const (
	relocateClose = 10.0
	relocateCarry = 1.3
	relocateKI    = 0.02
	relocateKD    = 0.05
)

func (c *relocate) reset() { c.phase, c.t, c.integ = 0, 0, [3]float64{} }

func (c *relocate) String() string {
	d := c.env.Data()
	return fmt.Sprintf("phase %d ball %.3f target %.3f palm %.3f", c.phase, d.XPos(c.ball), d.SiteXPos(c.target), c.palm())
}

func (c *relocate) act(act []float32) error {
	d := c.env.Data()
	ball, goal, palm := d.XPos(c.ball), d.SiteXPos(c.target), c.palm()
	c.t++
	var target [3]float64
	hand := openHand
	switch c.phase {
	case 0: // hover above the ball
		target = add(ball, relocateHover)
		if norm(sub(target, palm)) < relocateNear[0] || c.t > 40 {
			c.phase, c.t = 1, 0
		}
	case 1: // descend onto it
		target = add(ball, relocateGrip)
		if norm(sub(target, palm)) < relocateNear[1] || c.t > 25 {
			c.phase, c.t = 2, 0
		}
	case 2: // close the hand
		target = add(ball, relocateGrip)
		hand = blend(openHand, graspHand, float64(c.t)/relocateClose)
		if float64(c.t) >= relocateClose+3 {
			c.phase, c.t = 3, 0
		}
	default: // carry: move the palm so that the ball goes to the target
		hand = graspHand
		err := sub(goal, ball)
		v := d.QVel()[c.objV : c.objV+3]
		for i := range 3 {
			c.integ[i] = min(max(c.integ[i]+relocateKI*err[i], -0.1), 0.1)
			target[i] = palm[i] + relocateCarry*err[i] + c.integ[i] - relocateKD*v[i]
		}
	}
	c.setHand(hand)
	if err := c.reach(sub(target, palm), 0.2); err != nil {
		return err
	}
	c.write(act)
	return nil
}
