// Package adroitctl holds scripted controllers ("experts") for the Adroit
// tasks of env/mujoco. They read the simulator state of the env they drive
// (sites, joint positions, the mocap poses of the randomised objects), not
// the observation, and act through the env's position servos: a damped
// least-squares step on a finite-difference Jacobian of the palm site moves
// the arm, fixed hand postures (open, hook) drive the fingers.
//
// Demonstration-free SAC fails on these tasks (Rajeswaran et al. 2018), so
// datagen's Adroit expert, demo and cloned datasets come from here.
//
// Status: door is written (reach the handle, hook it, press it down along
// the latch's arc until the latch turns past 1.4 rad, pull round the hinge);
// it opens the door part of the way (see docs/results/adroit-datasets.md for
// measured returns and success rates). Pen, hammer and relocate have no
// controller yet: New returns an error for them.
package adroitctl
