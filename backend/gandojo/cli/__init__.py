"""Command line: `gandojo serve | data | train | export | experiment | pretrain | lessons` (`main` is the entry point)."""

from __future__ import annotations

import argparse
import errno
import socket
import sys
from pathlib import Path

from ..datasets.paths import describe_precedence
from ..settings import Settings
from .images import register as register_images
from .lessons import register as register_lessons
from .util import Parser, bounded


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, bound before anything is printed; OSError(EADDRINUSE) when
    another program holds the port."""
    family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                      flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: TIME_WAIT is no conflict
    try:
        sock.bind(addr)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def port_in_use_message(host: str, port: int) -> str:
    """What to do when the port is taken: the next free port, for `make serve` and for `gandojo`."""
    free = next((p for p in range(port + 1, min(port + 50, 65536)) if _free(host, p)), port + 1)
    return (f"gandojo: port {port} on {host} is already in use (another GAN Dojo, or another "
            f"program), so nothing was started. Use another port: make serve PORT={free}  "
            f"(or: gandojo serve --port {free})")


def _free(host: str, port: int) -> bool:
    try:
        bind(host, port).close()
        return True
    except OSError:
        return False


def _serve(args: argparse.Namespace) -> int:
    try:
        settings = Settings.from_env(host=args.host, port=args.port, device=args.device,
                                     save_dir=args.save_dir, data_dir=args.data_dir, auth=args.auth,
                                     allowed_origins=",".join(args.allowed_origin or []) or None,
                                     batching=False if args.no_batching else None,
                                     compile=False if args.no_compile else None,
                                     workers=args.workers, ray_address=args.ray,
                                     checkpoint_interval_s=args.checkpoint_interval)
    except ValueError as exc:  # a GANDOJO_* variable that does not parse, named
        print(f"gandojo: {exc}", file=sys.stderr)
        return 2
    try:
        sock = bind(settings.host, settings.port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(port_in_use_message(settings.host, settings.port), file=sys.stderr)
        else:
            print(f"gandojo: cannot listen on {settings.host}:{settings.port} ({exc.strerror or exc})",
                  file=sys.stderr)
        return 2
    port = sock.getsockname()[1]  # the real one when --port 0 asked for any free port
    import torch  # after the port check: a port in use is told at once
    import uvicorn

    from ..api.app import create_app

    torch.set_num_threads(args.threads)  # tiny 2D models: one thread is fastest
    app = create_app(settings)
    print(f"GAN Dojo on {app.state.device}: open http://{settings.host}:{port}", flush=True)
    if settings.workers or settings.ray_address:
        workers = app.state.manager.cluster_info()["workers"]
        devices = ", ".join(sorted({w["device"] for w in workers}))
        print(f"sessions run in {len(workers)} Ray worker{'s' if len(workers) != 1 else ''} ({devices})",
              flush=True)
    config = uvicorn.Config(app, log_level=args.log_level,
                            ws_max_size=max(settings.max_ws_message_bytes * 2, 65536),
                            ws_per_message_deflate=False)  # float32 frames do not compress
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def _pretrain(args: argparse.Namespace) -> int:
    """Train each dataset's balanced preset and ship the result as its pretrained start."""
    import torch

    from ..engine import pretrained
    from ..gan.datasets import DATASETS
    from ..gan.presets import PRESETS

    torch.set_num_threads(1)
    for name in args.dataset or list(DATASETS):
        preset = PRESETS.get(f"{name}-balanced", PRESETS["gaussians-balanced"])
        iterations = args.iterations or 2 * (preset.iterations or 1000)
        t = pretrained.make(name, preset.config(), iterations, seed=args.seed)
        print(f"{name}: {preset.name} for {t.iteration} iterations -> {pretrained.pretrained_path(name)}")
    return 0


def add_serve_parser(sub) -> None:
    serve = sub.add_parser("serve", help="serve the page and the API",
                           description="Serve the page and the API. The URL is printed once the port "
                                       "is bound; a port in use is an error naming a free one.")
    serve.add_argument("--host", default=None, help="address to bind (default 127.0.0.1; GANDOJO_HOST)")
    serve.add_argument("--port", type=bounded(int, 0, 65535), default=None,
                       help="port (default 8000; GANDOJO_PORT; 0: any free port)")
    serve.add_argument("--device", choices=["auto", "cpu", "cuda"], default=None,
                       help="where to train (default auto: cuda when available)")
    serve.add_argument("--save-dir", type=Path, default=None,
                       help="where saved sessions live (default: GANDOJO_SAVE_DIR or "
                            "~/.local/share/gandojo/saved)")
    serve.add_argument("--data-dir", default=None, metavar="PATH",
                       help=f"where image datasets live ({describe_precedence()}); see `gandojo data`")
    serve.add_argument("--threads", type=bounded(int, 1, 256), default=1,
                       help="torch intra-op threads (default 1: fastest for tiny 2D models)")
    serve.add_argument("--log-level", default="info",
                       choices=["critical", "error", "warning", "info", "debug", "trace"],
                       help="uvicorn's log level (default info)")
    serve.add_argument("--allowed-origin", action="append", metavar="ORIGIN",
                       help="another origin whose pages may open websockets, e.g. "
                            "https://class.example.org (repeatable; '*' allows any)")
    serve.add_argument("--auth", default=None, metavar="PASSWORD",
                       help="a password for the whole server (or GANDOJO_AUTH); see the README")
    serve.add_argument("--no-batching", action="store_true",
                       help="train every 2D session on its own (GANDOJO_BATCHING=0); by default "
                            "compatible playing sessions train as one batched model")
    serve.add_argument("--no-compile", action="store_true",
                       help="keep every 2D session's step eager (GANDOJO_COMPILE=0); by default a "
                            "compiled step is built in the background and swapped in when ready")
    serve.add_argument("--workers", type=bounded(int, 1, 256), default=None, metavar="N",
                       help="train sessions in N worker processes on a local Ray cluster started "
                            "here (needs gandojo[cluster]); default: this one process")
    serve.add_argument("--ray", default=None, metavar="ADDRESS",
                       help="join an existing Ray cluster (e.g. 10.0.0.5:6379; see the README's "
                            "'Running for a campus'); --workers then sets how many workers")
    serve.add_argument("--checkpoint-interval", type=bounded(float, 0, 86400), default=None,
                       metavar="S", help="cluster modes: checkpoint sessions every S seconds, so a "
                                         "lost worker costs at most that (default 30; 0: never)")
    serve.set_defaults(func=_serve)


def add_pretrain_parser(sub) -> None:
    pre = sub.add_parser("pretrain", help="(re)make the shipped pretrained 2D models")
    pre.add_argument("--dataset", action="append", help="2D dataset name (repeatable; default all)")
    pre.add_argument("--iterations", type=bounded(int, 1, 10_000_000), default=None,
                     help="training iterations (default: twice the preset's)")
    pre.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    pre.set_defaults(func=_pretrain)


def build_parser() -> Parser:
    """The whole `gandojo` parser (every sub-command; no option abbreviations)."""
    parser = Parser(prog="gandojo", description="GAN Dojo: an interactive GAN playground")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_serve_parser(sub)
    add_pretrain_parser(sub)
    register_images(sub)
    register_lessons(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
