#!/usr/bin/env bash
# Go vs PyTorch benchmarks of dwm's numeric core, measured in the same run.
#
# Usage: scripts/bench.sh            (ROUNDS=3 BENCHTIME=1s by default)
#        ROUNDS=5 BENCHTIME=2s scripts/bench.sh
#
# Workloads (Go benchmark ↔ bench/pytorch/bench.py --only NAME):
#   sgemm     internal/blas BenchmarkSgemm, M×K×N = 256×23×256, 256×256×256,
#             256×512×512, 2 threads ↔ torch.mm
#   critic    nn BenchmarkCriticStep: forward, MSE, backward, Adam of
#             23→256→256→1 (ReLU), batch 256
#   denoiser  nn BenchmarkDenoiserStep: the same for 40→512→512→512→512→17 (SiLU)
#   ensemble  nn BenchmarkEnsembleStep: 5 such denoisers, 256 rows each
#             (PyTorch: the faster of batched baddbmm weights and 5 models)
#   act       nn BenchmarkActBatch1: batch-1 Predict of the critic-sized MLP
#             ↔ forward under torch.inference_mode()
#
# PyTorch runs in its fastest setting on this machine: torch.set_num_threads(1)
# with OPENBLAS_NUM_THREADS=2, interpreter /usr/bin/python3. Each round runs
# every workload on the Go side and then immediately on the PyTorch side, so
# both see nearly the same machine load. The table reports each side's best
# round, the ratio of the bests (>1 means Go is faster), the median of the
# per-round ratios, the goal, and each side's spread (worst/best round).
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
declare -A gobench=(
	[sgemm]="blas.test|^BenchmarkSgemm\$/^256x(23x256|256x256|512x512)\$/^threads2\$"
	[critic]="nn.test|^BenchmarkCriticStep\$"
	[denoiser]="nn.test|^BenchmarkDenoiserStep\$"
	[ensemble]="nn.test|^BenchmarkEnsembleStep\$"
	[act]="nn.test|^BenchmarkActBatch1\$"
)
for r in $(seq 1 "$ROUNDS"); do
	for w in sgemm critic denoiser ensemble act; do
		echo "round $r/$ROUNDS: $w" >&2
		bin=${gobench[$w]%%|*}
		pat=${gobench[$w]#*|}
		"$work/$bin" -test.run '^$' -test.benchtime "$BENCHTIME" -test.bench "$pat" | sed "s/^/$r /" >>"$work/go.txt"
		OPENBLAS_NUM_THREADS=2 "$PY" bench/pytorch/bench.py --min-time 1 --repeats 1 --only "$w" | sed "s/^/$r\t/" >>"$work/py.txt"
	done
done
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)" >>"$work/load"

"$PY" - "$work" <<'PYEOF'
import os, re, statistics, sys
work = sys.argv[1]
names = {"CriticStep": "critic_step", "DenoiserStep": "denoiser_step",
         "EnsembleStep": "ensemble_step", "ActBatch1": "act_batch1"}
go, py = {}, {}  # key -> {round: value}
cpu, gocpu, pycpu = {}, {}, {}
for line in open(os.path.join(work, "go.txt")):
    m = re.match(r"(\d+) Benchmark(\S+?)-\d+\s+\d+\s+([\d.]+) ns/op(.*)", line)
    if not m:
        continue
    rnd, name, ns = int(m.group(1)), m.group(2), float(m.group(3))
    key = names.get(name)
    if key is None:
        s = re.match(r"Sgemm/(\d+x\d+x\d+)/threads2", name)
        if not s:
            continue
        key = "sgemm_" + s.group(1)
    val = ns / 1e3 if key.startswith("sgemm") or key == "act_batch1" else 1e9 / ns
    go.setdefault(key, {})[rnd] = val
    c = re.search(r"([\d.]+) GFLOP/cpu-s", m.group(4))
    if c:
        cpu.setdefault(key, []).append(float(c.group(1)))
    c = re.search(r"([\d.]+) cpu-ms/step", m.group(4))
    if c:
        gocpu.setdefault(key, []).append(float(c.group(1)))
variant = set()
for line in open(os.path.join(work, "py.txt")):
    parts = line.rstrip("\n").split("\t")
    if len(parts) != 4:
        continue
    rnd, key, val = int(parts[0]), parts[1], parts[2]
    if key == "ensemble_step_variant":
        variant.add(val)
        continue
    if key.endswith("_cpu"):
        pycpu.setdefault(key[:-4], []).append(float(val))
        continue
    py.setdefault(key, {})[rnd] = float(val)

rows = [  # key, label, unit, lower is better, goal
    ("sgemm_256x23x256", "sgemm 256×23×256, 2 threads", "µs", True, None),
    ("sgemm_256x256x256", "sgemm 256×256×256, 2 threads", "µs", True, None),
    ("sgemm_256x512x512", "sgemm 256×512×512, 2 threads", "µs", True, None),
    ("critic_step", "critic 23→256→256→1 train step, b256", "steps/s", False, 1.5),
    ("denoiser_step", "denoiser 40→512×4→17 train step, b256", "steps/s", False, 1.5),
    ("ensemble_step", "5-member denoiser ensemble train step", "steps/s", False, 2.0),
    ("act_batch1", "critic-MLP forward, batch 1", "µs", True, 5.0),
]
def speedup(g, p, low):
    return p / g if low else g / p
def best(v, low):
    return min(v) if low else max(v)
def spread(v, low):
    b, w = best(v, low), (max(v) if low else min(v))
    return w / b if low else b / w
print()
print("| workload | unit | Go best | PyTorch best | speed-up (bests) | median per-round speed-up | goal | met (bests) | Go spread | PyTorch spread |")
print("|---|---|---|---|---|---|---|---|---|---|")
for key, label, unit, low, goal in rows:
    if key not in go or key not in py:
        print(f"| {label} | {unit} | {'missing' if key not in go else ''} | {'missing' if key not in py else ''} | | | | | | |")
        continue
    g, p = list(go[key].values()), list(py[key].values())
    ratio = speedup(best(g, low), best(p, low), low)
    per = [speedup(go[key][r], py[key][r], low) for r in go[key] if r in py[key]]
    med = statistics.median(per) if per else float("nan")
    met = "" if goal is None else ("yes" if ratio >= goal else "NO")
    gs = f"≥{goal:.1f}×" if goal else "–"
    print(f"| {label} | {unit} | {best(g, low):.2f} | {best(p, low):.2f} | {ratio:.2f}× | {med:.2f}× | {gs} | {met} | {spread(g, low):.2f} | {spread(p, low):.2f} |")
flop = 2 * 256 * 512 * 512
g, p = best(go["sgemm_256x512x512"].values(), True), best(py["sgemm_256x512x512"].values(), True)
print(f"| sgemm 256×512×512 throughput | GFLOPS | {flop / g / 1e3:.1f} | {flop / p / 1e3:.1f} | | | | | | |")
print()
print(f"rounds: {max(len(v) for v in go.values())}; spread = worst round / best round (1.00 = no spread)")
print()
print("CPU time per training step (process total over all threads, least of the rounds; other jobs")
print("inflate it far less than wall time; OpenBLAS threads under PyTorch also count their spin-waits):")
print("| workload | Go cpu-ms/step | PyTorch cpu-ms/step | PyTorch/Go | Go GFLOP per cpu-s |")
print("|---|---|---|---|---|")
for key in ("critic_step", "denoiser_step", "ensemble_step"):
    if key in gocpu and key in pycpu:
        g, p = min(gocpu[key]), min(pycpu[key])
        print(f"| {key} | {g:.2f} | {p:.2f} | {p / g:.2f}× | {max(cpu.get(key, [0])):.1f} |")
print("(the 512-bit FMA peak of one core here is about 113 GFLOPS)")
print(f"PyTorch: torch.set_num_threads(1), OPENBLAS_NUM_THREADS=2; ensemble variant: {', '.join(sorted(variant))}")
print(open(os.path.join(work, "load")).read().strip())
PYEOF
