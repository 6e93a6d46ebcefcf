"""Image-GAN metrics on the project's own LeNet features (not Inception): FID, IS, precision/recall.

* classifier accuracy: for cgan samples, how often the LeNet reads the label G was asked for
  (the course's "inception score" for conditional GANs);
* Inception-Score-style exp(E_x KL(p(y|x) ‖ p(y))) from the LeNet's class probabilities;
* FID between Gaussians fitted to the LeNet's 128 penultimate features of real and fake images;
* precision and recall (Kynkäänniemi et al. 2019) with k-nearest-neighbour radii (k = 3) in the
  same feature space.

The LeNet computes the features once; torchmetrics (`FrechetInceptionDistance`, `InceptionScore`,
given a pass-through feature module) does the FID and IS statistics. torchmetrics has no
precision/recall for generative models, so that one is written here (a few lines of cdist).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field
from typing import Callable

import torch

from .classifier import FeatureClassifier
from .sampling import drs_sample

Progress = Callable[[float, str], None]


@dataclass
class ImageMetrics:
    n_fake: int
    n_real: int
    fid: float
    inception_score: float
    precision: float
    recall: float
    k: int
    classifier_accuracy: float | None  # cgan only: LeNet's label == the label G was given
    feature_network: dict = field(default_factory=dict)
    drs_acceptance: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)


class _Precomputed(torch.nn.Module):
    """Hands features already computed by the LeNet to torchmetrics unchanged."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def _report(progress: Progress | None, frac: float, msg: str) -> None:
    if progress:
        progress(min(1.0, max(0.0, frac)), msg)


@torch.no_grad()
def embed(classifier: FeatureClassifier, images: torch.Tensor, batch: int = 1000,
          progress: Progress | None = None, span: tuple[float, float] = (0.0, 1.0),
          what: str = "images") -> tuple[torch.Tensor, torch.Tensor]:
    """LeNet features (N, 128) and logits (N, classes) of [0, 1] or uint8 images, on the CPU."""
    model = classifier.model.eval()
    dev = next(model.parameters()).device
    feats, logits = [], []
    for s in range(0, len(images), batch):
        x = images[s:s + batch].to(dev)
        x = x.float() / 255.0 if x.dtype == torch.uint8 else x.float()
        f = model.features(x)
        feats.append(f.cpu())
        logits.append(model.fc2(f).cpu())
        _report(progress, span[0] + (span[1] - span[0]) * min(1.0, (s + batch) / len(images)),
                f"features of {what}")
    return torch.cat(feats), torch.cat(logits)


def fid(real_features: torch.Tensor, fake_features: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (torchmetrics)."""
    from torchmetrics.image.fid import FrechetInceptionDistance

    metric = FrechetInceptionDistance(feature=_Precomputed(real_features.shape[1]))
    metric.update(real_features.double(), real=True)
    metric.update(fake_features.double(), real=False)
    return max(0.0, float(metric.compute()))


def inception_score(logits: torch.Tensor) -> float:
    """exp(E_x KL(p(y|x) ‖ p(y))) over all samples in one split (torchmetrics); 1 ≤ IS ≤ classes."""
    from torchmetrics.image.inception import InceptionScore

    with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        # torchmetrics warns that it keeps the features (we gave it logits only) and that the std
        # of one split is undefined (only the mean is used); its shuffle must not move our RNG
        warnings.simplefilter("ignore")
        metric = InceptionScore(feature=_Precomputed(logits.shape[1]), splits=1)
        metric.update(logits.double())
        mean, _ = metric.compute()
    return float(mean)


def _kth_radius(x: torch.Tensor, k: int, chunk: int) -> torch.Tensor:
    """Distance from each row of x to its k-th nearest other row."""
    out = []
    for s in range(0, len(x), chunk):
        d = torch.cdist(x[s:s + chunk], x)
        out.append(d.kthvalue(min(k + 1, len(x)), dim=1).values)  # +1: the point itself at 0
    return torch.cat(out)


def _coverage(points: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor, chunk: int) -> float:
    """Fraction of `points` inside at least one ball (centre, radius)."""
    inside = 0
    for s in range(0, len(points), chunk):
        d = torch.cdist(points[s:s + chunk], centres)
        inside += int((d <= radii.unsqueeze(0)).any(dim=1).sum())
    return inside / max(1, len(points))


def precision_recall(real_features: torch.Tensor, fake_features: torch.Tensor, k: int = 3,
                     chunk: int = 1024) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019) with k-NN radius manifolds."""
    real, fake = real_features.double(), fake_features.double()
    precision = _coverage(fake, real, _kth_radius(real, k, chunk), chunk)
    recall = _coverage(real, fake, _kth_radius(fake, k, chunk), chunk)
    return precision, recall


def image_metrics(real: torch.Tensor, fake: torch.Tensor, classifier: FeatureClassifier,
                  fake_labels: torch.Tensor | None = None, k: int = 3,
                  progress: Progress | None = None, span: tuple[float, float] = (0.0, 1.0)) -> ImageMetrics:
    """All metrics of `fake` against `real` (images uint8 or in [0, 1], (N, 28, 28))."""
    if len(real) < 2 or len(fake) < 2:
        raise ValueError("metrics need at least 2 real and 2 fake images")
    a, b = span[0], span[1] - span[0]
    rf, _ = embed(classifier, real, progress=progress, span=(a, a + 0.3 * b), what="real images")
    ff, fl = embed(classifier, fake, progress=progress, span=(a + 0.3 * b, a + 0.6 * b), what="samples")
    _report(progress, a + 0.65 * b, "FID and IS")
    fid_value, is_value = fid(rf, ff), inception_score(fl)
    _report(progress, a + 0.75 * b, f"precision and recall (k={k})")
    precision, recall = precision_recall(rf, ff, k)
    acc = None
    if fake_labels is not None:
        acc = float((fl.argmax(1) == fake_labels.cpu()).float().mean())
    _report(progress, a + b, "done")
    return ImageMetrics(len(fake), len(real), fid_value, is_value, precision, recall, k, acc,
                        classifier.describe())


def evaluate_trainer(trainer, classifier: FeatureClassifier, n: int = 5000, k: int = 3,
                     progress: Progress | None = None, drs_percentile: float | None = None) -> ImageMetrics:
    """Metrics of `n` fresh samples of an ImageTrainer against up to `n` of its training images.

    The samples come from a generator seeded from the trainer's seed (same model ⇒ same figures;
    training is not disturbed); `drs_percentile` filters them by rejection sampling first.
    """
    if n < 2:
        raise ValueError("n must be at least 2")
    classifier.to(trainer.device)
    g = torch.Generator(trainer.device).manual_seed(trainer.seed + 4)
    _report(progress, 0.0, f"sampling {n} images")
    acceptance = None
    if drs_percentile is None:
        fake, labels = trainer.sample(n, generator=g)
    else:
        res = drs_sample(trainer, n, drs_percentile, generator=g,
                         progress=lambda f, m: _report(progress, 0.4 * f, m))
        fake, labels, acceptance = res.images, res.labels, res.acceptance
    _report(progress, 0.4, "sampled")
    pick = torch.randperm(trainer.data.count, generator=torch.Generator().manual_seed(0))[:n]
    real = trainer.data.images[pick]
    out = image_metrics(real, fake, classifier, labels, k, progress, span=(0.4, 1.0))
    out.drs_acceptance = acceptance
    return out

