#!/bin/sh
# Fig. 3(c) of the DUAL paper on dwm: FrozenLake 4x4 with a slip shift
# (offline data from the non-slippery lake, online on Gymnasium's slippery
# lake, slip 2/3), DUAL's uncertainty variants and baselines, 3 seeds each.
# Small budgets (600 offline updates, 1000 online steps, tiny planner) so it
# finishes in minutes on a loaded 2-core machine. Results: dual-frozenlake.md.
#
# Usage: [OFFLINE=600] [ONLINE=1000] [EVAL_EVERY=400] [ONLY=label] sh docs/results/dual-frozenlake.sh [RUNS_DIR] [DWM]
# (ONLY runs the one variant labelled so, e.g. ONLY=ours-LA+DA, so that
# variants can run as parallel processes.)
set -eu
RUNS=${1:-/tmp/dual-frozenlake}
DWM=${2:-dwm}
OFFLINE=${OFFLINE:-600}
ONLINE=${ONLINE:-1000}
ONLY=${ONLY:-}
EVAL_EVERY=${EVAL_EVERY:-400}
mkdir -p "$RUNS"
# Offline data: the scripted FrozenLake expert with action noise on the
# non-slippery lake (slip 0); dwm prints the cached file's path last.
DATA=$($DWM dataset make frozenlake-4x4-slip-0-scripted --size 20000 --seed 0 | tail -1)
COMMON="--env frozenlake-4x4 --dataset $DATA --runs $RUNS --quiet --seeds 0,1,2
  --offline-steps $OFFLINE --online-steps $ONLINE
  --set train.eval_every=$EVAL_EVERY --set train.eval_episodes=50
  --set dual.planner.horizon=4 --set dual.planner.diffusion_steps=8
  --set dual.distill.target_steps=2 --set dual.distill.iters=100 --set dual.distill.batch=32
  --set dual.iql.hidden=[64,64] --set dual.actor_batch=32
  --set dual.laplace_rows=512 --set dual.refit_every=200"
run() {
	label=$1
	shift
	if [ -n "$ONLY" ] && [ "$ONLY" != "$label" ]; then
		return 0
	fi
	echo "== $label"
	# shellcheck disable=SC2086
	$DWM train dual $COMMON "$@" 2>&1 | tee "$RUNS/$label.log"
}
run "ours-LA+DA" # Laplace under the actor loss + shift awareness (κ = 0.5)
run "ours-LA" --set dual.no_shift_aware=true
run "ours-sampling+DA" --set dual.uncertainty=latent
run "ours-ELBO-LA+DA" --set dual.uncertainty=elbo_laplace
run "ours-noUQ+DA" --set dual.no_epistemic=true
run "diffuser" --set dual.policy=diffuser
