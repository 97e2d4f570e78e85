// Package adroitctl holds scripted controllers ("experts") for the Adroit
// tasks of env/mujoco. They read the simulator state of the env they drive
// (sites, joint positions, the mocap poses of the randomised objects), not
// the observation, and act through the env's position servos: a damped
// least-squares step on a finite-difference Jacobian of the palm site (or of
// a point held in the hand, such as the hammer's face) moves the arm, fixed
// hand postures (open, hook, grasp) drive the fingers.
//
// Demonstration-free SAC fails on these tasks (Rajeswaran et al. 2018), so
// datagen's Adroit expert, demo and cloned datasets come from here.
//
// Status:
//
//	relocate  hover over the ball, descend, close the hand, carry the ball to
//	          the target (PI-D on the ball's error): succeeds (D4RL's rule)
//	          on 10 of 10 seeds tested
//	door      reach the handle, hook it, press it down along the latch's arc
//	          while rolling the forearm until the latch passes 1.3 rad, pull
//	          it round the hinge to 0.75 rad, let go, go round the free edge
//	          and push the door open from behind (to about 1.6 rad):
//	          succeeds on 22 of the 30 seeds 0–29, 26 of 30–59
//	hammer    grasp the handle near the neck from above, lift the hammer,
//	          aim the head's face at the nail from outside the board (the
//	          wrist's yaw turned to its limit), swing the arm's yaw through
//	          the nail, again until the nail is in, then keep still:
//	          succeeds on 27 of the 30 seeds 0–29
//	pen       none yet (New returns an error)
//
// Measured returns and success rates: docs/results/adroit-datasets.md.
package adroitctl
