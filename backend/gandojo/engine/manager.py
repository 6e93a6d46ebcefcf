"""The session registry: creation with unguessable ids and tokens, lookup, limits, shutdown."""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from . import checkpoint
from .base import BaseSession, SessionDeps
from .batcher import Batcher
from .budget import FrameBudget
from .compiler import StepCompiler
from .jobs import JobRegistry
from .kinds import Kind, kind_for_dataset, kind_of_checkpoint, kind_of_trainer
from .limits import Limits
from .store import SessionStore


class SessionLimitError(RuntimeError):
    """Raised when creating a session would exceed the server's limit."""


@dataclass(frozen=True)
class Ids:
    """A session's identity: its id, control token and viewer token (unguessable)."""

    sid: str
    token: str
    viewer_token: str


def new_ids() -> Ids:
    return Ids(secrets.token_urlsafe(12), secrets.token_urlsafe(24), secrets.token_urlsafe(24))


class SessionManager:
    def __init__(self, device: str = "cpu", max_sessions: int = 200, fps: int = 30,
                 idle_pause_s: float = 120.0, idle_timeout_s: float = 1800.0,
                 limits: Limits | None = None, batching: bool = True, compile: bool = False,
                 compile_mode: str = "") -> None:
        self.device, self.max_sessions, self.fps = device, max_sessions, fps
        self.batcher = Batcher(1.0 / max(1, fps)) if batching else None  # engine/batcher.py
        self.compiler = StepCompiler(compile, compile_mode)  # engine/compiler.py
        self.budget = FrameBudget()  # fewer frames per session when many stream (engine/budget.py)
        self.limits = limits or Limits()
        self.store: SessionStore | None = None  # where `keep` sessions are saved before they end
        self.data_root: str | None = None  # image data directory (None: $GANDOJO_DATA or the cache)
        self.jobs = JobRegistry()  # background jobs of image sessions
        self.idle_pause_s, self.idle_timeout_s = idle_pause_s, idle_timeout_s
        self._sessions: dict[str, BaseSession] = {}
        self.max_per_client = 0  # sessions per client address (0: see per_client)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._reaper = threading.Thread(target=self._reap_loop, name="session-reaper", daemon=True)
        self._reaper.start()

    def reap(self, now: float | None = None) -> None:
        """Pause running sessions nobody watches or calls; end the long-untouched ones."""
        now = time.monotonic() if now is None else now
        for sid, s in list(self._sessions.items()):
            if s.subscriber_count:
                continue
            idle = now - s.last_active
            if idle > self.idle_timeout_s and self.save_kept(s):
                self.delete(sid)
            elif s.running and idle > self.idle_pause_s:
                s.command("pause", reason=f"paused: nobody watched or called for "
                                          f"{self.idle_pause_s:.0f} s")

    def save_kept(self, s: BaseSession) -> bool:
        """Save a session marked `keep` to the store before it ends; False (and a log) if that failed."""
        if not s.keep or self.store is None:
            return True
        try:
            self.store.save_session(s)
            return True
        except Exception:  # noqa: BLE001 - keep the session alive; the next reap tries again
            logging.getLogger("gandojo.store").exception("could not save kept session %s", s.id)
            return False

    def _reap_loop(self) -> None:
        while not self._stop.wait(min(10.0, self.idle_pause_s / 4)):
            self.reap()

    def create(self, dataset: str, config: BaseModel, seed: int | None = None,
               owner: str | None = None, ids: "Ids | None" = None) -> BaseSession:
        """A new session training `dataset` (its kind from the registry, engine/kinds.py) with
        `config` (that kind's config model), a random seed unless given, held by client `owner`
        (an address; None: not counted per client). LimitError before anything is built;
        KeyError / DataError when the dataset is unknown or (images) not on this machine."""
        kind = self._admit(dataset, config, owner)
        if seed is None:
            seed = secrets.randbelow(2**31)
        trainer = kind.new_trainer(dataset, config, seed, self.device, self.data_root)
        return self.adopt(trainer, owner, ids)

    def _admit(self, dataset: str, config: BaseModel, owner: str | None) -> Kind:
        """The kind of a new `dataset` session, if `config` is that kind's model, within the limits
        and there is room for it (TypeError, LimitError, SessionLimitError) — before anything is built."""
        kind = kind_for_dataset(dataset)
        if not isinstance(config, kind.config_model):
            raise TypeError(f"a {kind.name} session takes a {kind.config_model.__name__}, "
                            f"not a {type(config).__name__}")
        self._check_room(owner)
        kind.check_config(self.limits, config)
        return kind

    create_image = create  # the former name of image creation (same checks, same order)

    def load(self, data: bytes, owner: str | None = None, ids: "Ids | None" = None) -> BaseSession:
        """A new session resuming a checkpoint of any kind, by its metadata's `kind`
        (CheckpointError if the bytes are not one or cannot be restored here; LimitError)."""
        self._check_room(owner)
        kind = kind_of_checkpoint(checkpoint.metadata(data))
        return self.adopt(kind.from_checkpoint(data, self.device, self.data_root), owner, ids)

    @property
    def per_client(self) -> int:
        """Sessions one client address may hold (`max_per_client`; 0: max(20, max_sessions // 4),
        so that one client cannot fill the server, yet a class behind one NAT address can work)."""
        return self.max_per_client or max(20, self.max_sessions // 4)

    def _check_room(self, owner: str | None) -> None:
        """SessionLimitError when the server, or client `owner`, holds all it may."""
        if len(self._sessions) >= self.max_sessions:
            raise SessionLimitError(f"the server already runs {self.max_sessions} sessions "
                                    "(max_sessions); end one or try later")
        held = sum(1 for s in list(self._sessions.values()) if owner is not None and s.owner == owner)
        if owner is not None and held >= self.per_client:
            raise SessionLimitError(f"{owner} already holds {held} sessions (the limit per client "
                                    f"address is {self.per_client}: max_sessions_per_client); end "
                                    "one, or wait until idle ones end")

    def adopt(self, trainer, owner: str | None = None, ids: "Ids | None" = None) -> BaseSession:
        """A new session around a built trainer (its kind from the trainer's class); LimitError
        for a model over the server's limits. `ids` keeps a session's identity when it moves
        between processes (cluster/): otherwise a new id and tokens are drawn."""
        kind = kind_of_trainer(trainer)
        kind.check_trainer(self.limits, trainer)
        ids = ids or new_ids()
        with self._lock:
            self._check_room(owner)
            if ids.sid in self._sessions:
                raise ValueError(f"session {ids.sid} is already here")
            s = kind.session(ids.sid, ids.token, trainer, self._deps(owner, ids.viewer_token))
            self._sessions[ids.sid] = s
        return s

    def _deps(self, owner: str | None, viewer_token: str) -> SessionDeps:
        return SessionDeps(limits=self.limits, fps=self.fps, budget=self.budget,
                           batcher=self.batcher, compiler=self.compiler, jobs=self.jobs,
                           data_root=self.data_root, owner=owner,
                           viewer_token=viewer_token)  # watches, never controls

    def get(self, sid: str) -> BaseSession | None:
        """The session `sid`, or None. Looking is not activity: only commands that change it
        (and the token's mutating routes) keep it from the idle reaper."""
        return self._sessions.get(sid)

    def delete(self, sid: str) -> bool:
        with self._lock:
            s = self._sessions.pop(sid, None)
        if s is not None:
            s.close()
        return s is not None

    def where(self, session: BaseSession) -> dict[str, Any]:
        """Where `session` runs (GET /api/sessions/{id}): this process, in one-process mode."""
        return {"worker": "main", "node": socket.gethostname(), "device": self.device}

    def cluster_info(self) -> dict[str, Any]:
        """GET /api/cluster in one-process mode: one worker, this process (cluster/ has the others)."""
        sessions = list(self._sessions.values())
        return {"mode": "single", "checkpoint_interval_s": 0,
                "workers": [{"worker": "main", "node": socket.gethostname(), "device": self.device,
                             "pid": os.getpid(), "alive": True, "sessions": [s.id for s in sessions],
                             "load": len(sessions)}], "restores": []}

    def __len__(self) -> int:
        return len(self._sessions)

    def list(self) -> list[dict[str, Any]]:
        return [s.info() for s in list(self._sessions.values())]

    def close_all(self) -> None:
        self._stop.set()
        for s in list(self._sessions.values()):
            self.save_kept(s)  # first, while everything runs: a shutdown keeps what was to be kept
        if self.batcher is not None:
            self.batcher.close()
        for s in list(self._sessions.values()):
            s.request_close()  # all at once: one by one, 100 batched sessions took ~10 s to end
        for sid in list(self._sessions):
            self.delete(sid)


def token_matches(session: BaseSession, token: str | None) -> bool:
    """Constant-time comparison of a presented token with the session's."""
    return token is not None and hmac.compare_digest(session.token.encode(), token.encode())


def viewer_matches(session: BaseSession, token: str | None) -> bool:
    """Constant-time comparison of a presented token with the session's viewer token."""
    viewer = session.viewer_token
    return token is not None and viewer is not None and hmac.compare_digest(viewer.encode(),
                                                                           token.encode())
