"""PyTorch reference for dwm's AWAC update benchmark (agent/awac
BenchmarkAWACUpdate).

One AWAC update as CORL's algorithms/finetune/awac.py
AdvantageWeightedActorCritic.update, the same computation as
agent/awac/awac.go:
  a' = clip(mu(s') + sigma eps', -1, 1), y = r + 0.99 (1-d) min_k Q'_k(s', a'),
  critic step on sum_k mean (Q_k(s,a) - y)^2,
  a~ = clip(mu(s) + sigma eps, -1, 1), u = min_k Q_k(s,a) - min_k Q_k(s,a~),
  actor step on mean min(exp(u / 1.0), 100) * -log N(a; mu(s), sigma^2),
  Polyak update (tau 0.005) of the target critics;
mu an unbounded MLP, log sigma a parameter clamped to [-20, 2]. Adam lr 3e-4,
batch 256, actor obs->256->256->256->act and critics
(obs+act)->256->256->256->1 (ReLU). CORL's separate critics evaluate the
four values of the actor loss in four calls (as here with "separate"); the
ensemble variant evaluates each member on [s, a] and [s, a~] stacked, as the
Go code does. See agents_common.py for the variants and the setting:
  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/pytorch/agents_awac.py
"""
import copy

import torch
import torch.nn as nn

from agents_common import EnsembleCritics, adam, main, mlp, soft_update

HIDDEN = [256, 256, 256]
GAMMA, TAU, LAMBDA, EXP_ADV_MAX = 0.99, 0.005, 1.0, 100.0
LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0


class Actor(nn.Module):
    def __init__(self, obs_dim, act_dim):
        super().__init__()
        self.mlp = mlp([obs_dim] + HIDDEN + [act_dim])
        self.log_std = nn.Parameter(torch.zeros(act_dim))

    def policy(self, obs):
        log_std = self.log_std.clamp(LOG_STD_MIN, LOG_STD_MAX)
        return torch.distributions.Normal(self.mlp(obs), log_std.exp())

    def sample(self, obs):
        return self.policy(obs).rsample().clamp(-1.0, 1.0)


def make_update(obs_dim, act_dim, critic_cls, batches, foreach):
    actor = Actor(obs_dim, act_dim)
    critic = critic_cls([obs_dim + act_dim] + HIDDEN + [1])
    critic_target = copy.deepcopy(critic).requires_grad_(False)
    actor_opt = adam(actor.parameters(), 3e-4, foreach)
    critic_opt = adam(critic.parameters(), 3e-4, foreach)
    cp, ctp = list(critic.parameters()), list(critic_target.parameters())
    stacked = critic_cls is EnsembleCritics
    state = {"k": 0}

    def update():
        obs, act, rew, next_obs, done = batches[state["k"] % len(batches)]
        state["k"] += 1
        with torch.no_grad():
            next_a = actor.sample(next_obs)
            y = rew + GAMMA * (1.0 - done) * critic_target.both(next_obs, next_a).min(0).values
        q = critic.both(obs, act)
        critic_loss = ((q - y) ** 2).mean(1).sum()
        critic_opt.zero_grad(set_to_none=True)
        critic_loss.backward()
        critic_opt.step()

        with torch.no_grad():
            pi = actor.sample(obs)
            if stacked:
                qs = critic.both(torch.cat([obs, obs]), torch.cat([act, pi]))
                q_data, q_pi = qs[:, :len(obs)].min(0).values, qs[:, len(obs):].min(0).values
            else:
                q_pi = critic.both(obs, pi).min(0).values
                q_data = critic.both(obs, act).min(0).values
            weights = torch.clamp_max(torch.exp((q_data - q_pi) / LAMBDA), EXP_ADV_MAX)
        log_prob = actor.policy(obs).log_prob(act).sum(-1)
        actor_loss = (-log_prob * weights).mean()
        actor_opt.zero_grad(set_to_none=True)
        actor_loss.backward()
        actor_opt.step()
        soft_update(ctp, cp, TAU)

    return update


if __name__ == "__main__":
    main("awac", make_update)
