// Package mujoco provides dwm's MuJoCo environments through a small cgo
// binding to MuJoCo 2.2 (Debian's libmujoco-dev; link flag -lmujoco).
//
// # Tasks
//
// The models are dwm's own MJCF files (assets/, embedded) written from the
// published model files; the task rules follow Gymnasium v4 and D4RL:
//
//	id           obs  act  frame_skip × timestep  reward per step
//	hopper        11   3   4 × 0.002 (RK4)       x_vel + 1 − 1e-3·Σa²
//	halfcheetah   17   6   5 × 0.01 (Euler)      x_vel − 0.1·Σa²
//	walker2d      17   6   4 × 0.002 (RK4)       x_vel + 1 − 1e-3·Σa²
//	ant           27   8   5 × 0.01 (RK4)        x_vel + 1 − 0.5·Σa²
//	antmaze-*     31   8   5 × 0.02 (RK4)        1 within 0.5 m of the goal, else 0
//	pen           45  24   5 × 0.002 (Euler)     dense, see Adroit below
//	door          39  28   5 × 0.002 (Euler)     dense
//	hammer        46  26   5 × 0.002 (Euler)     dense
//	relocate      39  30   5 × 0.002 (Euler)     dense
//
// Observations: Hopper and Walker2d give qpos[1:] then qvel clipped to ±10;
// HalfCheetah qpos[1:] then qvel; Ant qpos[2:] then qvel (Ant-v4's 27
// dimensions, without contact forces). AntMaze gives D4RL's 29 dimensions
// (all of qpos including x and y, then qvel) followed by the goal (x, y); drop
// the last two entries to match D4RL's antmaze datasets.
//
// Termination: Hopper when not (height > 0.7, |angle| < 0.2 and every entry
// of qpos[2:] and qvel inside (−100, 100)); Walker2d when not (0.8 < height
// < 2 and |angle| < 1); Ant when the torso height leaves [0.2, 1] or the
// state is not finite; HalfCheetah never; AntMaze when the goal is reached
// (Result.Success is set too). As in Gymnasium v4 the healthy reward is also
// paid on the terminating step. Episode limits (Spec().MaxSteps, applied by
// env.TimeLimit) are 1000 steps, 700 for antmaze-umaze; the Adroit tasks'
// rules are in their own section below.
//
// Reset noise: Hopper and Walker2d add U(±0.005) to the default pose and to
// the zero velocity; HalfCheetah, Ant and AntMaze add U(±0.1) to the pose and
// 0.1·N(0,1) to the velocity. AntMaze draws the goal as D4RL does (goal cell
// centre plus U(0,1) plus U(0,0.5) per coordinate). All draws come from
// rng.Derive(seed, "env/mujoco", base id).
//
// Actions are clipped to [-1, 1] (the env.Env contract); the control cost uses
// the clipped action. AntMaze maps [-1, 1] onto the motors' ±30 control range,
// Adroit onto each actuator's ctrlrange.
//
// # Adroit
//
// pen, door, hammer and relocate are the four dexterous-manipulation tasks of
// Rajeswaran et al. 2018 ("Learning Complex Dexterous Manipulation with Deep
// Reinforcement Learning and Demonstrations") with the rules of
// Gymnasium-Robotics' AdroitHand*-v1 (dense reward) and D4RL's episode
// limits: the 24-DoF ADROIT hand (wrist 2, fore, middle and ring fingers 4
// each, little finger 5, thumb 5) on a forearm with 0 (pen), 4 (door: a slide
// towards the door, three rotations), 2 (hammer: two rotations) or 6
// (relocate: three slides, three rotations) arm joints. Every joint is driven
// by a position servo (MuJoCo general actuator, affine bias): gain 500 and
// bias −200·q for the arm, 10 and −10·q for the wrist, 1 and −q for the
// fingers; actions in [-1, 1] map linearly onto each actuator's ctrlrange.
//
//	id        obs  act  limit  success (env.Result.Success, per step)
//	pen        45   24   100   pen within 0.075 m of its place, axis cosine with the target > 0.95
//	door       39   28   200   door hinge ≥ 1.35 rad
//	hammer     46   26   200   nail head within 0.01 m of the board's goal
//	relocate   39   30   200   ball within 0.1 m of the target
//
// Rewards per step: pen −dist + cos, +10 if dist < 0.075 and cos > 0.9, +50
// more if cos > 0.95, −5 if the pen fell below 0.075 m; door −0.1·|palm −
// handle| − 0.1·(hinge − 1.57)² − 1e-5·Σqvel², +2/+8/+10 past 0.2/1.0/1.35
// rad; hammer −0.1·|palm − hammer| − |head − nail| − 10·|nail − goal| −
// 0.01·|qvel|, +2 with hammer and head above 0.04 m, +25/+75 with the nail
// within 0.02/0.01 m; relocate −0.1·|palm − ball|, and with the ball above
// 0.04 m +1 − 0.5·|palm − target| − 0.5·|ball − target|, +10/+20 with the
// ball within 0.1/0.05 m of the target. Env.AdroitInfo returns the distances.
// Observations follow Gymnasium-Robotics' _get_obs (listed in
// adroit_env.go). Only pen terminates, when the pen drops (D4RL's pen_v0.py;
// Gymnasium-Robotics v1 never terminates). D4RL and DAPG count an episode a
// success when more than 20 (pen) or 25 (the others) of its steps succeed:
// see EpisodeSuccessSteps.
//
// Reset: the default pose at rest, then per episode (drawn from
// rng.Derive(seed, "env/mujoco", base id)): pen target orientation euler
// (U(±1), U(±1), 0); door frame at (U(−0.3,−0.2), U(0.25,0.35),
// U(0.252,0.35)); hammer board height U(0.1,0.25); relocate ball (U(±0.15),
// U(−0.15,0.3)) on the table and target (U(±0.2), U(±0.2), U(0.15,0.35)).
// Gymnasium-Robotics edits the model for these; dwm shares one read-only
// model between environments, so the randomised bodies (pen target, door
// frame, nail board, relocate target) are mocap bodies whose poses live in
// each Env's mjData (Data.MocapPos, MocapQuat), and the ball's start goes
// into its slide joints. The state of an Adroit episode is therefore qpos,
// qvel and the mocap poses; SetState keeps the mocap poses of the last Reset.
//
// The MJCF (assets/adroit_*.xml.tmpl) is dwm's own, written from the
// published model (Gymnasium-Robotics' adroit_model.xml, adroit_assets.xml and
// task files): bodies, inertials, joints, ranges, damping, armature, the
// tendon couplings and limits, the collision primitives (capsules, boxes,
// cylinders) and the contact pairs keep the published digits. Simplified
// away, none of it part of the dynamics: the visual meshes (non-colliding,
// and every hand body has an explicit inertial, so they add no mass),
// textures, cameras, lights, the unused mocap tracker, touch-sensor sites and
// all sensors but the nail's touch sensor (which hammer observes).
// TestAdroitMatchesPublishedModel, given the published files, checks that
// both step alike from the same random placements (bitwise for pen, door and
// hammer, to round-off for relocate). The
// published solver settings (20 iterations, 20 noslip iterations) are kept;
// they make an Adroit env step several times costlier than a Hopper step.
//
// # Dynamics shifts
//
// An id may carry shifts, applied by editing the compiled mjModel after
// loading (never the MJCF): friction-<k> multiplies every geom's friction
// coefficients, gravity-<k> the gravity vector, kinematic[-<joint>]-<k> both
// ends of one joint's range (ODRL's broken joint), morphology[-<body>]-<k>
// one limb end's geom sizes, mass (and inertia by k³) about its joint. See
// IDs for the syntax and the default joint and limb of each task.
//
// # Binding
//
// LoadXML/LoadFile compile a model (under a mutex: MuJoCo's loader keeps
// global state); a Model is read-only once shared and is used by many Data
// (one simulation state each). Every C helper runs under a guard: MuJoCo's
// error hook longjmps back to a setjmp in the same C function, so MuJoCo
// errors become Go errors instead of exiting the process; warnings raised
// during a step (NaN/Inf, after which MuJoCo silently resets the state; full
// contact or constraint buffers) become errors too. A whole env step is one C
// call. Close frees C memory explicitly; there are no finalizers.
//
// Without cgo, or with the nomujoco build tag, the package still compiles:
// Make and NewMaker return ErrUnavailable.
package mujoco

import "errors"

// ErrUnavailable is returned by every constructor in a build without MuJoCo.
var ErrUnavailable = errors.New("mujoco: this build has no MuJoCo support; " +
	"install it (apt-get install libmujoco-dev, or scripts/deps.sh build) and build with cgo enabled " +
	"(CGO_ENABLED=1, without the nomujoco tag)")
