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
import math
import time

import torch
import torch.nn as nn

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


class SinusoidalPosEmb(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        half = self.dim // 2
        f = torch.exp(torch.arange(half) * -(math.log(10000) / (half - 1)))
        a = x[:, None] * f[None, :]
        return torch.cat([a.sin(), a.cos()], dim=-1)


class Conv1dBlock(nn.Module):
    def __init__(self, inp, out, k, groups=8):
        super().__init__()
        self.block = nn.Sequential(nn.Conv1d(inp, out, k, padding=k // 2), nn.GroupNorm(groups, out), nn.Mish())

    def forward(self, x):
        return self.block(x)


class ResidualTemporalBlock(nn.Module):
    def __init__(self, inp, out, embed_dim, k=5):
        super().__init__()
        self.blocks = nn.ModuleList([Conv1dBlock(inp, out, k), Conv1dBlock(out, out, k)])
        self.time_mlp = nn.Sequential(nn.Mish(), nn.Linear(embed_dim, out))
        self.residual_conv = nn.Conv1d(inp, out, 1) if inp != out else nn.Identity()

    def forward(self, x, t):
        out = self.blocks[0](x) + self.time_mlp(t)[:, :, None]
        out = self.blocks[1](out)
        return out + self.residual_conv(x)


class TemporalUnet(nn.Module):
    def __init__(self, transition_dim, dim=DIM, dim_mults=MULTS):
        super().__init__()
        dims = [transition_dim, *[dim * m for m in dim_mults]]
        in_out = list(zip(dims[:-1], dims[1:]))
        self.time_mlp = nn.Sequential(SinusoidalPosEmb(dim), nn.Linear(dim, dim * 4), nn.Mish(), nn.Linear(dim * 4, dim))
        self.downs, self.ups = nn.ModuleList(), nn.ModuleList()
        n = len(in_out)
        for i, (a, b) in enumerate(in_out):
            last = i >= n - 1
            self.downs.append(nn.ModuleList([ResidualTemporalBlock(a, b, dim), ResidualTemporalBlock(b, b, dim),
                                             nn.Conv1d(b, b, 3, 2, 1) if not last else nn.Identity()]))
        mid = dims[-1]
        self.mid1, self.mid2 = ResidualTemporalBlock(mid, mid, dim), ResidualTemporalBlock(mid, mid, dim)
        for a, b in reversed(in_out[1:]):
            self.ups.append(nn.ModuleList([ResidualTemporalBlock(b * 2, a, dim), ResidualTemporalBlock(a, a, dim),
                                           nn.ConvTranspose1d(a, a, 4, 2, 1)]))
        self.final = nn.Sequential(Conv1dBlock(dim, dim, 5), nn.Conv1d(dim, transition_dim, 1))

    def forward(self, x, time):  # x [B, H, C], time [B] in [0, 1]
        x = x.transpose(1, 2)
        t = self.time_mlp(1000 * time)
        h = []
        for r1, r2, down in self.downs:
            x = r2(r1(x, t), t)
            h.append(x)
            x = down(x)
        x = self.mid2(self.mid1(x, t), t)
        for r1, r2, up in self.ups:
            x = torch.cat((x, h.pop()), dim=1)
            x = up(r2(r1(x, t), t))
        return self.final(x).transpose(1, 2)


def cosine_alphabar(steps, s=0.008):
    f = lambda t: math.cos((t / steps + s) / (1 + s) * math.pi / 2) ** 2
    ab, out = 1.0, [1.0]
    for t in range(1, steps + 1):
        ab *= 1 - min(1 - f(t) / f(t - 1), 0.999)
        out.append(ab)
    return torch.tensor(out, dtype=torch.float64)


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
    net = TemporalUnet(C)
    ab = cosine_alphabar(T)
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
