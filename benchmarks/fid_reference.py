#!/usr/bin/env python
"""FID reference values on MNIST: prints ONE JSON object (progress goes to stderr).

    .venv/bin/python benchmarks/fid_reference.py                 # 5-20 minutes on 2 shared cores
    .venv/bin/python benchmarks/fid_reference.py --write frontend/data/fid-reference.json

What a FID of the image view means here: the same features the page's metrics use (the project's
own LeNet, trained on the embedded MNIST train split, not Inception), on the embedded data
(9,000 train / 1,000 held-out digits shipped inside GAN Dojo):

* real_vs_real: N held-out digits against N training digits (the floor: no model gets lower);
* trained: N samples of the default MLP GAN after `--iterations` iterations (seed 0) against N
  training digits (what a short run reaches);
* noise: N images of uniform noise in [0, 1] against N training digits (the ceiling of nonsense).

`--write PATH` also writes the object to PATH (the page shows it beside the FID readout).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "backend"))

from gandojo.datasets.images import load_split  # noqa: E402
from gandojo.gan.images.classifier import fit_classifier  # noqa: E402
from gandojo.gan.images.config import default_image_config  # noqa: E402
from gandojo.gan.images.metrics import embed, fid  # noqa: E402
from gandojo.gan.images.trainer import ImageTrainer  # noqa: E402


def log(msg: str) -> None:
    print(f"[fid_reference] {msg}", file=sys.stderr, flush=True)


def features(classifier, images: torch.Tensor) -> torch.Tensor:
    return embed(classifier, images)[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="images per side (≤ 1,000: the held-out split)")
    ap.add_argument("--iterations", type=int, default=3000, help="training iterations of the 'trained' generator")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--write", type=Path, help="also write the JSON object to this file")
    args = ap.parse_args()
    torch.set_num_threads(1)  # small models on a shared CPU: one thread is faster per CPU-second
    torch.manual_seed(args.seed)
    t0 = time.monotonic()
    train = load_split("mnist", "train", source="embedded")
    test = load_split("mnist", "test", source="embedded")
    n = min(args.n, test.count)
    log(f"embedded MNIST: {train.count} train / {test.count} held out; training the LeNet features")
    classifier = fit_classifier(train, test, seed=args.seed)
    pick = torch.randperm(train.count, generator=torch.Generator().manual_seed(args.seed))[:n]
    real = features(classifier, train.images[pick])
    out = {"dataset": "mnist", "source": "embedded", "n": n, "features": classifier.describe()}
    out["real_vs_real"] = fid(real, features(classifier, test.images[:n]))
    noise = torch.rand(n, 28, 28, generator=torch.Generator().manual_seed(args.seed))
    out["noise"] = fid(real, features(classifier, noise))
    log(f"real vs real {out['real_vs_real']:.2f}, noise {out['noise']:.1f}; training the MLP GAN")
    trainer = ImageTrainer(train, default_image_config(), args.seed)
    done = 0
    while done < args.iterations:
        step = min(500, args.iterations - done)
        trainer.step(step)
        done += step
        log(f"  iteration {done}")
    fake, _ = trainer.sample(n, generator=torch.Generator().manual_seed(args.seed + 1))
    out["trained"] = {"model": trainer.config.model, "iterations": done, "batch_size": trainer.config.batch_size,
                      "fid": fid(real, features(classifier, fake))}
    out["seconds"] = round(time.monotonic() - t0, 1)
    text = json.dumps(out, indent=1)
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
