// Package report turns runs in a track store into figures and tables a
// researcher can put in a paper: PNG learning curves with an IQM line and a
// stratified-bootstrap confidence band per method, the offline→online switch
// marked; uncertainty plots (σ̄_ep, λ, w_BC over time); a Markdown table; and
// one self-contained HTML page (figures embedded as data URIs, inline CSS, no
// network access) with the tables and figures.
//
// # What the numbers mean
//
// Runs are grouped by task and method (the run's algo); the seeds of a
// group are its samples. A run's task is the base name, without extension,
// of the dataset file its config names (hopper-medium-v2 from
// data/hopper-medium-v2.hdf5: one env has several datasets), else its env.
// A run of a sweep (named <sweep>__<task>__<method>__<seed>) takes the
// sweep's task label instead (hopper-medium-friction-2.0: the same data,
// another online env), and when one algorithm on one task comes from
// several sweeps (an ablation is a sweep of the same algorithm with
// overrides) each sweep is its own method, "bdwm (bdwm-table2-no-bc)".
// For each group the report gives
//
//   - Last: each seed's final evaluation, then the IQM across seeds with a
//     stratified-bootstrap confidence interval (stats.StratifiedBootstrapCI);
//   - Best: each seed's best evaluation (maximum over its evaluations, NaN
//     ignored), then IQM and CI across seeds — an optimistic number, labelled
//     as such;
//   - Steps to X%: the first step at which the group's IQM curve reaches X% of
//     the task's reference (stats.StepsToReach), and how many seeds reach it
//     on their own;
//   - Dip: each seed's transition dip (stats.TransitionDip: last offline
//     evaluation minus the worst evaluation early in the online phase), IQM and
//     CI across seeds.
//
// When there are several tasks and the metric is a normalized score, a row
// per method aggregates Last and Best over tasks (IQM pooled over every run of
// every task, bootstrap stratified by task, as rliable does).
//
// # The switch step
//
// A run's offline→online switch is read from the phase column of its
// metrics: the first step logged in phase "online" among the metrics the
// report reads. dwm's loops count steps globally, so online steps follow the
// offline ones; as the first online row is often an evaluation some steps
// after the switch, a run whose resolved config gives train.offline_steps N
// (with every offline row at or before N) switches at N+1, the first online
// step. If a run's online steps instead restart from zero (they overlap the
// offline steps), online step s is placed at L+1+s, L being the last offline
// step logged, and the switch is at L+1.
//
// # Runs verbs
//
// ListRuns, ShowRun and RemoveRuns print what the CLI's `dwm runs list|show|rm`
// show; ParseFilter reads the CLI's run filter syntax.
package report
