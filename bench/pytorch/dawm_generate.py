#!/usr/bin/python3
"""DAWM's generation pipeline in PyTorch, for the speed comparison with Go.

Same computation as dawm.Generate (see dawm/bench_test.go, BenchmarkGenerate):
for batches of 256 dataset starts on pendulum-medium (obs 3, act 1), draw M = 4
state–reward sequences each with 10 DDIM steps (η = 0, x_0 prediction, x_0
clipped to ±5, the current state inpainted after every step, no guidance) of
the temporal U-Net (Diffuser's, with Decision Diffuser's condition embedding
of [a_t, RTG_t] and the keep flag), then infer the actions of the first
sample's first transition with the inverse-dynamics MLP (6 → 256 → 256 → 1,
ReLU) and compute each transition's uncertainty (the standard deviation over
the M samples of the next state and reward, averaged). Weights are random:
speed does not depend on them.

Usage (Debian's python3-torch; the CPU has 2 cores):
  /usr/bin/python3 bench/pytorch/dawm_generate.py [--config default|small] [--starts 1024] [--repeats 5] [--threads 2]
Prints wall-clock transitions/s and CPU µs per transition (process time over
all threads) for each repeat and their medians.
"""
import argparse
import math
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)

CONFIGS = {
    # dawm.Config{} defaults: horizon 8, Diffuser's U-Net (dim 32, mults 1,2,4,8, kernel 5, 8 groups).
    "default": dict(horizon=8, dim=32, mults=(1, 2, 4, 8), groups=8),
    # The unit tests' smallConfig: horizon 4, dim 16, mults 1,2, 4 groups.
    "small": dict(horizon=4, dim=16, mults=(1, 2), groups=4),
}


def sinusoidal(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / (half - 1))
    a = t[:, None] * freqs[None, :]
    return torch.cat([a.sin(), a.cos()], dim=1)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, embed, k, groups):
        super().__init__()
        self.conv1 = nn.Conv1d(cin, cout, k, padding=k // 2)
        self.gn1 = nn.GroupNorm(groups, cout)
        self.conv2 = nn.Conv1d(cout, cout, k, padding=k // 2)
        self.gn2 = nn.GroupNorm(groups, cout)
        self.temb = nn.Linear(embed, cout)
        self.res = nn.Conv1d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, memb):
        a = F.mish(self.gn1(self.conv1(x))) + self.temb(memb)[:, :, None]
        return F.mish(self.gn2(self.conv2(a))) + self.res(x)


class TemporalUNet(nn.Module):
    def __init__(self, c, cond_dim, horizon, dim, mults, groups, k=5):
        super().__init__()
        self.dim = dim
        self.t1, self.t2 = nn.Linear(dim, 4 * dim), nn.Linear(4 * dim, dim)
        self.c1, self.c2 = nn.Linear(cond_dim + 1, 4 * dim), nn.Linear(4 * dim, dim)
        embed = 2 * dim
        dims = [c] + [dim * m for m in mults]
        n = len(mults)
        self.downs = nn.ModuleList()
        for i in range(n):
            cin, cout = dims[i], dims[i + 1]
            down = nn.Conv1d(cout, cout, 3, stride=2, padding=1) if i < n - 1 else nn.Identity()
            self.downs.append(nn.ModuleList([ResBlock(cin, cout, embed, k, groups), ResBlock(cout, cout, embed, k, groups), down]))
        mid = dims[n]
        self.mid = nn.ModuleList([ResBlock(mid, mid, embed, k, groups), ResBlock(mid, mid, embed, k, groups)])
        self.ups = nn.ModuleList()
        for j in range(n - 1):
            i = n - 1 - j
            cin, cout = dims[i], dims[i + 1]
            self.ups.append(nn.ModuleList([ResBlock(2 * cout, cin, embed, k, groups), ResBlock(cin, cin, embed, k, groups),
                                           nn.ConvTranspose1d(cin, cin, 4, stride=2, padding=1)]))
        self.final_conv = nn.Conv1d(dim, dim, k, padding=k // 2)
        self.final_gn = nn.GroupNorm(groups, dim)
        self.final_out = nn.Conv1d(dim, c, 1)

    def cond_embedding(self, cond):
        keep = torch.ones(cond.shape[0], 1)
        return self.c2(F.mish(self.c1(torch.cat([cond * keep, keep], dim=1))))

    def forward(self, x, t, cemb):
        # x: rows × C × H (channel-major); cemb: B × dim, broadcast over the M samples.
        rows = x.shape[0]
        temb = self.t2(F.mish(self.t1(sinusoidal(t.reshape(1), self.dim))))
        emb = torch.cat([temb.expand(rows, -1), cemb.repeat(rows // cemb.shape[0], 1)], dim=1)
        memb = F.mish(emb)
        h, skips = x, []
        for rb1, rb2, down in self.downs:
            h = rb2(rb1(h, memb), memb)
            skips.append(h)
            h = down(h)
        h = self.mid[1](self.mid[0](h, memb), memb)
        for rb1, rb2, up in self.ups:
            h = torch.cat([h, skips.pop()], dim=1)
            h = up(rb2(rb1(h, memb), memb))
        return self.final_out(F.mish(self.final_gn(self.final_conv(h))))


def schedule(steps=100):
    # Cosine schedule (Nichol & Dhariwal), as dwm's default.
    s = 0.008
    f = lambda t: math.cos((t / steps + s) / (1 + s) * math.pi / 2) ** 2
    ab = [f(t) / f(0) for t in range(steps + 1)]
    return [min(max(x, 1e-12), 1.0) for x in ab]


def generate(net, idm, obs, act, rtg, samples, sample_steps, horizon, obs_dim, ab):
    B = obs.shape[0]
    C = obs_dim + 1
    M = samples
    stride = (len(ab) - 1) // sample_steps
    steps = [stride * (i + 1) for i in range(sample_steps)]
    cemb = net.cond_embedding(torch.cat([act, rtg[:, None]], dim=1))
    x = torch.randn(M * B, C, horizon)
    known = obs.repeat(M, 1)
    x[:, :obs_dim, 0] = known
    for i in range(len(steps) - 1, -1, -1):
        t, tp = steps[i], (steps[i - 1] if i > 0 else 0)
        x0 = net(x, torch.tensor(float(t)), cemb).clamp_(-5, 5)
        a_t, s_t = math.sqrt(ab[t]), math.sqrt(1 - ab[t])
        cx = math.sqrt(1 - ab[tp]) / s_t
        cx0 = math.sqrt(ab[tp]) - cx * a_t
        x = cx0 * x0 + cx * x
        x[:, :obs_dim, 0] = known
    seq = x.reshape(M, B, C, horizon)
    first = seq[0]
    s, s_next = first[:, :obs_dim, 0], first[:, :obs_dim, 1]
    actions = idm(torch.cat([s, s_next], dim=1)).clamp_(-1, 1)
    spread = torch.cat([seq[:, :, :obs_dim, 1], seq[:, :, obs_dim:, 0]], dim=2).std(dim=0, unbiased=True).mean(dim=1)
    rewards = first[:, obs_dim, 0]
    return s, actions, rewards, s_next, spread


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", default="default", choices=sorted(CONFIGS))
    p.add_argument("--starts", type=int, default=1024)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--dataset", default="datasets/pendulum-medium.npz")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2, the machine's cores)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    cfg = CONFIGS[a.config]
    torch.manual_seed(0)
    d = np.load(a.dataset)
    obs_all = torch.from_numpy(d["observations"].astype(np.float32))
    act_all = torch.from_numpy(d["actions"].astype(np.float32))
    rtg_all = torch.from_numpy(d["rewards"].astype(np.float32))  # values do not matter for speed
    rows = torch.tensor([(i * 997) % obs_all.shape[0] for i in range(a.starts)])
    obs_dim, act_dim = obs_all.shape[1], act_all.shape[1]
    net = TemporalUNet(obs_dim + 1, act_dim + 1, cfg["horizon"], cfg["dim"], cfg["mults"], cfg["groups"]).eval()
    idm = nn.Sequential(nn.Linear(2 * obs_dim, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, act_dim)).eval()
    ab = schedule(100)
    rates, cpus = [], []
    with torch.no_grad():
        for rep in range(a.repeats + 1):  # the first run warms up
            w0, c0 = time.perf_counter(), time.process_time()
            for lo in range(0, a.starts, a.batch):
                idx = rows[lo:lo + a.batch]
                generate(net, idm, obs_all[idx], act_all[idx], rtg_all[idx], 4, 10, cfg["horizon"], obs_dim, ab)
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            if rep == 0:
                continue
            rates.append(a.starts / wall)
            cpus.append(cpu / a.starts * 1e6)
            print(f"repeat {rep}: {a.starts / wall:.0f} transitions/s, {cpu / a.starts * 1e6:.1f} cpu-µs/transition")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, config {a.config}: "
          f"median {statistics.median(rates):.0f} transitions/s, median {statistics.median(cpus):.1f} cpu-µs/transition")


if __name__ == "__main__":
    main()
