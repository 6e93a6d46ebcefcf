"""Shared benchmark helpers: logging, rounding, /proc CPU accounting and process trees, a loopback
HTTP client and a real `gandojo serve` subprocess (`Server`). Importing it puts the checkout's
backend/ on sys.path when gandojo is not installed."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

if importlib.util.find_spec("gandojo") is None:  # not installed: run from the checkout
    sys.path.insert(0, str(ROOT / "backend"))

PORT_FIRST = 8030  # 8000 is the default server; 8011-8019 belong to the end-to-end tests
T0 = time.perf_counter()


def log(msg: str) -> None:
    print(f"[bench {time.perf_counter() - T0:6.1f}s] {msg}", file=sys.stderr, flush=True)


def med(xs: list[float]) -> float | None:
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def rnd(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(x, nd)


# --------------------------------------------------------------------------- process CPU accounting
_CLK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) of each thread of `pid`, from /proc (empty where unavailable)."""
    out: dict[int, float] = {}
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                out[int(tid)] = (int(fields[11]) + int(fields[12])) / _CLK
            except (OSError, IndexError, ValueError):
                pass
    except OSError:
        pass
    return out


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far, its ended threads included (NaN where
    /proc is unavailable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLK
    except (OSError, ValueError, IndexError):
        return float("nan")


def system_busy() -> float:
    """CPU seconds the whole machine has spent busy (all cores, /proc/stat), 0.0 where unavailable."""
    try:
        with open("/proc/stat") as f:
            vals = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
    return (sum(vals[:8]) - idle) / _CLK


def cpu_delta(before: dict[int, float], after: dict[int, float], wall: float) -> dict[str, Any]:
    """Cores used by the process over `wall` seconds, in total and per busiest thread."""
    per = sorted(((after[t] - before.get(t, 0.0)) / wall for t in after), reverse=True)
    return {"cores": rnd(sum(per), 3), "busiest_threads_cores": [rnd(p, 3) for p in per[:3]]}


def procs() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every process we can read."""
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()
                cmd = Path(f"/proc/{d}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                out[int(d)] = (int(stat[1]), cmd.strip())
            except (OSError, IndexError, ValueError):
                pass
    return out


def tree(roots: set[int], table: dict | None = None) -> dict[int, str]:
    """The processes `roots` and all their descendants: pid -> command line."""
    table = table or procs()
    kids: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        kids.setdefault(ppid, []).append(pid)
    out, todo = {}, [p for p in roots if p in table]
    while todo:
        p = todo.pop()
        if p not in out:
            out[p] = table[p][1]
            todo += kids.get(p, [])
    return out


def pss_mb(pid: int) -> float:
    """Proportional set size of `pid` in MiB (shared pages split among their users), 0.0 if unreadable."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    return next((int(ln.split()[1]) / 1024 for ln in text.splitlines() if ln.startswith("Pss:")), 0.0)


def kill_tree(pids: set[int], sig: int = signal.SIGKILL) -> int:
    """Send `sig` to `pids` and all their descendants (never this process); how many there were."""
    victims = tree(pids)
    victims.pop(os.getpid(), None)  # never this benchmark itself
    for pid in victims:
        try:
            os.kill(pid, sig)
        except OSError:
            pass
    return len(victims)


# --------------------------------------------------------------------------- server and HTTP
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy


def http(method: str, url: str, body: Any = None, token: str | None = None, timeout: float = 10.0) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with _opener.open(req, timeout=timeout) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else None


def ws_path(sid: str, token: str | None = None) -> str:
    """The websocket path of session `sid`: with its token, or without (a read-only viewer)."""
    return f"/ws/sessions/{sid}" + (f"?token={token}" if token else "")


def ws_url(base: str, sid: str, token: str | None = None) -> str:
    """`ws_path` on the server at `base` (http://host:port)."""
    return base.replace("http", "ws", 1) + ws_path(sid, token)


def free_port(first: int = PORT_FIRST, count: int = 200) -> int:
    for port in range(first, first + count):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free loopback port in {first}-{first + count - 1}")


class Server:
    """A real `gandojo serve` subprocess on loopback: the default settings (no GANDOJO_* variables
    of this process) unless `inherit_env` (e.g. to find image data through GANDOJO_DATA)."""

    def __init__(self, device: str = "cpu", threads: int = 1, inherit_env: bool = False,
                 extra: tuple[str, ...] = (), env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.logfile = tempfile.NamedTemporaryFile(prefix="gandojo-bench-", suffix=".log", delete=False)
        env = {**{k: v for k, v in os.environ.items() if inherit_env or not k.startswith("GANDOJO_")},
               **(env or {})}  # settings the benchmark itself needs
        cmd = [sys.executable, "-m", "gandojo", "serve", "--host", "127.0.0.1", "--port", str(self.port),
               "--device", device, "--threads", str(threads), "--log-level", "warning", *extra]
        log(f"starting server: {' '.join(cmd[1:])}")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.logfile, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        self.pid = self.proc.pid
        deadline = time.monotonic() + 90
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                self.health = http("GET", f"{self.base}/api/health", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server did not answer /api/health in 90 s:\n{self.log_tail()}")
                time.sleep(0.1)
        log(f"server up on port {self.port}: {self.health}")

    def log_tail(self, n: int = 3000) -> str:
        try:
            return Path(self.logfile.name).read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.logfile.close()
        try:
            os.unlink(self.logfile.name)
        except OSError:
            pass


def emit(result: dict, out: Path | None = None) -> None:
    """Print the benchmark's one JSON object (and write it to `out` when given)."""
    text = json.dumps(result, indent=2)
    print(text)
    if out:
        out.write_text(text + "\n")
