"""PyTorch reference for dwm's IQL update benchmark (agent/iql
BenchmarkIQLUpdate).

One IQL update as CORL's algorithms/finetune/iql.py ImplicitQLearning.train
with its default GaussianPolicy, the same computation as agent/iql/iql.go:
  v' = V(s'); q^ = min_k Q'_k(s, a); u = q^ - V(s);
  value step on mean |0.7 - 1(u < 0)| u^2,
  critic step on (sum_k mean (Q_k(s,a) - (r + 0.99 (1-d) v'))^2) / 2,
  Polyak update (tau 0.005) of the target critics,
  actor step on mean min(exp(3 u), 100) * -log N(a; tanh(MLP(s)), exp(log_std)^2)
  with log_std a parameter clamped to [-20, 2], then the cosine schedule step.
Adam lr 3e-4 everywhere, batch 256, all networks obs(+act)->256->256->out
(ReLU). See agents_common.py for the variants and the setting:
  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/pytorch/agents_iql.py
"""
import copy

import torch
import torch.nn as nn
from torch.distributions import Normal
from torch.optim.lr_scheduler import CosineAnnealingLR

from agents_common import adam, main, mlp, soft_update

HIDDEN = [256, 256]
GAMMA, TAU, EXPECTILE, BETA, EXP_ADV_MAX = 0.99, 0.005, 0.7, 3.0, 100.0
LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0


class GaussianPolicy(nn.Module):
    def __init__(self, obs_dim, act_dim):
        super().__init__()
        self.net = mlp([obs_dim] + HIDDEN + [act_dim], nn.Tanh)
        self.log_std = nn.Parameter(torch.zeros(act_dim))

    def forward(self, obs):
        return Normal(self.net(obs), torch.exp(self.log_std.clamp(LOG_STD_MIN, LOG_STD_MAX)))


def make_update(obs_dim, act_dim, critic_cls, batches, foreach):
    actor = GaussianPolicy(obs_dim, act_dim)
    critic = critic_cls([obs_dim + act_dim] + HIDDEN + [1])
    critic_target = copy.deepcopy(critic).requires_grad_(False)
    value = mlp([obs_dim] + HIDDEN + [1])
    actor_opt = adam(actor.parameters(), 3e-4, foreach)
    critic_opt = adam(critic.parameters(), 3e-4, foreach)
    value_opt = adam(value.parameters(), 3e-4, foreach)
    sched = CosineAnnealingLR(actor_opt, 1_000_000)
    cp, ctp = list(critic.parameters()), list(critic_target.parameters())
    state = {"k": 0}

    def update():
        obs, act, rew, next_obs, done = batches[state["k"] % len(batches)]
        state["k"] += 1
        with torch.no_grad():
            next_v = value(next_obs).squeeze(-1)
            target_q = critic_target.both(obs, act).min(0).values
        v = value(obs).squeeze(-1)
        adv = target_q - v
        value_loss = torch.mean(torch.abs(EXPECTILE - (adv < 0).float()) * adv ** 2)
        value_opt.zero_grad(set_to_none=True)
        value_loss.backward()
        value_opt.step()

        y = rew + (1.0 - done) * GAMMA * next_v
        q = critic.both(obs, act)
        critic_loss = ((q - y) ** 2).mean(1).sum() / 2
        critic_opt.zero_grad(set_to_none=True)
        critic_loss.backward()
        critic_opt.step()
        soft_update(ctp, cp, TAU)

        exp_adv = torch.exp(BETA * adv.detach()).clamp(max=EXP_ADV_MAX)
        bc_losses = -actor(obs).log_prob(act).sum(-1)
        actor_loss = torch.mean(exp_adv * bc_losses)
        actor_opt.zero_grad(set_to_none=True)
        actor_loss.backward()
        actor_opt.step()
        sched.step()

    return update


if __name__ == "__main__":
    main("iql", make_update)
