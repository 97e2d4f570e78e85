"""Shared pieces of the PyTorch references for dwm's O2O agent benchmarks
(bench/pytorch/agents_td3bc.py, agents_iql.py, agents_awac.py).

Each script times one full update of its agent, written as CORL writes it
(algorithms/offline/td3_bc.py, algorithms/finetune/iql.py,
algorithms/finetune/awac.py), at batch 256 for Pendulum's dimensions (obs 3,
act 1) and Hopper's (obs 11, act 3). The twin critics are timed two ways and
the faster is reported: two separate nn.Sequential networks (CORL) and one
2-member ensemble with weights [2, in, out] evaluated by baddbmm (like dwm's
ensemble network); each also with and without Adam's foreach kernels.

Run in PyTorch's fastest setting on this machine (see
/work/shared/notes/backend.md), e.g.
  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/pytorch/agents_iql.py
with torch.set_num_threads(1) (set here). Each script prints one line per
workload, name<TAB>value<TAB>unit: updates/s, the best of --repeats timing
rounds of at least --min-time seconds; the process CPU milliseconds per
update of that variant (least over its rounds; CPU time is much less
sensitive than wall time to other processes on the shared cores); and the
winning variant.
"""
import argparse
import time

import torch
import torch.nn as nn

torch.set_num_threads(1)

DIMS = [("pendulum", 3, 1), ("hopper", 11, 3)]
BATCH = 256


def best_rate(fn, min_time, repeats):
    """Return the best calls-per-second over `repeats` rounds of >= min_time,
    and the least process CPU milliseconds per call over those rounds."""
    fn()
    fn()
    best, best_cpu = 0.0, float("inf")
    for _ in range(repeats):
        n = 0
        t0, c0 = time.perf_counter(), time.process_time()
        while True:
            fn()
            n += 1
            dt = time.perf_counter() - t0
            if dt >= min_time:
                break
        best = max(best, n / dt)
        best_cpu = min(best_cpu, (time.process_time() - c0) / n * 1e3)
    return best, best_cpu


def mlp(sizes, out_act=None):
    """ReLU MLP as CORL builds it, with an optional output activation."""
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    if out_act is not None:
        layers.append(out_act())
    return nn.Sequential(*layers)


class EnsembleLinear(nn.Module):
    def __init__(self, k, fan_in, fan_out):
        super().__init__()
        bound = fan_in ** -0.5
        self.w = nn.Parameter(torch.empty(k, fan_in, fan_out).uniform_(-bound, bound))
        self.b = nn.Parameter(torch.empty(k, 1, fan_out).uniform_(-bound, bound))

    def forward(self, x):  # x: [K, B, in]
        return torch.baddbmm(self.b, x, self.w)


class SeparateCritics(nn.Module):
    """Twin critics as two networks (CORL); both(s, a) returns [2, B]."""

    def __init__(self, sizes):
        super().__init__()
        self.q1, self.q2 = mlp(sizes), mlp(sizes)

    def both(self, s, a):
        x = torch.cat([s, a], 1)
        return torch.stack([self.q1(x).squeeze(-1), self.q2(x).squeeze(-1)])

    def first(self, s, a):
        return self.q1(torch.cat([s, a], 1)).squeeze(-1)


class EnsembleCritics(nn.Module):
    """Twin critics as one 2-member ensemble; both(s, a) returns [2, B]."""

    def __init__(self, sizes):
        super().__init__()
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(EnsembleLinear(2, sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                layers.append(nn.ReLU())
        self.net = nn.Sequential(*layers)

    def both(self, s, a):
        x = torch.cat([s, a], 1).unsqueeze(0).expand(2, -1, -1)
        return self.net(x).squeeze(-1)

    def first(self, s, a):
        return self.both(s, a)[0]


CRITICS = [("separate", SeparateCritics), ("ensemble", EnsembleCritics)]


def soft_update(target_params, params, tau):
    with torch.no_grad():
        torch._foreach_mul_(target_params, 1 - tau)
        torch._foreach_add_(target_params, params, alpha=tau)


def adam(params, lr, foreach):
    kw = {"lr": lr}
    if foreach:
        kw["foreach"] = True
    return torch.optim.Adam(params, **kw)


def batches(obs_dim, act_dim, n=4):
    out = []
    for _ in range(n):
        out.append((
            torch.randn(BATCH, obs_dim),
            torch.rand(BATCH, act_dim) * 2 - 1,
            torch.randn(BATCH),
            torch.randn(BATCH, obs_dim),
            (torch.rand(BATCH) < 0.1).float(),
        ))
    return out


def main(name, make_update):
    """Time make_update(obs_dim, act_dim, critic_cls, batches, foreach) for
    every dimension set and variant; print the best per dimension set."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-time", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dims", default="pendulum,hopper", help="comma-separated subset of pendulum, hopper")
    args = ap.parse_args()
    torch.manual_seed(0)
    for dname, obs_dim, act_dim in DIMS:
        if dname not in args.dims.split(","):
            continue
        bs = batches(obs_dim, act_dim)
        best, best_cpu, variant = 0.0, 0.0, ""
        for cname, cls in CRITICS:
            for foreach in [False, True]:
                rate, cpu = best_rate(make_update(obs_dim, act_dim, cls, bs, foreach), args.min_time, args.repeats)
                if rate > best:
                    best, best_cpu, variant = rate, cpu, f"{cname}{'+foreach' if foreach else ''}"
        print(f"{name}_update_{dname}\t{best:.2f}\tupdates/s", flush=True)
        print(f"{name}_update_{dname}_cpu\t{best_cpu:.3f}\tcpu-ms/update", flush=True)
        print(f"{name}_update_{dname}_variant\t{variant}\t-", flush=True)
