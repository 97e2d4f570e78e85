"""PyTorch reference for dwm's SAC update benchmark (agent/sac BenchmarkSACUpdate).

One full SAC update with automatic entropy tuning, the same computation as
agent/sac/sac.go (CleanRL's sac_continuous_action.py structure):
  critic targets from the target twin critics and a' ~ pi(.|s'),
  critic step on sum_k mean (Q_k(s,a) - y)^2,
  actor step on mean(alpha log pi(a~|s) - min_k Q_k(s,a~)),
  alpha step on -mean(log alpha (log pi + H)), Polyak update (tau 0.005),
Adam everywhere (lr 3e-4), batch 256, actor obs->256->256->2|A| and critics
(obs+act)->256->256->1 with ReLU; log-std squashed by tanh into [-5, 2].
Dimensions: Pendulum (obs 3, act 1) and Hopper (obs 11, act 3).

The twin critics are timed two ways and the faster is reported: two separate
nn.Sequential networks (CleanRL) and one 2-member ensemble with weights
[2, in, out] evaluated by baddbmm (like dwm's ensemble network).

Use PyTorch's fastest setting on this machine (see /work/shared/notes/backend.md):
  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/pytorch/sac_update.py
with torch.set_num_threads(1) (set below). Prints one line per workload:
  name<TAB>value<TAB>unit
Each value is the best of --repeats timing rounds of at least --min-time seconds.
"""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)

LOG_STD_MIN, LOG_STD_MAX = -5.0, 2.0
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def best_rate(fn, min_time, repeats):
    """Return the best calls-per-second over `repeats` rounds of >= min_time."""
    fn()
    fn()
    best = 0.0
    for _ in range(repeats):
        n = 0
        t0 = time.perf_counter()
        while True:
            fn()
            n += 1
            dt = time.perf_counter() - t0
            if dt >= min_time:
                break
        best = max(best, n / dt)
    return best


def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
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
    """Twin critics as two networks (CleanRL); returns [2, B]."""

    def __init__(self, sizes):
        super().__init__()
        self.q1, self.q2 = mlp(sizes), mlp(sizes)

    def forward(self, s, a):
        x = torch.cat([s, a], 1)
        return torch.stack([self.q1(x).squeeze(-1), self.q2(x).squeeze(-1)])


class EnsembleCritics(nn.Module):
    """Twin critics as one 2-member ensemble; returns [2, B]."""

    def __init__(self, sizes):
        super().__init__()
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(EnsembleLinear(2, sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                layers.append(nn.ReLU())
        self.net = nn.Sequential(*layers)

    def forward(self, s, a):
        x = torch.cat([s, a], 1).unsqueeze(0).expand(2, -1, -1)
        return self.net(x).squeeze(-1)


def sample(actor, obs, act_dim):
    """Reparameterised tanh-Gaussian sample and its log-probability."""
    out = actor(obs)
    mean, raw = out[:, :act_dim], out[:, act_dim:]
    log_std = LOG_STD_MIN + 0.5 * (LOG_STD_MAX - LOG_STD_MIN) * (torch.tanh(raw) + 1)
    eps = torch.randn_like(mean)
    u = mean + log_std.exp() * eps
    a = torch.tanh(u)
    # log N(u; mean, std) - log(1 - tanh(u)^2), the latter in the stable form
    # 2(log 2 - u - softplus(-2u)).
    logp = (-0.5 * eps.pow(2) - log_std - HALF_LOG_2PI - 2 * (math.log(2) - u - F.softplus(-2 * u))).sum(1)
    return a, logp


def sac_update_fn(obs_dim, act_dim, critic_cls, batches, foreach):
    hidden = [256, 256]
    actor = mlp([obs_dim] + hidden + [2 * act_dim])
    critic = critic_cls([obs_dim + act_dim] + hidden + [1])
    target = critic_cls([obs_dim + act_dim] + hidden + [1])
    target.load_state_dict(critic.state_dict())
    for p in target.parameters():
        p.requires_grad_(False)
    log_alpha = torch.zeros(1, requires_grad=True)
    kw = {"lr": 3e-4}
    if foreach:
        kw["foreach"] = True
    actor_opt = torch.optim.Adam(actor.parameters(), **kw)
    critic_opt = torch.optim.Adam(critic.parameters(), **kw)
    alpha_opt = torch.optim.Adam([log_alpha], **kw)
    gamma, tau, target_entropy = 0.99, 0.005, -float(act_dim)
    cparams, tparams = list(critic.parameters()), list(target.parameters())
    state = {"k": 0}

    def update():
        obs, act, rew, next_obs, done = batches[state["k"] % len(batches)]
        state["k"] += 1
        alpha = log_alpha.detach().exp()
        with torch.no_grad():
            next_a, next_logp = sample(actor, next_obs, act_dim)
            q_t = target(next_obs, next_a).min(0).values
            y = rew + gamma * (1 - done) * (q_t - alpha * next_logp)
        q = critic(obs, act)
        critic_loss = (q - y).pow(2).mean(1).sum()
        critic_opt.zero_grad(set_to_none=True)
        critic_loss.backward()
        critic_opt.step()

        pi, logp = sample(actor, obs, act_dim)
        q_pi = critic(obs, pi).min(0).values
        actor_loss = (alpha * logp - q_pi).mean()
        actor_opt.zero_grad(set_to_none=True)
        actor_loss.backward()
        actor_opt.step()

        alpha_loss = (-log_alpha * (logp.detach() + target_entropy)).mean()
        alpha_opt.zero_grad(set_to_none=True)
        alpha_loss.backward()
        alpha_opt.step()

        with torch.no_grad():
            torch._foreach_mul_(tparams, 1 - tau)
            torch._foreach_add_(tparams, cparams, alpha=tau)

    return update


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-time", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.manual_seed(0)
    for name, obs_dim, act_dim in [("pendulum", 3, 1), ("hopper", 11, 3)]:
        batches = []
        for _ in range(4):
            batches.append((
                torch.randn(256, obs_dim),
                torch.rand(256, act_dim) * 2 - 1,
                torch.randn(256),
                torch.randn(256, obs_dim),
                (torch.rand(256) < 0.1).float(),
            ))
        best, variant = 0.0, ""
        for cname, cls in [("separate", SeparateCritics), ("ensemble", EnsembleCritics)]:
            for foreach in [False, True]:
                rate = best_rate(sac_update_fn(obs_dim, act_dim, cls, batches, foreach), args.min_time, args.repeats)
                if rate > best:
                    best, variant = rate, f"{cname}{'+foreach' if foreach else ''}"
        print(f"sac_update_{name}\t{best:.2f}\tupdates/s")
        print(f"sac_update_{name}_variant\t{variant}\t-")


if __name__ == "__main__":
    main()
