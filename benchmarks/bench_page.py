#!/usr/bin/env python
"""GAN Dojo page benchmark: prints ONE JSON object of figures to stdout (progress goes to stderr).

    .venv/bin/python benchmarks/bench_page.py                 # 1366x768 and 1920x1080, 10 s each
    .venv/bin/python benchmarks/bench_page.py --seconds 5 --sizes 1366x768
    .venv/bin/python benchmarks/bench_page.py --frontend /tmp/old/frontend   # an older page (git archive)

A real `gandojo serve` subprocess (loopback), the 2D playground in headless Debian Chromium
(software GL, the end-to-end tests' arguments) driven by Playwright, GAN Lab's default session
(gaussians, heatmap 64x64, 1000 real + 1000 fake points, arrows, manifold), every layer on,
playing. Per viewport, over a window of `--seconds`:

* received_fps: binary frames the page's websocket received per second (counted by a wrapper
  installed before the page's scripts run, so it works on any version of the page);
* drawn_fps: frames the page drew per second (`window.gandojo.frames`);
* ms_per_draw: median and p90 time of one draw where the page reports it
  (`window.gandojo.drawMs`), else the time spent in animation-frame callbacks per drawn frame;
* page_cpu: the renderer's busy time (CDP Performance.getMetrics TaskDuration) per second of
  wall clock (1.0 = one core all the time) and per drawn frame;
* replay: then paused, the page redraws the frames it kept, one per animation frame, charts fed
  too: the frames/s the renderer manages when the server is not the limit (newer pages only);
* counter_lag: the iteration counter minus the iteration of the frame on screen (0 when the
  counter shows the drawn frame), sampled ten times a second.

Goal: drawn_fps >= 30 at 1366x768 with all layers on. Not part of the test run.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Server, emit, log, process_cpu, rnd, system_busy  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
GOAL_FPS = 30

# runs before the page's own scripts: counts binary websocket messages, times rAF callbacks
INIT_SCRIPT = """
(() => {
  const probe = window.__bench = { received: 0, rafMs: 0, rafCalls: 0 };
  const Native = window.WebSocket;
  window.WebSocket = function (...args) {
    const ws = new Native(...args);
    ws.addEventListener('message', (ev) => { if (typeof ev.data !== 'string') probe.received += 1; });
    return ws;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  const raf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = (cb) => raf((t) => {
    const t0 = performance.now();
    try { cb(t); } finally { probe.rafMs += performance.now() - t0; probe.rafCalls += 1; }
  });
})();
"""

SAMPLE_JS = """() => {
  const g = window.gandojo || {};
  const el = document.querySelector('[data-testid=iteration-counter]');
  const counter = el ? parseInt(el.textContent.replace(/,/g, ''), 10) : null;
  const shown = g.header ? g.header.iteration : null;
  return { received: window.__bench.received, drawn: g.frames || 0, rafMs: window.__bench.rafMs,
           drawMs: Array.isArray(g.drawMs) ? g.drawMs.slice() : null, counter, shown,
           scrollX: document.documentElement.scrollWidth - document.documentElement.clientWidth };
}"""


def task_seconds(cdp) -> float:
    metrics = cdp.send("Performance.getMetrics")["metrics"]
    return next(m["value"] for m in metrics if m["name"] == "TaskDuration")


REPLAY_JS = """(seconds) => new Promise((done) => {
  const g = window.gandojo;
  const frames = g.widgets.timeline.history.frames.slice();
  const base = frames[frames.length - 1].header.iteration + 1;
  const n0 = g.frames;
  const t0 = performance.now();
  let k = 0;
  const tick = () => {
    if (performance.now() - t0 >= 1000 * seconds) { done({ drawn: g.frames - n0, wall: (performance.now() - t0) / 1000 }); return; }
    const f = frames[k % frames.length];
    const frame = { header: { ...f.header, iteration: base + k }, sections: f.sections };
    k += 1;
    g.widgets.charts.push(frame.header);
    g.render(frame);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})"""


def replay_capacity(page, cdp, seconds: float) -> dict:
    """Paused, the page redraws the frames it kept (charts fed too) once per animation frame: what
    the renderer can draw when the server is not the limit."""
    page.click("[data-testid=play-button]")
    page.wait_for_function("() => window.gandojo.header && window.gandojo.header.running === false")
    page.wait_for_timeout(500)
    t0 = task_seconds(cdp)
    r = page.evaluate(REPLAY_JS, seconds)
    cpu = task_seconds(cdp) - t0
    return {"drawn_fps": rnd(r["drawn"] / r["wall"], 2), "page_cpu_cores": rnd(cpu / r["wall"], 3),
            "page_cpu_ms_per_frame": rnd(1000 * cpu / max(r["drawn"], 1), 2)}


def measure(browser, base: str, width: int, height: int, seconds: float) -> dict:
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_init_script(INIT_SCRIPT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
    page.goto(base + "/")
    page.wait_for_function("() => window.gandojo && window.gandojo.frames > 0", timeout=60_000)
    layers = page.evaluate("""() => [...document.querySelectorAll('[data-testid^=layer-]')]
        .map((el) => { if (el.type === 'checkbox' && !el.checked) el.click(); return el.dataset.testid; })""")
    page.click("[data-testid=play-button]")
    page.wait_for_timeout(2500)  # warm up: the server is at full speed, plotly's first draws done
    a, ta, wa, busy_a = page.evaluate(SAMPLE_JS), task_seconds(cdp), time.perf_counter(), system_busy()
    lags = []
    while time.perf_counter() - wa < seconds:
        s = page.evaluate(SAMPLE_JS)
        if s["counter"] is not None and s["shown"] is not None:
            lags.append(s["counter"] - s["shown"])
        page.wait_for_timeout(100)
    b, tb, wall, busy_b = page.evaluate(SAMPLE_JS), task_seconds(cdp), time.perf_counter() - wa, system_busy()
    replay = replay_capacity(page, cdp, seconds) if page.evaluate("() => typeof window.gandojo.render") == "function" else None
    drawn = b["drawn"] - a["drawn"]
    draw_ms = (b["drawMs"] or [])[-max(drawn, 1):] if b["drawMs"] is not None else None
    result = {
        "viewport": f"{width}x{height}",
        "layers_on": layers,
        "window_s": rnd(wall, 2),
        "received_fps": rnd((b["received"] - a["received"]) / wall, 2),
        "drawn_fps": rnd(drawn / wall, 2),
        "ms_per_draw": ({"median": rnd(statistics.median(draw_ms), 2),
                         "p90": rnd(sorted(draw_ms)[int(0.9 * (len(draw_ms) - 1))], 2),
                         "source": "window.gandojo.drawMs"} if draw_ms else
                        {"median": rnd((b["rafMs"] - a["rafMs"]) / max(drawn, 1), 2),
                         "source": "animation-frame callback time per drawn frame"}),
        "page_cpu": {"cores": rnd((tb - ta) / wall, 3), "ms_per_drawn_frame": rnd(1000 * (tb - ta) / max(drawn, 1), 2)},
        "counter_lag_iterations": {"median": rnd(statistics.median(lags), 1) if lags else None,
                                   "max": max(lags) if lags else None},
        "replay": replay,
        "horizontal_scroll_px": b["scrollX"],
        "machine_busy_cores": rnd((busy_b - busy_a) / wall, 2),
        "page_errors": errors[:5],
        "ok": drawn / wall >= GOAL_FPS,
    }
    context.close()
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="length of each measurement window")
    ap.add_argument("--sizes", default="1366x768,1920x1080", help="comma-separated viewports WxH")
    ap.add_argument("--out", type=Path, default=None, help="also write the JSON object to this file")
    ap.add_argument("--frontend", type=Path, default=None,
                    help="serve this page directory instead (e.g. an older version, for before/after)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    # the page is measured, not a background torch.compile of the step (it would take a core for a minute)
    os.environ["GANDOJO_COMPILE"] = "0"
    if args.frontend:
        os.environ["GANDOJO_FRONTEND"] = str(args.frontend.resolve())
    server = Server(inherit_env=True)
    results = []
    cpu0, t0 = process_cpu(server.pid), time.perf_counter()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for size in args.sizes.split(","):
                w, h = (int(v) for v in size.lower().split("x"))
                log(f"measuring {w}x{h} for {args.seconds} s")
                results.append(measure(browser, server.base, w, h, args.seconds))
                log(f"  drawn {results[-1]['drawn_fps']} of {results[-1]['received_fps']} received frames/s")
            browser.close()
        server_cores = (process_cpu(server.pid) - cpu0) / (time.perf_counter() - t0)
    finally:
        server.stop()
    emit({"benchmark": "page", "goal_drawn_fps": GOAL_FPS, "machine": platform.node(),
          "frontend": str(args.frontend) if args.frontend else "frontend/",
          "server_cpu_cores_whole_run": rnd(server_cores, 3), "by_viewport": results}, args.out)


if __name__ == "__main__":
    main()
