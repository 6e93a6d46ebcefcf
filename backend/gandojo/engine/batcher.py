"""Batching of compatible playing sessions: one group thread trains their trainers as one model.

A session's worker in the fast path calls `Batcher.train(member, key)` instead of iterating
itself; the member (engine/worker.py's Worker) is all the batcher sees of a session: its `trainer`,
`idle()`, `iterations_left()`, `frame_is_due(now)`, `probe_noise(n)`, `take_probes(...)` and
`publish_probed()`. While
fewer than two sessions with its `compat_key` have been playing lately, the answer is 0 and the
session trains solo as before. Otherwise its worker thread blocks while the group thread gathers
the waiting members, trains them batched (gan/batched.py) for about one frame interval, hands
everything back and releases them; each worker then publishes its own frame and runs its own
commands, so a trainer is only ever touched by one thread at a time. A session that pauses,
changes its key or closes simply stops arriving. Each member draws its real batches and noise from
its own generator (seeded from the session's seed), exactly as it would solo: a seed gives the
same trajectory alone or in any batch, up to float32 reassociation of the batched arithmetic.
The group thread also computes the frame probes of members whose frame is due (`_probe`), batched,
and builds and publishes their frames itself before it releases the workers.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Hashable

import torch

from ..gan import probes
from ..gan.batched import BatchedTrainer
from ..gan.models import noise_grid
from .frames import N_DISPLAY

ACTIVE_S = 0.5  # a session counts as playing in its group for this long after its last arrival
GATHER_CHUNKS = 1.0  # after the first arrival, wait up to this many chunk lengths for the other
# active members (they publish their frames meanwhile; one that misses waits a whole chunk)
TRAIN_SHARE = 0.5  # training time per chunk >= this × the rest of the cycle (see _chunk_end)
IDLE_EXIT_S = 5.0  # a group thread with no arrivals for this long ends


@dataclass
class _Ticket:
    member: Any  # engine/worker.py's Worker (its member interface)
    done: threading.Event = field(default_factory=threading.Event)
    group: int = 0  # how many members the chunk had (0: not trained, train solo)


class _Group:
    """The members of one compat_key and the thread that trains them."""

    def __init__(self, batcher: "Batcher", key: Hashable) -> None:
        self.batcher, self.key = batcher, key
        self.waiting: list[_Ticket] = []
        self.seen: dict[int, float] = {}  # id(session) -> last arrival (monotonic)
        self.grids: dict[tuple, torch.Tensor] = {}  # plane grids of the heatmaps, by (view, res)
        self.released = 0.0  # when the last chunk ended (perf_counter)
        self.thread = threading.Thread(target=self._run, name=f"batch-{len(batcher.groups)}",
                                       daemon=True)

    def active(self, now: float) -> int:
        self.seen = {k: t for k, t in self.seen.items() if now - t < ACTIVE_S}
        return len(self.seen)

    def _gather(self) -> list[_Ticket] | None:
        """Wait for members (None when idle too long or closing), then take the waiting ones."""
        cond = self.batcher.cond
        with cond:
            idle_end = time.monotonic() + IDLE_EXIT_S
            while not self.waiting:
                if self.batcher.closed or time.monotonic() > idle_end:
                    del self.batcher.groups[self.key]
                    return None
                cond.wait(0.5)
            end = time.monotonic() + GATHER_CHUNKS * self.batcher.chunk_s
            while (len(self.waiting) < self.active(time.monotonic())
                   and (left := end - time.monotonic()) > 0):
                cond.wait(left)
            batch, self.waiting = self.waiting, []
        return batch

    def _run(self) -> None:
        torch.set_num_threads(torch.get_num_threads())  # per-thread OpenMP setting, as in loop.py
        while (batch := self._gather()) is not None:
            try:
                self._train(batch)
            except Exception as exc:  # members train solo this chunk; the group lives on
                self.batcher.last_error = f"{type(exc).__name__}: {exc}"
            finally:
                for t in batch:
                    t.done.set()

    def _chunk_end(self) -> float:
        """When this chunk's training stops: a whole cycle (frames, gathering, training) lasts
        about one chunk length, but training gets at least TRAIN_SHARE of what the rest took
        (at most a chunk length): many members' frames do not starve training, nor the reverse."""
        now, chunk = time.perf_counter(), self.batcher.chunk_s
        rest = now - self.released if self.released else 0.0
        return max(self.released + chunk, now + min(TRAIN_SHARE * rest, chunk))

    def _train(self, batch: list[_Ticket]) -> None:
        members = [t.member for t in batch]
        bt = BatchedTrainer([m.trainer for m in members])  # per-member RNG streams
        end = self._chunk_end()
        # a member playing to `until` caps the chunk: it must stop at that iteration exactly
        caps = [c for c in (m.iterations_left() for m in members) if c is not None]
        cap = min(caps) if caps else None
        n = 0
        try:  # at least one iteration; stop early when a member has a command waiting
            while cap is None or n < cap:
                bt.iterate(1)
                n += 1
                if time.perf_counter() >= end or not all(m.idle() for m in members):
                    break
        finally:
            bt.hand_back()
        for t in batch:
            t.group = len(batch)
        self._publish(self._probe(bt, members))
        self.released = time.perf_counter()

    def _probe(self, bt: BatchedTrainer, sessions: list) -> list:
        """The frame probes (fakes, gradients, heatmap, manifold) of every member whose frame is
        due, at once; its worker's frame uses them instead of computing its own."""
        now, cpu = time.perf_counter(), time.thread_time()
        due = [k for k, s in enumerate(sessions) if s.frame_is_due(now)]
        if not due:
            return []
        index = None if len(due) == len(sessions) else torch.tensor(due)
        z = torch.stack([sessions[k].probe_noise(N_DISPLAY) for k in due])
        fake, d_fake, grad = bt.fakes_with_gradients(z, index)
        noise = noise_grid(bt.cfg.noise, probes.MANIFOLD_CELLS, z.device)
        man = None if noise is None else bt.g_of(noise.reshape(-1, noise.shape[-1]), index)
        heat: dict[int, torch.Tensor] = {}
        by_res: dict[int, list[int]] = {}
        for k in due:
            by_res.setdefault(sessions[k].trainer.config.heatmap_resolution, []).append(k)
        for res, ks in by_res.items():
            grids = torch.stack([self._grid(sessions[k].trainer.dataset.view, res, z.device)
                                 for k in ks])
            sub = None if len(ks) == len(sessions) else torch.tensor(ks)
            heat.update(zip(ks, bt.d_probs(grids, sub).view(len(ks), res, res)))
        refs = probes.DisplayScale.reference(grad).tolist()  # the arrows' scale, all at once
        share = (time.thread_time() - cpu) / len(due)  # counted in each frame's cost (budget.py)
        for i, k in enumerate(due):
            sessions[k].take_probes({
                "fake": fake[i], "d_fake": d_fake[i], "grad": grad[i], "heatmap": heat[k],
                "manifold": None if man is None else man[i].view(*noise.shape[:2], 2),
                "grad_ref": refs[i], "cpu_s": share})
        return [sessions[k] for k in due]

    @staticmethod
    def _publish(due: list) -> None:
        """Build and publish the probed members' frames here, one after the other, while their
        workers still wait: a hundred workers waking to build frames at once fight over the GIL
        (measured: each frame then costs about 5× the CPU time)."""
        for member in due:
            member.publish_probed()

    def _grid(self, view, res: int, device: torch.device) -> torch.Tensor:
        key = (view, res)
        if key not in self.grids:
            self.grids[key] = probes.plane_grid(view, res, device)
        return self.grids[key]


class Batcher:
    """Groups of compatible sessions (by `compat_key`), each trained by its own thread."""

    def __init__(self, chunk_s: float = 1 / 30) -> None:
        self.chunk_s = chunk_s
        self.groups: dict[Hashable, _Group] = {}
        self.cond = threading.Condition()
        self.closed = False
        self.last_error: str | None = None

    def train(self, member, key: Hashable) -> int:
        """Train `member`'s trainer for one chunk in the group of `key` (its compat_key; blocks);
        the group size, or 0 when it should train solo (no compatible member playing)."""
        if key is None or self.closed:
            return 0
        ticket = _Ticket(member)
        with self.cond:
            group = self.groups.get(key)
            if group is None:
                group = self.groups[key] = _Group(self, key)
            now = time.monotonic()
            group.seen[id(member)] = now
            if group.active(now) < 2:
                return 0
            if not group.thread.is_alive():  # the thread starts with the group's second member
                group.thread.start()
            group.waiting.append(ticket)
            self.cond.notify_all()
        ticket.done.wait()
        return ticket.group

    def sizes(self) -> dict[str, int]:
        """Members playing lately per group (for diagnostics)."""
        now = time.monotonic()
        with self.cond:
            return {str(k): g.active(now) for k, g in self.groups.items()}

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()
