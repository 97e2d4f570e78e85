#!/usr/bin/python3
"""PyTorch reference for `dwm bench dual` (issue 9: DUAL's latency vs PyTorch).

Builds the networks that `dwm bench dual --out DIR` describes in DIR/bench.json
("networks"), times the same per-action sampling at batch 1 and 256, and prints
the Go/PyTorch ratios against the Go figures of the same report. A benchmark
tool only: dwm never needs Python or torch at run time.

Workloads (names are the Go result names):
  dual actor (distilled, K steps) / dual w/o distillation (16 steps)
  dual agent (default, distilled 5 steps) / dual agent w/o distillation (20 steps)
      Diffuser's temporal U-Net (Janner et al. 2022, models/temporal.py) over H rows of
      obs+act channels, x0-prediction, cosine schedule of T steps, K deterministic DDIM
      steps with the first state inpainted; then DUAL's Eq. 7 aggregate of N Laplace
      sub-policies (features = normalised state, last layer 2A x (F+1)) and the Eq. 8
      shift-aware Gaussian sample clipped to [-1, 1]. The "dual agent" rows are the same
      path with dual.Agent's default planner (T = 20, distilled to 5 steps).
  diffuser (20 steps) / d-diffuser (distilled, 5 steps)
      the same U-Net at Diffuser's locomotion size; the first action, no actor.
  diff-ql (5 steps, 50 candidates) / diff-ql (5 steps, 1 sample)
      Diffusion-QL's eps-MLP (agents/model.py) with DDPM over a VP schedule, x0
      clipped to +-1; 50 candidates per state scored by the twin critic's min, one
      drawn by softmax (ql_diffusion.py sample_action).
  iql gaussian actor
      CORL's IQL Gaussian policy: tanh(MLP(s)) + exp(log_std) * N(0, 1), clipped.

Usage (shapes and Go figures from the same run):
  bin/dwm bench dual --out /tmp/dualbench
  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/pytorch/dual_act.py --report /tmp/dualbench/bench.json

Every workload is timed with each torch.set_num_threads value of --torch-threads
(default 1,2; the issue asks for 2, and on this machine 1 is faster for MLPs while
oneDNN's convolutions prefer 2) and the faster is reported with its thread count.
Each figure is the median over --repeats rounds of at least --min-time seconds,
with the process CPU time per call (all threads) beside it.
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn


# ---------------------------------------------------------------- networks

from temporal_unet import TemporalUnet, cosine_alphabar, SinusoidalPosEmb  # noqa: F401


def vp_alphabar(steps, bmin=0.1, bmax=10.0):
    ab, out = 1.0, [1.0]
    for t in range(1, steps + 1):
        ab *= math.exp(-bmin / steps - 0.5 * (bmax - bmin) * (2 * t - 1) / steps ** 2)
        out.append(ab)
    return out


class Planner:
    """DDIM x0-prediction sampling of a trajectory with the first state inpainted."""

    def __init__(self, net, obs, act, horizon, T):
        self.net, self.obs, self.act, self.H, self.T = net, obs, act, horizon, T
        self.ab = cosine_alphabar(T)
        self.mean, self.std = torch.zeros(obs + act), torch.ones(obs + act)

    def plan(self, state, steps):
        B = state.shape[0]
        known = (state - self.mean[:self.obs]) / self.std[:self.obs]
        x = torch.randn(B, self.H, self.obs + self.act)
        x[:, 0, :self.obs] = known
        grid = [(i + 1) * (self.T // steps) for i in range(steps)]
        for i in reversed(range(steps)):
            t, tp = grid[i], (grid[i - 1] if i > 0 else 0)
            a, sg, abp = math.sqrt(self.ab[t]), math.sqrt(1 - self.ab[t]), self.ab[tp]
            x0 = self.net(x, torch.full((B,), t / self.T))
            d = math.sqrt(max(1 - abp, 0.0))
            x = math.sqrt(abp) * x0 + d * (x - a * x0) / sg
            x[:, 0, :self.obs] = known
        act = x[:, 0, self.obs:] * self.std[self.obs:] + self.mean[self.obs:]
        nxt = x[:, 1, :self.obs] * self.std[:self.obs] + self.mean[:self.obs]
        return act, nxt


class DualActor:
    """Eq. 4 plan, Eq. 7 aggregate of N sub-policies, Eq. 8 sample."""

    def __init__(self, planner, n_subs, kappa=0.5):
        O, A = planner.obs, planner.act
        self.p, self.kappa = planner, kappa
        self.W = 0.01 * torch.randn(n_subs, 2 * A, O + 1)  # sub-policies' last layers

    def __call__(self, state, steps):
        plan, nxt = self.p.plan(state, steps)
        A = self.p.act
        phi = (state - self.p.mean[:self.p.obs]) / self.p.std[:self.p.obs]
        phi1 = torch.cat([phi, torch.ones(phi.shape[0], 1)], dim=1)  # [B, F+1]
        out = torch.einsum("nkf,bf->nbk", self.W, phi1)  # [N, B, 2A]
        mu = plan[None] + out[:, :, :A]
        var_a = torch.exp(2 * out[:, :, A:])
        m = mu.mean(0)
        v = var_a.mean(0) + ((mu - m) ** 2).mean(0)
        extra = self.kappa * float(((nxt[0] - state[0]) ** 2).sum())
        return torch.clamp(m + torch.sqrt(v + extra) * torch.randn_like(m), -1, 1)


def mlp(sizes, act):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


class DiffQL:
    """Diffusion-QL's sample_action, batched over states."""

    def __init__(self, obs, act, hidden, t_dim, T, candidates):
        self.obs, self.act, self.T, self.M = obs, act, T, candidates
        self.time_mlp = nn.Sequential(SinusoidalPosEmb(t_dim), nn.Linear(t_dim, 2 * t_dim), nn.Mish(), nn.Linear(2 * t_dim, t_dim))
        self.mid = mlp([act + t_dim + obs, *hidden, act], nn.Mish)
        self.q1 = mlp([obs + act, *hidden, 1], nn.Mish)
        self.q2 = mlp([obs + act, *hidden, 1], nn.Mish)
        self.ab = vp_alphabar(T)

    def __call__(self, state):
        B = state.shape[0]
        s = torch.repeat_interleave(state, self.M, dim=0)
        x = torch.randn(B * self.M, self.act)
        for t in range(self.T, 0, -1):
            ab, abp = self.ab[t], self.ab[t - 1]
            beta = 1 - ab / abp
            temb = self.time_mlp(torch.full((1,), t / self.T)).expand(x.shape[0], -1)
            eps = self.mid(torch.cat([x, temb, s], dim=1))
            x0 = ((x - math.sqrt(1 - ab) * eps) / math.sqrt(ab)).clamp(-1, 1)
            x = math.sqrt(abp) * beta / (1 - ab) * x0 + math.sqrt(1 - beta) * (1 - abp) / (1 - ab) * x
            if t > 1:
                x = x + math.sqrt(beta * (1 - abp) / (1 - ab)) * torch.randn_like(x)
        x = x.clamp(-1, 1)
        sa = torch.cat([s, x], dim=1)
        q = torch.min(self.q1(sa), self.q2(sa)).view(B, self.M)
        idx = torch.multinomial(torch.softmax(q, dim=1), 1)
        return x.view(B, self.M, self.act)[torch.arange(B), idx[:, 0]]


class IQLActor:
    def __init__(self, obs, act, hidden):
        self.net = mlp([obs, *hidden, act], nn.ReLU)
        self.log_std = torch.zeros(act)

    def __call__(self, state):
        mu = torch.tanh(self.net(state))
        return torch.clamp(mu + torch.exp(self.log_std) * torch.randn_like(mu), -1, 1)


# ---------------------------------------------------------------- timing

def measure(fn, min_time, repeats):
    """Median wall seconds per call over repeats rounds and CPU seconds per call."""
    fn()
    per, calls, c0 = [], 0, time.process_time()
    for _ in range(repeats):
        n, t0 = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            dt = time.perf_counter() - t0
            if dt >= min_time:
                break
        per.append(dt / n)
        calls += n
    return statistics.median(per), (time.process_time() - c0) / calls


def workloads(nets):
    """(name, batch-agnostic callable factory) pairs, the Go result names."""
    by = {n["name"]: n for n in nets}
    out = []
    d = by["dual"]
    O, A = d["obs_dim"], d["act_dim"]
    unet = TemporalUnet(O + A, d["dim"], d["mults"], d["kernel"], d["groups"]).eval()
    actor = DualActor(Planner(unet, O, A, d["horizon"], d["diffusion_steps"]), d["laplace_samples"])
    teacher, students = d["sample_steps"][0], d["sample_steps"][1:]
    for k in students:
        out.append((f"dual actor (distilled, {k} steps)", O, lambda s, k=k: actor(s, k)))
    out.append((f"dual w/o distillation ({teacher} steps)", O, lambda s: actor(s, teacher)))
    if "dual-agent" in by:  # dual.Agent's defaults: the same path with T = 20
        g = by["dual-agent"]
        gnet = TemporalUnet(O + A, g["dim"], g["mults"], g["kernel"], g["groups"]).eval()
        gact = DualActor(Planner(gnet, O, A, g["horizon"], g["diffusion_steps"]), g["laplace_samples"])
        gt, gs = g["sample_steps"]
        out.append((f"dual agent (default, distilled {gs} steps)", O, lambda s: gact(s, gs)))
        out.append((f"dual agent w/o distillation ({gt} steps)", O, lambda s: gact(s, gt)))
    f = by["diffuser"]
    dnet = TemporalUnet(O + A, f["dim"], f["mults"], f["kernel"], f["groups"]).eval()
    dpl = Planner(dnet, O, A, f["horizon"], f["diffusion_steps"])
    full, short = f["sample_steps"]
    out.append((f"diffuser ({full} steps)", O, lambda s: dpl.plan(s, full)[0]))
    out.append((f"d-diffuser (distilled, {short} steps)", O, lambda s: dpl.plan(s, short)[0]))
    q = by["diff-ql"]
    T = q["diffusion_steps"]
    for m, label in [(50, f"diff-ql ({T} steps, 50 candidates)"), (1, f"diff-ql ({T} steps, 1 sample)")]:
        dq = DiffQL(O, A, q["hidden"], q["time_dim"], T, m)
        out.append((label, O, dq))
    i = by["iql"]
    out.append(("iql gaussian actor", O, IQLActor(O, A, i["hidden"])))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--report", required=True, help="bench.json written by `dwm bench dual --out DIR`")
    ap.add_argument("--min-time", type=float, default=0.3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--torch-threads", default="1,2")
    ap.add_argument("--batches", default="1,256")
    ap.add_argument("--only", default="", help="substring of the workload names to run")
    ap.add_argument("--skip", default="", help="comma-separated NAME@BATCH pairs to leave out, NAME a substring "
                                               "(e.g. 'diffuser@256' skips Diffuser's slow throughput figures)")
    args = ap.parse_args()
    with open(args.report) as fh:
        rep = json.load(fh)
    go = {(r["name"], r["batch"]): r for r in rep["results"] if r["suite"] == "dual"}
    torch.manual_seed(0)
    threads = [int(v) for v in args.torch_threads.split(",")]
    batches = [int(v) for v in args.batches.split(",")]
    print(f"torch {torch.__version__}, threads tried {threads}, go report {rep['date']} ({rep['machine']['cpu']}, "
          f"load {rep['machine']['load_before']} -> {rep['machine']['load_after']})")
    print("name\tbatch\ttorch_ms_per_call\ttorch_cpu_ms\ttorch_threads\tgo_ms_per_call\tgo_cpu_ms\t"
          "ms_per_action_go\tspeedup_wall\tspeedup_cpu")
    with torch.inference_mode():
        for name, obs_dim, fn in workloads(rep["networks"]):
            if args.only and args.only not in name:
                continue
            for b in batches:
                if any(n in name and int(bb) == b for n, bb in (x.rsplit("@", 1) for x in args.skip.split(",") if x)):
                    continue
                state = torch.randn(b, obs_dim)
                best = None
                for th in threads:
                    torch.set_num_threads(th)
                    wall, cpu = measure(lambda: fn(state), args.min_time, args.repeats)
                    if best is None or wall < best[0]:
                        best = (wall, cpu, th)
                g = go.get((name, b))
                gw = g["wall_ns"] / 1e6 if g else float("nan")
                gc = g["cpu_ns"] / 1e6 if g else float("nan")
                tw, tc = best[0] * 1e3, best[1] * 1e3
                print(f"{name}\t{b}\t{tw:.4f}\t{tc:.4f}\t{best[2]}\t{gw:.4f}\t{gc:.4f}\t{gw / b:.5f}\t"
                      f"{tw / gw:.2f}\t{tc / gc:.2f}", flush=True)


if __name__ == "__main__":
    main()
