// Package envs is dwm's environment registry: Make turns an id such as
// "pendulum", "frozenlake-8x8-slip-0.2" or "pointmaze-large" into a
// TimeLimit-wrapped env.Env, List describes every known id, Expert gives the
// scripted expert policy of an id, and References holds measured random and
// expert returns for score normalization.
//
// The registry is built explicitly by the sources function, not by
// init-time registration: each source (classic, and later mujoco) lists its
// base ids and parses ids of the form base or base-params itself.
package envs
