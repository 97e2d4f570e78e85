"""PyTorch reference for dwm's temporal U-Net benchmarks (scripts/bench.sh).

Runs the same workloads as BenchmarkUNetTrainStep, BenchmarkUNetSample and
BenchmarkUNetSampleBatch1 in diffusion/bench_test.go: Diffuser's temporal
U-Net (Janner et al. 2022, models/temporal.py) in its locomotion
configuration — horizon 32, dim 32, dim_mults (1, 2, 4, 8), kernel 5,
GroupNorm(8) + Mish — over hopper transitions (3 action + 11 state values
per row), x0-prediction, 20 cosine diffusion steps, the first state inpainted
(Diffuser's apply_conditioning), times fed to the sinusoidal embedding as
1000·t/T (dwm's convention).

  unet_train_step:     batch 32: draw t, ε; x_t with the first state kept;
                       forward; weighted MSE; backward; Adam
  unet_sample:         64 plans, 20 deterministic DDIM steps, inpainting
  unet_sample_batch1:  1 plan, 4 deterministic DDIM steps (a distilled
                       planner acting)

Use PyTorch's fastest setting on this machine (see /work/shared/notes/backend.md):
  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/pytorch/diffusion_unet.py
Every workload is timed with torch.set_num_threads(1) (the fastest setting
for matmul-bound work) and with 2 threads (oneDNN's convolutions, which do
almost all of the U-Net's work, run on torch's intra-op threads, so 2 threads
is faster here: measured 62 → 86 plans/s), and the better of the two is
reported with the thread count (unet_*_torch_threads). Prints one line per workload:
  name<TAB>value<TAB>unit
Each value is the best of --repeats timing rounds of at least --min-time seconds.
"""
import argparse
import time

import torch

from temporal_unet import TemporalUnet, cosine_alphabar

torch.set_num_threads(1)

H, ACT, OBS = 32, 3, 11
C = ACT + OBS
DIM, MULTS = 32, (1, 2, 4, 8)
T = 20


CPU_MS = {}


def best_rate(fn, min_time, repeats, name=None):
    """Return the best calls-per-second over `repeats` rounds of >= min_time.

    If name is given, the process CPU time per call of the best round (user +
    system, all threads) is kept in CPU_MS[name]: unlike wall time it does not
    grow when other processes compete for the cores.
    """
    fn()
    fn()
    best = 0.0
    for _ in range(repeats):
        n = 0
        t0, c0 = time.perf_counter(), time.process_time()
        while True:
            fn()
            n += 1
            dt = time.perf_counter() - t0
            if dt >= min_time:
                break
        if n / dt > best:
            best = n / dt
            if name:
                CPU_MS[name] = (time.process_time() - c0) / n * 1e3
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-time", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--torch-threads", default="1,2",
                    help="torch.set_num_threads values to time; the best is reported (1 is the fastest "
                         "setting for the MLP workloads, but oneDNN's convolutions run on torch's threads)")
    args = ap.parse_args()
    settings = [int(v) for v in args.torch_threads.split(",")]
    mt, rep = args.min_time, args.repeats
    results = {}
    for th in settings:
        torch.set_num_threads(th)
        res = run_all(mt, rep)
        for k, v in res.items():
            if k.endswith("_cpu") or k == "unet_sample_ms_per_step":
                continue
            if k not in results or better(k, v, results[k][0]):
                results[k] = (v, th)
                if k == "unet_sample":
                    results["unet_sample_ms_per_step"] = (res["unet_sample_ms_per_step"], th)
                results[k + "_cpu"] = (res[k + "_cpu"], th)
    for k, unit in [("unet_train_step", "steps/s"), ("unet_train_step_cpu", "cpu-ms"), ("unet_sample", "plans/s"),
                    ("unet_sample_ms_per_step", "ms"), ("unet_sample_cpu", "cpu-ms"),
                    ("unet_sample_batch1", "ms"), ("unet_sample_batch1_cpu", "cpu-ms")]:
        print(f"{k}\t{results[k][0]:.3f}\t{unit}")
    for k in ["unet_train_step", "unet_sample", "unet_sample_batch1"]:
        print(f"{k}_torch_threads\t{results[k][1]}\t-")


def better(key, new, old):
    """Whether value new beats old for the metric key (cpu values follow their wall metric)."""
    if key.endswith("_cpu"):
        return False
    if key in ("unet_sample_ms_per_step", "unet_sample_batch1"):
        return new < old
    return new > old


def run_all(mt, rep):
    """Time every workload at the current torch thread count."""
    out = {}
    torch.manual_seed(0)
    net = TemporalUnet(C, DIM, MULTS)
    ab = torch.tensor(cosine_alphabar(T), dtype=torch.float64)
    alpha, sigma = ab.sqrt().float(), (1 - ab).sqrt().float()

    # Training step, batch 32, first state known (kept clean, no loss).
    n = 32
    x0 = torch.randn(n, H, C)
    w = torch.ones(H, C)
    w[0, ACT:] = 0
    opt = torch.optim.Adam(net.parameters(), lr=2e-4)

    def train_step():
        opt.zero_grad(set_to_none=True)
        t = torch.randint(1, T + 1, (n,))
        eps = torch.randn(n, H, C)
        xt = alpha[t][:, None, None] * x0 + sigma[t][:, None, None] * eps
        xt[:, 0, ACT:] = x0[:, 0, ACT:]
        loss = (((net(xt, t.float() / T) - x0) ** 2) * w).mean()
        loss.backward()
        opt.step()

    out["unet_train_step"] = best_rate(train_step, mt, rep, "train")
    out["unet_train_step_cpu"] = CPU_MS["train"]

    def sampler(plans, steps):
        state = torch.randn(plans, OBS)
        grid = list(range(T // steps, T + 1, T // steps))

        def run():
            with torch.inference_mode():
                x = torch.randn(plans, H, C)
                x[:, 0, ACT:] = state
                for i in range(len(grid) - 1, -1, -1):
                    t, tp = grid[i], (grid[i - 1] if i > 0 else 0)
                    x0h = net(x, torch.full((plans,), t / T))
                    eps = (x - alpha[t] * x0h) / sigma[t]
                    x = alpha[tp] * x0h + sigma[tp] * eps
                    x[:, 0, ACT:] = state
            return x

        return run

    r = best_rate(sampler(64, T), mt, rep, "sample")
    out["unet_sample"] = 64 * r
    out["unet_sample_ms_per_step"] = 1e3 / r / T
    out["unet_sample_cpu"] = CPU_MS["sample"]
    r1 = best_rate(sampler(1, 4), mt, rep, "b1")
    out["unet_sample_batch1"] = 1e3 / r1
    out["unet_sample_batch1_cpu"] = CPU_MS["b1"]
    return out


if __name__ == "__main__":
    main()
