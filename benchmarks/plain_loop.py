"""A plain PyTorch GAN loop on GAN Lab's defaults, written WITHOUT any gandojo code: the yardstick
of bench_2d.py (what a student would write: two nn.Sequential, SGD, BCE, kD = 2, batch 150).

The mixture of Gaussians is GAN Lab's: 50/50 N((0.3, 0.7), σ = 0.1) and N((0.7, 0.4), σ = (0.05,
0.2)); noise is 2D N(0, I); G and D are 1 hidden layer of 8 ReLUs; SGD lr 0.03 (G) / 0.1 (D).
"""

from __future__ import annotations

import time

import torch
from torch import nn

MEANS = torch.tensor([[0.3, 0.7], [0.7, 0.4]])
STDS = torch.tensor([[0.1, 0.1], [0.05, 0.2]])
BATCH, K_D = 150, 2


def plain_its(seconds: float, warmup: float, seed: int = 0) -> dict:
    """Iterations/s (k_d D steps + one G step each) of the plain loop, after `warmup` seconds."""
    torch.manual_seed(seed)
    G = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    D = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    opt_g = torch.optim.SGD(G.parameters(), lr=0.03)
    opt_d = torch.optim.SGD(D.parameters(), lr=0.1)
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(BATCH, 1), torch.zeros(BATCH, 1)

    def iteration() -> None:
        for _ in range(K_D):
            idx = torch.randint(0, 2, (BATCH,))
            real = MEANS[idx] + STDS[idx] * torch.randn(BATCH, 2)
            fake = G(torch.randn(BATCH, 2)).detach()
            loss_d = bce(D(real), ones) + bce(D(fake), zeros)
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
        loss_g = bce(D(G(torch.randn(BATCH, 2))), ones)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()

    clock = time.perf_counter
    end = clock() + warmup
    while clock() < end:
        iteration()
    n, t0, cpu0 = 0, clock(), time.thread_time()
    while clock() < t0 + seconds:
        iteration()
        n += 1
    return {"its": n / (clock() - t0), "iterations": n,
            "its_per_cpu_s": n / max(1e-9, time.thread_time() - cpu0)}
