"""PyTorch reference for dwm's diffusion MLP benchmarks (scripts/bench.sh).

Runs the same workloads as BenchmarkMLPTrainStep and BenchmarkMLPSample in
diffusion/bench_test.go: BDWM's ensemble of K = 3 conditional diffusion
decoders, each a 512-wide residual MLP (diffusion/denoiser.ResMLP):

  e   = Linear(256→64)(SiLU(Linear(64→256)(sinusoid_64(1000·t))))
  h0  = SiLU(Linear(18+64+1+64 → 512)([x, c·k, k, e]))
  h   = h + Linear(512→512)(SiLU(Linear(512→512)(h)))     (2 blocks)
  out = Linear(512→18)(SiLU(h))

with every Linear a member-batched weight [K, in, out] (torch.baddbmm), data
width 18, condition width 64, a cosine schedule of 100 steps and
ε-prediction.

  mlp_train_step: 256 rows per member: draw t, ε; x_t; forward; MSE; backward; Adam
  mlp_sample:     K·M·B = 3·5·256 samples, 10 deterministic DDIM steps,
                  under torch.inference_mode()

Two sampling variants are timed and the faster is reported:
  naive:      the time embedding of a [rows] tensor of equal times and the
              concatenated input each step (as Diffuser/SynthER code does);
  precompute: the condition's share of the first layer computed once per
              call and the time embedding once per step (what the Go sampler
              does), so the ratio measures implementation, not algorithm.

Use PyTorch's fastest setting on this machine (see /work/shared/notes/backend.md):
  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/pytorch/diffusion_mlp.py
with torch.set_num_threads(1) (set below). Prints one line per workload:
  name<TAB>value<TAB>unit
Each value is the best of --repeats timing rounds of at least --min-time seconds.
"""
import argparse
import math
import time

import torch
import torch.nn as nn

from temporal_unet import cosine_alphabar

torch.set_num_threads(1)

K, M, B = 3, 5, 256
D, C = 18, 64
WIDTH, BLOCKS, TDIM = 512, 2, 64
T, STEPS = 100, 10


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


class EnsLinear(nn.Module):
    def __init__(self, k, fan_in, fan_out):
        super().__init__()
        bound = fan_in ** -0.5
        self.w = nn.Parameter(torch.empty(k, fan_in, fan_out).uniform_(-bound, bound))
        self.b = nn.Parameter(torch.empty(k, 1, fan_out).uniform_(-bound, bound))

    def forward(self, x):  # x: [K, rows, in]
        return torch.baddbmm(self.b, x, self.w)


def sinusoid(t, dim):
    """t: [..., rows] times in [0, 1] -> [..., rows, dim]."""
    half = dim // 2
    freqs = torch.exp(torch.arange(half, dtype=torch.float32) * -(math.log(10000) / (half - 1)))
    a = (1000 * t).unsqueeze(-1) * freqs
    return torch.cat([a.sin(), a.cos()], dim=-1)


class ResMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.t1 = EnsLinear(K, TDIM, 4 * TDIM)
        self.t2 = EnsLinear(K, 4 * TDIM, TDIM)
        self.inp = EnsLinear(K, D + C + 1 + TDIM, WIDTH)
        self.l1 = nn.ModuleList([EnsLinear(K, WIDTH, WIDTH) for _ in range(BLOCKS)])
        self.l2 = nn.ModuleList([EnsLinear(K, WIDTH, WIDTH) for _ in range(BLOCKS)])
        self.out = EnsLinear(K, WIDTH, D)
        self.act = nn.SiLU()

    def temb(self, t):  # t: [K, rows]
        return self.t2(self.act(self.t1(sinusoid(t, TDIM))))

    def trunk(self, h):
        h = self.act(h)
        for l1, l2 in zip(self.l1, self.l2):
            h = h + l2(self.act(l1(h)))
        return self.out(self.act(h))

    def forward(self, x, t, c, keep):  # x [K,rows,D], t [K,rows], c [K,rows,C], keep [K,rows,1]
        return self.trunk(self.inp(torch.cat([x, c * keep, keep, self.temb(t)], dim=-1)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-time", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    mt, rep = args.min_time, args.repeats
    torch.manual_seed(0)
    net = ResMLP()
    ab = torch.tensor(cosine_alphabar(T), dtype=torch.float64)
    alpha, sigma = ab.sqrt().float(), (1 - ab).sqrt().float()

    # Training step.
    n = 256
    x0, c = torch.randn(K, n, D), torch.randn(K, n, C)
    keep = torch.ones(K, n, 1)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)

    def train_step():
        opt.zero_grad(set_to_none=True)
        t = torch.randint(1, T + 1, (K, n))
        eps = torch.randn(K, n, D)
        xt = alpha[t].unsqueeze(-1) * x0 + sigma[t].unsqueeze(-1) * eps
        loss = ((net(xt, t.float() / T, c, keep) - eps) ** 2).mean(dim=(1, 2)).sum()
        loss.backward()
        opt.step()

    print(f"mlp_train_step\t{best_rate(train_step, mt, rep, 'mlp_train_step'):.2f}\tsteps/s")
    print(f"mlp_train_step_cpu\t{CPU_MS['mlp_train_step']:.2f}\tcpu-ms")

    # Batched sampling: K members x M samples x B conditions, rows [K, M*B].
    cond = torch.randn(B, C)
    rows = M * B
    steps = list(range(T // STEPS, T + 1, T // STEPS))
    ones = torch.ones(K, rows, 1)

    def ddim(x, out, t, tp):
        a, s = alpha[t], sigma[t]
        x0 = (x - s * out) / a
        return alpha[tp] * x0 + sigma[tp] * out

    def sample_naive():
        with torch.inference_mode():
            cr = cond.repeat(M, 1).expand(K, rows, C)
            x = torch.randn(K, rows, D)
            for i in range(len(steps) - 1, -1, -1):
                t, tp = steps[i], (steps[i - 1] if i > 0 else 0)
                tt = torch.full((K, rows), t / T)
                x = ddim(x, net(x, tt, cr, ones), t, tp)
        return x

    w_in = net.inp.w  # [K, D+C+1+TDIM, WIDTH]

    def sample_precompute():
        with torch.inference_mode():
            caug = torch.cat([cond, torch.ones(B, 1)], dim=-1).expand(K, B, C + 1)
            pc = torch.baddbmm(net.inp.b, caug, w_in[:, D:D + C + 1])  # [K, B, W]
            pc = pc.repeat(1, M, 1)  # [K, M*B, W]
            x = torch.randn(K, rows, D)
            for i in range(len(steps) - 1, -1, -1):
                t, tp = steps[i], (steps[i - 1] if i > 0 else 0)
                e = net.temb(torch.full((K, 1), t / T))  # [K, 1, TDIM]
                tb = torch.bmm(e, w_in[:, D + C + 1:])  # [K, 1, W]
                h = torch.baddbmm(pc + tb, x, w_in[:, :D])
                x = ddim(x, net.trunk(h), t, tp)
        return x

    # Both variants compute the same samples from the same noise.
    torch.manual_seed(1)
    a = sample_naive()
    torch.manual_seed(1)
    b = sample_precompute()
    assert torch.allclose(a, b, atol=1e-3), (a - b).abs().max()

    naive = best_rate(sample_naive, mt, rep, "naive")
    pre = best_rate(sample_precompute, mt, rep, "pre")
    best = max(naive, pre)
    print(f"mlp_sample\t{K * M * B * best:.1f}\tsamples/s")
    print(f"mlp_sample_ms_per_step\t{1e3 / best / STEPS:.3f}\tms")
    print(f"mlp_sample_cpu\t{CPU_MS['naive' if naive >= pre else 'pre']:.2f}\tcpu-ms")
    print(f"mlp_sample_variant\t{'naive' if naive >= pre else 'precompute'}\t-")
    print(f"mlp_sample_naive\t{K * M * B * naive:.1f}\tsamples/s")
    print(f"mlp_sample_precompute\t{K * M * B * pre:.1f}\tsamples/s")


if __name__ == "__main__":
    main()
