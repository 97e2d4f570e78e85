#!/usr/bin/env bash
# Go vs PyTorch benchmarks of dwm's numeric core, agents' updates and
# diffusion models, measured in the same run.
#
# Usage: scripts/bench.sh            (ROUNDS=3 BENCHTIME=1s by default)
#        ROUNDS=5 BENCHTIME=2s scripts/bench.sh
#        ONLY="denoiser ensemble" scripts/bench.sh   (a subset of the groups)
#
# Groups of workloads (Go benchmark ↔ PyTorch reference in bench/pytorch/):
#   sgemm     internal/blas BenchmarkSgemm, M×K×N = 256×23×256, 256×256×256,
#             256×512×512, 2 threads ↔ bench.py: torch.mm
#   critic    nn BenchmarkCriticStep: forward, MSE, backward, Adam of
#             23→256→256→1 (ReLU), batch 256 ↔ bench.py
#   denoiser  nn BenchmarkDenoiserStep: the same for 40→512→512→512→512→17 (SiLU)
#   ensemble  nn BenchmarkEnsembleStep: 5 such denoisers, 256 rows each
#             (PyTorch: the faster of batched baddbmm weights and 5 models)
#   act       nn BenchmarkActBatch1: batch-1 Predict of the critic-sized MLP
#             ↔ forward under torch.inference_mode()
#   agents    one full update at batch 256, hopper dimensions (obs 11, act 3),
#             CORL's default networks: agent/iql BenchmarkIQLUpdate/hopper,
#             agent/cql BenchmarkCQLUpdate, agent/calql BenchmarkCalQLUpdate,
#             agent/td3bc BenchmarkTD3BCUpdate/hopper ↔ agents_iql.py,
#             agents_cql.py, agents_td3bc.py (each the fastest of its variants)
#   diffusion diffusion BenchmarkMLPTrainStep (3-member 512-wide ResMLP, 256
#             rows each), BenchmarkMLPSample (3·5·256 samples, 10 DDIM steps),
#             BenchmarkUNetTrainStep (Diffuser's temporal U-Net, batch 32),
#             BenchmarkUNetSample (64 plans, 20 steps), BenchmarkUNetSampleBatch1
#             (1 plan, 4 steps) ↔ diffusion_mlp.py, diffusion_unet.py
#
# PyTorch runs in its fastest setting on this machine: torch.set_num_threads(1)
# (diffusion_unet.py also tries 2, for oneDNN's convolutions, and reports the
# faster) with OPENBLAS_NUM_THREADS=2, interpreter /usr/bin/python3. Each round
# runs every group on the Go side and then immediately on the PyTorch side, so
# both see nearly the same machine load. The table reports each side's best
# round, the ratio of the bests (>1 means Go is faster), the median of the
# per-round ratios, the goal, and each side's spread (worst/best round). The
# machine's load average before and after is printed: on a shared machine read
# the median per-round ratios and the CPU-time table.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
BENCHTIME=${BENCHTIME:-1s}
PY=${PY:-/usr/bin/python3}
ONLY=${ONLY:-sgemm critic denoiser ensemble act agents diffusion imagine}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "building Go benchmark binaries..." >&2
go test -c -o "$work/blas.test" ./internal/blas
go test -c -o "$work/nn.test" ./nn
case " $ONLY " in *" agents "*)
	for a in iql cql calql td3bc; do go test -c -o "$work/$a.test" "./agent/$a"; done ;;
esac
case " $ONLY " in *" diffusion "*) go test -c -o "$work/diffusion.test" ./diffusion ;; esac
case " $ONLY " in *" imagine "*) go test -c -o "$work/worldmodel.test" ./worldmodel ;; esac
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >"$work/load"

# Go side of each group: "binary|benchmark pattern" pairs separated by spaces.
declare -A gobench=(
	[sgemm]="blas.test|^BenchmarkSgemm\$/^256x(23x256|256x256|512x512)\$/^threads2\$"
	[critic]="nn.test|^BenchmarkCriticStep\$"
	[denoiser]="nn.test|^BenchmarkDenoiserStep\$"
	[ensemble]="nn.test|^BenchmarkEnsembleStep\$"
	[act]="nn.test|^BenchmarkActBatch1\$"
	[agents]="iql.test|^BenchmarkIQLUpdate\$/^hopper\$ cql.test|^BenchmarkCQLUpdate\$ calql.test|^BenchmarkCalQLUpdate\$ td3bc.test|^BenchmarkTD3BCUpdate\$/^hopper\$"
	[diffusion]="diffusion.test|^Benchmark(MLPTrainStep|MLPSample|UNetTrainStep|UNetSample|UNetSampleBatch1)\$"
	[imagine]="worldmodel.test|^BenchmarkImagine\$/^W256/"
)
pyrun() { OPENBLAS_NUM_THREADS=2 "$PY" "$@" --min-time 1 --repeats 1; }
pybench() {
	case $1 in
	agents)
		pyrun bench/pytorch/agents_iql.py --dims hopper
		pyrun bench/pytorch/agents_cql.py --algos cql,calql
		pyrun bench/pytorch/agents_td3bc.py --dims hopper ;;
	diffusion)
		pyrun bench/pytorch/diffusion_mlp.py
		pyrun bench/pytorch/diffusion_unet.py ;;
	imagine) pyrun bench/pytorch/bdwm_imagine.py ;;
	*) pyrun bench/pytorch/bench.py --only "$1" ;;
	esac
}
for r in $(seq 1 "$ROUNDS"); do
	for w in $ONLY; do
		echo "round $r/$ROUNDS: $w" >&2
		for gb in ${gobench[$w]}; do
			bin=${gb%%|*}
			pat=${gb#*|}
			"$work/$bin" -test.run '^$' -test.benchtime "$BENCHTIME" -test.bench "$pat" | sed "s/^/$r /" >>"$work/go.txt"
		done
		pybench "$w" | sed "s/^/$r\t/" >>"$work/py.txt"
	done
done
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)" >>"$work/load"

"$PY" - "$work" <<'PYEOF'
import os, re, statistics, sys
work = sys.argv[1]

# key: (Go benchmark name regex, Go metric unit, PyTorch key, label, unit,
#       lower is better, goal)
rows = [
    ("sgemm_256x23x256", r"Sgemm/256x23x256/threads2", "ns/op", "sgemm_256x23x256", "sgemm 256×23×256, 2 threads", "µs", True, None),
    ("sgemm_256x256x256", r"Sgemm/256x256x256/threads2", "ns/op", "sgemm_256x256x256", "sgemm 256×256×256, 2 threads", "µs", True, None),
    ("sgemm_256x512x512", r"Sgemm/256x512x512/threads2", "ns/op", "sgemm_256x512x512", "sgemm 256×512×512, 2 threads", "µs", True, None),
    ("critic_step", r"CriticStep", "steps/s", "critic_step", "critic 23→256→256→1 train step, b256", "steps/s", False, 1.5),
    ("denoiser_step", r"DenoiserStep", "steps/s", "denoiser_step", "denoiser 40→512×4→17 train step, b256", "steps/s", False, 1.5),
    ("ensemble_step", r"EnsembleStep", "steps/s", "ensemble_step", "5-member denoiser ensemble train step", "steps/s", False, 2.0),
    ("act_batch1", r"ActBatch1", "µs/op", "act_batch1", "critic-MLP forward, batch 1", "µs", True, 5.0),
    ("iql", r"IQLUpdate/hopper", "updates/s", "iql_update_hopper", "IQL update, hopper, b256 (#6)", "updates/s", False, 2.0),
    ("cql", r"CQLUpdate", "updates/s", "cql_update_hopper", "CQL update, hopper, b256 (#6)", "updates/s", False, 2.0),
    ("calql", r"CalQLUpdate", "updates/s", "calql_update_hopper", "Cal-QL update, hopper, b256 (#6)", "updates/s", False, 2.0),
    ("td3bc", r"TD3BCUpdate/hopper", "updates/s", "td3bc_update_hopper", "TD3+BC update, hopper, b256 (#6)", "updates/s", False, 2.0),
    ("mlp_train", r"MLPTrainStep", "steps/s", "mlp_train_step", "ResMLP K=3 diffusion train step (#7)", "steps/s", False, 2.0),
    ("mlp_sample", r"MLPSample", "samples/s", "mlp_sample", "ResMLP K·M·B=3·5·256, 10 DDIM steps (#7)", "samples/s", False, 2.0),
    ("unet_train", r"UNetTrainStep", "steps/s", "unet_train_step", "U-Net train step, b32 (#7)", "steps/s", False, 2.0),
    ("unet_sample", r"UNetSample", "plans/s", "unet_sample", "U-Net 64 plans, 20 steps (#7)", "plans/s", False, 2.0),
    ("unet_b1", r"UNetSampleBatch1", "ms/call", "unet_sample_batch1", "U-Net 1 plan, 4 steps (#7)", "ms", True, 2.0),
    ("imagine_b256", r"Imagine/W256/B256$", "transitions/s", "imagine_W256_B256", "BDWM imagination K=3 M=5, B=256 (#8)", "transitions/s", False, None),
    ("imagine_b1000", r"Imagine/W256/B1000$", "transitions/s", "imagine_W256_B1000", "BDWM imagination K=3 M=5, B=1000 (#8)", "transitions/s", False, None),
]
cpu_units = ("cpu-ms/step", "cpu-ms/op", "cpu-ms/update")
py_cpu = {"critic_step": "critic_step_cpu", "denoiser_step": "denoiser_step_cpu", "ensemble_step": "ensemble_step_cpu",
          "iql": "iql_update_hopper_cpu", "cql": "cql_update_hopper_cpu", "calql": "calql_update_hopper_cpu",
          "td3bc": "td3bc_update_hopper_cpu", "mlp_train": "mlp_train_step_cpu", "mlp_sample": "mlp_sample_cpu",
          "unet_train": "unet_train_step_cpu", "unet_sample": "unet_sample_cpu", "unet_b1": "unet_sample_batch1_cpu"}

goruns = []  # (round, name, {unit: value})
for line in open(os.path.join(work, "go.txt")):
    m = re.match(r"(\d+) Benchmark(\S+?)(-\d+)?\s+\d+\s+(.*)", line)
    if not m:
        continue
    vals = {u: float(v) for v, u in re.findall(r"([\d.e+-]+) (\S+)", m.group(4))}
    goruns.append((int(m.group(1)), m.group(2), vals))
py, pyvariant = {}, {}
for line in open(os.path.join(work, "py.txt")):
    parts = line.rstrip("\n").split("\t")
    if len(parts) < 4:
        continue
    rnd, key, val = int(parts[0]), parts[1], parts[2]
    try:
        py.setdefault(key, {})[rnd] = float(val)
    except ValueError:
        pyvariant.setdefault(key, set()).add(val)

go, gocpu, gflop = {}, {}, {}
for key, pat, unit, *_ in rows:
    for rnd, name, vals in goruns:
        if re.fullmatch(pat, name) and unit in vals:
            v = vals[unit]
            if unit == "ns/op":
                v /= 1e3
            go.setdefault(key, {})[rnd] = v
            for cu in cpu_units:
                if cu in vals:
                    gocpu.setdefault(key, []).append(vals[cu])
            if "GFLOP/cpu-s" in vals:
                gflop.setdefault(key, []).append(vals["GFLOP/cpu-s"])

def speedup(g, p, low):
    return p / g if low else g / p
def best(v, low):
    return min(v) if low else max(v)
def spread(v, low):
    b, w = best(v, low), (max(v) if low else min(v))
    return w / b if low else b / w
print()
print("| workload | unit | Go best | PyTorch best | speed-up (bests) | median per-round speed-up | goal | met (median) | Go spread | PyTorch spread |")
print("|---|---|---|---|---|---|---|---|---|---|")
for key, _, _, pkey, label, unit, low, goal in rows:
    if key not in go and pkey not in py:
        continue
    if key not in go or pkey not in py:
        print(f"| {label} | {unit} | {'missing' if key not in go else ''} | {'missing' if pkey not in py else ''} | | | | | | |")
        continue
    g, p = list(go[key].values()), list(py[pkey].values())
    ratio = speedup(best(g, low), best(p, low), low)
    per = [speedup(go[key][r], py[pkey][r], low) for r in go[key] if r in py[pkey]]
    med = statistics.median(per) if per else float("nan")
    met = "" if goal is None else ("yes" if med >= goal else "NO")
    gs = f"≥{goal:.1f}×" if goal else "–"
    print(f"| {label} | {unit} | {best(g, low):.2f} | {best(p, low):.2f} | {ratio:.2f}× | {med:.2f}× | {gs} | {met} | {spread(g, low):.2f} | {spread(p, low):.2f} |")
if "sgemm_256x512x512" in go and "sgemm_256x512x512" in py:
    flop = 2 * 256 * 512 * 512
    g, p = best(go["sgemm_256x512x512"].values(), True), best(py["sgemm_256x512x512"].values(), True)
    print(f"| sgemm 256×512×512 throughput | GFLOPS | {flop / g / 1e3:.1f} | {flop / p / 1e3:.1f} | | | | | | |")
print()
print(f"rounds: {max(len(v) for v in go.values())}; spread = worst round / best round (1.00 = no spread)")
print()
print("CPU time per operation (process total over all threads, least of the rounds; other jobs")
print("inflate it far less than wall time; OpenBLAS threads under PyTorch also count their spin-waits):")
print("| workload | Go cpu-ms | PyTorch cpu-ms | PyTorch/Go | Go GFLOP per cpu-s |")
print("|---|---|---|---|---|")
for key, _, _, pkey, label, *_ in rows:
    pk = py_cpu.get(key)
    if key in gocpu and pk in py:
        g, p = min(gocpu[key]), min(py[pk].values())
        gf = f"{max(gflop[key]):.1f}" if key in gflop else ""
        print(f"| {label} | {g:.2f} | {p:.2f} | {p / g:.2f}× | {gf} |")
print("(the 512-bit FMA peak of one core here is about 113–116 GFLOPS)")
print("PyTorch: torch.set_num_threads(1) (U-Net: the faster of 1 and 2), OPENBLAS_NUM_THREADS=2")
for k in sorted(pyvariant):
    print(f"  {k}: {', '.join(sorted(pyvariant[k]))}")
print(open(os.path.join(work, "load")).read().strip())
PYEOF
