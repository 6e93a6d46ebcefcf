"""A session host: one worker process's sessions behind an asyncio interface that Ray runs as an actor.

The host wraps an ordinary `engine.manager.SessionManager` (its own batcher, compiler, frame budget
and jobs) and answers the gateway (cluster/gateway.py):

- identity travels with a session (`Ids`): a session restored on another host keeps its id and tokens;
- commands carry a per-session sequence number and are queued on the session's worker strictly in
  that order (Ray runs an async actor's calls concurrently, so arrival order is not enough);
- `poll` hands over, for every watched session, the newest encoded frame (once) and the text events
  since the last poll: one frame object per session per tick, however many people watch it;
- errors come back as values (`pack_error`), never as Ray's wrapped exceptions, so the API maps them
  to the same 4xx as in a single process.

The class is plain Python (no Ray import): tests drive it directly, `cluster/start.py` wraps it.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from typing import Any

from ..engine.base import BaseSession, SessionEnded
from ..engine.fanout import Subscriber
from ..engine.limits import Limits
from ..engine.manager import Ids, SessionManager
from .errors import pack_error

POLL_MAX_S = 2.0  # the longest a poll waits for news
NO_REAP_S = 10.0 * 365 * 86400  # the gateway reaps (it knows who watches); hosts never do


class SessionHost:
    """The sessions of one worker process; every public method is a Ray actor method."""

    def __init__(self, name: str, device: str, limits: Limits, fps: int, batching: bool,
                 compile: bool, compile_mode: str = "", data_root: str | None = None,
                 threads: int = 1) -> None:
        import torch
        torch.set_num_threads(threads)  # as `gandojo serve --threads` (tiny 2D models: 1 is fastest)
        self.name, self.device = name, device
        self.manager = SessionManager(device, max_sessions=1_000_000, fps=fps, idle_pause_s=NO_REAP_S,
                                      idle_timeout_s=NO_REAP_S, limits=limits, batching=batching,
                                      compile=compile, compile_mode=compile_mode)
        self.manager.max_per_client = 1_000_000  # the gateway counts per client, over all hosts
        self.manager.data_root = data_root
        self._seq: dict[str, int] = {}  # next command sequence number per session
        self._order = asyncio.Condition()
        self._watched: dict[str, Subscriber] = {}
        self._sent: dict[str, int] = {}  # frame sequence number last handed to the gateway
        self._news = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._meta: dict[str, dict[str, Any]] = {}  # what only the gateway uses (keep, saved_as, ...)

    # ------------------------------------------------------------------ who and where
    async def describe(self) -> dict[str, Any]:
        sessions = list(self.manager._sessions.values())
        return {"worker": self.name, "node": socket.gethostname(), "node_id": _ray_node_id(), "pid": os.getpid(),
                "device": self.device, "sessions": len(sessions),
                "running": sum(1 for s in sessions if s.running),
                "running_ids": [s.id for s in sessions if s.running],
                "ids": [s.id for s in sessions]}

    async def sessions(self) -> list[dict[str, Any]]:
        """Every session held here with its identity and the gateway's notes on it: a gateway that
        restarts (`--ray`) adopts them again."""
        return [{"ids": Ids(s.id, s.token, s.viewer_token), "kind": s.kind, "owner": s.owner,
                 "info": s.info(), "meta": self._meta.get(s.id, {})}
                for s in list(self.manager._sessions.values())]

    async def set_meta(self, sid: str, meta: dict[str, Any]) -> None:
        if self.manager.get(sid) is not None:
            self._meta.setdefault(sid, {}).update(meta)

    # ------------------------------------------------------------------ lifecycle
    async def create(self, dataset: str, config: Any, seed: int | None, owner: str | None,
                     ids: Ids) -> tuple:
        return await self._start(lambda: self.manager.create(dataset, config, seed, owner, ids))

    async def load(self, data: bytes, owner: str | None, ids: Ids) -> tuple:
        return await self._start(lambda: self.manager.load(data, owner, ids))

    async def adopt(self, trainer: Any, owner: str | None, ids: Ids) -> tuple:
        return await self._start(lambda: self.manager.adopt(trainer, owner, ids))

    async def _start(self, build) -> tuple:
        try:
            s = await asyncio.to_thread(build)
        except Exception as exc:  # noqa: BLE001 - goes back as a value, raised at the gateway
            return ("err", pack_error(exc))
        self._seq[s.id] = 0
        return ("ok", {"kind": s.kind, "info": s.info()})

    async def delete(self, sid: str) -> bool:
        for kept in (self._watched, self._sent, self._meta, self._seq):
            kept.pop(sid, None)
        return await asyncio.to_thread(self.manager.delete, sid)

    async def close_all(self) -> None:
        await asyncio.to_thread(self.manager.close_all)

    # ------------------------------------------------------------------ commands and calls
    async def command(self, sid: str, seq: int, name: str, kwargs: dict[str, Any]) -> tuple:
        """Queue command `name` as the session's `seq`-th, after every earlier one; its result."""
        async with self._order:
            await self._order.wait_for(lambda: self._seq.get(sid, seq) >= seq)
            s = self.manager.get(sid)
            try:
                if s is None:
                    raise SessionEnded(f"session {sid} has ended (not on worker {self.name})")
                if name == "link" and kwargs.get("follower") is not None:
                    kwargs = {**kwargs, "follower": self._local(kwargs["follower"])}
                fut = s.command(name, **kwargs)
            except Exception as exc:  # noqa: BLE001
                fut = None
                err = exc
            finally:
                if sid in self._seq:
                    self._seq[sid] = seq + 1
                self._order.notify_all()
        if fut is None:
            return ("err", pack_error(err))
        try:
            result = await asyncio.wrap_future(fut)
        except Exception as exc:  # noqa: BLE001
            return ("err", pack_error(exc), s.iteration)
        return ("ok", result, s.iteration)

    def _local(self, sid: str) -> BaseSession:
        s = self.manager.get(sid)
        if s is None:
            raise ValueError(f"session {sid} is not on worker {self.name}")
        return s

    async def call(self, sid: str, method: str, args: tuple = (), kwargs: dict | None = None) -> tuple:
        """A read or a job start on the session (info, hello, state, export, start_metrics, ...)."""
        s = self.manager.get(sid)
        if s is None:
            return ("err", pack_error(SessionEnded(f"session {sid} has ended (not on worker {self.name})")))
        try:
            result = await asyncio.to_thread(_read, s, method, args, kwargs or {})
        except Exception as exc:  # noqa: BLE001
            return ("err", pack_error(exc))
        if hasattr(result, "describe") and hasattr(result, "cancel"):  # a Job: its description
            result = result.describe()
        return ("ok", result)

    async def job(self, job_id: str, cancel: bool = False) -> dict | None:
        job = self.manager.jobs.cancel(job_id) if cancel else self.manager.jobs.get(job_id)
        return None if job is None else job.describe()

    # ------------------------------------------------------------------ frames and events
    async def watch(self, sid: str, on: bool = True) -> bool:
        """Start (or stop) streaming session `sid` to the gateway."""
        s = self.manager.get(sid)
        if s is None:
            return False
        self._loop = asyncio.get_running_loop()
        if on and sid not in self._watched:
            sub = Subscriber(self._wake, maxlen=256)
            self._watched[sid] = sub
            self._sent[sid] = 0
            s.subscribe(sub)
        elif not on and sid in self._watched:
            s.unsubscribe(self._watched.pop(sid))
        return True

    def _wake(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._news.set)

    async def poll(self, timeout: float = 0.5) -> dict[str, Any]:
        """What is new since the last poll: {sid: {"frame": bytes | None, "messages": [...],
        "running": bool, "iteration": int, "closed": bool}} for watched sessions with news."""
        self._news.clear()
        out = self._collect()
        if not out:
            try:
                await asyncio.wait_for(self._news.wait(), min(POLL_MAX_S, max(0.0, timeout)))
            except asyncio.TimeoutError:
                pass
            out = self._collect()
        return {"at": time.time(), "sessions": out}

    def _collect(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for sid, sub in list(self._watched.items()):
            s = self.manager.get(sid)
            messages = []
            while (m := sub.pop()) is not None:
                if m.get("type") != "viewers":  # the gateway counts its own viewers
                    messages.append(dict(m))
            latest = s.latest() if s is not None else None
            frame = None
            if latest is not None and latest[0] != self._sent.get(sid):
                self._sent[sid] = latest[0]
                frame = latest[1]
            closed = s is None or s.closed
            if frame is not None or messages or closed:
                out[sid] = {"frame": frame, "messages": messages, "closed": closed,
                            "running": bool(s and s.running), "iteration": s.iteration if s else None}
            if closed:
                self._watched.pop(sid, None)
        return out


def _read(session: BaseSession, path: str, args: tuple, kwargs: dict) -> Any:
    """`session.<path>(*args)` for a method, `session.<path>` for an attribute (dotted: history.message)."""
    target: Any = session
    for part in path.split("."):
        target = getattr(target, part)
    return target(*args, **kwargs) if callable(target) else target


def _ray_node_id() -> str | None:
    """The Ray node this host runs on (two nodes on one machine share a host name), or None outside Ray."""
    try:
        import ray
        return ray.get_runtime_context().get_node_id() if ray.is_initialized() else None
    except Exception:  # noqa: BLE001 - no Ray here (the tests drive the host directly)
        return None
