// Package classic holds dwm's pure-Go environments, which need no C library
// and run in microseconds per step: Pendulum (Gymnasium's Pendulum-v1),
// FrozenLake with a slip-probability parameter, and PointMaze (a 2-D point
// mass in D4RL's maze2d layouts), plus the expert controllers used to measure
// reference returns and to generate datasets: a swing-up controller for
// Pendulum, value iteration for FrozenLake and a waypoint follower for
// PointMaze.
//
// All envs follow the env package's conventions: actions are checked with
// env.CheckAction (a wrong length or a NaN/Inf entry is an error naming the
// env id and the index; out-of-bound entries are clipped to the action Box),
// a Step before the first Reset is an error, and randomness comes only from
// the seed given to Reset. The envs do not truncate episodes themselves: their
// Spec carries the episode limit and env.TimeLimit (which envs.Make applies)
// enforces it.
package classic
