#!/usr/bin/env python
"""Class benchmark on loopback: N students playing and watching their own 2D session, a lecturer's
dashboard polling their tiles; ONE JSON out.

    .venv/bin/python benchmarks/bench_class.py --students 100 --seconds 20
    .venv/bin/python benchmarks/bench_class.py --students 10 --seconds 5   # quick

A real `gandojo serve` subprocess. Every student creates a session over REST, joins the class with
its token, opens its websocket, sends play and receives everything. Two windows of --seconds are
measured: without the dashboard, then with it (GET /api/classes/{code} once a second as the page
does, every 5th with the thumbnails' points). Figures: the dashboard's refresh latency (and that
of the refreshes with thumbnails alone) and the refreshes per second it reaches, the students' frames/s (min / median) in each window, the
server's CPU (cores) and RSS in each window.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Server, emit, http, log, process_cpu, rnd, ws_url  # noqa: E402

from websockets.asyncio.client import connect  # noqa: E402

THUMB_EVERY = 5  # dashboard.js asks for the thumbnails' points every 5th refresh


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


async def student(base: str, s: dict, counts: dict, stop: asyncio.Event) -> None:
    async with connect(ws_url(base, s["id"], s["token"]), max_size=2**24) as ws:
        await ws.send('{"cmd": "play"}')
        while not stop.is_set():
            try:
                msg = await asyncio.wait_for(ws.recv(), 0.5)
            except asyncio.TimeoutError:
                continue
            if isinstance(msg, bytes):
                counts[s["id"]] = counts.get(s["id"], 0) + 1


async def dashboard(base: str, room: dict, lat: list, stop: asyncio.Event, thumb_lat: list) -> None:
    url, tok = f"{base}/api/classes/{room['code']}", room["teacher_token"]
    while not stop.is_set():
        t0 = time.perf_counter()
        thumbs = "?thumbs=true" if len(lat) % THUMB_EVERY == 0 else ""
        await asyncio.to_thread(http, "GET", url + thumbs, None, tok, 60)
        lat.append(time.perf_counter() - t0)
        if thumbs:
            thumb_lat.append(lat[-1])
        await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - t0)))


async def window(server: Server, counts: dict, seconds: float) -> dict:
    before, c0, t0 = dict(counts), process_cpu(server.pid), time.perf_counter()
    await asyncio.sleep(seconds)
    wall = time.perf_counter() - t0
    fps = [(counts.get(k, 0) - before.get(k, 0)) / wall for k in counts]
    return {"students_fps_min": rnd(min(fps), 2), "students_fps_median": rnd(statistics.median(fps), 2),
            "server_cores": rnd((process_cpu(server.pid) - c0) / wall, 2),
            "server_rss_mb": rnd(rss_mb(server.pid), 1)}


async def run(args: argparse.Namespace) -> dict:
    os.environ["GANDOJO_MAX_SESSIONS_PER_CLIENT"] = str(args.students + 10)  # all from 127.0.0.1
    os.environ.setdefault("GANDOJO_COMPILE", "0")
    server = Server(inherit_env=True)
    try:
        room = http("POST", f"{server.base}/api/classes", {"title": "bench"})
        students = []
        for i in range(args.students):
            s = http("POST", f"{server.base}/api/sessions", {"dataset": "gaussians"}, timeout=60)
            http("POST", f"{server.base}/api/classes/{room['code']}/students",
                 {"session": s["id"], "token": s["token"], "name": f"s{i:03d}"})
            students.append(s)
        log(f"{len(students)} students joined {room['code']}")
        counts: dict = {}
        stop = asyncio.Event()
        tasks = [asyncio.create_task(student(server.base, s, counts, stop)) for s in students]
        await asyncio.sleep(3.0)  # everyone playing
        without = await window(server, counts, args.seconds)
        lat: list = []
        thumb_lat: list = []  # the refreshes that carried thumbnails
        dash = asyncio.create_task(dashboard(server.base, room, lat, stop, thumb_lat))
        with_dash = await window(server, counts, args.seconds)
        stop.set()
        await asyncio.gather(*tasks, dash, return_exceptions=True)
        return {"students": args.students, "seconds": args.seconds,
                "dashboard": {"refreshes": len(lat), "refresh_s_median": rnd(statistics.median(lat), 3) if lat else None,
                              "refresh_s_max": rnd(max(lat), 3) if lat else None,
                              "refreshes_per_s": rnd(len(lat) / args.seconds, 2),
                              "thumbs_refresh_s_median": rnd(statistics.median(thumb_lat), 3) if thumb_lat else None},
                "without_dashboard": without, "with_dashboard": with_dash}
    finally:
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=20.0)
    emit(asyncio.run(run(ap.parse_args())))


if __name__ == "__main__":
    main()
