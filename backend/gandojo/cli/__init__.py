"""Command line: `gandojo serve | data | train | export | experiment | pretrain`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .images_cli import register as register_images
from .settings import Settings


def _serve(args: argparse.Namespace) -> int:
    import torch
    import uvicorn

    from .api.app import create_app

    torch.set_num_threads(args.threads)  # tiny 2D models: one thread is fastest
    settings = Settings.from_env(host=args.host, port=args.port, device=args.device,
                                 save_dir=args.save_dir, data_dir=args.data_dir, auth=args.auth,
                                 allowed_origins=",".join(args.allowed_origin or []) or None,
                                 batching=False if args.no_batching else None)
    app = create_app(settings)
    print(f"GAN Dojo on {app.state.device}: open http://{settings.host}:{settings.port}", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=args.log_level,
                ws_max_size=max(settings.max_ws_message_bytes * 2, 65536),
                ws_per_message_deflate=False)  # float32 frames do not compress; deflate only costs CPU
    return 0


def _pretrain(args: argparse.Namespace) -> int:
    """Train each dataset's balanced preset and ship the result as its pretrained start."""
    import torch

    from .engine import pretrained
    from .gan.datasets import DATASETS
    from .gan.presets import PRESETS

    torch.set_num_threads(1)
    for name in args.dataset or list(DATASETS):
        preset = PRESETS.get(f"{name}-balanced", PRESETS["gaussians-balanced"])
        iterations = args.iterations or 2 * (preset.iterations or 1000)
        t = pretrained.make(name, preset.config(), iterations, seed=args.seed)
        print(f"{name}: {preset.name} for {t.iteration} iterations -> {pretrained.pretrained_path(name)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gandojo", description="GAN Dojo: an interactive GAN playground")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the page and the API")
    serve.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default 8000)")
    serve.add_argument("--device", choices=["auto", "cpu", "cuda"], default=None,
                       help="where to train (default auto: cuda when available)")
    serve.add_argument("--save-dir", type=Path, default=None,
                       help="where saved sessions live (default: GANDOJO_SAVE_DIR or "
                            "~/.local/share/gandojo/saved)")
    serve.add_argument("--data-dir", default=None, metavar="PATH",
                       help="where image datasets live (default: GANDOJO_DATA_DIR, else GANDOJO_DATA, "
                            "else ~/.cache/gandojo/data); see `gandojo data`")
    serve.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--allowed-origin", action="append", metavar="ORIGIN",
                       help="another origin whose pages may open websockets, e.g. "
                            "https://class.example.org (repeatable; '*' allows any)")
    serve.add_argument("--auth", default=None, metavar="PASSWORD",
                       help="a password for the whole server (or GANDOJO_AUTH); see the README")
    serve.add_argument("--no-batching", action="store_true",
                       help="train every 2D session on its own (GANDOJO_BATCHING=0); by default "
                            "compatible playing sessions train as one batched model")
    serve.set_defaults(func=_serve)
    pre = sub.add_parser("pretrain", help="(re)make the shipped pretrained 2D models")
    pre.add_argument("--dataset", action="append", help="dataset name (repeatable; default all)")
    pre.add_argument("--iterations", type=int, default=None, help="default: twice the preset's")
    pre.add_argument("--seed", type=int, default=0)
    pre.set_defaults(func=_pretrain)
    register_images(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
