"""PyTorch reference for dwm's numeric benchmarks (scripts/bench.sh).

Runs the same workloads as the Go benchmarks in internal/blas and nn:
  sgemm M×K×N for 256×23×256, 256×256×256, 256×512×512 (C = A·B, float32)
  critic step:   MLP 23→256→256→1 (ReLU), batch 256: forward, MSE, backward, Adam
  denoiser step: MLP 40→512→512→512→512→17 (SiLU), batch 256, same step
  ensemble step: 5 denoisers, 256 rows each (best of: batched baddbmm weights
                 [K,in,out], or 5 separate nn.Sequential models in one step)
  act latency:   critic-sized MLP forward at batch 1 under torch.inference_mode()

Use PyTorch's fastest setting on this machine (see /work/shared/notes/backend.md):
  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/pytorch/bench.py
with torch.set_num_threads(1) (set below). Prints one line per workload:
  name<TAB>value<TAB>unit
Each value is the best of --repeats timing rounds of at least --min-time seconds.
Training steps also report the process CPU time per step (`<name>_cpu`, all
threads, ms), which other jobs on the machine inflate much less than wall time.
"""
import argparse
import time

import torch
import torch.nn as nn

torch.set_num_threads(1)


LAST_CPU_MS = [0.0]


def best_rate(fn, min_time, repeats):
    """Return the best calls-per-second over `repeats` rounds of >= min_time.

    LAST_CPU_MS[0] is set to the process CPU time per call (all threads, in
    ms) of the least CPU-hungry round.
    """
    fn()
    fn()
    best = 0.0
    best_cpu = float("inf")
    for _ in range(repeats):
        n = 0
        t0 = time.perf_counter()
        c0 = time.process_time()
        while True:
            fn()
            n += 1
            dt = time.perf_counter() - t0
            if dt >= min_time:
                break
        best = max(best, n / dt)
        best_cpu = min(best_cpu, (time.process_time() - c0) / n * 1e3)
    LAST_CPU_MS[0] = best_cpu
    return best


def mlp(sizes, act):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


def train_step_fn(model, params, x, y):
    opt = torch.optim.Adam(params, lr=1e-4)
    loss_fn = nn.MSELoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    return step


class EnsembleLinear(nn.Module):
    def __init__(self, k, fan_in, fan_out):
        super().__init__()
        bound = fan_in ** -0.5
        self.w = nn.Parameter(torch.empty(k, fan_in, fan_out).uniform_(-bound, bound))
        self.b = nn.Parameter(torch.empty(k, 1, fan_out).uniform_(-bound, bound))

    def forward(self, x):  # x: [K, B, in]
        return torch.baddbmm(self.b, x, self.w)


def ensemble_mlp(k, sizes, act):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(EnsembleLinear(k, sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-time", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated workloads: sgemm,critic,denoiser,ensemble,act")
    args = ap.parse_args()
    mt, rep = args.min_time, args.repeats
    only = set(filter(None, args.only.split(",")))
    want = lambda name: not only or name in only
    torch.manual_seed(0)

    for m, k, n in [(256, 23, 256), (256, 256, 256), (256, 512, 512)] if want("sgemm") else []:
        a, b = torch.randn(m, k), torch.randn(k, n)
        c = torch.empty(m, n)
        rate = best_rate(lambda: torch.mm(a, b, out=c), mt, rep)
        print(f"sgemm_{m}x{k}x{n}\t{1e6 / rate:.3f}\tus")
        if (m, k, n) == (256, 512, 512):
            print(f"sgemm_{m}x{k}x{n}_gflops\t{2 * m * k * n * rate / 1e9:.2f}\tGFLOPS")

    critic = [23, 256, 256, 1]
    denoiser = [40, 512, 512, 512, 512, 17]
    for name, sizes, act in [("critic_step", critic, nn.ReLU), ("denoiser_step", denoiser, nn.SiLU)]:
        if not want(name.split("_")[0]):
            continue
        model = mlp(sizes, act)
        x, y = torch.randn(256, sizes[0]), torch.randn(256, sizes[-1])
        print(f"{name}\t{best_rate(train_step_fn(model, list(model.parameters()), x, y), mt, rep):.2f}\tsteps/s")
        print(f"{name}_cpu\t{LAST_CPU_MS[0]:.3f}\tcpu-ms/step")

    if want("ensemble"):
        ensemble(denoiser, mt, rep)
    if want("act"):
        actor = mlp(critic, nn.ReLU)
        x1 = torch.randn(1, critic[0])

        def act():
            with torch.inference_mode():
                actor(x1)

        print(f"act_batch1\t{1e6 / best_rate(act, mt, rep):.3f}\tus")


def ensemble(denoiser, mt, rep):
    k = 5
    model = ensemble_mlp(k, denoiser, nn.SiLU)
    x, y = torch.randn(k, 256, denoiser[0]), torch.randn(k, 256, denoiser[-1])
    batched = best_rate(train_step_fn(model, list(model.parameters()), x, y), mt, rep)
    batched_cpu = LAST_CPU_MS[0]
    models = [mlp(denoiser, nn.SiLU) for _ in range(k)]
    xs = [torch.randn(256, denoiser[0]) for _ in range(k)]
    ys = [torch.randn(256, denoiser[-1]) for _ in range(k)]
    params = [p for mm in models for p in mm.parameters()]
    opt = torch.optim.Adam(params, lr=1e-4)
    loss_fn = nn.MSELoss()

    def sep_step():
        opt.zero_grad(set_to_none=True)
        loss = sum(loss_fn(mm(xi), yi) for mm, xi, yi in zip(models, xs, ys))
        loss.backward()
        opt.step()

    separate = best_rate(sep_step, mt, rep)
    print(f"ensemble_step\t{max(batched, separate):.2f}\tsteps/s")
    print(f"ensemble_step_cpu\t{batched_cpu if batched >= separate else LAST_CPU_MS[0]:.3f}\tcpu-ms/step")
    print(f"ensemble_step_variant\t{'baddbmm' if batched >= separate else 'separate'}\t-")


if __name__ == "__main__":
    main()
