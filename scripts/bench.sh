#!/usr/bin/env bash
# Go vs PyTorch benchmarks of dwm's numeric core, measured in the same run.
#
# Usage: scripts/bench.sh            (ROUNDS=3 BENCHTIME=1s by default)
#        ROUNDS=5 BENCHTIME=2s scripts/bench.sh
#
# Each round runs the Go benchmarks (internal/blas BenchmarkSgemm with 2
# threads; nn BenchmarkCriticStep, BenchmarkDenoiserStep, BenchmarkEnsembleStep,
# BenchmarkActBatch1) and then bench/pytorch/bench.py in PyTorch's fastest
# setting on this machine (torch.set_num_threads(1), OPENBLAS_NUM_THREADS=2,
# /usr/bin/python3). Rounds alternate so both sides see the same machine load.
# The table reports the best round of each side, their ratio (>1 means Go is
# faster), the goal, and the spread (worst/best) over rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
BENCHTIME=${BENCHTIME:-1s}
PY=${PY:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "building Go benchmark binaries..." >&2
go test -c -o "$work/blas.test" ./internal/blas
go test -c -o "$work/nn.test" ./nn
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >"$work/load"
for r in $(seq 1 "$ROUNDS"); do
	echo "round $r/$ROUNDS: Go" >&2
	{
		echo "ROUND $r"
		"$work/blas.test" -test.run '^$' -test.benchtime "$BENCHTIME" \
			-test.bench '^BenchmarkSgemm$/^256x(23x256|256x256|512x512)$/^threads2$'
		"$work/nn.test" -test.run '^$' -test.benchtime "$BENCHTIME" \
			-test.bench '^Benchmark(CriticStep|DenoiserStep|EnsembleStep|ActBatch1)$'
	} >>"$work/go.txt"
	echo "round $r/$ROUNDS: PyTorch" >&2
	{
		echo "ROUND $r"
		OPENBLAS_NUM_THREADS=2 "$PY" bench/pytorch/bench.py --min-time 1 --repeats 1
	} >>"$work/py.txt"
done
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)" >>"$work/load"

"$PY" - "$work" <<'PYEOF'
import re, sys, os, platform, subprocess
work = sys.argv[1]
go = {}
for line in open(os.path.join(work, "go.txt")):
    m = re.match(r"Benchmark(\S+?)-\d+\s+\d+\s+([\d.]+) ns/op(.*)", line)
    if not m:
        continue
    name, ns = m.group(1), float(m.group(2))
    key = {"CriticStep": "critic_step", "DenoiserStep": "denoiser_step",
           "EnsembleStep": "ensemble_step", "ActBatch1": "act_batch1"}.get(name)
    if key is None:
        s = re.match(r"Sgemm/(\d+x\d+x\d+)/threads2", name)
        if not s:
            continue
        key = "sgemm_" + s.group(1)
    val = ns / 1e3 if key.startswith("sgemm") or key == "act_batch1" else 1e9 / ns
    go.setdefault(key, []).append(val)
py = {}
variant = ""
for line in open(os.path.join(work, "py.txt")):
    parts = line.rstrip("\n").split("\t")
    if len(parts) != 3:
        continue
    if parts[0] == "ensemble_step_variant":
        variant = parts[1]
        continue
    py.setdefault(parts[0], []).append(float(parts[1]))

rows = [  # key, label, unit, lower is better, goal
    ("sgemm_256x23x256", "sgemm 256×23×256 (2 threads)", "µs", True, None),
    ("sgemm_256x256x256", "sgemm 256×256×256 (2 threads)", "µs", True, None),
    ("sgemm_256x512x512", "sgemm 256×512×512 (2 threads)", "µs", True, None),
    ("critic_step", "critic 23→256→256→1 step, b256", "steps/s", False, 1.5),
    ("denoiser_step", "denoiser 40→512×4→17 step, b256", "steps/s", False, 1.5),
    ("ensemble_step", "5-member denoiser ensemble step", "steps/s", False, 2.0),
    ("act_batch1", "critic-MLP forward, batch 1", "µs", True, 5.0),
]
def best(v, low):
    return min(v) if low else max(v)
def spread(v, low):
    b, w = (min(v), max(v)) if low else (max(v), min(v))
    return (w / b if low else b / w) if b and w else float("nan")
print()
print("| workload | unit | Go (best) | PyTorch (best) | Go speed-up | goal | met | Go spread | PyTorch spread |")
print("|---|---|---|---|---|---|---|---|---|")
for key, label, unit, low, goal in rows:
    if key not in go or key not in py:
        print(f"| {label} | {unit} | {'missing' if key not in go else ''} | {'missing' if key not in py else ''} | | | | | |")
        continue
    g, p = best(go[key], low), best(py[key], low)
    ratio = p / g if low else g / p
    met = "" if goal is None else ("yes" if ratio >= goal else "NO")
    gs = f"{goal:.1f}×" if goal else "–"
    print(f"| {label} | {unit} | {g:.2f} | {p:.2f} | {ratio:.2f}× | {gs} | {met} | {spread(go[key], low):.2f} | {spread(py[key], low):.2f} |")
g = best(go["sgemm_256x512x512"], True)
p = best(py["sgemm_256x512x512"], True)
flop = 2 * 256 * 512 * 512
print(f"| sgemm 256×512×512 throughput | GFLOPS | {flop / g / 1e3:.1f} | {flop / p / 1e3:.1f} | {p / g:.2f}× | – | | | |")
print()
print(f"rounds: {len(go.get('critic_step', []))}; spread = worst round / best round (1.00 = no spread)")
print(f"PyTorch: torch.set_num_threads(1), OPENBLAS_NUM_THREADS=2; ensemble variant: {variant}")
print(open(os.path.join(work, "load")).read().strip())
PYEOF
