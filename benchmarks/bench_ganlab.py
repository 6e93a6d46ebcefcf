#!/usr/bin/env python
"""GAN Lab's own page and a GAN Dojo session, both measured in ONE run: prints one JSON object.

    .venv/bin/python benchmarks/bench_ganlab.py --bundle DIR     # or GANLAB_BUNDLE=DIR
    .venv/bin/python benchmarks/bench_ganlab.py --bundle DIR --seconds 20 --rounds 3

DIR holds GAN Lab's prebuilt page (the files of its gh-pages branch: index.html, bundle.js,
pretrained_models/, ...), e.g. `git --git-dir=<a local clone of poloclub/ganlab>/.git archive
gh-pages | tar -x -C DIR`, plus the scripts the page loads from CDNs saved anywhere under DIR
(webcomponents-lite.js from npm `webcomponents.js@0.7.24`, Chart.bundle.min.js from
`chart.js@2.4.0`, dialog-polyfill.min.js, material.min.js). Every request the page makes is
answered from DIR: by its path, else by a file under DIR with the same name; anything else is
refused (no network is used). GAN Lab's code is never part of this repository.
Without a bundle the script says so and exits 0.

Rounds alternate (GAN Lab alone, then the session alone; never both at once):
* GAN Lab: Debian Chromium headless (/usr/bin/chromium, the args of design.md §4) at 1442×900,
  its defaults (mixture of Gaussians, 1×8 ReLU G and D, SGD 0.03 / 0.1, kD 2, batch 150), play;
  it/s from its own iteration counter (#iteration-count) over the window.
* GAN Dojo: a `gandojo serve` subprocess (its default compiled step, measured once compiled), a
  session on the same defaults streaming ~30 frames/s to a websocket client; it/s from the frames.
"""

from __future__ import annotations

import argparse
import mimetypes
import os
import platform
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import T0, Server, emit, log, med, rnd  # noqa: E402  (also puts backend/ on sys.path)
from measure_2d import first_session, session_round, wait_compiled  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HOST = "http://ganlab.local"  # never resolved: every request is answered from the bundle


def find_bundle(arg: str | None) -> Path | None:
    """The bundle directory from --bundle or $GANLAB_BUNDLE, if it holds index.html + bundle.js."""
    raw = arg or os.environ.get("GANLAB_BUNDLE")
    if not raw:
        return None
    d = Path(raw).expanduser()
    return d if (d / "index.html").is_file() and (d / "bundle.js").is_file() else None


class BundleRoutes:
    """Answers the page's requests from the bundle directory; refuses what it does not have."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.by_name: dict[str, Path] = {}
        for p in sorted(self.root.rglob("*")):
            if p.is_file():
                self.by_name.setdefault(p.name, p)
        self.served: list[str] = []
        self.refused: list[str] = []

    def lookup(self, url: str) -> Path | None:
        path = re.sub(r"[?#].*$", "", url).split("://", 1)[-1].split("/", 1)[-1]
        if url.startswith(HOST):
            local = (self.root / path).resolve()
            if local.is_file() and self.root in local.parents:
                return local
        return self.by_name.get(path.rsplit("/", 1)[-1] or "index.html")

    def handle(self, route: Any) -> None:
        url = route.request.url
        local = self.lookup(url)
        if local is None:
            self.refused.append(url)
            route.abort()
            return
        self.served.append(url)
        kind = mimetypes.guess_type(local.name)[0] or "application/octet-stream"
        route.fulfill(status=200, body=local.read_bytes(), headers={"Content-Type": kind})


def iteration_count(page: Any) -> int:
    text = page.inner_text("#iteration-count")
    digits = re.sub(r"\D", "", text)
    if not digits:
        raise RuntimeError(f"GAN Lab's iteration counter reads {text!r}")
    return int(digits)


def ganlab_round(page: Any, seconds: float, warmup: float) -> dict[str, Any]:
    """Play GAN Lab for warmup + seconds; its it/s from its own counter; pause again."""
    page.click("#play-pause-button")
    time.sleep(warmup)
    i0, t0 = iteration_count(page), time.perf_counter()
    time.sleep(seconds)
    i1, t1 = iteration_count(page), time.perf_counter()
    page.click("#play-pause-button")
    time.sleep(0.5)  # its last animation frame finishes
    return {"its": (i1 - i0) / (t1 - t0), "iterations": i1 - i0}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", help="GAN Lab's prebuilt page (default: $GANLAB_BUNDLE)")
    ap.add_argument("--seconds", type=float, default=10.0, help="seconds per measurement (10)")
    ap.add_argument("--rounds", type=int, default=3, help="GAN Lab / session pairs (3)")
    ap.add_argument("--compile-timeout", type=float, default=900.0,
                    help="seconds to wait for the session's compiled step (900)")
    ap.add_argument("--out", type=Path, help="also write the JSON here")
    args = ap.parse_args(argv)

    bundle = find_bundle(args.bundle)
    if bundle is None:
        print("bench_ganlab: no GAN Lab bundle here (give --bundle DIR or GANLAB_BUNDLE=DIR with "
              "index.html and bundle.js of GAN Lab's prebuilt page; see this script's docstring); "
              "nothing measured.", file=sys.stderr)
        return 0
    if not Path(CHROMIUM).exists():
        print(f"bench_ganlab: {CHROMIUM} is missing (apt-get install chromium); nothing measured.",
              file=sys.stderr)
        return 0
    from playwright.sync_api import sync_playwright

    warmup = 2.0
    routes = BundleRoutes(bundle)
    lab, dojo, errors = [], [], []
    server = Server("cpu")
    try:
        first_session(server)
        compile_info = wait_compiled(server, args.compile_timeout)
        log(f"GAN Dojo step: {compile_info}")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1442, "height": 900})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.route("**/*", routes.handle)
            page.goto(f"{HOST}/index.html", wait_until="load", timeout=60_000)
            page.wait_for_selector("#play-pause-button", state="visible", timeout=60_000)
            time.sleep(3.0)  # the pretrained model and charts load
            for r in range(args.rounds):
                lab.append(ganlab_round(page, args.seconds, warmup))
                log(f"round {r + 1}: GAN Lab {lab[-1]['its']:.1f} it/s")
                dojo.append(session_round(server, args.seconds, warmup))
                log(f"round {r + 1}: GAN Dojo session {dojo[-1]['its'] or 0:.0f} it/s "
                    f"({dojo[-1].get('step')})")
            browser.close()
    finally:
        server.stop()
    lab_med, dojo_med = med([x["its"] for x in lab]), med([x["its"] for x in dojo])
    emit({
        "benchmark": "gandojo bench_ganlab",
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "processor": platform.machine()},
        "seconds_per_measurement": args.seconds, "rounds": args.rounds,
        "ganlab_its_median": rnd(lab_med, 1), "gandojo_session_its_median": rnd(dojo_med, 1),
        "gandojo_vs_ganlab_ratio": rnd(dojo_med / lab_med if lab_med and dojo_med else None, 1),
        "ganlab_its": [rnd(x["its"], 1) for x in lab],
        "gandojo_session_its": [rnd(x["its"], 1) for x in dojo],
        "gandojo_session_step": [x.get("step") for x in dojo],
        "gandojo_compile": compile_info,
        "ganlab_page_errors": errors[:10], "ganlab_refused_requests": routes.refused[:20],
        "elapsed_s": round(time.perf_counter() - T0, 1),
        "notes": ["Both programs measured in this run, one at a time, on this machine; GAN Lab "
                  "in headless Chromium (software rendering, no GPU), its own iteration counter.",
                  "GAN Lab's page and the scripts it loads came from the local bundle; requests "
                  "it did not hold were refused (ganlab_refused_requests)."],
    }, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
