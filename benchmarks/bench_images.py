#!/usr/bin/env python
"""GAN Dojo image benchmark: prints ONE JSON object of figures to stdout (progress goes to stderr).

    .venv/bin/python benchmarks/bench_images.py            # full run, a few minutes on 2 cores
    .venv/bin/python benchmarks/bench_images.py --quick    # smoke run, about a minute
    .venv/bin/python benchmarks/bench_images.py --only-websocket --ws-rounds 4   # just that ratio

Figures (every comparison is against a baseline measured in the same run, alternating rounds):

* streaming_ratio.<model>: time of one "epoch" (a fixed number of real images) while streaming ÷
  the same training without streaming (goal ≤ 1.1). Streaming = what a session's worker does
  between iterations: at up to 30 frames/s it reads `stats()` and, when a `GridBudget` allows
  (grids ≤ 3 % of the time), renders the fixed-noise sample grid as float32 bytes for the socket.
  Both epochs run from the same trainer, interleaved as short bare/streaming segment pairs (so
  load from other processes hits both alike): `ratio` = streaming epoch ÷ bare epoch (wall
  clock; `ok` is judged on it), `median_pair_ratio` = the median over the pairs, and
  `cpu_time_ratio` the same epochs in this process's CPU time (robust when the machine is shared).
* websocket_ratio.<model>: the same question end to end: a real server (`gandojo serve`
  subprocess), an image session created and played over REST, and a real websocket client
  (thread) receiving and decoding every frame (≤ 10/s, sample grid budgeted). Rounds of a fixed
  number of real images alternate with and without the client on the same session; `ratio` =
  training time with ÷ without (goal ≤ 1.1), `server_cpu_ratio` = the server process's CPU
  seconds with ÷ without (robust when other processes load the machine). Data: the first
  available image dataset of the data directory (MNIST, else Fashion-MNIST).
* images_per_sec.<model>: real images consumed per second by a bare `iterate()` loop (batch 64,
  the model's default config; one D and one G step per iteration). An epoch of 60,000 images
  takes 60,000 / images_per_sec seconds.
* grid_ms.<model>: one sample-grid render (G in eval mode, 64 samples; cgan 80).
* metrics / drs / classifier: seconds for FID+IS+P/R over N samples, DRS acceptance and samples/s,
  LeNet training on the data available (only when a real dataset is present).

Data: the best available MNIST source (`gandojo data fetch mnist [--offline]`), else synthetic
images (reported in `data`). Threads: --threads (default 2, all cores here).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Server, log, process_cpu, system_busy, ws_url  # noqa: E402  (also puts backend/ on sys.path)

import torch  # noqa: E402

from gandojo.datasets.idx import DataError  # noqa: E402
from gandojo.datasets.images import from_arrays, load_split  # noqa: E402
from gandojo.engine.grid_budget import GridBudget  # noqa: E402
from gandojo.gan.images.config import default_image_config  # noqa: E402
from gandojo.gan.images.trainer import ImageTrainer  # noqa: E402

GOAL_STREAMING_RATIO = 1.1
FPS = 30


def get_data():
    try:
        return load_split("mnist", "train"), None
    except DataError as exc:
        g = torch.Generator().manual_seed(0)
        x = (torch.rand(10_000, 28, 28, generator=g) * 255).to(torch.uint8)
        return from_arrays(x, torch.arange(10_000) % 10, name="mnist"), str(exc).split(".")[0]


def frame(trainer: ImageTrainer, budget: GridBudget) -> bool:
    """What a streaming session builds for one frame (stats header, the grid when the budget
    allows, as float32 bytes); True when it drew a grid."""
    header = json.dumps(trainer.stats().__dict__).encode()
    if not budget.due():
        return False
    with budget.measure():
        grid = trainer.sample_grid()
        payload = header + grid.images.detach().cpu().numpy().astype("<f4").tobytes()
    return len(payload) > 0


class Streamer:
    """The frame cadence of a streaming session: at most FPS frames/s, grids within a 5 % budget."""

    def __init__(self) -> None:
        self.budget, self.next_frame, self.frames, self.grids = GridBudget(0.03, FPS), 0.0, 0, 0

    def after_iteration(self, trainer: ImageTrainer) -> None:
        now = time.perf_counter()
        if now >= self.next_frame:
            self.grids += frame(trainer, self.budget)
            self.frames += 1
            self.next_frame = now + 1.0 / FPS


def run_segment(trainer: ImageTrainer, images: int, streamer: Streamer | None) -> tuple[float, float]:
    """Wall and CPU seconds to consume `images` real images, with frames built between iterations
    or not. CPU time (this process, all threads) is far less disturbed by other processes."""
    target = trainer.images_seen + images
    t0, c0 = time.perf_counter(), time.process_time()
    while trainer.images_seen < target:
        trainer.iterate()
        if streamer is not None:
            streamer.after_iteration(trainer)
    return time.perf_counter() - t0, time.process_time() - c0


def streaming_ratio(data, model: str, images: int, segments: int) -> dict:
    """One epoch of `images` real images each way, interleaved in `segments` pairs of short
    segments (bare, streaming, bare, ...) so that load from other processes hits both alike."""
    trainer = ImageTrainer(data, default_image_config(model), 0)
    run_segment(trainer, 640, None)  # warm-up
    seg = max(trainer.config.batch_size, images // segments)
    streamer, bare, streamed = Streamer(), [], []
    for i in range(segments):
        first_bare = i % 2 == 0  # alternate which goes first inside a pair
        for stream in ((False, True) if first_bare else (True, False)):
            t = run_segment(trainer, seg, streamer if stream else None)
            (streamed if stream else bare).append(t)
    wall_b, wall_s = sum(b[0] for b in bare), sum(s[0] for s in streamed)
    cpu_b, cpu_s = sum(b[1] for b in bare), sum(s[1] for s in streamed)
    median_ratio = statistics.median(s[0] / b[0] for s, b in zip(streamed, bare))
    log(f"{model}: epoch bare {wall_b:.2f}s, streaming {wall_s:.2f}s (ratio {wall_s / wall_b:.3f}, "
        f"median pair {median_ratio:.3f}, cpu ratio {cpu_s / cpu_b:.3f}, {streamer.frames} frames)")
    return {"ratio": round(wall_s / wall_b, 4), "median_pair_ratio": round(median_ratio, 4),
            "cpu_time_ratio": round(cpu_s / cpu_b, 4), "goal": GOAL_STREAMING_RATIO,
            "ok": wall_s / wall_b <= GOAL_STREAMING_RATIO,
            "epoch_images": seg * segments, "segments": segments,
            "bare_epoch_s": round(wall_b, 3), "streaming_epoch_s": round(wall_s, 3),
            "frames": streamer.frames, "frames_per_s": round(streamer.frames / wall_s, 1),
            "grids": streamer.grids}


def images_per_sec(data, model: str, seconds: float) -> dict:
    trainer = ImageTrainer(data, default_image_config(model), 0)
    trainer.step(3)  # warm-up
    seen, t0 = trainer.images_seen, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        trainer.iterate()
    dt = time.perf_counter() - t0
    ips = (trainer.images_seen - seen) / dt
    with torch.no_grad():
        g0 = time.perf_counter()
        for _ in range(5):
            trainer.sample_grid()
        grid_ms = (time.perf_counter() - g0) / 5 * 1000
    return {"images_per_sec": round(ips, 1), "its_per_sec": round(ips / trainer.config.batch_size, 2),
            "epoch_60k_s": round(60_000 / ips, 1), "grid_ms": round(grid_ms, 2)}


def extras(data, quick: bool) -> dict:
    """Metrics, DRS and classifier timings; only with a real dataset (they need the classifier)."""
    from gandojo.engine.classifier_cache import cached_classifier
    from gandojo.gan.images.metrics import evaluate_trainer
    from gandojo.gan.images.sampling import drs_sample

    out = {}
    t0 = time.perf_counter()
    fc = cached_classifier("mnist")
    out["classifier"] = {**fc.describe(), "load_or_train_s": round(time.perf_counter() - t0, 2)}
    trainer = ImageTrainer(data, default_image_config("mlp"), 0)
    trainer.step(50 if quick else 200)
    n = 1000 if quick else 5000
    t0 = time.perf_counter()
    m = evaluate_trainer(trainer, fc, n=n)
    out["metrics"] = {"n": n, "seconds": round(time.perf_counter() - t0, 2), "fid": round(m.fid, 2),
                      "inception_score": round(m.inception_score, 3), "precision": round(m.precision, 3),
                      "recall": round(m.recall, 3), "after_iterations": trainer.iteration}
    t0 = time.perf_counter()
    r = drs_sample(trainer, n)
    dt = time.perf_counter() - t0
    out["drs"] = {"n": n, "acceptance": round(r.acceptance, 3), "seconds": round(dt, 2),
                  "accepted_per_sec": round(n / dt, 1)}
    return out


# ------------------------------------------------------------------ over a real websocket
class FrameReader:
    """A real websocket client on its own thread: receives and decodes every frame it is sent."""

    def __init__(self, url: str) -> None:
        import threading

        from websockets.sync.client import connect

        from gandojo.engine.frames import decode

        self.frames, self.bytes, self.changes, self._last = 0, 0, 0, None
        self.ws = connect(url, max_size=2**24)

        def read() -> None:
            try:
                for msg in self.ws:
                    if isinstance(msg, bytes):
                        samples = decode(msg).sections["samples"]
                        self.frames, self.bytes = self.frames + 1, self.bytes + len(msg)
                        self.changes += self._last is not None and not (samples == self._last).all()
                        self._last = samples.copy()
            except Exception:  # closed at the end of the round
                pass
        self.thread = threading.Thread(target=read, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.ws.close()
        self.thread.join(5)


def _round(base: str, s: dict, images: int, ws_url: str | None, pid: int) -> tuple[float, float, dict]:
    """Wall and server-CPU seconds the session needs to consume `images` real images after play
    (polled the same way with or without a websocket client), and what the client received."""
    import httpx

    h, url = {"Authorization": f"Bearer {s['token']}"}, f"{base}/api/sessions/{s['id']}"
    batch = s["config"]["batch_size"]
    reader = FrameReader(ws_url) if ws_url else None
    start = httpx.get(url).json()["iteration"]
    target = start + -(-images // batch)
    t0, c0, b0, m0 = time.perf_counter(), process_cpu(pid), system_busy(), time.process_time()
    httpx.post(f"{url}/play", headers=h)
    while httpx.get(url).json()["iteration"] < target:
        time.sleep(0.05)
    dt, cpu = time.perf_counter() - t0, process_cpu(pid) - c0
    other = (system_busy() - b0 - cpu - (time.process_time() - m0)) / dt  # cores others used
    httpx.post(f"{url}/pause", headers=h)
    got = {"other_load_cores": other}
    if reader is not None:
        reader.close()
        got.update(frames=reader.frames, changed=reader.changes, bytes=reader.bytes)
    return dt, cpu, got


def websocket_ratio(model: str, images: int, rounds: int, threads: int) -> dict:
    """Training time of `images` real images with a websocket client receiving frames ÷ without,
    one server and one session, alternating rounds (goal ≤ 1.1)."""
    import httpx

    server = Server("cpu", threads, inherit_env=True)  # the same data directory as this process
    base = server.base
    try:
        avail = [d for d in httpx.get(f"{base}/api/datasets").json()["image_datasets"] if d["available"]]
        dataset = avail[0]["name"]
        s = httpx.post(f"{base}/api/sessions", json={"dataset": dataset, "seed": 0,
                                                     "config": {"model": model}}, timeout=120).json()
        ws = ws_url(base, s["id"], s["token"])
        _round(base, s, 4 * s["config"]["batch_size"], None, server.pid)  # warm-up
        bare, streamed, got = [], [], []
        for i in range(rounds):
            for stream in ((False, True) if i % 2 == 0 else (True, False)):
                dt, cpu, g = _round(base, s, images, ws if stream else None, server.pid)
                (streamed if stream else bare).append((dt, cpu))
                got.append(g)
    finally:
        server.stop()
    wall_b, wall_s = sum(b[0] for b in bare), sum(x[0] for x in streamed)
    cpu_ratio = sum(x[1] for x in streamed) / sum(b[1] for b in bare)
    ratio, frames = wall_s / wall_b, sum(g.get("frames", 0) for g in got)
    log(f"websocket {model}: bare {wall_b:.2f}s, with client {wall_s:.2f}s, ratio {ratio:.3f} "
        f"(server CPU {cpu_ratio:.3f}), {frames} frames")
    return {"ratio": round(ratio, 4), "server_cpu_ratio": round(cpu_ratio, 4),
            "goal": GOAL_STREAMING_RATIO, "ok": ratio <= GOAL_STREAMING_RATIO,
            "dataset": dataset, "images_per_round": images, "rounds": rounds,
            "bare_s": [round(b[0], 2) for b in bare], "with_client_s": [round(x[0], 2) for x in streamed],
            "frames_per_s": round(frames / wall_s, 1),
            "frames_with_new_samples": sum(g.get("changed", 0) for g in got),
            "kb_per_frame": round(sum(g.get("bytes", 0) for g in got) / max(1, frames) / 1024, 1),
            "other_load_cores_median": round(statistics.median(g["other_load_cores"] for g in got), 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--segments", type=int, default=None, help="bare/streaming pairs per epoch")
    ap.add_argument("--seconds", type=float, default=None, help="seconds per images/s measurement")
    ap.add_argument("--only-websocket", action="store_true", help="just the websocket ratio")
    ap.add_argument("--ws-rounds", type=int, default=None, help="with/without-client round pairs")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    data, synthetic = get_data()
    segments = args.segments or (8 if args.quick else 20)
    seconds = args.seconds or (4.0 if args.quick else 10.0)
    log(f"data: {data.describe()['source']} ({data.count} images); threads {args.threads}")
    result: dict = {"device": "cpu", "threads": args.threads, "torch": torch.__version__,
                    "python": platform.python_version(),
                    "data": {"source": data.source, "count": data.count, "synthetic_because": synthetic}}
    ws_images = {"mlp": 4096 if args.quick else 12800, "dcgan": 640 if args.quick else 1920}
    rounds = args.ws_rounds or (2 if args.quick else 3)
    result["websocket_ratio"] = {m: websocket_ratio(m, n, rounds, args.threads) for m, n in ws_images.items()}
    if args.only_websocket:
        print(json.dumps(result, indent=1))
        return 0
    result["throughput"] = {}
    for model in ("mlp", "dcgan", "cgan"):
        result["throughput"][model] = images_per_sec(data, model, seconds)
        log(f"{model}: {result['throughput'][model]}")
    epoch_images = {"mlp": 2560 if args.quick else 9000, "dcgan": 640 if args.quick else 1920}
    result["streaming_ratio"] = {m: streaming_ratio(data, m, n, segments) for m, n in epoch_images.items()}
    if synthetic is None:
        result.update(extras(data, args.quick))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
