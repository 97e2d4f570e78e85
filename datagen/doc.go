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
//	               noise: PointMaze's goal-directed waypoint controller, and
//	               the FrozenLake/Pendulum stand-ins
//	wander         PointMaze only: D4RL's maze2d recipe, the waypoint
//	               controller steering to random open cells (a new one when
//	               it reaches the last) with N(0, Noise²) noise; observations
//	               and rewards are the task's (its fixed goal), so the data
//	               cover the maze without heading for the goal
//
// The Adroit tasks (pen, door, hammer, relocate) have their own recipes,
// honest stand-ins for D4RL's (human teleoperation cannot be recorded here):
//
//	random   uniform random actions, in whole episodes
//	expert   the scripted controller of datagen/adroitctl (it reads the
//	         simulator state; demonstration-free SAC fails on these tasks,
//	         Rajeswaran et al. 2018), acting without noise; D4RL size
//	demo     Episodes (default 25) expert episodes with N(0, Noise²) action
//	         noise (default 0.02), standing in for D4RL's "human" (25
//	         demonstrations); Size is ignored
//	cloned   D4RL's cloned recipe: an MLP (256-256, ReLU, tanh output)
//	         behaviour-cloned on the demo episodes (BCSteps Adam steps, batch
//	         256, MSE), rolled out with N(0, Noise²) noise for half of Size,
//	         the demo episodes repeated in order for the other half (50/50 by
//	         transitions); D4RL size (1M, pen 500k)
//
// Adroit episodes are numbered; episode k resets the env with a seed derived
// from (Seed, k) and draws its noise from its own stream, so the data do not
// depend on Workers. Every Adroit dataset has a per-step infos column
// "success" (env.Result.Success); Summarize turns it into D4RL's episode
// success rate. The expert is the scripted controller of datagen/adroitctl
// where the task has one (door, hammer, relocate); pen has none, so its
// expert is a SAC policy trained without demonstrations for ExpertSteps
// steps (the expert run below; its last evaluated policy, acting by its
// mean), from which its demo and cloned kinds are made the same way. The
// file's "expert" metadata names which.
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
