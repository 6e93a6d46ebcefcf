"""The classifier-retraining experiment: train a LeNet on real + generated mixes, test it on real data.

For each mix (real %, generated %) — by default 100/0, 75/25, 50/50, 25/75, 0/100 — a fresh LeNet
(same seed, same number of training images and epochs for every mix) is trained on that mix and
its accuracy measured on the real held-out test split. Generated images are labelled by the label
G was given (cgan) or, for unconditional GANs, by the cached feature classifier (pseudo-labels).
Meant for a background thread: `progress(fraction, message)` and a `cancel` flag (anything with
`is_set()`, such as a threading.Event, or any callable returning True) are honoured between batches.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable

import torch

from ...datasets.images import ImageData
from .classifier import FeatureClassifier, accuracy, default_epochs, train_lenet

Progress = Callable[[float, str], None]
MIXES: tuple[tuple[int, int], ...] = ((100, 0), (75, 25), (50, 50), (25, 75), (0, 100))
DEFAULT_N_TRAIN = 10_000


@dataclass
class MixResult:
    real_percent: int
    generated_percent: int
    n_real: int
    n_generated: int
    test_accuracy: float


@dataclass
class RetrainReport:
    results: list[MixResult] = field(default_factory=list)
    n_train: int = 0
    n_test: int = 0
    epochs: int = 0
    label_source: str = ""  # "conditioning" (cgan) or "classifier" (pseudo-labels)
    cancelled: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


def _cancelled(cancel) -> bool:
    if cancel is None:
        return False
    if hasattr(cancel, "is_set"):  # a threading.Event (not imported here: gan/ knows no threads)
        return cancel.is_set()
    return bool(cancel())


def _generated(trainer, n: int, labeler: FeatureClassifier | None, seed: int):
    g = torch.Generator(trainer.device).manual_seed(seed)
    images, labels = trainer.sample(n, generator=g)
    if labels is None:
        if labeler is None:
            raise ValueError("an unconditional GAN needs a classifier to label its samples")
        labeler.to(trainer.device)
        with torch.no_grad():
            labels = torch.cat([labeler.model(images[s:s + 1000]).argmax(1)
                                for s in range(0, n, 1000)]) if n else torch.zeros(0, dtype=torch.long)
    return images.cpu(), labels.cpu().long()


def retraining_experiment(trainer, test: ImageData, n_train: int | None = None,
                          mixes: tuple[tuple[int, int], ...] = MIXES, epochs: int | None = None,
                          seed: int = 0, labeler: FeatureClassifier | None = None,
                          progress: Progress | None = None, cancel=None) -> RetrainReport:
    """Accuracy on `test` of a LeNet trained on each real/generated mix of `n_train` images.

    n_train defaults to min(10,000, the training split); the real part of every mix is a random
    (seeded) subset of the training split. A cancelled run returns the mixes finished so far.
    """
    real = trainer.data
    n_train = min(n_train or DEFAULT_N_TRAIN, real.count)
    if n_train < 10:
        raise ValueError("n_train must be at least 10")
    for r, f in mixes:
        if r < 0 or f < 0 or r + f != 100:
            raise ValueError(f"mix {r}/{f}: the two percentages must be ≥ 0 and add up to 100")
    epochs = epochs or default_epochs(n_train)
    report = RetrainReport(n_train=n_train, n_test=test.count, epochs=epochs,
                           label_source="conditioning" if trainer.n_classes else "classifier")
    n_fake_max = max(round(n_train * f / 100) for _, f in mixes)
    if progress:
        progress(0.0, f"sampling {n_fake_max} generated images")
    fake_x, fake_y = _generated(trainer, n_fake_max, labeler, seed + 1)
    order = torch.randperm(real.count, generator=torch.Generator().manual_seed(seed))[:n_train]
    real_x, real_y = real.images[order].float() / 255.0, real.labels[order]
    for i, (r, f) in enumerate(mixes):
        n_fake = round(n_train * f / 100)
        n_real = n_train - n_fake
        x = torch.cat([real_x[:n_real], fake_x[:n_fake]])
        y = torch.cat([real_y[:n_real], fake_y[:n_fake]])
        start, width = 0.05 + 0.95 * i / len(mixes), 0.95 / len(mixes)

        def mix_progress(p: float, m: str, r=r, f=f, start=start) -> None:
            if progress:
                progress(start + width * p, f"mix {r}/{f}: {m}")

        model = train_lenet(x, y, real.n_classes, epochs, seed=seed, device=trainer.device,
                            progress=mix_progress, cancel=lambda: _cancelled(cancel))
        if _cancelled(cancel):
            report.cancelled = True
            break
        report.results.append(MixResult(r, f, n_real, n_fake, accuracy(model, test.images, test.labels)))
    if progress and not report.cancelled:
        progress(1.0, "done")
    return report
