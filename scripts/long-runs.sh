#!/usr/bin/env bash
# Runs, or resumes, every benchmark sweep the open issues ask for, in priority order, on one machine:
# BDWM Table I, Table II and a stricter-filter row (#8), the IQL/Cal-QL offline-to-online runs (#6), DUAL Table 4 and PointMaze large (#9), DAWM ± TD3+BC/IQL
# (#10) and the Adroit runs (#13). Each sweep skips its finished runs and resumes interrupted ones from their
# checkpoints (written at least every 10 minutes), so this can be started again after any stop.
#
# Usage: scripts/long-runs.sh            (RUNS=/root/dwm-long/runs WORKERS=2 DWM=bin/dwm by default)
#        ONLY="bdwm/sweeps/table1.yaml" scripts/long-runs.sh
# Summarize with e.g. dwm report --runs "$RUNS" --filter 'bdwm-table1__*|o2o-hopper-medium__*' --out report/
#
# The datasets are made first when missing (each is cached under the user cache directory once made; the first
# make of a locomotion dataset trains its SAC expert for 300k steps, hours on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-/root/dwm-long/runs}
WORKERS=${WORKERS:-2}
DWM=${DWM:-bin/dwm}
[ -x "$DWM" ] || go build -o "$DWM" ./cmd/dwm

make_data() { # name out [flags...]
	local name=$1 out=$2
	shift 2
	[ -f "$out" ] || "$DWM" dataset make "$name" --seed 0 --out "$out" "$@"
}
S=docs/results/sweeps
make_data hopper-medium bdwm/sweeps/hopper-medium.npz --expert-steps 300000
make_data hopper-medium $S/hopper-medium.npz --expert-steps 300000
make_data walker2d-medium $S/walker2d-medium.npz --expert-steps 300000
make_data halfcheetah-medium $S/halfcheetah-medium.npz --expert-steps 300000

# Table II's online-only ablations (fixed λ, no BC) fork from Table I's bdwm runs at their switch: they come
# right after Table I and cost an online phase each. The BDWM diagnostic rows (IQL learner, stricter filter:
# ≈ 1.2 core-hours a run) come before Cal-QL's (≈ 5.5 a run).
ONLY=${ONLY:-"bdwm/sweeps/table1.yaml bdwm/sweeps/table2-fixed-lambda.yaml bdwm/sweeps/table2-no-bc.yaml
bdwm/sweeps/iql-eta50.yaml bdwm/sweeps/eta50.yaml $S/o2o-hopper-medium.yaml bdwm/sweeps/table2-no-filter.yaml bdwm/sweeps/table2-epistemic-only.yaml
bdwm/sweeps/table2-k1.yaml $S/dual-table4.yaml
$(ls $S/dual-table4-*.yaml) $S/dual-pointmaze-large.yaml $S/dawm-td3bc.yaml $S/dawm-iql.yaml $S/adroit-o2o.yaml"}
# Two passes: first the seeds in FIRST_SEEDS (default 0) of every sweep, in the order above, so that every row
# of every table has a seed as early as possible; then every seed. FIRST_SEEDS= (empty) skips the first pass.
# A first-pass sweep has one or a few runs, so WORKERS sweeps run at once there, one worker each (a branch whose
# parent, in another sweep, has not reached its switch yet fails and is retried by the second pass); the second
# pass runs the sweeps one after another, WORKERS runs at once.
FIRST_SEEDS=${FIRST_SEEDS-0}

# run_sweep FILE PASS WORKERS: make the sweep's data if its turn has come, smoke-check it (with --repeat) in the
# first pass that reaches it, then run it (a failed check skips the sweep).
run_sweep() {
	local f=$1 pass=$2 workers=$3
	echo "== $f, $pass pass ($(date -u +%FT%TZ))"
	if [ "$f" = "$S/dual-pointmaze-large.yaml" ]; then
		make_data pointmaze-large-wander $S/pointmaze-large-wander.npz --size 1000000
	fi
	if [ "$f" = "$S/adroit-o2o.yaml" ]; then # made only when their sweep's turn comes
		make_data door-cloned $S/door-cloned.npz --size 100000
		make_data pen-cloned $S/pen-cloned.npz --size 100000 # trains pen's SAC expert first (1M steps)
	fi
	if [ "$pass" = first ] || [ -z "$FIRST_SEEDS" ]; then
		# A smoke run of each task and method, twice (seconds): a configuration that would fail, or not
		# reproduce, hours in fails here.
		if ! GOMAXPROCS=1 "$DWM" sweep check --repeat "$f"; then
			echo "== skipping $f: its smoke check failed"
			return 0
		fi
	fi
	local seeds=()
	[ "$pass" = first ] && seeds=(--seeds "$FIRST_SEEDS")
	# One thread per run: GOMAXPROCS bounds dwm's BLAS and data-parallel threads.
	GOMAXPROCS=1 "$DWM" sweep run "$f" --runs "$RUNS" --workers "$workers" "${seeds[@]}" || true
}

if [ -n "$FIRST_SEEDS" ]; then
	for f in $ONLY; do
		while [ "$(jobs -rp | wc -l)" -ge "$WORKERS" ]; do wait -n || true; done
		run_sweep "$f" first 1 &
	done
	wait
fi
for f in $ONLY; do
	run_sweep "$f" all "$WORKERS"
done
