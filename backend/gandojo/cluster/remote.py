"""A session that lives in a worker process, as the API sees it: the same surface as a local session.

The API layer calls `command`, `info`, `hello`, `subscribe`, `latest`, ... exactly as on an
`engine.base.BaseSession`; here each call goes to the session's host (cluster/host.py) with a
per-session sequence number, so commands run in the order they were sent. Frames and events come
back through the gateway's poll of the host (cluster/gateway.py) and are fanned out here, in the
gateway process, to every socket: one copy from the worker, however many watch.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from typing import Any, Protocol

from ..engine.base import READ_ONLY, CommandUnavailable, SessionEnded
from ..engine.fanout import FanOut, Subscriber, Watched
from ..engine.kinds import KINDS
from .errors import WorkerLost, unwrap



class HostHandle(Protocol):
    """What a proxy needs of its host (cluster/gateway.HostHandle)."""

    name: str

    def submit(self, method: str, *args: Any) -> Future: ...
    def get(self, method: str, *args: Any, timeout: float = 60.0) -> Any: ...
    def place(self) -> dict[str, Any]: ...


class Gateway(Protocol):
    """What a proxy needs of the gateway (cluster/gateway.ClusterManager)."""

    jobs: Any

    def colocate(self, session: "RemoteSession", host: HostHandle) -> None: ...
    def lost(self, host: HostHandle) -> None: ...
    def save_soon(self, session: "RemoteSession") -> None: ...


class RemoteSession(Watched):
    """Gateway-side proxy of one session held by `host`."""

    def __init__(self, gateway: Gateway, host: HostHandle, ids: Any, kind: str,
                 owner: str | None, info: dict[str, Any]) -> None:
        self.gateway, self.host = gateway, host
        self.id, self.token, self.viewer_token = ids.sid, ids.token, ids.viewer_token
        self.ids, self.kind, self.owner = ids, kind, owner
        self.handlers = KINDS[kind].session_class.handlers
        self._keep = False
        self._saved_as: str | None = None
        self._save_owner: str | None = None
        self.last_active = time.monotonic()
        self.running = bool(info.get("running"))
        self._iteration = int(info.get("iteration", 0))
        self.closed = False
        self.restored_from: int | None = None  # the checkpoint's iteration after a lost worker
        self.checkpoint: tuple[int, bytes, float] | None = None  # (iteration, bytes, when): newest autosave
        self.dirty = False  # changed since the last autosave (a new session has nothing to lose)
        self._fan = FanOut()
        self._seq = 0
        self._lock = threading.Lock()

    @property
    def keep(self) -> bool:
        return self._keep

    @keep.setter
    def keep(self, on: bool) -> None:
        """A session to keep is checkpointed at once (then with every autosave): a lost worker
        never costs it more than the checkpoint interval."""
        self._keep = bool(on)
        self._note(keep=self._keep)
        if on:
            self.dirty = True
            self.gateway.save_soon(self)

    saved_as = property(lambda self: self._saved_as,
                        lambda self, name: (setattr(self, "_saved_as", name), self._note(saved_as=name)))
    save_owner = property(lambda self: self._save_owner,
                          lambda self, h: (setattr(self, "_save_owner", h), self._note(save_owner=h)))

    def _note(self, **meta: Any) -> None:
        """Tell the host what the gateway knows of the session (a restarted gateway reads it back)."""
        self.host.submit("set_meta", self.id, meta)

    def restore_meta(self, meta: dict[str, Any]) -> None:
        self._keep = bool(meta.get("keep", False))
        self._saved_as, self._save_owner = meta.get("saved_as"), meta.get("save_owner")

    # ------------------------------------------------------------------ commands
    def command(self, name: str, /, **kwargs: Any) -> Future:
        if name not in self.handlers:
            raise CommandUnavailable(f"command {name!r} is not available in {self.kind} sessions")
        if name not in READ_ONLY:
            self.last_active = time.monotonic()
            self.dirty = True
        fut: Future = Future()
        if self.closed:
            fut.set_exception(SessionEnded(f"session {self.id} has ended"))
            return fut
        if name == "link" and kwargs.get("follower") is not None:
            threading.Thread(target=self._link, args=(kwargs["follower"], fut), daemon=True).start()
            return fut
        self._submit(name, kwargs, fut)
        return fut

    def _link(self, follower: "RemoteSession", fut: Future) -> None:
        """Lockstep steps both sessions in one process: the follower moves here first (off the
        caller's thread: a move is a checkpoint and a load)."""
        try:
            self.gateway.colocate(follower, self.host)
        except Exception as exc:  # noqa: BLE001 - the caller hears why
            fut.set_exception(exc)
            return
        self._submit("link", {"follower": follower.id}, fut)

    def _submit(self, name: str, kwargs: dict[str, Any], fut: Future) -> None:
        with self._lock:
            seq, host = self._seq, self.host
            self._seq += 1
        raw = host.submit("command", self.id, seq, name, kwargs)
        raw.add_done_callback(lambda r: self._settle(r, fut, host))

    def send(self, cmd: Any) -> Future:
        return self.command(cmd.cmd, **cmd.arguments())

    def _settle(self, raw: Future, fut: Future, host: HostHandle) -> None:
        try:
            packed = raw.result()
        except Exception as exc:  # noqa: BLE001 - the process died (Ray's error)
            fut.set_exception(WorkerLost(f"session {self.id}: worker {host.name} was lost during "
                                         f"the call ({type(exc).__name__}); try again"))
            self.gateway.lost(host)
            return
        if len(packed) > 2 and packed[2] is not None:
            self._iteration = packed[2]
        try:
            fut.set_result(unwrap(packed))
        except Exception as exc:  # noqa: BLE001 - the engine's error, for the caller
            fut.set_exception(exc)

    def call(self, method: str, *args: Any, timeout: float = 60.0, **kwargs: Any) -> Any:
        """A read or job start on the host (blocking); engine errors are raised as they are."""
        return unwrap(self.host.get("call", self.id, method, args, kwargs, timeout=timeout))

    # ------------------------------------------------------------------ what the API reads
    @property
    def iteration(self) -> int:
        return self._iteration

    def info(self) -> dict[str, Any]:
        return self._here(self.call("info"))

    def hello(self) -> dict[str, Any]:
        return self._here(self.call("hello"))

    def state(self) -> dict[str, Any]:
        return self.call("state")

    def _here(self, info: dict[str, Any]) -> dict[str, Any]:
        """The host's answer with what only the gateway knows: viewers, keep, checkpoint, restore
        (where it runs: the manager's `where`, as for a local session)."""
        self.running, self._iteration = bool(info.get("running")), info.get("iteration", self._iteration)
        saved = self.checkpoint
        return {**info, "viewers": self._fan.viewers, "keep": self.keep,
                "checkpointed": None if saved is None else {"iteration": saved[0],
                                                            "age_s": round(time.monotonic() - saved[2], 1)},
                **({"restored_from": self.restored_from} if self.restored_from is not None else {})}

    @property
    def trainer_serial(self) -> int:
        return self.call("trainer_serial")

    @property
    def history(self) -> "RemoteHistory | None":
        """The run's metric history (2D sessions keep one), read from the host."""
        return RemoteHistory(self) if self.kind == "2d" else None

    def export(self, n: int, format: str) -> bytes:
        return self.call("export", n, format)

    def start_metrics(self, *args: Any, **kwargs: Any) -> Any:
        return self.gateway.jobs.started(self, self.call("start_metrics", *args, **kwargs))

    def start_experiment(self, **size: Any) -> Any:
        return self.gateway.jobs.started(self, self.call("start_experiment", **size))

    # ------------------------------------------------------------------ frames
    def subscribe(self, sub: Subscriber) -> None:
        first = len(self._fan) == 0
        self._fan.add(sub)
        if first:
            self.host.submit("watch", self.id, True)
        self.command("publish")

    def unsubscribe(self, sub: Subscriber) -> None:
        self._fan.remove(sub)
        if not sub.viewer:
            self.last_active = time.monotonic()
        if len(self._fan) == 0 and not self.closed:
            self.host.submit("watch", self.id, False)

    def deliver(self, news: dict[str, Any]) -> None:
        """News from the host's poll: events first (in order), then the frame."""
        self.running = news.get("running", self.running)
        if news.get("iteration") is not None:
            self._iteration = news["iteration"]
        for msg in news.get("messages", ()):
            self._fan.broadcast(msg)
        if news.get("frame") is not None:
            self._fan.publish(news["frame"])

    def moved(self, host: HostHandle, restored_from: int | None) -> None:
        """Now held by `host` (a restore or a move): commands number from 0 there again."""
        with self._lock:
            self.host, self._seq = host, 0
        self.restored_from = restored_from
        self._note(keep=self._keep, saved_as=self._saved_as, save_owner=self._save_owner)
        if self._fan:
            host.submit("watch", self.id, True)
            self.command("publish")

    def end(self, detail: str) -> None:
        """Gone (deleted, or its worker lost without a checkpoint): every socket hears why."""
        if self.closed:
            return
        self.closed = True
        self._fan.broadcast({"type": "ended", "detail": detail})

    def request_close(self) -> None:
        """Nothing to do here: `close` (from the gateway's delete) ends it on the host."""


class RemoteHistory:
    """`session.history` of a remote 2D session: its `message()` (the run so far) from the host."""

    def __init__(self, session: RemoteSession) -> None:
        self.session = session

    def message(self) -> dict[str, Any]:
        return self.session.call("history.message")
