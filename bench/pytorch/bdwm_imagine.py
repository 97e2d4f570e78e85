"""PyTorch reference for dwm's BDWM imagination benchmark (worldmodel.BenchmarkImagine).

One world-model prediction of B state-action pairs of hopper's widths (11 + 3),
with the default diffusion world model of package worldmodel:

  per-member encoders  z_k = L(256→64)(SiLU(L(256→256)(SiLU(L(14→256)(x_norm)))))
  per-member decoders  W-wide residual MLPs (2 blocks; --width, default 256 as dwm's
                       default, 512 as issue 7's size) over x = (s'−s, r), D = 12,
                       conditioned on z_k by concatenation [x, z_k, 1, temb(t)],
                       time embedding Linear(64→256)·SiLU·Linear(256→64) of sinusoid_64(1000·t)
  sampling             K = 3 members × M = 5 samples × B inputs, 10 deterministic DDIM steps
                       of a 100-step cosine schedule, x0-prediction
  uncertainty          σ_ep (Eq. 3) and σ_al (Eq. 4) over the samples, one sample of a
                       random member chosen per input, denormalized, s' = s + Δ

Every Linear is member-batched ([K, in, out] weights, torch.baddbmm). Member k
reads only its own z_k (the Go code feeds [z_1, z_2, z_3] with the other
members' weights held at zero, which costs slightly more in the once-per-call
condition share, so this reference does no more work than dwm).

Two sampling variants are timed and the faster is reported (as
diffusion_mlp.py): "naive" evaluates the whole input layer every step;
"precompute" computes the condition's share of the first layer once per call
and the time embedding once per step, as the Go sampler does.

PyTorch's fastest setting on this machine (shared/notes/backend.md):
  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/pytorch/bdwm_imagine.py
with torch.set_num_threads(1) (set below). Prints name<TAB>value<TAB>unit lines.
"""
import argparse
import math
import time

import torch
import torch.nn as nn

from temporal_unet import cosine_alphabar

torch.set_num_threads(1)

K, M = 3, 5
O, A = 11, 3
D, Z = O + 1, 64
ENC = 256
WIDTH, BLOCKS, TDIM = 256, 2, 64
T, STEPS = 100, 10


def best_rate(fn, min_time, repeats):
    """Best calls-per-second over `repeats` rounds of at least min_time."""
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


class EnsLinear(nn.Module):
    def __init__(self, k, fan_in, fan_out):
        super().__init__()
        bound = fan_in ** -0.5
        self.w = nn.Parameter(torch.empty(k, fan_in, fan_out).uniform_(-bound, bound))
        self.b = nn.Parameter(torch.empty(k, 1, fan_out).uniform_(-bound, bound))

    def forward(self, x):  # [K, rows, in]
        return torch.baddbmm(self.b, x, self.w)


def sinusoid(t, dim):
    half = dim // 2
    freqs = torch.exp(torch.arange(half, dtype=torch.float32) * -(math.log(10000) / (half - 1)))
    a = (1000 * t).unsqueeze(-1) * freqs
    return torch.cat([a.sin(), a.cos()], dim=-1)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.l0, self.l1, self.l2 = EnsLinear(K, O + A, ENC), EnsLinear(K, ENC, ENC), EnsLinear(K, ENC, Z)
        self.act = nn.SiLU()

    def forward(self, x):  # [K, B, O+A]
        return self.l2(self.act(self.l1(self.act(self.l0(x)))))


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.t1 = EnsLinear(K, TDIM, 4 * TDIM)
        self.t2 = EnsLinear(K, 4 * TDIM, TDIM)
        self.inp = EnsLinear(K, D + Z + 1 + TDIM, WIDTH)
        self.l1 = nn.ModuleList([EnsLinear(K, WIDTH, WIDTH) for _ in range(BLOCKS)])
        self.l2 = nn.ModuleList([EnsLinear(K, WIDTH, WIDTH) for _ in range(BLOCKS)])
        self.out = EnsLinear(K, WIDTH, D)
        self.act = nn.SiLU()

    def temb(self, t):
        return self.t2(self.act(self.t1(sinusoid(t, TDIM))))

    def trunk(self, h):
        h = self.act(h)
        for l1, l2 in zip(self.l1, self.l2):
            h = h + l2(self.act(l1(h)))
        return self.out(self.act(h))

    def forward(self, x, t, c):  # x [K,rows,D], t [K,rows], c [K,rows,Z]
        ones = torch.ones(x.shape[0], x.shape[1], 1)
        return self.trunk(self.inp(torch.cat([x, c, ones, self.temb(t)], dim=-1)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-time", type=float, default=2.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch", type=int, nargs="*", default=[256, 1000])
    ap.add_argument("--width", type=int, default=256)
    args = ap.parse_args()
    global WIDTH
    WIDTH = args.width
    torch.manual_seed(0)
    enc, dec = Encoder(), Decoder()
    ab = torch.tensor(cosine_alphabar(T), dtype=torch.float64)
    alpha, sigma = ab.sqrt().float(), (1 - ab).sqrt().float()
    steps = list(range(T // STEPS, T + 1, T // STEPS))
    in_mean, in_std = torch.zeros(O + A), torch.ones(O + A)
    out_mean, out_std = torch.zeros(D), torch.ones(D)
    w_in = dec.inp.w

    def ddim(x, x0, t, tp):  # x0-prediction
        eps = (x - alpha[t] * x0) / sigma[t]
        return alpha[tp] * x0 + sigma[tp] * eps

    for B in args.batch:
        obs, act = torch.randn(B, O), torch.rand(B, A) * 2 - 1
        rows = M * B

        def finish(x):  # x [K, M*B, D] -> next, reward, σ_ep, σ_al
            xs = x.view(K, M, B, D)
            mk = xs.mean(dim=1)  # [K, B, D]
            mbar = mk.mean(dim=0)  # [B, D]
            s_ep = ((mk - mbar) ** 2).sum(-1).mean(0)
            s_al = ((xs - mk.unsqueeze(1)) ** 2).sum(-1).mean(dim=(0, 1))
            k = torch.randint(0, K, (B,))
            m = torch.randint(0, M, (B,))
            pick = xs[k, m, torch.arange(B)] * out_std + out_mean
            return obs + pick[:, :O], pick[:, O], s_ep, s_al

        def cond():
            xin = ((torch.cat([obs, act], dim=-1) - in_mean) / in_std).expand(K, B, O + A)
            return enc(xin)  # [K, B, Z]

        def predict_naive():
            with torch.inference_mode():
                c = cond().repeat(1, M, 1)
                x = torch.randn(K, rows, D)
                for i in range(len(steps) - 1, -1, -1):
                    t, tp = steps[i], (steps[i - 1] if i > 0 else 0)
                    x = ddim(x, dec(x, torch.full((K, rows), t / T), c), t, tp)
                return finish(x)

        def predict_precompute():
            with torch.inference_mode():
                c = cond()
                caug = torch.cat([c, torch.ones(K, B, 1)], dim=-1)
                pc = torch.baddbmm(dec.inp.b, caug, w_in[:, D:D + Z + 1]).repeat(1, M, 1)  # [K, M*B, W]
                x = torch.randn(K, rows, D)
                for i in range(len(steps) - 1, -1, -1):
                    t, tp = steps[i], (steps[i - 1] if i > 0 else 0)
                    e = dec.temb(torch.full((K, 1), t / T))
                    tb = torch.bmm(e, w_in[:, D + Z + 1:])
                    h = torch.baddbmm(pc + tb, x, w_in[:, :D])
                    x = ddim(x, dec.trunk(h), t, tp)
                return finish(x)

        torch.manual_seed(1)
        a = predict_naive()
        torch.manual_seed(1)
        b = predict_precompute()
        assert torch.allclose(a[0], b[0], atol=1e-3), (a[0] - b[0]).abs().max()

        naive = best_rate(predict_naive, args.min_time, args.repeats)
        pre = best_rate(predict_precompute, args.min_time, args.repeats)
        best = max(naive, pre)
        print(f"imagine_W{WIDTH}_B{B}\t{B * best:.1f}\ttransitions/s")
        print(f"imagine_W{WIDTH}_B{B}_variant\t{'naive' if naive >= pre else 'precompute'}\t-")
        print(f"imagine_W{WIDTH}_B{B}_naive\t{B * naive:.1f}\ttransitions/s")
        print(f"imagine_W{WIDTH}_B{B}_precompute\t{B * pre:.1f}\ttransitions/s")


if __name__ == "__main__":
    main()
