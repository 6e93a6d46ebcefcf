"""The session registry: creation with unguessable ids and tokens, lookup, limits, shutdown."""

from __future__ import annotations

import hmac
import secrets
import threading
from typing import Any

from ..gan.config import GanConfig
from ..gan.datasets import get_dataset
from ..gan.trainer import Trainer2D
from . import checkpoint
from .session import Session


class SessionLimitError(RuntimeError):
    """Raised when creating a session would exceed the server's limit."""


class SessionManager:
    def __init__(self, device: str = "cpu", max_sessions: int = 200, fps: int = 30) -> None:
        self.device, self.max_sessions, self.fps = device, max_sessions, fps
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, dataset: str, config: GanConfig, seed: int | None = None) -> Session:
        """A new session training `dataset` with `config` (a random seed unless given)."""
        if seed is None:
            seed = secrets.randbelow(2**31)
        return self.adopt(Trainer2D(get_dataset(dataset), config, seed, self.device))

    def load(self, data: bytes) -> Session:
        """A new session resuming a checkpoint (CheckpointError if the bytes are not one)."""
        return self.adopt(checkpoint.from_bytes(data, self.device))

    def adopt(self, trainer: Trainer2D) -> Session:
        with self._lock:
            if len(self._sessions) >= self.max_sessions:
                raise SessionLimitError(f"the server already runs {self.max_sessions} sessions "
                                        "(max_sessions); end one or try later")
            sid = secrets.token_urlsafe(12)
            s = Session(sid, secrets.token_urlsafe(24), trainer, self.fps)
            self._sessions[sid] = s
        return s

    def get(self, sid: str) -> Session | None:
        return self._sessions.get(sid)

    def delete(self, sid: str) -> bool:
        with self._lock:
            s = self._sessions.pop(sid, None)
        if s is not None:
            s.close()
        return s is not None

    def __len__(self) -> int:
        return len(self._sessions)

    def list(self) -> list[dict[str, Any]]:
        return [s.info() for s in list(self._sessions.values())]

    def close_all(self) -> None:
        for sid in list(self._sessions):
            self.delete(sid)


def token_matches(session: Session, token: str | None) -> bool:
    """Constant-time comparison of a presented token with the session's."""
    return token is not None and hmac.compare_digest(session.token.encode(), token.encode())
