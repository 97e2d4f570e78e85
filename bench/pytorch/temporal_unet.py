"""Networks and schedules shared by the PyTorch references (diffusion_unet.py, dual_act.py,
diffusion_mlp.py, bdwm_imagine.py): Diffuser's temporal U-Net (Janner et al. 2022,
models/temporal.py) as dwm's denoiser.TemporalUNet builds it, and the cosine ᾱ schedule.
Defaults: width 32, multipliers (1, 2, 4, 8), kernel 5, 8 GroupNorm groups (Diffuser's locomotion ones)."""

import math

import torch
import torch.nn as nn


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
    def __init__(self, inp, out, k=5, groups=8):
        super().__init__()
        self.block = nn.Sequential(nn.Conv1d(inp, out, k, padding=k // 2), nn.GroupNorm(groups, out), nn.Mish())

    def forward(self, x):
        return self.block(x)


class ResidualTemporalBlock(nn.Module):
    def __init__(self, inp, out, embed_dim, k=5, groups=8):
        super().__init__()
        self.blocks = nn.ModuleList([Conv1dBlock(inp, out, k, groups), Conv1dBlock(out, out, k, groups)])
        self.time_mlp = nn.Sequential(nn.Mish(), nn.Linear(embed_dim, out))
        self.residual_conv = nn.Conv1d(inp, out, 1) if inp != out else nn.Identity()

    def forward(self, x, t):
        out = self.blocks[0](x) + self.time_mlp(t)[:, :, None]
        out = self.blocks[1](out)
        return out + self.residual_conv(x)


class TemporalUnet(nn.Module):
    """Diffuser's TemporalUnet as dwm's denoiser.TemporalUNet builds it."""

    def __init__(self, transition_dim, dim=32, dim_mults=(1, 2, 4, 8), kernel=5, groups=8):
        super().__init__()
        dims = [transition_dim, *[dim * m for m in dim_mults]]
        in_out = list(zip(dims[:-1], dims[1:]))
        self.time_mlp = nn.Sequential(SinusoidalPosEmb(dim), nn.Linear(dim, dim * 4), nn.Mish(), nn.Linear(dim * 4, dim))
        self.downs, self.ups = nn.ModuleList(), nn.ModuleList()
        n = len(in_out)
        for i, (a, b) in enumerate(in_out):
            last = i >= n - 1
            self.downs.append(nn.ModuleList([ResidualTemporalBlock(a, b, dim, kernel, groups),
                                             ResidualTemporalBlock(b, b, dim, kernel, groups),
                                             nn.Conv1d(b, b, 3, 2, 1) if not last else nn.Identity()]))
        mid = dims[-1]
        self.mid1 = ResidualTemporalBlock(mid, mid, dim, kernel, groups)
        self.mid2 = ResidualTemporalBlock(mid, mid, dim, kernel, groups)
        for a, b in reversed(in_out[1:]):
            self.ups.append(nn.ModuleList([ResidualTemporalBlock(b * 2, a, dim, kernel, groups),
                                           ResidualTemporalBlock(a, a, dim, kernel, groups),
                                           nn.ConvTranspose1d(a, a, 4, 2, 1)]))
        self.final = nn.Sequential(Conv1dBlock(dim, dim, kernel, groups), nn.Conv1d(dim, transition_dim, 1))

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
    """ᾱ_0..ᾱ_T of the cosine schedule (Nichol & Dhariwal 2021), β clipped at 0.999, as a list."""
    f = lambda t: math.cos((t / steps + s) / (1 + s) * math.pi / 2) ** 2
    ab, out = 1.0, [1.0]
    for t in range(1, steps + 1):
        ab *= 1 - min(1 - f(t) / f(t - 1), 0.999)
        out.append(ab)
    return out
