// Package bench runs dwm's named speed suites outside `go test` and prints
// their figures as a table (and, on request, a JSON report and plots). It is
// what `dwm bench` calls.
//
// Suites:
//
//   - core: the numeric core's main operations at the sizes agents use —
//     matrix products (batch 256 × 23/256/512 wide, and batch 1), a critic
//     MLP training step (forward, MSE, backward, Adam) and a residual
//     denoiser training step at batch 256, and a batch-1 MLP forward.
//   - dual: per-action latency at batch 1 and throughput at batch 256 of
//     DUAL's actor (the distilled planner, Eq. 4, followed by the Laplace
//     sub-policy aggregate, Eq. 7, and the shift-aware sample, Eq. 8; timed
//     both from the package's parts at 4, 2 and 1 steps and through
//     dual.Agent with its defaults), of the undistilled planner ("w/o
//     distillation"), of Diffuser (the
//     planner at its locomotion size) and of Diff-QL, plus IQL's Gaussian
//     actor as a non-diffusion reference; and the Fig. 2-style series of
//     latency against denoising steps.
//
// # Measurement
//
// Every figure is measured Repeats times; each repetition calls the
// operation until MinTime has passed (after one untimed warm-up call). The
// table shows the median wall time per call, the fastest repetition, and
// the process CPU time per call (user + system over all threads, from
// getrusage): on the shared 2-core machine wall time grows with other
// people's load while CPU time mostly does not. GOMAXPROCS is set to
// Config.Threads (default 2) for the run and restored afterwards.
//
// Latency does not depend on the weights' values, only on the network
// shapes and the number of denoising steps, so the dual suite times
// untrained networks (the distilled student is produced by a one-iteration
// distillation of each stage); the shapes are listed in the report
// (Report.Networks) so that bench/pytorch/dual_act.py can build the same
// networks in PyTorch.
//
// Config.Only restricts a run to the figures whose name contains it, and
// ReadReport with WritePlots redraw a saved report (`dwm bench --replot`).
package bench
