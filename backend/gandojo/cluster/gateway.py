"""The gateway's session manager when sessions live in worker processes (Ray actors).

`ClusterManager` is a `SessionManager` to the API (same create / load / adopt / get / delete /
reap / limits, same errors), but each session is a `RemoteSession` (cluster/remote.py) on one of
the hosts (cluster/host.py):

- placement: a new session goes to the live host holding the fewest; image sessions prefer hosts
  with a GPU;
- streaming: one poll thread per host moves each watched session's newest frame and events into
  the proxy's fan-out (one copy per session per tick, fanned out here);
- faults: every `checkpoint_interval_s` the sessions that changed are checkpointed into the
  gateway's memory; when a host dies its sessions are restored on another host from that
  checkpoint (same id and tokens; the sockets get a `state` with `restored_from`), and those
  without one end with a clear reason. `spawn` (local clusters) starts a replacement host.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from typing import Any, Callable

from ..engine import checkpoint
from ..engine.kinds import kind_of_checkpoint, kind_of_trainer
from ..engine.limits import Limits
from ..engine.manager import SessionManager, new_ids
from .errors import WorkerLost, unwrap
from .jobs import ClusterJobs
from .remote import RemoteSession

log = logging.getLogger("gandojo.cluster")
POLLS_PER_S = 45  # above the 30 frames/s a session streams; each poll is one call per worker


def choose_worker(kind: str, live: list[tuple[str, str]], held: dict[str, int]) -> str:
    """Where a new `kind` session goes: of the live workers [(name, device)], those with a GPU when
    it is an image session and one has a GPU, then the one holding fewest sessions (first on ties)."""
    if kind == "image" and any(device.startswith("cuda") for _, device in live):
        live = [(n, d) for n, d in live if d.startswith("cuda")]
    return min(live, key=lambda w: held.get(w[0], 0))[0]


class HostHandle:
    """The gateway's handle on one host actor: calls as futures, where it runs, whether it lives."""

    def __init__(self, name: str, actor: Any, info: dict[str, Any], is_lost: Callable[[BaseException], bool]) -> None:
        self.name, self.actor, self.info = name, actor, info
        self.alive = True
        self._is_lost = is_lost  # does this exception mean the process is gone (Ray's error types)
        self.on_lost: Callable[["HostHandle"], None] = lambda h: None

    def submit(self, method: str, *args: Any) -> Future:
        try:
            return getattr(self.actor, method).remote(*args).future()
        except Exception as exc:  # noqa: BLE001 - the handle itself is dead
            fut: Future = Future()
            fut.set_exception(exc)
            return fut

    def get(self, method: str, *args: Any, timeout: float = 60.0) -> Any:
        """The call's result; WorkerLost (and the gateway told) when the process is gone."""
        try:
            return self.submit(method, *args).result(timeout)
        except Exception as exc:  # noqa: BLE001
            if self._is_lost(exc):
                self.on_lost(self)
                raise WorkerLost(f"worker {self.name} was lost ({type(exc).__name__})") from None
            raise

    def place(self) -> dict[str, Any]:
        return {"worker": self.name, "node": self.info.get("node"), "node_id": self.info.get("node_id"),
                "device": self.info.get("device")}


class ClusterManager(SessionManager):
    """Sessions on hosts (see the module's docstring); what the API holds as `app.state.manager`."""

    def __init__(self, hosts: list[HostHandle], mode: str, limits: Limits | None = None,
                 max_sessions: int = 200, idle_pause_s: float = 120.0, idle_timeout_s: float = 1800.0,
                 checkpoint_interval_s: float = 30.0, spawn: Callable[[int], HostHandle] | None = None,
                 shutdown: Callable[[], None] = lambda: None) -> None:
        self.mode, self.max_sessions = mode, max_sessions
        self.device = "cpu"  # where trainers built here live (a pretrained start) before they travel
        self.limits, self.store, self.data_root = limits or Limits(), None, None
        self.jobs = ClusterJobs()
        self.batcher, self.max_per_client = None, 0
        self.idle_pause_s, self.idle_timeout_s = idle_pause_s, idle_timeout_s
        self.checkpoint_interval_s = checkpoint_interval_s
        self.hosts: list[HostHandle] = []
        self._sessions: dict[str, RemoteSession] = {}
        self._spawn, self._shutdown = spawn, shutdown
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self.restores: list[dict[str, Any]] = []  # what each lost host cost (GET /api/cluster)
        for h in hosts:
            self.add_host(h)
            self._adopt_held(h)
        for target in (self._reap_loop, self._autosave_loop):
            threading.Thread(target=target, name=f"cluster-{target.__name__}", daemon=True).start()

    # ------------------------------------------------------------------ hosts
    def add_host(self, host: HostHandle) -> None:
        host.on_lost = self.lost
        with self._lock:
            self.hosts.append(host)
        threading.Thread(target=self._pump, args=(host,), name=f"pump-{host.name}", daemon=True).start()

    def _adopt_held(self, host: HostHandle) -> None:
        """Sessions a worker already holds (a gateway restarted on a Ray cluster): proxies again,
        with their ids, tokens and the gateway's notes (keep, saved as)."""
        for held in host.get("sessions", timeout=60):
            s = RemoteSession(self, host, held["ids"], held["kind"], held["owner"], held["info"])
            s.restore_meta(held["meta"])
            self._sessions[s.id] = s
            host.submit("watch", s.id, False)  # nobody watches it through this gateway yet
        if self._sessions:
            log.info("adopted %d sessions held by %s", len(self._sessions), host.name)

    def _pick(self, kind: str, exclude: HostHandle | None = None) -> HostHandle:
        live = [h for h in self.hosts if h.alive and h is not exclude]
        if not live:
            raise WorkerLost("no worker is alive to hold the session; try again shortly")
        held = {h.name: 0 for h in live}
        for s in list(self._sessions.values()):
            if s.host.name in held:
                held[s.host.name] += 1
        name = choose_worker(kind, [(h.name, str(h.info.get("device", ""))) for h in live], held)
        return next(h for h in live if h.name == name)

    def _pump(self, host: HostHandle) -> None:
        """Poll `host` at most POLLS_PER_S times a second: each poll hands the newest frame of every
        watched session (several frames of one session between two polls: only the newest goes)."""
        last = 0.0
        while host.alive and not self._stop.is_set():
            wait = last + 1.0 / POLLS_PER_S - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            last = time.monotonic()
            try:
                news = host.get("poll", 0.5, timeout=30)
            except WorkerLost:
                return
            except Exception:  # noqa: BLE001 - a slow poll; try again
                log.exception("poll of %s failed", host.name)
                time.sleep(0.5)
                continue
            for sid, n in news["sessions"].items():
                s = self._sessions.get(sid)
                if s is not None and s.host is host:
                    s.deliver(n)

    # ------------------------------------------------------------------ sessions
    def create(self, dataset: str, config: Any, seed: int | None = None, owner: str | None = None,
               ids: Any = None) -> RemoteSession:
        kind = self._admit(dataset, config, owner)
        return self._place(kind.name, owner, "create", dataset, config, seed)

    def load(self, data: bytes, owner: str | None = None, ids: Any = None) -> RemoteSession:
        self._check_room(owner)
        kind = kind_of_checkpoint(checkpoint.metadata(data))
        return self._place(kind.name, owner, "load", data)

    def adopt(self, trainer: Any, owner: str | None = None, ids: Any = None) -> RemoteSession:
        """A trainer built here (a pretrained start) travels as its checkpoint: the host builds it
        again on its own device."""
        kind = kind_of_trainer(trainer)
        kind.check_trainer(self.limits, trainer)
        self._check_room(owner)
        return self._place(kind.name, owner, "load", kind.to_checkpoint(trainer))

    def _place(self, kind: str, owner: str | None, method: str, *args: Any) -> RemoteSession:
        host, ids = self._pick(kind), new_ids()
        made = unwrap(host.get(method, *args, owner, ids, timeout=300))
        s = RemoteSession(self, host, ids, made["kind"], owner, made["info"])
        with self._lock:
            self._sessions[ids.sid] = s
        return s

    def get(self, sid: str) -> RemoteSession | None:
        return self._sessions.get(sid)

    def delete(self, sid: str) -> bool:
        with self._lock:
            s = self._sessions.pop(sid, None)
        if s is None:
            return False
        if s.host.alive:
            try:
                s.host.get("delete", sid, timeout=30)
            except WorkerLost:
                pass
        s.end(f"session {sid} has ended")
        return True

    def colocate(self, session: RemoteSession, host: HostHandle) -> None:
        """Move `session` to `host` (lockstep links step both sessions in one process)."""
        if session.host is host:
            return
        data = session.command("checkpoint").result(60)
        old = session.host
        unwrap(host.get("load", data, session.owner, session.ids, timeout=120))
        session.moved(host, None)
        old.submit("delete", session.id)

    def reap(self, now: float | None = None) -> None:
        """As in one process; first learn which sessions run (an unwatched one streams nothing)."""
        for h in [h for h in self.hosts if h.alive]:
            try:
                running = set(h.get("describe", timeout=30)["running_ids"])
            except Exception:  # noqa: BLE001 - a lost or slow worker: its pump tells
                continue
            for s in list(self._sessions.values()):
                if s.host is h:
                    s.running = s.id in running
        super().reap(now)

    def where(self, session: Any) -> dict[str, Any]:
        return session.host.place()

    # ------------------------------------------------------------------ faults
    def _autosave_loop(self) -> None:
        while not self._stop.wait(max(1.0, self.checkpoint_interval_s or 3600.0)):
            if self.checkpoint_interval_s > 0:
                self.autosave()

    def autosave(self) -> int:
        """Checkpoint every session that changed since its last autosave; how many were saved."""
        return sum(self._save(s) for s in list(self._sessions.values()))

    def _save(self, s: RemoteSession) -> bool:
        if s.closed or not s.host.alive or not (s.dirty or s.running):
            return False
        try:
            s.dirty = False
            fut = s.command("checkpoint")
            data = fut.result(60)
            s.checkpoint = (int(checkpoint.metadata(data).get("iteration", 0)), data, time.monotonic())
            return True
        except Exception:  # noqa: BLE001 - the next round tries again
            s.dirty = True
            log.warning("autosave of session %s failed", s.id, exc_info=True)
            return False

    def save_soon(self, s: RemoteSession) -> None:
        """Checkpoint `s` now, off the caller's thread (a session marked `keep`)."""
        threading.Thread(target=self._save, args=(s,), name=f"save-{s.id}", daemon=True).start()

    def lost(self, host: HostHandle) -> None:
        """`host` died: restore its sessions elsewhere (in a thread: called from Ray's callbacks)."""
        with self._lock:
            if not host.alive:
                return
            host.alive = False
        log.error("worker %s was lost; restoring its sessions", host.name)
        threading.Thread(target=self._restore_all, args=(host,), name="restore", daemon=True).start()

    def _restore_all(self, host: HostHandle) -> None:
        started = time.monotonic()
        moved = [s for s in list(self._sessions.values()) if s.host is host]
        report = {"worker": host.name, "sessions": len(moved), "restored": 0, "ended": 0,
                  "iterations_lost": []}
        for s in moved:
            lost_at = s.iteration
            if self._restore(s):
                report["restored"] += 1
                report["iterations_lost"].append(max(0, lost_at - (s.restored_from or 0)))
            else:
                report["ended"] += 1
        report["seconds"] = round(time.monotonic() - started, 3)
        self.restores.append(report)
        if self._spawn is not None and not self._stop.is_set():  # then the lost capacity again
            try:
                self.add_host(self._spawn(len(self.hosts)))
            except Exception:  # noqa: BLE001 - the others carry the load
                log.exception("could not start a replacement for worker %s", host.name)

    def _restore(self, s: RemoteSession) -> bool:
        if s.checkpoint is not None:
            iteration, data, _ = s.checkpoint
            try:
                target = self._pick(s.kind, exclude=s.host)
                packed = target.get("load", data, s.owner, s.ids, timeout=300)
                if packed[0] == "ok":
                    s.moved(target, iteration)
                    s._fan.broadcast({"type": "state", **s.state(), "restored_from": iteration})
                    return True
            except Exception:  # noqa: BLE001 - it ends below, with the reason
                log.exception("restoring session %s failed", s.id)
        with self._lock:
            self._sessions.pop(s.id, None)
        s.end(f"session {s.id} has ended: its worker {s.host.name} was lost and it had no "
              "checkpoint to restore from")
        return False

    # ------------------------------------------------------------------ whole cluster
    def cluster_info(self) -> dict[str, Any]:
        by_host: dict[str, list[str]] = {h.name: [] for h in self.hosts}
        for s in list(self._sessions.values()):
            by_host.setdefault(s.host.name, []).append(s.id)
        return {"mode": self.mode, "checkpoint_interval_s": self.checkpoint_interval_s,
                "workers": [{**h.place(), "pid": h.info.get("pid"), "alive": h.alive,
                             "sessions": by_host.get(h.name, []), "load": len(by_host.get(h.name, []))}
                            for h in self.hosts],
                "restores": self.restores[-20:]}

    def close_all(self) -> None:
        self._stop.set()
        for s in list(self._sessions.values()):
            self.save_kept(s)
        if self.mode == "ray":  # the workers belong to the cluster: a restarted gateway adopts them
            self._shutdown()
            return
        for h in self.hosts:
            if h.alive:
                try:
                    h.get("close_all", timeout=30)
                except Exception:  # noqa: BLE001 - shutting down anyway
                    pass
        for s in list(self._sessions.values()):
            s.end(f"session {s.id} has ended: the server stopped")
        self._sessions.clear()
        self._shutdown()
