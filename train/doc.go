// Package train holds dwm's training loop: an offline phase of gradient
// updates on a dataset, then an online phase of environment interaction,
// with an explicit phase switch and separate step counters (as CORL's
// offline-to-online scripts). Pure online training is the loop with zero
// offline steps; pure offline training is the loop with zero online steps.
//
// The loop is handed its parts (agent, envs, buffers, sampler, checkpoint
// directory, logger, hooks) and builds none: it depends only on the small
// interfaces defined here, so SAC, the O2O agents and BDWM share it.
//
// # Steps, evaluation and logging
//
// The global step counts offline updates then online env steps; metrics are
// logged at global steps with their phase ("offline" or "online"), so a
// curve's switch is at global step OfflineSteps. Evaluation runs every
// EvalEvery steps of each phase and at each phase's end, on its own seeds
// (derived from the run seed and the global step), so evaluating never
// changes training.
//
// # Exact resume
//
// Checkpoints hold the agent (networks, optimizers, random streams), the
// online buffer's contents, the loop's counters and its own random streams,
// and the hooks' extra state. Online checkpoints are taken only at episode
// boundaries: the next episode's start is a function of the run seed and the
// episode index, so no simulator state needs saving, and a resumed run
// continues bit for bit as an uninterrupted one. A cancelled context (Ctrl-C,
// SIGTERM) stops the loop at the next boundary — the end of the current
// episode online, the current update offline — after saving a checkpoint.
//
// # Numeric guards
//
// Every update's metrics (losses, Q values, and the hooks' metrics) must be
// finite; the agent's parameters and gradients (agents implementing
// Parameterized) and the hooks' (Hooks.Params: a world model's) are checked
// every Config.NumericsEvery steps, or after every update with
// Config.CheckNumerics. A NaN or infinity stops the run with an error
// wrapping ErrDiverged that names the phase, the step, and the parameter,
// network and layer holding it. Before values overflow, a critic value
// (QMetrics) beyond QBoundFactor·r_max/(1−γ) prints a warning and logs
// QOverBoundMetric (Loop.Discount supplies γ).
package train
