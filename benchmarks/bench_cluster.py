#!/usr/bin/env python
"""Cluster benchmark on loopback: one process vs `--workers 2`, then a lost node of a 2-node Ray cluster.

    .venv/bin/python benchmarks/bench_cluster.py                          # 100 clients x 20 s, failover
    .venv/bin/python benchmarks/bench_cluster.py --clients 20 --seconds 8  # quick
    .venv/bin/python benchmarks/bench_cluster.py --skip-load               # failover only

Part 1 (throughput): bench_load.py's client workload (`play_client`: each client creates its own 2D
session, opens its websocket, plays it; `client_figures`) against a real `gandojo serve`, first in
one process, then with `--workers 2` (a local Ray started by the gateway). The window opens once
every client plays and no session's step is `compiling` (the background torch.compile takes the
CPU; both bounded by --ramp, `compile_states` says where it stood). Measured over the same
--seconds window: per-client frames/s (min / median / max), p99 frame gap, errors, and the CPU and
memory of the server's WHOLE process tree (the gateway and all its descendants from /proc: Ray's
gcs_server, raylet, agents and the SessionHost worker processes), split by role; peak RSS (sum,
counts shared pages once per process) and peak PSS (sum of proportional set sizes) of that tree.
Both servers get GANDOJO_MAX_SESSIONS_PER_CLIENT=--clients (every client is 127.0.0.1).
`ratio_median_fps` = workers2 / single; the issue's goal is >= 1.6 with >= 10 frames/s each.

Part 2 (failover): `ray start --head` on a free loopback port and a second `ray start --address`
(--num-cpus 1 each, own --temp-dir, RAY_AUTH_MODE=token as `ray start --head` sets for its GCS),
then `gandojo serve --ray ADDR --workers 2 --checkpoint-interval 2`. --sessions sessions (half
`keep`), the first half played, each watched on its websocket. Each worker's node is found
from /proc (its pid's ancestor raylet, whose --node_id is Ray's node id). After two checkpoint
intervals the second node is killed: SIGKILL to its raylet and every process that second
`ray start` created (log monitor, agents) and their descendants (its worker processes). Measured:
seconds from the kill to each of that node's sessions' `restored_from` message and to its next
frame, iterations lost (iteration just before the kill - restored_from), sessions ended, and the
gateway's /api/cluster `restores`. Every Ray process of this run is killed at the end by pid
(processes naming the temp dir, and descendants), never `ray stop` (it would stop other users' Ray).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import GOAL_FPS, client_figures, play_client, rss_mb  # noqa: E402
from common import (Server, emit, free_port, http, kill_tree, log, process_cpu, procs,  # noqa: E402
                    pss_mb, rnd, system_busy, tree, ws_url)

from websockets.asyncio.client import connect  # noqa: E402

RAY, GOAL_RATIO = Path(sys.executable).with_name("ray"), 1.6  # the ray CLI beside this Python


# --------------------------------------------------------------------------- process trees
def role(pid: int, cmd: str, root: int) -> str:
    if pid == root or not cmd.startswith("ray::"):
        return "gateway" if pid == root else ("ray_daemons" if "ray" in cmd else "other")
    return "ray_workers" if "SessionHost" in cmd else "ray_agents_and_idle_workers"


# --------------------------------------------------------------------------- part 1: throughput
async def tree_load(server: Server, clients: int, seconds: float, ramp: float) -> dict:
    """bench_load's clients against `server`; CPU and memory of the server's whole process tree."""
    counts, done, mem = {"ready": 0, "failed": 0}, asyncio.Event(), {"rss": 0.0, "pss": 0.0}

    async def sample() -> None:
        while not done.is_set():
            pids = tree({server.pid})
            mem["rss"] = max(mem["rss"], sum(rss_mb(p) or 0 for p in pids))
            mem["pss"] = max(mem["pss"], sum(pss_mb(p) for p in pids))
            await asyncio.sleep(1.0)

    sampler = asyncio.create_task(sample())
    start = time.perf_counter()
    tasks = [asyncio.create_task(play_client(i, server.base, counts, done)) for i in range(clients)]
    while counts["ready"] + counts["failed"] < clients and time.perf_counter() - start < ramp:
        await asyncio.sleep(0.1)
    log(f"{counts['ready']} clients playing after {time.perf_counter() - start:.1f} s")
    await asyncio.sleep(1.0)
    states = await asyncio.to_thread(compile_settled, server.base, counts.get("ids", []), start + ramp)
    log(f"compiled steps settled after {time.perf_counter() - start:.1f} s: {states}")
    t0, busy0, cpu0 = time.perf_counter(), system_busy(), {p: process_cpu(p) for p in tree({server.pid})}
    await asyncio.sleep(seconds)
    t1, busy1 = time.perf_counter(), system_busy()
    after = tree({server.pid})
    by_role: dict[str, float] = {}
    for pid, cmd in after.items():
        used = process_cpu(pid) - cpu0.get(pid, 0.0)
        if used == used:  # not NaN (the process ended meanwhile)
            r = role(pid, cmd, server.pid)
            by_role[r] = by_role.get(r, 0.0) + used / (t1 - t0)
    done.set()
    results = await asyncio.gather(*tasks)
    await sampler
    return {"clients": clients, "seconds": seconds, "ramp_s": rnd(t0 - start, 1), "compile_states": states,
            **client_figures(results, t0, t1),
            "tree_cpu_cores": rnd(sum(by_role.values()), 2),
            "tree_cpu_cores_by_role": {k: rnd(v, 2) for k, v in sorted(by_role.items())},
            "tree_processes": len(after), "machine_busy_cores": rnd((busy1 - busy0) / (t1 - t0), 2),
            "tree_peak_rss_mb": rnd(mem["rss"], 1), "tree_peak_pss_mb": rnd(mem["pss"], 1),
            "batch_groups_seen": sorted({r.get("batch_group", 0) for r in results}),
            "cpu_note": "sum of /proc utime+stime of the gateway and all its descendants alive at "
                        "the window's end (processes that ended inside it are not counted)"}


def compile_settled(base: str, ids: list[str], deadline: float) -> dict[str, int]:
    """Wait (until `deadline`) for no session's step to be `compiling`: a background compile takes
    the CPU the window measures. How many sessions are in each state then."""
    while True:
        states: dict[str, int] = {}
        for sid in ids:
            st = http("GET", f"{base}/api/sessions/{sid}", None, None, 60).get("compiled", {}).get("state")
            states[str(st)] = states.get(str(st), 0) + 1
        if "compiling" not in states or time.perf_counter() > deadline:
            return states
        time.sleep(1.0)


def run_load(extra: tuple[str, ...], args: argparse.Namespace) -> dict:
    os.environ["GANDOJO_MAX_SESSIONS_PER_CLIENT"] = str(args.clients)  # all clients share 127.0.0.1
    try:
        server = Server("cpu", inherit_env=True, extra=(*extra, *args.server_arg))
    finally:
        os.environ.pop("GANDOJO_MAX_SESSIONS_PER_CLIENT")
    pids: set[int] = set()
    try:
        pids = set(tree({server.pid}))
        if extra:
            http("GET", f"{server.base}/api/cluster")  # fail early where the cluster mode is broken
        out = asyncio.run(tree_load(server, args.clients, args.seconds, args.ramp))
        pids |= set(tree({server.pid}))
        if extra:
            out["cluster"] = [{k: w[k] for k in ("worker", "node", "pid", "alive", "load")}
                              for w in http("GET", f"{server.base}/api/cluster")["workers"]]
        return out
    finally:
        server.stop()
        time.sleep(1.0)
        if left := kill_tree({p for p in pids if p != server.pid}):
            log(f"killed {left} processes the server left behind")


# --------------------------------------------------------------------------- part 2: failover
def ray_start(tmp: str, env: dict, *args: str) -> set[int]:
    """Run `ray start ...`; the pids of the processes (under `tmp`) it left running."""
    before = set(procs())
    cmd = [str(RAY), "start", "--num-cpus", "1", "--disable-usage-stats", *args]
    for attempt in (1, 2):  # a busy machine can time a node's startup out: once more
        log(" ".join(cmd[1:]))
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
        if not r.returncode:
            break
        log(f"ray start failed ({r.returncode}): {r.stderr.strip().splitlines()[-1:]}")
        if attempt == 2 or "--head" not in args:
            raise RuntimeError(f"ray start failed ({r.returncode}):\n{r.stderr[-2000:]}")
        kill_tree({p for p, (_, c) in procs().items() if tmp in c and p not in before})
        time.sleep(2.0)
    time.sleep(2.0)  # its agents start after it returns
    table = procs()
    new = {p for p in set(table) - before if tmp in table[p][1]}
    return set(tree(new, table))


def raylet_of(pid: int, table: dict) -> str | None:
    """Ray's node id of the raylet above `pid` (its --node_id), None where there is none."""
    while pid in table and pid > 1 and "raylet/raylet" not in table[pid][1].split(" ")[0]:
        pid = table[pid][0]
    cmd = table.get(pid, (0, ""))[1].split()
    return next((a.split("=", 1)[1] for a in cmd if a.startswith("--node_id=")), None)


async def watch_session(base: str, s: dict, play: bool, log_: list, stop: asyncio.Event) -> None:
    """Record (time, kind, detail) of everything on the session's socket; re-play after a restore
    when no frame followed it within 3 s."""
    try:
        async with connect(ws_url(base, s["id"], s["token"]), max_size=2**24, ping_interval=None) as ws:
            if play:
                await ws.send(json.dumps({"cmd": "play"}))
            restored_at = None
            while not stop.is_set():
                try:
                    msg = await asyncio.wait_for(ws.recv(), 0.5)
                except TimeoutError:
                    if restored_at and time.perf_counter() - restored_at > 3 and play:
                        await ws.send(json.dumps({"cmd": "play"}))
                        log_.append((time.perf_counter(), "replay", None))
                        restored_at = None
                    continue
                now = time.perf_counter()
                if isinstance(msg, bytes):
                    log_.append((now, "frame", None))
                    restored_at = None
                    continue
                m = json.loads(msg)
                if "restored_from" in m:
                    restored_at = now
                    log_.append((now, "restored", m["restored_from"]))
                elif m.get("type") in ("ended", "error"):
                    log_.append((now, m["type"], m.get("detail")))
    except Exception as exc:  # noqa: BLE001 - a closed socket is a result too
        log_.append((time.perf_counter(), "closed", f"{type(exc).__name__}: {exc}"))


async def failover_run(base: str, n: int, interval: float, node2: set[int], timeout: float) -> dict:
    # placed alternately on the 2 workers: each gets kept and not kept, played and paused ones
    kept, played = [(i // 2) % 2 == 0 for i in range(n)], [i < n // 2 for i in range(n)]
    sessions = [http("POST", f"{base}/api/sessions", {"dataset": ("ring", "gaussians")[i % 2],
                                                      "seed": i, "keep": kept[i]}, None, 120)
                for i in range(n)]
    logs: list[list] = [[] for _ in sessions]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(watch_session(base, s, p, lg, stop))
             for s, p, lg in zip(sessions, played, logs)]
    await asyncio.sleep(2 * interval + 2)  # two checkpoint rounds
    cluster, table = http("GET", f"{base}/api/cluster"), procs()
    node_of = {w["worker"]: raylet_of(w["pid"], table) for w in cluster["workers"]}
    victim_node = {raylet_of(p, table) for p in node2 if "raylet/raylet" in table.get(p, (0, ""))[1]}
    doomed = {w["worker"] for w in cluster["workers"] if node_of[w["worker"]] in victim_node}
    before = {s["id"]: http("GET", f"{base}/api/sessions/{s['id']}") for s in sessions}
    t_kill = time.perf_counter()
    killed = kill_tree(node2 | {w["pid"] for w in cluster["workers"] if w["worker"] in doomed})
    log(f"killed node {sorted(victim_node)} ({killed} processes): workers {sorted(doomed)}")
    affected = [i for i, s in enumerate(sessions) if before[s["id"]].get("worker") in doomed]

    def settled(i: int) -> bool:
        kinds = [k for t, k, _ in logs[i] if t > t_kill]
        return "ended" in kinds or "closed" in kinds or (
            "restored" in kinds and "frame" in kinds[kinds.index("restored"):])
    while not all(settled(i) for i in affected) and time.perf_counter() - t_kill < timeout:
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)
    stop.set()
    await asyncio.gather(*tasks)
    per = []
    for i in affected:
        s, ev = sessions[i], [(t - t_kill, k, d) for t, k, d in logs[i] if t > t_kill]
        restored = next(((t, d) for t, k, d in ev if k == "restored"), None)
        frame = next((t for t, k, _ in ev if k == "frame" and restored and t >= restored[0]), None)
        per.append({"id": s["id"], "keep": kept[i], "played": played[i],
                    "checkpointed": before[s["id"]].get("checkpointed"),
                    "iteration_at_kill": before[s["id"]]["iteration"],
                    "restored_s": rnd(restored[0], 2) if restored else None,
                    "restored_from": restored[1] if restored else None,
                    "iterations_lost": before[s["id"]]["iteration"] - restored[1] if restored else None,
                    "next_frame_s": rnd(frame, 2) if frame is not None else None,
                    "needed_play_again": any(k == "replay" for _, k, _ in ev),
                    "ended": next((d for _, k, d in ev if k in ("ended", "closed")), None)})
    streams = [p["next_frame_s"] for p in per if p["played"]]
    after = http("GET", f"{base}/api/cluster")
    return {"sessions": n, "kept": sum(kept), "played": sum(played),
            "nodes": sorted({v for v in node_of.values() if v}),
            "worker_nodes": node_of, "workers_on_distinct_nodes": len(set(node_of.values())) == len(node_of),
            "api_node_names": sorted({w["node"] for w in cluster["workers"]}),
            "killed_node": sorted(victim_node), "killed_workers": sorted(doomed),
            "killed_processes": killed, "sessions_on_killed_node": len(per),
            "restored": sum(p["restored_s"] is not None for p in per),
            "ended": sum(p["ended"] is not None for p in per),
            "all_played_streaming_again_s": max(streams) if streams and None not in streams else None,
            "iterations_lost": [p["iterations_lost"] for p in per if p["iterations_lost"] is not None],
            "per_session": per, "gateway_restores": after["restores"],
            "workers_after": [{k: w[k] for k in ("worker", "alive", "load")} for w in after["workers"]]}


def run_failover(args: argparse.Namespace) -> dict:
    tmp = tempfile.mkdtemp(prefix="gdray-")
    env = {**os.environ, "RAY_AUTH_MODE": "token"}  # what `ray start --head` gives its GCS
    saved = {k: os.environ.get(k) for k in env if os.environ.get(k) != env[k]}
    port = free_port(6400)
    addr = f"127.0.0.1:{port}"
    server = None
    try:
        t = time.perf_counter()
        ray_start(tmp, env, "--head", "--port", str(port), "--node-ip-address", "127.0.0.1",
                  "--include-dashboard=false", "--temp-dir", tmp)
        node2 = ray_start(tmp, env, "--address", addr, "--node-ip-address", "127.0.0.1")
        log(f"2-node Ray up in {time.perf_counter() - t:.1f} s; node 2 pids {sorted(node2)}")
        os.environ.update(env)  # Server passes this process's environment on
        server = Server("cpu", extra=("--ray", addr, "--workers", "2",
                                      "--checkpoint-interval", str(args.interval)))
        out = asyncio.run(failover_run(server.base, args.sessions, args.interval, node2,
                                       args.failover_timeout))
        return {**out, "gateway_survived": server.proc.poll() is None, "ray_address": addr}
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
        if server is not None:
            server.stop()
        n = kill_tree({p for p, (_, cmd) in procs().items() if tmp in cmd}, signal.SIGTERM)
        time.sleep(2.0)
        n2 = kill_tree({p for p, (_, cmd) in procs().items() if tmp in cmd})
        log(f"ray processes of this run stopped by pid: {n} (TERM), {n2} still there (KILL)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=20.0, help="the measured window of each mode")
    ap.add_argument("--ramp", type=float, default=120.0, help="the longest ramp-up before it")
    ap.add_argument("--sessions", type=int, default=8, help="failover: sessions (half kept)")
    ap.add_argument("--interval", type=float, default=2.0, help="failover: --checkpoint-interval")
    ap.add_argument("--failover-timeout", type=float, default=90.0)
    ap.add_argument("--server-arg", action="append", default=[], help="part 1: a flag for both "
                    "servers, e.g. --server-arg=--no-compile (repeatable)")
    ap.add_argument("--skip-load", action="store_true")
    ap.add_argument("--skip-failover", action="store_true")
    ap.add_argument("--out", type=Path, help="also write the JSON here")
    args = ap.parse_args(argv)
    if not 1 <= args.clients <= 190 or not 1 <= args.seconds <= 300 or not 3 <= args.sessions <= 40:
        ap.error("--clients 1..190, --seconds 1..300, --sessions 3..40")
    result: dict = {"cpu_count": os.cpu_count(), "load_avg_at_start": list(os.getloadavg()),
                    "goal": {"ratio_median_fps": GOAL_RATIO, "fps_each": GOAL_FPS}}
    if not args.skip_load:
        for name, extra in (("single", ()), ("workers2", ("--workers", "2"))):
            log(f"{name}: {args.clients} clients, {args.seconds:.0f} s window")
            try:
                result[name] = run_load(extra, args)
            except Exception as exc:  # noqa: BLE001 - reported, the rest still runs
                result[name] = {"error": f"{type(exc).__name__}: {exc}"[:3000]}
        a, b = result["single"].get("fps_median"), result["workers2"].get("fps_median")
        if a and b:
            result["ratio_median_fps"] = rnd(b / a, 2)
            result["meets_goal"] = (b / a >= GOAL_RATIO and result["workers2"]["fps_min"] >= GOAL_FPS
                                    and result["workers2"]["errors"] == 0)
    if not args.skip_failover:
        try:
            result["failover"] = run_failover(args)
        except Exception as exc:  # noqa: BLE001
            result["failover"] = {"error": f"{type(exc).__name__}: {exc}"[:3000]}
    emit(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
