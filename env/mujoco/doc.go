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
// env.TimeLimit) are 1000 steps, 700 for antmaze-umaze.
//
// Reset noise: Hopper and Walker2d add U(±0.005) to the default pose and to
// the zero velocity; HalfCheetah, Ant and AntMaze add U(±0.1) to the pose and
// 0.1·N(0,1) to the velocity. AntMaze draws the goal as D4RL does (goal cell
// centre plus U(0,1) plus U(0,0.5) per coordinate). All draws come from
// rng.Derive(seed, "env/mujoco", base id).
//
// Actions are clipped to [-1, 1] (the env.Env contract); the control cost uses
// the clipped action. AntMaze maps [-1, 1] onto the motors' ±30 control range.
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
