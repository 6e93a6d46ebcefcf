"""Starting the cluster modes on Ray: `--workers N` (a local Ray started here) or `--ray ADDRESS`.

Each worker is a `SessionHost` (cluster/host.py) run as an async Ray actor in its own process; the
gateway (this process: FastAPI + `ClusterManager`) only validates, routes and streams. The local
mode binds Ray to 127.0.0.1 without the dashboard; joining a cluster uses what its operator set
up (README "Running for a campus"). Ray is imported here only: the single-process server never
needs it (`pip install 'gandojo[cluster]'`).
"""

from __future__ import annotations

import logging
import math
import os
from typing import Any

from ..engine.limits import Limits
from ..settings import Settings
from .gateway import ClusterManager, HostHandle
from .host import SessionHost

log = logging.getLogger("gandojo.cluster")
NAMESPACE = "gandojo"
DIRECT_CALL_BYTES = 16 * 1024 * 1024
GPU_SHARERS = 4  # at most this many workers share one GPU (fractional GPUs: small GANs share one)


def _ray():
    try:
        import ray
    except ImportError:
        raise RuntimeError("--workers / --ray need Ray: pip install 'gandojo[cluster]'") from None
    return ray


def is_lost(exc: BaseException) -> bool:
    """Does `exc` (from a call on a host) mean the host's process or node is gone?"""
    ray = _ray()
    return isinstance(exc, (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError,
                            ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError))


def start_cluster(settings: Settings, workers: int | None = None, address: str | None = None,
                  limits: Limits | None = None) -> ClusterManager:
    """Connect to (or start) Ray, start the worker actors and return the gateway's manager."""
    address = address if address is not None else settings.ray_address
    local = not address
    # Token authentication on, whether a token exists yet or not (Ray makes one for a new local
    # cluster; `ray start` clusters have it on, and a driver must say so to send the token from
    # ~/.ray/auth_token or RAY_AUTH_TOKEN). Set before Ray is imported; the operator's setting wins.
    os.environ.setdefault("RAY_AUTH_MODE", "token")
    ray = _ray()
    if local:
        os.environ.setdefault("RAY_worker_niceness", "0")  # Ray's +15 let any other load starve them
        # a poll's frames (50 sessions: ~1 MB) return inline, not through the shared-memory object
        # store (bench_cluster: 100 clients 5.8 -> 8.0 frames/s each, Ray daemons 0.11 -> 0.02 cores)
        os.environ.setdefault("RAY_max_direct_call_object_size", str(DIRECT_CALL_BYTES))
        n = max(1, workers or settings.workers or 2)
        ray.init(num_cpus=max(n, os.cpu_count() or 1), include_dashboard=False, namespace=NAMESPACE,
                 _node_ip_address="127.0.0.1", object_store_memory=256 * 1024 * 1024,
                 log_to_driver=False, configure_logging=False)
    else:
        ray.init(address=address, namespace=NAMESPACE, log_to_driver=False, configure_logging=False)
        alive = [node for node in ray.nodes() if node.get("Alive")]
        n = max(1, workers or settings.workers or len(alive))
    gpus = float(ray.cluster_resources().get("GPU", 0))
    limits = limits or Limits.from_settings(settings)
    mode = "workers" if local else "ray"

    def spawn(i: int, cpus: float = 1.0) -> HostHandle:
        return _start_host(ray, settings, limits, f"worker-{i}", _gpu_share(gpus, n, i), cpus,
                           detached=not local)

    hosts = [spawn(i) for i in range(n)]
    log.info("gandojo cluster (%s): %d workers, %s GPUs", mode, n, gpus)
    # a replacement reserves no CPU: a cluster that lost a node may have none free, and it must start
    return ClusterManager(hosts, mode, limits, settings.max_sessions, settings.idle_pause_s,
                          settings.idle_timeout_s, settings.checkpoint_interval_s,
                          spawn=lambda i: spawn(i, 0.0), shutdown=ray.shutdown if local else (lambda: None))


def _gpu_share(gpus: float, workers: int, i: int) -> float:
    """The GPU fraction worker `i` asks for: the first min(workers, GPU_SHARERS × gpus) workers
    share the GPUs equally; the rest (and every worker of a CPU-only cluster) take none."""
    if gpus <= 0:
        return 0.0
    sharers = min(workers, max(1, math.floor(GPU_SHARERS * gpus)))
    return 0.0 if i % workers >= sharers else min(1.0, gpus / sharers)


def _start_host(ray: Any, settings: Settings, limits: Limits, name: str, gpu: float,
                cpus: float = 1.0, detached: bool = False) -> HostHandle:
    """Worker `name`; `detached` (a Ray cluster of its own): it outlives this gateway, and a gateway
    started again finds it by name, with its sessions, instead of starting another."""
    device = "cuda:0" if gpu > 0 else "cpu"  # Ray sets CUDA_VISIBLE_DEVICES: the actor sees its GPU as 0
    actor_cls = ray.remote(SessionHost)
    lifetime = {"name": f"gandojo-{name}", "lifetime": "detached", "get_if_exists": True} if detached else {}
    actor = actor_cls.options(num_cpus=cpus, num_gpus=gpu, max_concurrency=1000,
                              scheduling_strategy="SPREAD", **lifetime).remote(
        name, device, limits, settings.fps, settings.batching, settings.compile,
        settings.compile_mode, str(settings.data_dir) or None)
    info = ray.get(actor.describe.remote(), timeout=120)
    return HostHandle(name, actor, info, is_lost)
