// Package datagen makes offline datasets with D4RL's recipe, reproducibly,
// so users need neither D4RL nor Minari downloads.
//
// Kinds (D4RL, Fu et al. 2020, section 5):
//
//	random         uniform random actions
//	expert         a fully trained SAC policy
//	medium         the first SAC snapshot whose evaluation return reaches one
//	               third of the way from the random to the expert return
//	               (D4RL: "roughly 1/3 the performance of the expert")
//	medium-replay  every transition SAC saw while training up to the medium
//	               snapshot (its replay buffer)
//	medium-expert  medium ∪ expert, concatenated
//	scripted       the env's scripted expert (envs.Expert) with Gaussian action
//	               noise: D4RL's maze2d recipe (waypoint controller), and the
//	               FrozenLake/Pendulum stand-ins
//
// The SAC "expert run" is an ordinary dwm run in <cache>/runs, so it
// checkpoints and resumes; every evaluation saves the policy's parameters, so
// the medium snapshot can be chosen once the expert's return is known.
// Policies act stochastically when collecting (as D4RL's SAC data). Each copy
// of a Vector env collects Size/N transitions in whole episodes, its last one
// cut by a timeout, and the copies are concatenated in order, so the result
// depends only on the config. Files are cached under the user cache directory
// by a hash of the config, with full provenance (env id, policy hash, seed,
// dwm version, config) in the file's metadata.
package datagen
