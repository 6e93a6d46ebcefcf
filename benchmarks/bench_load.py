#!/usr/bin/env python
"""Load benchmark on loopback: N websocket clients, each playing its own 2D session; ONE JSON out.

    .venv/bin/python benchmarks/bench_load.py --clients 100 --seconds 60
    .venv/bin/python benchmarks/bench_load.py --clients 20 --seconds 10 --slow-seconds 0   # quick
    .venv/bin/python benchmarks/bench_load.py --clients 0 --slow-seconds 60   # slow consumer only

A real `gandojo serve` subprocess (defaults, --threads 1) on a free loopback port. Each client
creates its own session over REST (four datasets, GAN Lab's default config), opens the session's
websocket with its token, sends play and receives everything. After every client is playing, a
common window of --seconds is measured: per-client frames/s (min / median / max), the p99 gap
between consecutive frames of a client, the server's RSS over time (start / peak / end and a
series), the server's CPU, and errors (failed REST calls, error messages, closed sockets).
Goal: 100 clients at >= 10 frames/s each, 0 errors, RSS flat.

The slow consumer (--slow-seconds S) is a raw TCP websocket client that sends play and then
never reads for S seconds, while one normal client keeps watching its own session: the server's RSS
must stay flat (frames are newest-only; a blocked socket only holds the kernel's buffers) and the
normal client keeps getting frames. `tests/api/test_slow_consumer.py` runs a 10 s version.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import socket
import statistics
import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Server, emit, http, log, rnd, system_busy, thread_cpu, ws_path, ws_url  # noqa: E402

from websockets.asyncio.client import connect  # noqa: E402

DATASETS = ("gaussians", "ring", "ring8", "disjoint")
GOAL_FPS = 10.0
WARMUP_S = 3.0  # the slow consumer's RSS growth is also given from here on (sessions built)


def rss_mb(pid: int) -> float | None:
    """Resident memory of `pid` in MiB (/proc), None where unavailable."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class RssSampler:
    """Samples a process's RSS every `every` seconds in a thread-free asyncio task."""

    def __init__(self, pid: int, every: float = 1.0) -> None:
        self.pid, self.every, self.series = pid, every, []
        self.t0 = time.perf_counter()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.series.append((round(time.perf_counter() - self.t0, 1), rss_mb(self.pid)))
            try:
                await asyncio.wait_for(stop.wait(), self.every)
            except TimeoutError:
                pass

    def summary(self, since: float = 0.0) -> dict:
        vals = [(t, v) for t, v in self.series if v is not None and t >= since]
        if not vals:
            return {}
        return {"start_mb": rnd(vals[0][1], 1), "peak_mb": rnd(max(v for _, v in vals), 1),
                "end_mb": rnd(vals[-1][1], 1), "growth_mb": rnd(vals[-1][1] - vals[0][1], 1),
                "series": [[t, rnd(v, 1)] for t, v in vals]}


# --------------------------------------------------------------------------- normal clients
async def play_client(i: int, base: str, ramp: dict, stop: asyncio.Event) -> dict:
    """Create a session, play it and record frame arrival times until `stop`; `ramp` counts
    the clients that play ("ready") or failed before ("failed") and lists the sessions ("ids")."""
    out: dict = {"times": [], "errors": []}
    counted = "failed"
    try:
        s = await asyncio.to_thread(http, "POST", f"{base}/api/sessions",
                                    {"dataset": DATASETS[i % len(DATASETS)], "seed": i}, None, 60)
        ramp.setdefault("ids", []).append(s["id"])
        async with connect(ws_url(base, s['id'], s['token']), max_size=2**24, open_timeout=60,
                           ping_interval=None) as ws:
            await ws.send(json.dumps({"cmd": "play"}))
            ramp["ready"] += 1
            counted = None
            while not stop.is_set():
                try:
                    msg = await asyncio.wait_for(ws.recv(), 0.5)
                except TimeoutError:
                    continue
                if isinstance(msg, bytes):
                    out["times"].append(time.perf_counter())
                elif json.loads(msg).get("type") == "error":
                    out["errors"].append(json.loads(msg).get("detail"))
            url = f"{base}/api/sessions/{s['id']}"
            info = await asyncio.to_thread(http, "GET", url, None, None, 60)
            out["batch_group"] = info.get("batch_group", 0)
    except Exception as exc:  # noqa: BLE001 - every failure is a counted error
        out["errors"].append(f"{type(exc).__name__}: {exc}")
        if counted:
            ramp[counted] += 1
    return out


def client_figures(results: list[dict], t0: float, t1: float) -> dict:
    fps, gaps = [], []
    for r in results:
        ts = [t for t in r["times"] if t0 <= t <= t1]
        fps.append(len(ts) / (t1 - t0))
        gaps += [b - a for a, b in zip(ts, ts[1:])]
    gaps.sort()
    p99 = gaps[min(len(gaps) - 1, int(0.99 * len(gaps)))] if gaps else None
    errors = [e for r in results for e in r["errors"]]
    return {"fps_min": rnd(min(fps), 2), "fps_median": rnd(statistics.median(fps), 2),
            "fps_max": rnd(max(fps), 2), "frames_per_s_total": rnd(sum(fps), 1),
            "p99_gap_ms": rnd(p99 * 1000, 1) if p99 is not None else None,
            "max_gap_ms": rnd(gaps[-1] * 1000, 1) if gaps else None,
            "errors": len(errors), "error_examples": errors[:5]}


async def load(server: Server, clients: int, seconds: float, ramp: float) -> dict:
    """N clients; the window opens once every client plays (or `ramp` seconds at most)."""
    sampler, stop = RssSampler(server.pid), asyncio.Event()
    rss_task = asyncio.create_task(sampler.run(stop))
    counts = {"ready": 0, "failed": 0}
    start = time.perf_counter()
    done = asyncio.Event()
    tasks = [asyncio.create_task(play_client(i, server.base, counts, done))
             for i in range(clients)]
    while counts["ready"] + counts["failed"] < clients:
        if time.perf_counter() - start > ramp:
            log("ramp-up timed out: measuring with the clients that are playing")
            break
        await asyncio.sleep(0.1)
    log(f"{counts['ready']} clients playing after {time.perf_counter() - start:.1f} s")
    await asyncio.sleep(1.0)  # let the server settle into its steady state
    t0, cpu0, busy0 = time.perf_counter(), thread_cpu(server.pid), system_busy()
    rss0 = sampler.series[-1][0] if sampler.series else 0.0
    await asyncio.sleep(seconds)
    t1 = time.perf_counter()
    cpu = (sum(thread_cpu(server.pid).values()) - sum(cpu0.values())) / (t1 - t0)
    busy = (system_busy() - busy0) / (t1 - t0)
    done.set()
    results = await asyncio.gather(*tasks)
    stop.set()
    await rss_task
    batched = [r.get("batch_group", 0) for r in results]
    return {"clients": clients, "seconds": seconds, "ramp_s": rnd(t0 - start - 1.0, 1),
            **client_figures(results, t0, t1), "server_cpu_cores": rnd(cpu, 2),
            "machine_busy_cores": rnd(busy, 2), "rss": sampler.summary(rss0),
            "rss_from_launch": sampler.summary(), "batch_groups_seen": sorted(set(batched))}


# --------------------------------------------------------------------------- the slow consumer
def raw_websocket(base: str, path: str) -> socket.socket:
    """A websocket handshake over a plain socket with a tiny receive buffer (nothing is read)."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            raise ConnectionError("the server closed the connection during the handshake")
        head += chunk
    if b" 101 " not in head.split(b"\r\n", 1)[0]:
        status = head.split(b"\r\n", 1)[0]
        raise ConnectionError(f"handshake refused: {status!r}")
    return sock


def send_text(sock: socket.socket, text: str) -> None:
    """One masked client text frame (RFC 6455 §5.2)."""
    data, mask = text.encode(), os.urandom(4)
    n = len(data)
    head = bytes([0x81, 0x80 | n]) if n < 126 else bytes([0x81, 0x80 | 126]) + struct.pack(">H", n)
    sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))


def watch(base: str, seconds: float) -> int:
    """A normal client beside the slow one: frames received in `seconds`."""
    from websockets.sync.client import connect as sync_connect

    s = http("POST", f"{base}/api/sessions", {"dataset": "ring", "seed": 1})
    frames, end = 0, time.monotonic() + seconds
    with sync_connect(ws_url(base, s['id'], s['token']), max_size=2**24, open_timeout=30) as ws:
        ws.send(json.dumps({"cmd": "play"}))
        while (left := end - time.monotonic()) > 0:
            try:
                frames += isinstance(ws.recv(timeout=left), bytes)
            except TimeoutError:
                break
    http("DELETE", f"{base}/api/sessions/{s['id']}", token=s["token"])
    return frames


def slow_consumer(base: str, pid: int, seconds: float) -> dict:
    """A client that plays its session and never reads for `seconds`; the server's RSS meanwhile."""
    s = http("POST", f"{base}/api/sessions", {"dataset": "gaussians", "seed": 3})
    sock = raw_websocket(base, ws_path(s['id'], s['token']))
    send_text(sock, json.dumps({"cmd": "play"}))
    series, t0 = [], time.monotonic()
    watched = {"frames": 0}
    async def sample() -> None:  # RSS every second while a normal client watches meanwhile
        watcher = asyncio.create_task(asyncio.to_thread(watch, base, max(1.0, seconds - 2)))
        while (t := time.monotonic() - t0) < seconds:
            series.append((round(t, 1), rss_mb(pid)))
            await asyncio.sleep(1.0)
        watched["frames"] = await watcher
    asyncio.run(sample())
    it0 = http("GET", f"{base}/api/sessions/{s['id']}")["iteration"]
    time.sleep(0.5)
    info = http("GET", f"{base}/api/sessions/{s['id']}")
    sock.close()
    vals = [v for _, v in series if v is not None]
    settled = [v for t, v in series if v is not None and t >= WARMUP_S] or vals
    return {"seconds": seconds, "rss_start_mb": rnd(vals[0], 1), "rss_peak_mb": rnd(max(vals), 1),
            "rss_end_mb": rnd(vals[-1], 1), "rss_growth_mb": rnd(vals[-1] - vals[0], 1),
            "rss_growth_after_warmup_mb": rnd(settled[-1] - settled[0], 1),
            "rss_series": [[t, rnd(v, 1)] for t, v in series],
            "slow_session_still_trains": info["iteration"] > it0,
            "other_client_fps": rnd(watched["frames"] / max(1.0, seconds - 2), 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=60.0, help="the measured window")
    ap.add_argument("--ramp", type=float, default=120.0, help="the longest ramp-up before it")
    ap.add_argument("--slow-seconds", type=float, default=60.0, help="slow consumer (0: skip)")
    ap.add_argument("--out", type=Path, help="also write the JSON here")
    args = ap.parse_args(argv)
    if not 0 <= args.clients <= 190 or not 1 <= args.seconds <= 600 or args.slow_seconds > 600:
        ap.error("--clients 0..190, --seconds 1..600, --slow-seconds <= 600")
    # every client is 127.0.0.1: one address may hold them all (the per-client default is 50)
    server = Server("cpu", env={"GANDOJO_MAX_SESSIONS_PER_CLIENT": str(max(1, args.clients + 1))})
    result: dict = {"goal_fps": GOAL_FPS, "cpu_count": os.cpu_count()}
    try:
        if args.clients:
            log(f"{args.clients} clients, {args.seconds:.0f} s window")
            result["load"] = asyncio.run(load(server, args.clients, args.seconds, args.ramp))
        if args.slow_seconds > 0:
            log(f"slow consumer for {args.slow_seconds:.0f} s")
            result["slow_consumer"] = slow_consumer(server.base, server.pid, args.slow_seconds)
    finally:
        server.stop()
    load_r = result.get("load")
    if load_r:
        result["meets_goal"] = load_r["fps_min"] >= GOAL_FPS and load_r["errors"] == 0
    emit(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
