"""PyTorch reference for dwm's CQL and Cal-QL update benchmarks
(agent/cql BenchmarkCQLUpdate, agent/calql BenchmarkCalQLUpdate).

One full update of CORL's algorithms/finetune/cql.py (ContinuousCQL.train) and
algorithms/finetune/cal_ql.py (CalQL.train) with their default settings:
  actor obs->256->256->256->2|A| (ReLU), log sigma = m*raw + o with learnable
    scalars m = 1, o = -1, clamped to [-20, 2]; tanh-Gaussian samples;
  twin critics (obs+act)->256->256->1 (ReLU);
  alpha step on -mean(log alpha * (log pi + H)), H = -|A|;
  actor step on mean(alpha log pi(a~|s) - min_k Q_k(s, a~));
  critic step on sum_k mean (Q_k(s,a) - y)^2 + 10 * sum_k mean(logsumexp_j c_kj - Q_k(s,a)),
    y = r + gamma (1-d) min_k Qbar_k(s', a'), a' ~ pi(.|s') (no backup entropy, no max backup),
    c = [Q(s, a_rand) - log 0.5^|A|, Q(s, a'_j) - log pi(a'_j|s'), Q(s, a_j) - log pi(a_j|s)],
    10 random, 10 current-policy and 10 next-policy actions per state;
    Cal-QL: the two policy-action groups are first replaced by max(Q, MC(s));
  Polyak update (tau 0.005) every step. Adam: actor and alpha lr 3e-5, critics 3e-4.
All losses come from the pre-update parameters, then alpha, actor and critics step (CORL's order).
Batch 256; hopper dimensions (obs 11, act 3).

Two implementations of that same computation are timed and the faster is reported:
  corl:    CORL's structure: two critic networks called once per action group, the
           actor run again on N-times repeated observations for each group;
  batched: the actor run once per state (N samples drawn from its output), the twin
           critics as one 2-member ensemble (baddbmm) evaluated on every CQL action
           group in one call (like dwm's agent).
Each with torch.optim.Adam's default and foreach implementations.

Use PyTorch's fastest setting on this machine (see /work/shared/notes/backend.md):
  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/pytorch/agents_cql.py
with torch.set_num_threads(1) (set below). Prints each variant's rate and CPU
time, then for each algorithm the best variant's:
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

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
N_ACTIONS = 10
CQL_ALPHA = 10.0


def best_rate(fn, min_time, repeats):
    """Return the best calls-per-second over `repeats` rounds of >= min_time,
    and the process CPU seconds per call in that round (all threads; OpenBLAS
    worker threads that spin while waiting count too)."""
    fn()
    fn()
    best, cpu = 0.0, 0.0
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
            best, cpu = n / dt, (time.process_time() - c0) / n
    return best, cpu


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

    def forward(self, x):  # x: [K, R, in]
        return torch.baddbmm(self.b, x, self.w)


class Actor(nn.Module):
    def __init__(self, obs_dim, act_dim):
        super().__init__()
        self.act_dim = act_dim
        self.net = mlp([obs_dim, 256, 256, 256, 2 * act_dim])
        self.log_std_multiplier = nn.Parameter(torch.tensor(1.0))
        self.log_std_offset = nn.Parameter(torch.tensor(-1.0))

    def dist(self, obs):
        out = self.net(obs)
        mean, raw = out[..., : self.act_dim], out[..., self.act_dim:]
        log_std = (self.log_std_multiplier * raw + self.log_std_offset).clamp(-20.0, 2.0)
        return mean, log_std


def sample(mean, log_std):
    """Reparameterised tanh-Gaussian sample and its log-probability (last axis summed)."""
    eps = torch.randn_like(mean)
    u = mean + log_std.exp() * eps
    a = torch.tanh(u)
    logp = (-0.5 * eps.pow(2) - log_std - HALF_LOG_2PI - 2 * (math.log(2) - u - F.softplus(-2 * u))).sum(-1)
    return a, logp


def make_update(obs_dim, act_dim, batches, variant, calibrate, foreach):
    actor = Actor(obs_dim, act_dim)
    if variant == "corl":
        q1, q2 = mlp([obs_dim + act_dim, 256, 256, 1]), mlp([obs_dim + act_dim, 256, 256, 1])
        t1, t2 = mlp([obs_dim + act_dim, 256, 256, 1]), mlp([obs_dim + act_dim, 256, 256, 1])
        t1.load_state_dict(q1.state_dict())
        t2.load_state_dict(q2.state_dict())
        critic_params = list(q1.parameters()) + list(q2.parameters())
        target_params = list(t1.parameters()) + list(t2.parameters())

        def qf(net, obs, act):  # obs [B, O], act [B, A] or [B, N, A] -> [B] or [B, N]
            if act.dim() == 3:
                b, n = act.shape[0], act.shape[1]
                o = obs.unsqueeze(1).repeat_interleave(n, dim=1).reshape(-1, obs.shape[-1])
                return net(torch.cat([o, act.reshape(-1, act.shape[-1])], -1)).reshape(b, n)
            return net(torch.cat([obs, act], -1)).squeeze(-1)
    else:
        def ens(sizes):
            layers = []
            for i in range(len(sizes) - 1):
                layers.append(EnsembleLinear(2, sizes[i], sizes[i + 1]))
                if i < len(sizes) - 2:
                    layers.append(nn.ReLU())
            return nn.Sequential(*layers)
        q = ens([obs_dim + act_dim, 256, 256, 1])
        t = ens([obs_dim + act_dim, 256, 256, 1])
        t.load_state_dict(q.state_dict())
        critic_params, target_params = list(q.parameters()), list(t.parameters())
    for p in target_params:
        p.requires_grad_(False)
    log_alpha = torch.zeros((), requires_grad=True)
    kw = {"foreach": True} if foreach else {}
    actor_opt = torch.optim.Adam(actor.parameters(), lr=3e-5, **kw)
    alpha_opt = torch.optim.Adam([log_alpha], lr=3e-5, **kw)
    critic_opt = torch.optim.Adam(critic_params, lr=3e-4, **kw)
    gamma, tau, target_entropy = 0.99, 0.005, -float(act_dim)
    random_density = math.log(0.5 ** act_dim)
    N = N_ACTIONS
    state = {"k": 0}

    def cql_term(q_pred, q_rand, q_next, lp_next, q_cur, lp_cur, mc):
        # q_pred [B], the rest [B, N]; returns mean_i(logsumexp - q_pred)
        if calibrate:
            lb = mc.unsqueeze(1)
            q_next = torch.maximum(q_next, lb)
            q_cur = torch.maximum(q_cur, lb)
        cat = torch.cat([q_rand - random_density, q_next - lp_next, q_cur - lp_cur], 1)
        return (torch.logsumexp(cat, 1) - q_pred).mean()

    def update():
        obs, act, rew, next_obs, done, mc = batches[state["k"] % len(batches)]
        state["k"] += 1
        B = obs.shape[0]
        mean, log_std = actor.dist(obs)
        new_act, log_pi = sample(mean, log_std)
        alpha_loss = -(log_alpha * (log_pi + target_entropy).detach()).mean()
        alpha = log_alpha.exp()
        rand_act = torch.empty(B, N, act_dim).uniform_(-1, 1)
        if variant == "corl":
            q_new = torch.min(qf(q1, obs, new_act), qf(q2, obs, new_act))
            policy_loss = (alpha * log_pi - q_new).mean()
            q1_pred, q2_pred = qf(q1, obs, act), qf(q2, obs, act)
            next_mean, next_log_std = actor.dist(next_obs)
            next_act, _ = sample(next_mean, next_log_std)
            with torch.no_grad():
                tq = torch.min(qf(t1, next_obs, next_act), qf(t2, next_obs, next_act))
            y = rew + (1 - done) * gamma * tq
            rep = lambda x: x.unsqueeze(1).repeat_interleave(N, dim=1)  # noqa: E731
            cur_act, cur_lp = sample(*actor.dist(rep(obs)))
            nxt_act, nxt_lp = sample(*actor.dist(rep(next_obs)))
            cur_act, cur_lp, nxt_act, nxt_lp = cur_act.detach(), cur_lp.detach(), nxt_act.detach(), nxt_lp.detach()
            qs = []
            for net, q_pred in ((q1, q1_pred), (q2, q2_pred)):
                qs.append(cql_term(q_pred, qf(net, obs, rand_act), qf(net, obs, nxt_act), nxt_lp,
                                   qf(net, obs, cur_act), cur_lp, mc))
            qf_loss = F.mse_loss(q1_pred, y) + F.mse_loss(q2_pred, y) + CQL_ALPHA * (qs[0] + qs[1])
        else:
            x = torch.cat([obs, new_act], -1).unsqueeze(0).expand(2, -1, -1)
            q_new = q(x).squeeze(-1).min(0).values
            policy_loss = (alpha * log_pi - q_new).mean()
            with torch.no_grad():
                next_mean, next_log_std = actor.dist(next_obs)
                next_act, _ = sample(next_mean, next_log_std)
                tq = t(torch.cat([next_obs, next_act], -1).unsqueeze(0).expand(2, -1, -1)).squeeze(-1).min(0).values
                y = rew + (1 - done) * gamma * tq
                rep = lambda x: x.unsqueeze(1).expand(B, N, act_dim)  # noqa: E731
                cur_act, cur_lp = sample(rep(mean.detach()), rep(log_std.detach()))
                nxt_act, nxt_lp = sample(rep(next_mean), rep(next_log_std))
            acts = torch.cat([act.unsqueeze(1), rand_act, nxt_act, cur_act], 1)  # [B, 1+3N, A]
            o = obs.unsqueeze(1).expand(B, 1 + 3 * N, obs_dim)
            x = torch.cat([o, acts], -1).reshape(1, B * (1 + 3 * N), -1).expand(2, -1, -1)
            qall = q(x).reshape(2, B, 1 + 3 * N)
            q_pred = qall[:, :, 0]
            qf_loss = (q_pred - y).pow(2).mean(1).sum()
            for k in range(2):
                qk = qall[k]
                qf_loss = qf_loss + CQL_ALPHA * cql_term(q_pred[k], qk[:, 1:1 + N], qk[:, 1 + N:1 + 2 * N], nxt_lp,
                                                          qk[:, 1 + 2 * N:], cur_lp, mc)
        alpha_opt.zero_grad(set_to_none=True)
        alpha_loss.backward()
        alpha_opt.step()
        actor_opt.zero_grad(set_to_none=True)
        policy_loss.backward()
        actor_opt.step()
        critic_opt.zero_grad(set_to_none=True)
        qf_loss.backward()
        critic_opt.step()
        with torch.no_grad():
            torch._foreach_mul_(target_params, 1 - tau)
            torch._foreach_add_(target_params, critic_params, alpha=tau)

    return update


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-time", type=float, default=2.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--algos", default="cql,calql")
    args = ap.parse_args()
    torch.manual_seed(0)
    obs_dim, act_dim = 11, 3  # hopper
    batches = []
    for _ in range(4):
        batches.append((
            torch.randn(256, obs_dim),
            torch.rand(256, act_dim) * 2 - 1,
            torch.randn(256),
            torch.randn(256, obs_dim),
            (torch.rand(256) < 0.1).float(),
            torch.randn(256) * 10,
        ))
    for algo in args.algos.split(","):
        best, best_cpu, variant = 0.0, 0.0, ""
        for impl in ("corl", "batched"):
            for foreach in (False, True):
                fn = make_update(obs_dim, act_dim, batches, impl, algo == "calql", foreach)
                rate, cpu = best_rate(fn, args.min_time, args.repeats)
                name = f"{impl}{'+foreach' if foreach else ''}"
                print(f"{algo}_update_hopper[{name}]\t{rate:.2f}\tupdates/s\t{cpu * 1e3:.1f}\tcpu-ms/update")
                if rate > best:
                    best, best_cpu, variant = rate, cpu, f"{impl}{'+foreach' if foreach else ''}"
        print(f"{algo}_update_hopper\t{best:.2f}\tupdates/s")
        print(f"{algo}_update_hopper_cpu\t{best_cpu * 1e3:.1f}\tcpu-ms/update")
        print(f"{algo}_update_hopper_variant\t{variant}\t-")


if __name__ == "__main__":
    main()
