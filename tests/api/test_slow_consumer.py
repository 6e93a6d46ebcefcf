"""A websocket client that never reads: the server's memory stays flat and everyone else goes on."""

import subprocess
import sys

from servers import ROOT, free_port, start_server

sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_load  # noqa: E402  (the benchmark's own slow consumer, run for 12 s)


def test_a_client_that_never_reads_leaves_server_memory_flat():
    port = free_port()
    proc = start_server(port)
    try:
        r = bench_load.slow_consumer(f"http://127.0.0.1:{port}", proc.pid, seconds=12)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    # newest-only frames: a stuck socket holds the kernel's buffers, never a growing queue
    # (a queue of every ~45 kB frame at up to 30 frames/s would add ~12 MB in the 9 s measured)
    assert r["rss_growth_after_warmup_mb"] < 6, r
    assert r["slow_session_still_trains"], r  # its session keeps training meanwhile
    assert r["other_client_fps"] >= 3, r  # and another client keeps receiving frames
