"""Placement decisions without a cluster: the least-loaded worker, image sessions on GPU workers,
GPUs shared as fractions by at most four workers each (small GANs share a card)."""

from __future__ import annotations

import pytest

from gandojo.cluster.gateway import choose_worker
from gandojo.cluster.start import _gpu_share


def test_a_new_session_goes_to_the_worker_holding_fewest():
    live = [("w0", "cpu"), ("w1", "cpu"), ("w2", "cpu")]
    assert choose_worker("2d", live, {"w0": 3, "w1": 1, "w2": 2}) == "w1"
    assert choose_worker("2d", live, {}) == "w0"  # ties: the first


def test_image_sessions_prefer_gpu_workers_and_2d_ones_do_not():
    live = [("cpu0", "cpu"), ("gpu0", "cuda:0"), ("gpu1", "cuda:0")]
    held = {"cpu0": 0, "gpu0": 5, "gpu1": 4}
    assert choose_worker("image", live, held) == "gpu1"  # busier than the CPU worker, still a GPU
    assert choose_worker("2d", live, held) == "cpu0"
    assert choose_worker("image", [("cpu0", "cpu")], {}) == "cpu0"  # no GPU anywhere: any worker


@pytest.mark.parametrize("gpus,workers,shares", [
    (0, 3, [0, 0, 0]),                   # a CPU-only cluster
    (1, 2, [0.5, 0.5]),                  # two workers share one GPU
    (1, 6, [0.25] * 4 + [0, 0]),         # at most four share a GPU; the rest are CPU workers
    (2, 2, [1.0, 1.0]),                  # a GPU each, never more than one
    (2, 8, [0.25] * 8),
])
def test_gpus_are_shared_as_fractions(gpus, workers, shares):
    got = [_gpu_share(gpus, workers, i) for i in range(workers)]
    assert got == shares and sum(got) <= max(gpus, 0) + 1e-9
