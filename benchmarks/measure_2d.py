"""2D benchmark measurements: a bare `Trainer2D` loop, a session over REST + websocket on a real
server, frame build/encode times and the loss/optimizer sweep (bench_2d.py reports them)."""

from __future__ import annotations

import contextlib
import threading
import time
import urllib.error
from typing import Any

from common import Server, cpu_delta, http, log, med, rnd, system_busy, thread_cpu, ws_url

import torch  # noqa: E402  (after common: it puts backend/ on sys.path)
from websockets.sync.client import connect  # noqa: E402

from gandojo.engine.frames import ProbeSet, build_frame, decode  # noqa: E402
from gandojo.gan.compiled import BoundStep, FunctionalStep  # noqa: E402
from gandojo.gan.config import GanConfig, merged_config  # noqa: E402
from gandojo.gan.datasets import get_dataset  # noqa: E402
from gandojo.gan.trainer import Trainer2D  # noqa: E402

DATASET = "gaussians"
SEED = 1234


def compiled_step(config: GanConfig, device: str) -> tuple[FunctionalStep, float]:
    """The compiled functional step of `config` (gan/compiled.py), built here; and its compile s."""
    t0 = time.perf_counter()
    step = FunctionalStep(config, device)
    step.warm_up()
    return step, time.perf_counter() - t0


def bare_its(config: GanConfig, seconds: float, warmup: float, device: str,
             dataset: str = DATASET, seed: int = SEED,
             step: FunctionalStep | None = None) -> dict[str, Any]:
    """Iterations/s of a tight `Trainer2D.iterate()` loop (fresh trainer, warmed up first);
    with `step`, the trainer runs that compiled step (as a session does once it is compiled)."""
    t = Trainer2D(get_dataset(dataset), config, seed, device)
    if step is not None:
        t.fast_step = BoundStep(step)
    clock = time.perf_counter
    end = clock() + warmup
    while clock() < end:
        t.iterate()
    busy0, cpu0, th0 = system_busy(), time.process_time(), time.thread_time()
    i0, t0 = t.iteration, clock()
    end = t0 + seconds
    while clock() < end:
        t.iterate()
    if t.device.type == "cuda":
        torch.cuda.synchronize(t.device)
    dt = clock() - t0
    busy1, cpu1, th1 = system_busy(), time.process_time(), time.thread_time()
    losses = t.losses()
    return {"its": (t.iteration - i0) / dt, "iterations": t.iteration - i0, "seconds": dt,
            "its_per_cpu_s": (t.iteration - i0) / max(1e-9, th1 - th0),
            "bench_cpu_cores": (cpu1 - cpu0) / dt, "machine_busy_cores": (busy1 - busy0) / dt,
            "finite": all(v is None or v == v and abs(v) != float("inf") for v in losses.values())}


def session_round(server: Server, seconds: float, warmup: float, client: bool = True,
                  viewers: int = 0, seed: int = SEED,
                  config: dict[str, Any] | None = None) -> dict[str, Any]:
    """One session on the server, played for warmup + seconds; it/s from frame headers and REST."""
    base = server.base
    body: dict[str, Any] = {"dataset": DATASET, "seed": seed}
    if config:
        body["config"] = config
    info = http("POST", f"{base}/api/sessions", body)
    sid, token = info["id"], info["token"]
    clock = time.perf_counter
    frames: list[tuple[float, int, float, int]] = []  # (receive time, iteration, its_per_sec, bytes)
    step_state = None  # the training step the frames report: compiled / compiling / eager / off
    rest: list[tuple[float, int]] = []  # (time, iteration) from GET /api/sessions/{id}
    try:
        with contextlib.ExitStack() as stack:
            ws = None
            url = ws_url(server.base, sid)  # viewers: no token
            if client:
                ws = stack.enter_context(connect(ws_url(server.base, sid, token), proxy=None, max_size=None,
                                                 open_timeout=10))
                extensions = [type(e).__name__ for e in ws.protocol.extensions]
            stop = threading.Event()
            counts = [[] for _ in range(viewers)]  # receive times of each read-only viewer's frames
            threads = []
            for i in range(viewers):
                v = stack.enter_context(connect(url, proxy=None, max_size=None, open_timeout=10))
                th = threading.Thread(target=_viewer, args=(v, stop, counts[i]), daemon=True)
                th.start()
                threads.append(th)
            stack.callback(lambda: [stop.set(), *(th.join(5) for th in threads)])
            http("POST", f"{base}/api/sessions/{sid}/play", token=token)
            w0 = clock() + warmup
            w1 = w0 + seconds
            started = False
            while True:
                now = clock()
                if not started and now >= w0:
                    started = True
                    cpu0, busy0, client0, t_a = thread_cpu(server.pid), system_busy(), time.process_time(), clock()
                    rest.append((clock(), http("GET", f"{base}/api/sessions/{sid}")["iteration"]))
                    continue
                if now >= w1:
                    break
                until = w1 if started else w0
                if ws is None:
                    time.sleep(min(0.05, max(0.0, until - now)))
                    continue
                try:
                    msg = ws.recv(timeout=max(0.001, until - now))
                except TimeoutError:
                    continue
                if isinstance(msg, bytes):
                    t_recv = clock()
                    head = decode(msg).header  # the full decode, as a real client would
                    step_state = (head.get("compiled") or {}).get("state")
                    if started and t_recv <= w1:
                        frames.append((t_recv, head["iteration"], head["its_per_sec"], len(msg)))
            rest.append((clock(), http("GET", f"{base}/api/sessions/{sid}")["iteration"]))
            cpu1, busy1, client1, t_b = thread_cpu(server.pid), system_busy(), time.process_time(), clock()
            http("POST", f"{base}/api/sessions/{sid}/pause", token=token)
    finally:
        try:
            http("DELETE", f"{base}/api/sessions/{sid}", token=token)
        except (urllib.error.URLError, OSError) as exc:
            log(f"could not delete session {sid}: {exc}")
    wall = t_b - t_a
    server_cpu = cpu_delta(cpu0, cpu1, wall) if cpu0 else None
    client_cores = (client1 - client0) / wall
    busy = (busy1 - busy0) / wall
    out: dict[str, Any] = {
        "its_rest": (rest[-1][1] - rest[0][1]) / (rest[-1][0] - rest[0][0]),
        # iterations per CPU-second of the whole server process (all its threads): immune to waiting
        # for a core, unlike it/s, so it stays comparable when other processes load the machine
        "its_per_server_cpu_s": ((rest[-1][1] - rest[0][1]) / (server_cpu["cores"] * wall)
                                 if server_cpu and server_cpu["cores"] else None),
        "server_cpu": server_cpu,
        "client_cpu_cores": rnd(client_cores, 3),
        "machine_busy_cores": rnd(busy, 3),
        # CPU used by everything else on the machine meanwhile: the noise indicator
        "other_load_cores": rnd(busy - client_cores - (server_cpu["cores"] if server_cpu else 0.0), 3),
    }
    out["step"] = step_state
    if viewers:
        rates = []
        for c in counts:
            c = [t for t in c if t_a <= t <= t_b]
            rates.append((len(c) - 1) / (c[-1] - c[0]) if len(c) >= 2 else 0.0)
        out["viewers"] = viewers
        out["viewer_frames_per_sec"] = [rnd(r, 2) for r in rates]
    if client:
        out["ws_extensions"] = extensions
        if len(frames) >= 2:
            (ta, ia, _, _), (tb, ib, _, _) = frames[0], frames[-1]
            out.update(its=(ib - ia) / (tb - ta), frames=len(frames),
                       frames_per_sec=(len(frames) - 1) / (tb - ta),
                       reported_its_per_sec=med([f[2] for f in frames]),
                       frame_bytes=med([f[3] for f in frames]))
        else:
            out.update(its=None, frames=len(frames), frames_per_sec=0.0)
    else:
        out["its"] = out["its_rest"]
    return out


def _viewer(ws: Any, stop: threading.Event, times: list[float]) -> None:
    """A read-only viewer: receive (and decode) every frame until `stop`."""
    while not stop.is_set():
        try:
            msg = ws.recv(timeout=0.1)
        except TimeoutError:
            continue
        except Exception:  # closed
            return
        if isinstance(msg, bytes):
            decode(msg)
            times.append(time.perf_counter())


def frame_figures(device: str, builds: int, iteration_ms: float) -> dict[str, Any]:
    """Median build_frame / encode time and encoded size at heatmap resolutions 64 and 256."""
    t = Trainer2D(get_dataset(DATASET), GanConfig(), SEED, device)
    for _ in range(300):
        t.iterate()
    ps = ProbeSet(t)
    clock = time.perf_counter
    out: dict[str, Any] = {}
    for res in (64, 256):
        t.apply_config(merged_config(t.config, {"heatmap_resolution": res}))
        for _ in range(5):
            build_frame(t, ps).encode()
        b_ms, e_ms, size = [], [], 0
        for _ in range(builds):
            a = clock()
            frame = build_frame(t, ps, {"running": True, "its_per_sec": 0.0})
            b = clock()
            data = frame.encode()
            c = clock()
            b_ms.append(1000 * (b - a))
            e_ms.append(1000 * (c - b))
            size = len(data)
        build, enc = med(b_ms), med(e_ms)
        out[str(res)] = {
            "build_ms": rnd(build), "encode_ms": rnd(enc), "total_ms": rnd(build + enc),
            "bytes": size,
            "build_in_iterations": rnd(build / iteration_ms, 2),
            "total_in_iterations": rnd((build + enc) / iteration_ms, 2),
            # what building+encoding 30 frames/s alone would leave of a single core's training
            "predicted_ratio_at_30fps": rnd(1 - 30 * (build + enc) / 1000, 3),
        }
        log(f"frame res {res}: build {build:.2f} ms, encode {enc:.2f} ms, {size} bytes")
    return out


def sweep(device: str, seconds: float, warmup: float) -> dict[str, Any]:
    """Bare it/s for each loss, each optimizer and a wider model, relative to the default config."""
    base = GanConfig()
    default = first = bare_its(base, seconds, warmup, device)["its"]
    log(f"sweep default: {default:.0f} it/s")

    def one(name: str, patch: dict[str, Any]) -> dict[str, Any]:
        r = bare_its(merged_config(base, patch), seconds, warmup, device)
        log(f"sweep {name}: {r['its']:.0f} it/s")
        return {"its": rnd(r["its"], 1), "vs_default": rnd(r["its"] / default, 3), "finite": r["finite"]}

    # SGD at lower learning rates (the same work per iteration) so that every loss stays finite:
    # wgan-gp at GanConfig()'s lr 0.1 (D) turns to NaN within ~100 iterations
    stable = {"generator": {"lr": 0.003}, "discriminator": {"lr": 0.01}}
    losses = {name: one(f"loss={name}", {"loss": name, **stable})
              for name in ("minimax", "nonsaturating", "lsgan", "wgan-gp", "hinge")}
    opt = {"lr": 0.001}
    optimizers = {
        "sgd": {"its": rnd(default, 1), "vs_default": 1.0, "finite": True},
        "adam": one("adam", {"generator": {"optimizer": "adam", **opt}, "discriminator": {"optimizer": "adam", **opt}}),
        "rmsprop": one("rmsprop", {"generator": {"optimizer": "rmsprop", **opt},
                                   "discriminator": {"optimizer": "rmsprop", **opt}}),
    }
    wide = {"hidden_layers": 3, "neurons": 64}
    other = {
        "g3x64_d3x64_batch512_adam": one("wide", {"generator": {**wide, "optimizer": "adam", **opt},
                                                  "discriminator": {**wide, "optimizer": "adam", **opt},
                                                  "batch_size": 512}),
        "kd1": one("kd1", {"k_d": 1}),
    }
    last = bare_its(base, seconds, warmup, device)["its"]
    log(f"sweep default again: {last:.0f} it/s")
    return {"sweep_default_its": [rnd(first, 1), rnd(last, 1)], "its_by_loss": losses, "its_by_optimizer": optimizers,
            "its_other": other}


def bare_measured(server: Server, config: GanConfig, seconds: float, warmup: float,
                  device: str) -> dict[str, Any]:
    """bare_its, plus what the (paused) server and everything else on the machine used meanwhile."""
    cpu0, tc0 = thread_cpu(server.pid), time.perf_counter()
    b = bare_its(config, seconds, warmup, device)
    srv = cpu_delta(cpu0, thread_cpu(server.pid), time.perf_counter() - tc0) if cpu0 else None
    b["server_cpu_during_bare"] = srv
    b["other_load_cores"] = b["machine_busy_cores"] - b["bench_cpu_cores"] - (srv["cores"] if srv else 0.0)
    return b


def first_session(server: Server, timeout: float = 180.0) -> float:
    """Create and delete one session (a cold server's first one loads modules: ~10 s under
    load); returns how long the creation took."""
    t0 = time.perf_counter()
    info = http("POST", f"{server.base}/api/sessions", {"dataset": DATASET, "seed": SEED},
                timeout=timeout)
    took = time.perf_counter() - t0
    http("DELETE", f"{server.base}/api/sessions/{info['id']}", token=info["token"], timeout=timeout)
    return took


def wait_compiled(server: Server, timeout: float, seed: int = SEED) -> dict[str, Any]:
    """Play a default session on `server` until its frames say the step is compiled (or failed,
    or `timeout`): when the first frame came, the compile time reported, it/s while compiling."""
    info = http("POST", f"{server.base}/api/sessions", {"dataset": DATASET, "seed": seed})
    sid, token = info["id"], info["token"]
    url = ws_url(server.base, sid, token)
    clock = time.perf_counter
    out: dict[str, Any] = {"first_frame_s": None}
    rates: list[float] = []
    try:
        with connect(url, proxy=None, max_size=None, open_timeout=10) as ws:
            t0 = clock()
            http("POST", f"{server.base}/api/sessions/{sid}/play", token=token)
            step: dict[str, Any] = {}
            while clock() - t0 < timeout:
                try:
                    msg = ws.recv(timeout=1.0)
                except TimeoutError:
                    continue
                if not isinstance(msg, bytes):
                    continue
                head = decode(msg).header
                if out["first_frame_s"] is None and head["running"]:
                    out["first_frame_s"] = rnd(clock() - t0, 3)
                step = head.get("compiled") or {}
                if step.get("state") in ("compiled", "failed", "off") or step.get("reason"):
                    break  # else "compiling", or "eager" before the worker's first chunk
                if head["its_per_sec"]:
                    rates.append(head["its_per_sec"])
            out.update(waited_s=rnd(clock() - t0, 1), its_while_compiling=rnd(med(rates), 1), **step)
    finally:
        http("DELETE", f"{server.base}/api/sessions/{sid}", token=token)
    return out
