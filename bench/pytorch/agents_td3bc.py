"""PyTorch reference for dwm's TD3+BC update benchmark
(agent/td3bc BenchmarkTD3BCUpdate).

One TD3+BC update as CORL's algorithms/offline/td3_bc.py TD3_BC.train, the
same computation as agent/td3bc/td3bc.go:
  target a' = clip(actor_target(s') + clip(0.2 N(0,1), -0.5, 0.5), -1, 1),
  y = r + 0.99 (1 - d) min_k Q'_k(s', a'),
  critic step on sum_k mean (Q_k(s,a) - y)^2,
and on every second update
  actor step on -lambda mean Q_1(s, pi(s)) + mean (pi(s) - a)^2 with
  lambda = 2.5 / mean |Q_1| (detached), Polyak updates (tau 0.005) of the
  critic and actor targets.
Adam lr 3e-4, batch 256, actor obs->256->256->act (tanh), critics
(obs+act)->256->256->1 (ReLU). The timed rate is updates/s over whole update
calls, so it averages critic-only and critic+actor updates as the Go
benchmark does. See agents_common.py for the variants and the setting:
  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/pytorch/agents_td3bc.py
"""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

from agents_common import adam, main, mlp, soft_update

HIDDEN = [256, 256]
GAMMA, TAU, ALPHA = 0.99, 0.005, 2.5
POLICY_NOISE, NOISE_CLIP, POLICY_FREQ = 0.2, 0.5, 2


def make_update(obs_dim, act_dim, critic_cls, batches, foreach):
    actor = mlp([obs_dim] + HIDDEN + [act_dim], nn.Tanh)
    actor_target = copy.deepcopy(actor)
    critic = critic_cls([obs_dim + act_dim] + HIDDEN + [1])
    critic_target = copy.deepcopy(critic)
    for p in list(actor_target.parameters()) + list(critic_target.parameters()):
        p.requires_grad_(False)
    actor_opt = adam(actor.parameters(), 3e-4, foreach)
    critic_opt = adam(critic.parameters(), 3e-4, foreach)
    ap, atp = list(actor.parameters()), list(actor_target.parameters())
    cp, ctp = list(critic.parameters()), list(critic_target.parameters())
    state = {"k": 0}

    def update():
        obs, act, rew, next_obs, done = batches[state["k"] % len(batches)]
        state["k"] += 1
        with torch.no_grad():
            noise = (torch.randn_like(act) * POLICY_NOISE).clamp(-NOISE_CLIP, NOISE_CLIP)
            next_a = (actor_target(next_obs) + noise).clamp(-1, 1)
            y = rew + (1 - done) * GAMMA * critic_target.both(next_obs, next_a).min(0).values
        q = critic.both(obs, act)
        critic_loss = F.mse_loss(q[0], y) + F.mse_loss(q[1], y)
        critic_opt.zero_grad(set_to_none=True)
        critic_loss.backward()
        critic_opt.step()
        if state["k"] % POLICY_FREQ == 0:
            pi = actor(obs)
            q1 = critic.first(obs, pi)
            lmbda = ALPHA / q1.abs().mean().detach()
            actor_loss = -lmbda * q1.mean() + F.mse_loss(pi, act)
            actor_opt.zero_grad(set_to_none=True)
            actor_loss.backward()
            actor_opt.step()
            soft_update(ctp, cp, TAU)
            soft_update(atp, ap, TAU)

    return update


if __name__ == "__main__":
    main("td3bc", make_update)
