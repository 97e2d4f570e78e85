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
	phase, t     int
}

// Relocate settings, tuned on seeds 0–9 (10 of 10 episodes successful by
// D4RL's rule): the palm hovers 0.12 m above the ball, grips with its grasp
// site 0.02 m above the ball's centre, closes the hand over 10 steps, and
// carries with a palm step 1.3 times the ball's error to the target (the
// extra 0.3 makes up for the arm's sag under gravity).
var (
	relocateHover = [3]float64{0, 0, 0.12}
	relocateGrip  = [3]float64{0, 0, 0.02}
)

const (
	relocateClose = 10
	relocateCarry = 1.3
)

func (c *relocate) reset() { c.phase, c.t = 0, 0 }

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
	gain := 1.0
	switch c.phase {
	case 0: // hover above the ball
		target = add(ball, relocateHover)
		if norm(sub(target, palm)) < 0.03 || c.t > 40 {
			c.phase, c.t = 1, 0
		}
	case 1: // descend onto it
		target = add(ball, relocateGrip)
		if norm(sub(target, palm)) < 0.015 || c.t > 25 {
			c.phase, c.t = 2, 0
		}
	case 2: // close the hand
		target = add(ball, relocateGrip)
		hand = blend(openHand, graspHand, float64(c.t)/relocateClose)
		if c.t >= relocateClose+3 {
			c.phase, c.t = 3, 0
		}
	default: // carry: move the palm so that the ball goes to the target
		hand = graspHand
		target = add(palm, sub(goal, ball))
		gain = relocateCarry
	}
	c.setHand(hand)
	dx := sub(target, palm)
	if err := c.reach([3]float64{gain * dx[0], gain * dx[1], gain * dx[2]}, 0.2); err != nil {
		return err
	}
	c.write(act)
	return nil
}
