"""2D toy datasets (GAN Lab's four plus the ring8 and grid25 benchmarks), in one registry."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch

View = tuple[tuple[float, float], tuple[float, float]]
UNIT_SQUARE: View = ((0.0, 1.0), (0.0, 1.0))


@dataclass(frozen=True)
class Dataset2D:
    """A 2D distribution: a seeded sampler, the visible plane and (for mixtures) its modes."""

    name: str
    title: str
    view: View
    sampler: Callable[[int, torch.Generator], torch.Tensor]
    means: torch.Tensor | None = None  # (K, 2) mode centres, for mode metrics
    stds: torch.Tensor | None = None  # (K, 2) per-axis standard deviations
    points: torch.Tensor | None = None  # (N, 2) example points of a drawn / uploaded dataset

    @property
    def modes_total(self) -> int | None:
        return None if self.means is None else int(self.means.shape[0])

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """n fresh samples, (n, 2) float32, drawn from `generator` only."""
        return self.sampler(n, generator)


def _mixture(means: list[tuple[float, float]], stds: list[tuple[float, float]]):
    m = torch.tensor(means, dtype=torch.float32)
    s = torch.tensor(stds, dtype=torch.float32)

    def sample(n: int, g: torch.Generator) -> torch.Tensor:
        dev = g.device
        idx = torch.randint(0, m.shape[0], (n,), generator=g, device=dev)
        return torch.addcmul(m.to(dev)[idx], s.to(dev)[idx], torch.randn(n, 2, generator=g, device=dev))

    return sample, m, s


def _line(n: int, g: torch.Generator) -> torch.Tensor:
    dev = g.device
    u = torch.rand(n, 1, generator=g, device=dev)
    base = torch.tensor([[0.8, 0.6]], device=dev) + u * torch.tensor([[-0.75, 0.3]], device=dev)
    return base + 0.01 * torch.randn(n, 2, generator=g, device=dev)


def _ring(n: int, g: torch.Generator) -> torch.Tensor:
    dev = g.device
    theta = torch.rand(n, generator=g, device=dev) * (2 * math.pi)
    pts = torch.stack([0.5 + 0.3 * torch.cos(theta), 0.45 + 0.25 * torch.sin(theta)], dim=1)
    return pts + 0.025 * torch.randn(n, 2, generator=g, device=dev)


def _build_registry() -> dict[str, Dataset2D]:
    reg: dict[str, Dataset2D] = {}

    def add(name, title, view, sampler, means=None, stds=None):
        reg[name] = Dataset2D(name, title, view, sampler, means, stds)

    s, m, sd = _mixture([(0.3, 0.7), (0.7, 0.4)], [(0.1, 0.1), (0.05, 0.2)])
    add("gaussians", "Mixture of Gaussians", UNIT_SQUARE, s, m, sd)
    add("line", "Line", UNIT_SQUARE, _line)
    add("ring", "Ring", UNIT_SQUARE, _ring)
    s, m, sd = _mixture([(0.35, 0.75), (0.75, 0.6), (0.45, 0.35)], [(0.025, 0.025)] * 3)
    add("disjoint", "Three disjoint regions", UNIT_SQUARE, s, m, sd)
    ring8 = [(math.cos(2 * math.pi * k / 8), math.sin(2 * math.pi * k / 8)) for k in range(8)]
    s, m, sd = _mixture(ring8, [(0.01, 0.01)] * 8)
    add("ring8", "Ring of 8 Gaussians", ((-1.5, 1.5), (-1.5, 1.5)), s, m, sd)
    grid = [(float(x), float(y)) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)]
    s, m, sd = _mixture(grid, [(0.05, 0.05)] * 25)
    add("grid25", "Grid of 25 Gaussians", ((-6.0, 6.0), (-6.0, 6.0)), s, m, sd)
    return reg


DATASETS: dict[str, Dataset2D] = _build_registry()


# Point datasets made from user input (not in the registry): the one list of their names and titles.
CUSTOM_TITLES: dict[str, str] = {"drawn": "Your drawing", "csv": "Uploaded points"}
CUSTOM = tuple(CUSTOM_TITLES)


def get_dataset(name: str) -> Dataset2D:
    """The registered dataset `name`; KeyError lists the known names."""
    try:
        return DATASETS[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}") from None


def points_dataset(points: torch.Tensor, name: str = "drawn", noise: float = 0.02,
                   view: View | None = None) -> Dataset2D:
    """A distribution given by example points (drawn or uploaded): a random point + noise·ε.

    Without `view`, drawn points use the unit square and other point sets their bounding box
    padded by 10 % (at least the unit square's size around a single point).
    """
    pts = points.detach().to(torch.float32).reshape(-1, 2).clone()
    if view is None:
        if name == "drawn":
            view = UNIT_SQUARE
        else:
            lo, hi = pts.min(0).values, pts.max(0).values
            pad = torch.clamp((hi - lo) * 0.1, min=0.5 if len(pts) == 1 else 1e-3)
            lo, hi = (lo - pad).tolist(), (hi + pad).tolist()
            side = max(hi[0] - lo[0], hi[1] - lo[1])  # a square plane keeps the aspect
            cx, cy = (lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2
            view = ((cx - side / 2, cx + side / 2), (cy - side / 2, cy + side / 2))

    def sample(n: int, g: torch.Generator) -> torch.Tensor:
        dev = g.device
        idx = torch.randint(0, pts.shape[0], (n,), generator=g, device=dev)
        return pts.to(dev)[idx] + noise * torch.randn(n, 2, generator=g, device=dev)

    return Dataset2D(name, CUSTOM_TITLES.get(name, CUSTOM_TITLES["csv"]), view, sample, points=pts)
