//go:build cgo && !nomujoco

package adroitctl

import "fmt"

// hammerParams are the hammer controller's settings.
type hammerParams struct {
	// Hover is the grasp site's height above the grip point before the
	// descent. The grip point is GripX along the handle from the hammer's
	// origin (hammer frame x; the head is at −0.24), then GripY forward
	// (world y) and GripZ up. Near is the distance that ends the hover, the
	// descent and the lift; HoverMax, DescendMax and LiftMax cap their
	// steps.
	Hover                float64
	GripX, GripY, GripZ  float64
	Near                 float64
	HoverMax, DescendMax float64
	CloseSteps, Settle   float64
	Lift, LiftMax        float64
	// Back is how far out from the nail head (along the nail) the aim
	// places the striking face; AimNear ends the aim, AimMax caps its
	// steps. AimYaw is the wrist yaw (WRJ1) held from the aim on: it turns
	// the striking face towards the nail.
	Back, AimNear, AimMax, AimYaw float64
	// A blow swings the arm's yaw (ARRy) towards its lower limit, Swing
	// rad per step, for Blow steps, the other joints held; then the hammer
	// is aimed again.
	Swing, Blow float64
	// Done is the nail head's distance to its goal (m) below which the
	// hand keeps still (just under the 0.01 of the success test).
	Done float64
	// Face is the striking point (centre of the head's face) in the
	// hammer's frame.
	Face [3]float64
	// Grasp is the finger flexion of the grasp (proximal, middle, distal
	// joints of each finger) and Thumb the thumb's (THJ4..THJ0).
	Grasp [3]float64
	Thumb [5]float64
}

// defaultHammer are the hammer settings, tuned on seeds 0–9 and checked on
// seeds 10–29 (9 of 10 and 18 of 20 episodes successful).
var defaultHammer = hammerParams{
	Hover: 0.08, GripX: -0.05, GripZ: 0.03, Near: 0.02,
	HoverMax: 40, DescendMax: 30, CloseSteps: 10, Settle: 3,
	Lift: 0.1, LiftMax: 25,
	Back: 0.1, AimNear: 0.015, AimMax: 25, AimYaw: -0.52,
	Swing: 0.3, Blow: 8,
	Done:  0.0098,
	Face:  [3]float64{-0.24, 0, -0.04},
	Grasp: [3]float64{1.3, 1.1, 0.9},
	Thumb: [5]float64{0.9, 1.2, 0.2, 0.3, -0.6},
}

// Hammer phases.
const (
	hammerHover = iota
	hammerDescend
	hammerClose
	hammerLift
	hammerAim
	hammerBlow
	hammerHold
)

// hammer: grasp the handle near the neck from above, lift the hammer, aim
// its striking face at the nail head from outside the board and swing the
// arm's yaw through the nail, again until the nail is in; then keep still.
type hammer struct {
	*robot
	p             hammerParams
	obj, palmBody int // hammer and palm bodies
	nail, goal    int // nail head and goal sites
	phase, t      int
	grip          [24]float64
	liftFrom      [3]float64
	out           [3]float64 // unit vector out of the board along the nail
}

func (c *hammer) paramsPtr() any { return &c.p }

func (c *hammer) reset() {
	c.phase, c.t = hammerHover, 0
	c.ptBody, c.wrist, c.fixed = -1, false, 0
	var g [24]float64
	for _, f := range []int{ff, mf, rf} {
		g[f+1], g[f+2], g[f+3] = c.p.Grasp[0], c.p.Grasp[1], c.p.Grasp[2]
	}
	g[lf+2], g[lf+3], g[lf+4] = c.p.Grasp[0], c.p.Grasp[1], c.p.Grasp[2]
	copy(g[th:], c.p.Thumb[:])
	c.grip = g
}

func (c *hammer) act(act []float32) error {
	d := c.env.Data()
	p := &c.p
	nail, goal := d.SiteXPos(c.nail), d.SiteXPos(c.goal)
	if c.phase == hammerHover && c.t == 0 {
		v := sub(nail, goal)
		c.out = scale(v, 1/norm(v))
	}
	c.t++
	grip := add(bodyPoint(d, c.obj, [3]float64{p.GripX, 0, 0}), [3]float64{0, p.GripY, p.GripZ})
	palm := c.palm()
	in := norm(sub(nail, goal)) < p.Done
	hand := openHand
	var target [3]float64
	at := palm
	switch c.phase {
	case hammerHover:
		target = add(grip, [3]float64{0, 0, p.Hover})
		if norm(sub(target, palm)) < p.Near || float64(c.t) > p.HoverMax {
			c.phase, c.t = hammerDescend, 0
		}
	case hammerDescend:
		target = grip
		if norm(sub(target, palm)) < p.Near || float64(c.t) > p.DescendMax {
			c.phase, c.t = hammerClose, 0
		}
	case hammerClose:
		target = grip
		hand = blend(openHand, c.grip, float64(c.t)/p.CloseSteps)
		if float64(c.t) >= p.CloseSteps+p.Settle {
			c.phase, c.t = hammerLift, 0
			c.liftFrom = palm
		}
	case hammerLift:
		hand = c.grip
		target = add(c.liftFrom, [3]float64{0, 0, p.Lift})
		if norm(sub(target, palm)) < p.Near || float64(c.t) > p.LiftMax {
			c.phase, c.t = hammerAim, 0
		}
	default:
		hand = c.grip
		hand[wrj1] = p.AimYaw
		if in { // the nail is in: keep the last targets
			c.phase = hammerHold
			c.write(act)
			return nil
		}
		if c.phase == hammerHold { // it bounced out: hammer again
			c.phase, c.t = hammerAim, 1
		}
		if c.phase == hammerBlow {
			if float64(c.t) >= p.Blow {
				c.phase, c.t = hammerAim, 0
			}
			c.setHand(hand)
			c.q[1] = max(d.QPos()[c.armAdr[1]]-p.Swing, c.ranges[1][0])
			c.write(act)
			return nil
		}
		// Aim: move the striking face as if the hammer were fixed in the
		// palm, with the arm and WRJ0 (WRJ1 held at AimYaw).
		face := bodyPoint(d, c.obj, p.Face)
		c.ptBody, c.ptLocal = c.palmBody, localPoint(d, c.palmBody, face)
		c.wrist, c.fixed = true, 1<<c.nArm
		at = face
		target = add(nail, scale(c.out, p.Back))
		if norm(sub(target, face)) < p.AimNear || float64(c.t) > p.AimMax {
			c.phase, c.t = hammerBlow, 0
		}
	}
	c.setHand(hand)
	if err := c.reach(sub(target, at), 0.3); err != nil {
		return err
	}
	c.write(act)
	return nil
}

func scale(a [3]float64, k float64) [3]float64 { return [3]float64{k * a[0], k * a[1], k * a[2]} }

func (c *hammer) String() string {
	d := c.env.Data()
	return fmt.Sprintf("phase %d palm %.3f hammer %.3f face %.3f nail %.3f", c.phase, c.palm(), d.XPos(c.obj), bodyPoint(d, c.obj, c.p.Face), d.SiteXPos(c.nail))
}
